"""integrity counts per counter and day, pressure reports, unit opening hours

What the survey refuses or finds odd is counted per counter and day (integrity_day), never
with a time, an address or a device; citizens' reports of pressure keep the ISO week only and
a random id (no rowid on SQLite); a unit may have its own opening hours (app/survey/integrity.py);
a counter's day can be set aside for review (quarantined_day, app/survey/quarantine.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:25:59.224076

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('integrity_day',
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('refused_ticket', sa.Integer(), nullable=False),
    sa.Column('refused_fast', sa.Integer(), nullable=False),
    sa.Column('refused_limit', sa.Integer(), nullable=False),
    sa.Column('refused_repeat', sa.Integer(), nullable=False),
    sa.Column('bursts', sa.Integer(), nullable=False),
    sa.Column('identical_runs', sa.Integer(), nullable=False),
    sa.Column('outside_hours', sa.Integer(), nullable=False),
    sa.Column('from_one_place', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_integrity_day_counter_id_counter')),
    sa.PrimaryKeyConstraint('counter_id', 'day', name=op.f('pk_integrity_day'))
    )
    op.create_table('quarantined_day',
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_quarantined_day_counter_id_counter')),
    sa.PrimaryKeyConstraint('counter_id', 'day', name=op.f('pk_quarantined_day'))
    )
    op.create_table('pressure_report',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('kinds', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_pressure_report_counter_id_counter')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pressure_report')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('pressure_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pressure_report_counter_id'), ['counter_id'], unique=False)
        batch_op.create_index('ix_pressure_report_week', ['week'], unique=False)

    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_hours', sa.String(length=100), nullable=True))



def downgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('opening_hours')

    with op.batch_alter_table('pressure_report', schema=None) as batch_op:
        batch_op.drop_index('ix_pressure_report_week')
        batch_op.drop_index(batch_op.f('ix_pressure_report_counter_id'))

    op.drop_table('pressure_report')
    op.drop_table('quarantined_day')
    op.drop_table('integrity_day')
