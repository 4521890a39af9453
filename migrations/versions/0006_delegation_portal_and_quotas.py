"""Delegation portal links, quotas per category, applications

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 17:15:20.277345

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('delegation_quota',
    sa.Column('delegation_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_delegation_quota_category_id_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['delegation_id'], ['delegation.id'], name=op.f('fk_delegation_quota_delegation_id_delegation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('delegation_id', 'category_id', name=op.f('pk_delegation_quota'))
    )
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), server_default='zh_Hans_CN', nullable=False))
        batch_op.add_column(sa.Column('expected_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('application_note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('manage_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_delegation_manage_token_hash'), ['manage_token_hash'])



def downgrade():
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_delegation_manage_token_hash'), type_='unique')
        batch_op.drop_column('invited_at')
        batch_op.drop_column('manage_token_hash')
        batch_op.drop_column('application_note')
        batch_op.drop_column('expected_size')
        batch_op.drop_column('locale')

    op.drop_table('delegation_quota')
