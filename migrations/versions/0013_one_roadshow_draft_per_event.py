"""one roadshow draft per event

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 01:35:55.652274

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("roadshow_schedule", schema=None) as batch_op:
        batch_op.create_index(
            "uq_roadshow_schedule_draft",
            ["event_id"],
            unique=True,
            sqlite_where=sa.text("number IS NULL"),
            postgresql_where=sa.text("number IS NULL"),
        )



def downgrade():
    with op.batch_alter_table("roadshow_schedule", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_roadshow_schedule_draft",
            sqlite_where=sa.text("number IS NULL"),
            postgresql_where=sa.text("number IS NULL"),
        )

