"""registrant language, list index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 15:45:29.813353

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), server_default='zh_Hans_CN', nullable=False))
        batch_op.create_index('ix_registration_event_created', ['event_id', 'created_at'], unique=False)




def downgrade():

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_event_created')
        batch_op.drop_column('locale')


