"""weekly roll-ups of tallies, funnel, responses and answers

Reports show whole weeks that are over; app/domain/weeks.py sums each such week once from the
daily tables (and again for one counter when a tally of that week changes). The tables start
empty: the first report after this migration sums the weeks it needs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:38:05.766394

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rolled_week',
    sa.Column('week', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('week', name=op.f('pk_rolled_week'))
    )
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

    op.create_table('counter_week',
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
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_counter_week_counter_id_counter')),
    sa.PrimaryKeyConstraint('counter_id', 'week', name=op.f('pk_counter_week'))
    )
    with op.batch_alter_table('counter_week', schema=None) as batch_op:
        batch_op.create_index('ix_counter_week_week', ['week'], unique=False)

    op.create_table('response_week',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('overall_1', sa.Integer(), nullable=False),
    sa.Column('overall_2', sa.Integer(), nullable=False),
    sa.Column('overall_3', sa.Integer(), nullable=False),
    sa.Column('overall_4', sa.Integer(), nullable=False),
    sa.Column('overall_5', sa.Integer(), nullable=False),
    sa.Column('untallied_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_response_week_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_response_week_counter_id_counter')),
    sa.PrimaryKeyConstraint('campaign_id', 'counter_id', 'week', name=op.f('pk_response_week'))
    )
    with op.batch_alter_table('response_week', schema=None) as batch_op:
        batch_op.create_index('ix_response_week_campaign_week', ['campaign_id', 'week'], unique=False)



def downgrade():
    with op.batch_alter_table('response_week', schema=None) as batch_op:
        batch_op.drop_index('ix_response_week_campaign_week')

    op.drop_table('response_week')
    with op.batch_alter_table('counter_week', schema=None) as batch_op:
        batch_op.drop_index('ix_counter_week_week')

    op.drop_table('counter_week')
    with op.batch_alter_table('answer_week', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_week_campaign_week')

    op.drop_table('answer_week')
    op.drop_table('rolled_week')
