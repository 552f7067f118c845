"""answers released in batches of at least K per counter: campaign_week.batch_week

Each counter's weekly answers are released in batches of at least K responses, filed under
the week the batch fills (app/domain/weeks.py); every figure of answers is a sum of whole
batches, so no two reports can be subtracted to single out fewer than K people. The weekly
sums are a cache of the daily tables: they are dropped here and summed again, with their
batches, by the next report (or `flask sum-weeks`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('answer_week', 'campaign_week', 'rolled_week'):
        op.execute(f'DELETE FROM {table}')
    with op.batch_alter_table('campaign_week', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_week', sa.Date(), nullable=True))
        batch_op.create_index('ix_campaign_week_batch', ['campaign_id', 'batch_week'],
                              unique=False)
    with op.batch_alter_table('rolled_week', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_k', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('rolled_week', schema=None) as batch_op:
        batch_op.drop_column('batch_k')
    with op.batch_alter_table('campaign_week', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_week_batch')
        batch_op.drop_column('batch_week')
