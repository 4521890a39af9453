"""roadshow projects, interest, sessions, schedules, runs

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 23:38:41.248773

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.Enum('chamber', 'enterprise', 'government', 'other', name='organisationkind', native_enum=False, length=32), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('project_target', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('name', name=op.f('uq_organisation_name'))
    )
    op.create_table('roadshow_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('source', sa.Enum('solver', 'manual', name='schedulesource', native_enum=False, length=32), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_roadshow_schedule_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_roadshow_schedule_published_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roadshow_schedule')),
    sa.UniqueConstraint('event_id', 'number', name=op.f('uq_roadshow_schedule_event_id_number'))
    )
    with op.batch_alter_table('roadshow_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roadshow_schedule_event_id'), ['event_id'], unique=False)

    op.create_table('roadshow_setup',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('submissions_open', sa.Boolean(), nullable=False),
    sa.Column('submissions_close_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pitch_minutes', sa.Integer(), nullable=False),
    sa.Column('changeover_minutes', sa.Integer(), nullable=False),
    sa.Column('one_sector_per_room_session', sa.Boolean(), nullable=False),
    sa.Column('time_limit', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_roadshow_setup_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_roadshow_setup'))
    )
    op.create_table('roadshow_room',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['roadshow_setup.event_id'], name=op.f('fk_roadshow_room_event_id_roadshow_setup'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_roadshow_room_room_id_room'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'room_id', name=op.f('pk_roadshow_room'))
    )
    op.create_table('scheduler_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('running', 'succeeded', 'failed', name='runstatus', native_enum=False, length=32), nullable=False),
    sa.Column('time_limit', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_scheduler_run_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['roadshow_schedule.id'], name=op.f('fk_scheduler_run_schedule_id_roadshow_schedule'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], name=op.f('fk_scheduler_run_started_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_run'))
    )
    with op.batch_alter_table('scheduler_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduler_run_event_id'), ['event_id'], unique=False)

    op.create_table('presenter_unavailability',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_presenter_unavailability_agenda_item_id_agenda_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_presenter_unavailability_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', 'agenda_item_id', name=op.f('pk_presenter_unavailability'))
    )
    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'changes_requested', 'accepted', 'rejected', 'withdrawn', name='projectstatus', native_enum=False, length=32), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('summary_zh', sa.Text(), nullable=False),
    sa.Column('summary_en', sa.Text(), nullable=True),
    sa.Column('sector', sa.Enum('information_technology', 'high_end_equipment', 'new_energy_materials', 'marine', 'health', 'green_chemicals', 'agriculture', 'culture', 'tourism', 'finance', 'other', name='sector', native_enum=False, length=32), nullable=False),
    sa.Column('owner_name', sa.String(length=200), nullable=False),
    sa.Column('chamber_id', sa.Integer(), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('capital_wan', sa.Integer(), nullable=False),
    sa.Column('cooperation_mode', sa.Enum('equity', 'joint_venture', 'sole_investment', 'debt', 'technology', 'acquisition', 'other', name='cooperationmode', native_enum=False, length=32), nullable=False),
    sa.Column('presenter_id', sa.Integer(), nullable=True),
    sa.Column('delegation_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('duration_slots', sa.Integer(), nullable=False),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deck_key', sa.String(length=64), nullable=True),
    sa.Column('deck_filename', sa.String(length=200), nullable=True),
    sa.Column('deck_size', sa.Integer(), nullable=True),
    sa.Column('deck_pages', sa.Integer(), nullable=True),
    sa.Column('deck_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chamber_id'], ['organisation.id'], name=op.f('fk_project_chamber_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['delegation_id'], ['delegation.id'], name=op.f('fk_project_delegation_id_delegation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_project_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['presenter_id'], ['registration.id'], name=op.f('fk_project_presenter_id_registration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['registration.id'], name=op.f('fk_project_submitted_by_id_registration'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project'))
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_chamber_id'), ['chamber_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_delegation_id'), ['delegation_id'], unique=False)
        batch_op.create_index('ix_project_event_status', ['event_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_presenter_id'), ['presenter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_submitted_by_id'), ['submitted_by_id'], unique=False)

    op.create_table('roadshow_session',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_roadshow_session_agenda_item_id_agenda_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['roadshow_setup.event_id'], name=op.f('fk_roadshow_session_event_id_roadshow_setup'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'agenda_item_id', name=op.f('pk_roadshow_session'))
    )
    op.create_table('pitch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_pitch_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_pitch_room_id_room'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['roadshow_schedule.id'], name=op.f('fk_pitch_schedule_id_roadshow_schedule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pitch')),
    sa.UniqueConstraint('schedule_id', 'project_id', name=op.f('uq_pitch_schedule_id_project_id'))
    )
    with op.batch_alter_table('pitch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pitch_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pitch_schedule_id'), ['schedule_id'], unique=False)

    op.create_table('project_interest',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_interest_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_project_interest_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'registration_id', name=op.f('pk_project_interest'))
    )
    with op.batch_alter_table('project_interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_interest_registration_id'), ['registration_id'], unique=False)

    op.create_table('project_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('submitted', 'changes_requested', 'accepted', 'rejected', 'withdrawn', name='projectstatus', native_enum=False, length=32), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_project_review_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_review_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_review'))
    )
    with op.batch_alter_table('project_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_review_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_delegation_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_delegation_organisation_id_organisation'), 'organisation', ['organisation_id'], ['id'], ondelete='SET NULL')

    # ### end Alembic commands ###


def downgrade():
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_delegation_organisation_id_organisation'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_delegation_organisation_id'))
        batch_op.drop_column('organisation_id')

    with op.batch_alter_table('project_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_review_project_id'))

    op.drop_table('project_review')
    with op.batch_alter_table('project_interest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_interest_registration_id'))

    op.drop_table('project_interest')
    with op.batch_alter_table('pitch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pitch_schedule_id'))
        batch_op.drop_index(batch_op.f('ix_pitch_project_id'))

    op.drop_table('pitch')
    op.drop_table('roadshow_session')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_submitted_by_id'))
        batch_op.drop_index(batch_op.f('ix_project_presenter_id'))
        batch_op.drop_index('ix_project_event_status')
        batch_op.drop_index(batch_op.f('ix_project_delegation_id'))
        batch_op.drop_index(batch_op.f('ix_project_chamber_id'))

    op.drop_table('project')
    op.drop_table('presenter_unavailability')
    with op.batch_alter_table('scheduler_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduler_run_event_id'))

    op.drop_table('scheduler_run')
    op.drop_table('roadshow_room')
    op.drop_table('roadshow_setup')
    with op.batch_alter_table('roadshow_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roadshow_schedule_event_id'))

    op.drop_table('roadshow_schedule')
    op.drop_table('organisation')
    # ### end Alembic commands ###
