"""pending review: a flagged counter-day is held out of the figures until Home Affairs accepts
it or sets it aside (quarantined_day.status), and an accepted day is remembered (accepted_day)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quarantined_day', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=False,
                                      server_default='held'))
    with op.batch_alter_table('quarantined_day', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)
    op.create_table('accepted_day',
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'],
                            name=op.f('fk_accepted_day_counter_id_counter')),
    sa.PrimaryKeyConstraint('counter_id', 'day', name=op.f('pk_accepted_day'))
    )


def downgrade():
    op.drop_table('accepted_day')
    with op.batch_alter_table('quarantined_day', schema=None) as batch_op:
        batch_op.drop_column('status')
