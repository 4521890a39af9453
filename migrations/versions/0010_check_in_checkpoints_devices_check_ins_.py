"""check-in: checkpoints, devices, check-ins, scan log

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 21:12:03.541175

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.Enum('entry', 'exit', 'session', name='checkpointkind', native_enum=False, length=32), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('allows_reentry', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_checkpoint_agenda_item_id_agenda_item'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_checkpoint_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoint'))
    )
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkpoint_event_id'), ['event_id'], unique=False)

    op.create_table('checkpoint_category',
    sa.Column('checkpoint_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_checkpoint_category_category_id_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_checkpoint_category_checkpoint_id_checkpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('checkpoint_id', 'category_id', name=op.f('pk_checkpoint_category'))
    )
    op.create_table('checkpoint_staff',
    sa.Column('checkpoint_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_checkpoint_staff_checkpoint_id_checkpoint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_checkpoint_staff_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('checkpoint_id', 'user_id', name=op.f('pk_checkpoint_staff'))
    )
    op.create_table('scanner_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('checkpoint_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_scanner_device_checkpoint_id_checkpoint'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_scanner_device_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_scanner_device_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scanner_device')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_scanner_device_token_hash'))
    )
    with op.batch_alter_table('scanner_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scanner_device_event_id'), ['event_id'], unique=False)

    op.create_table('check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('checkpoint_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('in', 'exit', 'reentry', 'annulled', 'superseded', name='checkinstate', native_enum=False, length=32), nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('annulled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('annulled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['annulled_by_id'], ['user_account.id'], name=op.f('fk_check_in_annulled_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_check_in_checkpoint_id_checkpoint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['scanner_device.id'], name=op.f('fk_check_in_device_id_scanner_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_check_in_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_check_in_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['user_account.id'], name=op.f('fk_check_in_staff_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in'))
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index('ix_check_in_checkpoint_state', ['checkpoint_id', 'state'], unique=False)
        batch_op.create_index('ix_check_in_event_scanned', ['event_id', 'scanned_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index('uq_check_in_admitted', ['registration_id', 'checkpoint_id'], unique=True, sqlite_where=sa.text("state = 'in'"), postgresql_where=sa.text("state = 'in'"))

    op.create_table('check_in_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kept_id', sa.Integer(), nullable=False),
    sa.Column('superseded_id', sa.Integer(), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_check_in_conflict_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kept_id'], ['check_in.id'], name=op.f('fk_check_in_conflict_kept_id_check_in'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['superseded_id'], ['check_in.id'], name=op.f('fk_check_in_conflict_superseded_id_check_in'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in_conflict'))
    )
    with op.batch_alter_table('check_in_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_conflict_event_id'), ['event_id'], unique=False)

    op.create_table('scan_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('checkpoint_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('check_in_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('input_digest', sa.String(length=32), nullable=False),
    sa.Column('result', sa.String(length=32), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['check_in_id'], ['check_in.id'], name=op.f('fk_scan_attempt_check_in_id_check_in'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_scan_attempt_checkpoint_id_checkpoint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['scanner_device.id'], name=op.f('fk_scan_attempt_device_id_scanner_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_scan_attempt_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_scan_attempt_registration_id_registration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['user_account.id'], name=op.f('fk_scan_attempt_staff_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_attempt')),
    sa.UniqueConstraint('nonce', name=op.f('uq_scan_attempt_nonce'))
    )
    with op.batch_alter_table('scan_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_scan_attempt_event_recorded', ['event_id', 'recorded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_attempt_registration_id'), ['registration_id'], unique=False)

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_note', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('needs_attention', sa.Boolean(), server_default=sa.false(), nullable=False))

    # ### end Alembic commands ###


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('needs_attention')
        batch_op.drop_column('staff_note')

    with op.batch_alter_table('scan_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_attempt_registration_id'))
        batch_op.drop_index('ix_scan_attempt_event_recorded')

    op.drop_table('scan_attempt')
    with op.batch_alter_table('check_in_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_conflict_event_id'))

    op.drop_table('check_in_conflict')
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index('uq_check_in_admitted', sqlite_where=sa.text("state = 'in'"), postgresql_where=sa.text("state = 'in'"))
        batch_op.drop_index(batch_op.f('ix_check_in_registration_id'))
        batch_op.drop_index('ix_check_in_event_scanned')
        batch_op.drop_index('ix_check_in_checkpoint_state')

    op.drop_table('check_in')
    with op.batch_alter_table('scanner_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scanner_device_event_id'))

    op.drop_table('scanner_device')
    op.drop_table('checkpoint_staff')
    op.drop_table('checkpoint_category')
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkpoint_event_id'))

    op.drop_table('checkpoint')
    # ### end Alembic commands ###
