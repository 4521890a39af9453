"""manage links, privacy notice

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 16:02:09.007295

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_zh', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('privacy_en', sa.Text(), nullable=True))

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manage_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_registration_manage_token_hash'), ['manage_token_hash'])




def downgrade():

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registration_manage_token_hash'), type_='unique')
        batch_op.drop_column('manage_token_hash')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('privacy_en')
        batch_op.drop_column('privacy_zh')


