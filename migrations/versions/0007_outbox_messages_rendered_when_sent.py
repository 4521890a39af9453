"""Outbox messages rendered when sent

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 18:11:21.905858

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('render_context', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_column('render_context')

