"""matchmaking: setup, profiles, requests, sessions, meetings

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 00:11:46.735846

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "matchmaking_setup",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("requests_open", sa.Boolean(), nullable=False),
        sa.Column("auto_accept", sa.Boolean(), nullable=False),
        sa.Column("time_limit", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_matchmaking_setup_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_matchmaking_setup")),
    )
    op.create_table(
        "matchmaking_category",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_matchmaking_category_category_id_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["matchmaking_setup.event_id"],
            name=op.f("fk_matchmaking_category_event_id_matchmaking_setup"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "category_id", name=op.f("pk_matchmaking_category")),
    )
    op.create_table(
        "match_profile",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column(
            "sector",
            sa.Enum(
                "information_technology",
                "high_end_equipment",
                "new_energy_materials",
                "marine",
                "health",
                "green_chemicals",
                "agriculture",
                "culture",
                "tourism",
                "finance",
                "other",
                name="sector",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("capital_wan", sa.Integer(), nullable=True),
        sa.Column("about", sa.Text(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_match_profile_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("registration_id", name=op.f("pk_match_profile")),
    )
    op.create_table(
        "match_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("meeting_minutes", sa.Integer(), nullable=False),
        sa.Column("slot_count", sa.Integer(), nullable=False),
        sa.Column("table_count", sa.Integer(), nullable=False),
        sa.Column("table_names", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_item.id"],
            name=op.f("fk_match_session_agenda_item_id_agenda_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_match_session_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_session")),
    )
    with op.batch_alter_table("match_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_session_event_id"), ["event_id"], unique=False)

    op.create_table(
        "meeting_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("low_id", sa.Integer(), nullable=False),
        sa.Column("high_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                "cancelled",
                name="requeststatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_request_added_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_meeting_request_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["registration.id"],
            name=op.f("fk_meeting_request_recipient_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["registration.id"],
            name=op.f("fk_meeting_request_requester_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_request")),
        sa.UniqueConstraint("event_id", "low_id", "high_id", name="uq_meeting_request_pair"),
    )
    with op.batch_alter_table("meeting_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_request_event_status", ["event_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_request_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_request_requester_id"), ["requester_id"], unique=False
        )

    op.create_table(
        "match_unavailability",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_match_unavailability_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["match_session.id"],
            name=op.f("fk_match_unavailability_session_id_match_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "registration_id", "session_id", "slot", name=op.f("pk_match_unavailability")
        ),
    )
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("table", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["meeting_request.id"],
            name=op.f("fk_meeting_request_id_meeting_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["match_session.id"],
            name=op.f("fk_meeting_session_id_match_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        sa.UniqueConstraint(
            "session_id", "request_id", name=op.f("uq_meeting_session_id_request_id")
        ),
        sa.UniqueConstraint(
            "session_id", "slot", "table", name=op.f("uq_meeting_session_id_slot_table")
        ),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_session_id"), ["session_id"], unique=False)

    with op.batch_alter_table("scheduler_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_session_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_scheduler_run_match_session_id"), ["match_session_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_scheduler_run_match_session_id_match_session"),
            "match_session",
            ["match_session_id"],
            ["id"],
            ondelete="CASCADE",
        )

    # ### end Alembic commands ###


def downgrade():
    with op.batch_alter_table("scheduler_run", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_scheduler_run_match_session_id_match_session"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_scheduler_run_match_session_id"))
        batch_op.drop_column("match_session_id")

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_session_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_request_id"))

    op.drop_table("meeting")
    op.drop_table("match_unavailability")
    with op.batch_alter_table("meeting_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_request_requester_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_request_recipient_id"))
        batch_op.drop_index("ix_meeting_request_event_status")

    op.drop_table("meeting_request")
    with op.batch_alter_table("match_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_session_event_id"))

    op.drop_table("match_session")
    op.drop_table("match_profile")
    op.drop_table("matchmaking_category")
    op.drop_table("matchmaking_setup")
    # ### end Alembic commands ###
