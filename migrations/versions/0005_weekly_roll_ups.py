"""weekly roll-ups per campaign, counter and week; the funnel indexed by day

Reports show whole weeks that are over; app/domain/weeks.py sums each week of a campaign once
from the daily tables (again for one counter when a tally of that week changes; all of the
campaign's weeks are dropped when its dates change). The tables start empty: the first report
after this migration sums the weeks it needs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:55:26.969637

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('answer_week',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('question_key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_answer_week_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_answer_week_counter_id_counter')),
    sa.PrimaryKeyConstraint('campaign_id', 'counter_id', 'week', 'question_key', 'value', name=op.f('pk_answer_week'))
    )
    with op.batch_alter_table('answer_week', schema=None) as batch_op:
        batch_op.create_index('ix_answer_week_campaign_week', ['campaign_id', 'week'], unique=False)

    op.create_table('campaign_week',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('immediate', sa.Integer(), nullable=False),
    sa.Column('online', sa.Integer(), nullable=False),
    sa.Column('postal', sa.Integer(), nullable=False),
    sa.Column('opened', sa.Integer(), nullable=False),
    sa.Column('declined', sa.Integer(), nullable=False),
    sa.Column('screened_online', sa.Integer(), nullable=False),
    sa.Column('screened_postal', sa.Integer(), nullable=False),
    sa.Column('screened_immediate', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('overall_1', sa.Integer(), nullable=False),
    sa.Column('overall_2', sa.Integer(), nullable=False),
    sa.Column('overall_3', sa.Integer(), nullable=False),
    sa.Column('overall_4', sa.Integer(), nullable=False),
    sa.Column('overall_5', sa.Integer(), nullable=False),
    sa.Column('untallied_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_week_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_campaign_week_counter_id_counter')),
    sa.PrimaryKeyConstraint('campaign_id', 'counter_id', 'week', name=op.f('pk_campaign_week'))
    )
    with op.batch_alter_table('campaign_week', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_week_campaign_week', ['campaign_id', 'week'], unique=False)

    op.create_table('rolled_week',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_rolled_week_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('campaign_id', 'week', name=op.f('pk_rolled_week'))
    )
    with op.batch_alter_table('daily_funnel', schema=None) as batch_op:
        batch_op.create_index('ix_daily_funnel_day', ['day'], unique=False)



def downgrade():
    with op.batch_alter_table('daily_funnel', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_funnel_day')

    op.drop_table('rolled_week')
    with op.batch_alter_table('campaign_week', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_week_campaign_week')

    op.drop_table('campaign_week')
    with op.batch_alter_table('answer_week', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_week_campaign_week')

    op.drop_table('answer_week')
