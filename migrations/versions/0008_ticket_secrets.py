"""Ticket secrets for every registration, revoked secrets of reissued badges

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 18:22:46.181094

"""
import base64
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('revoked_ticket',
    sa.Column('secret', sa.String(length=32), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_revoked_ticket_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('secret', name=op.f('pk_revoked_ticket'))
    )
    with op.batch_alter_table('revoked_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_ticket_registration_id'), ['registration_id'], unique=False)

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_secret', sa.String(length=32), nullable=True))
    _give_every_registration_a_secret()
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.alter_column('ticket_secret', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_registration_ticket_secret'), ['ticket_secret'])


def _give_every_registration_a_secret():
    # Drawn here, not imported: a migration must not change with the app's code.
    registration = sa.table('registration', sa.column('id', sa.Integer), sa.column('ticket_secret', sa.String))
    connection = op.get_bind()
    ids = [row.id for row in connection.execute(sa.select(registration.c.id))]
    for start in range(0, len(ids), 1000):
        connection.execute(
            registration.update().where(registration.c.id == sa.bindparam('row_id')),
            [
                {'row_id': row_id, 'ticket_secret': base64.b32encode(secrets.token_bytes(20)).decode('ascii')}
                for row_id in ids[start:start + 1000]
            ],
        )



def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registration_ticket_secret'), type_='unique')
        batch_op.drop_column('ticket_secret')

    with op.batch_alter_table('revoked_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_ticket_registration_id'))

    op.drop_table('revoked_ticket')
