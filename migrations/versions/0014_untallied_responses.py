"""untallied responses: each week's responses on days without a tally, which no rate counts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:00:00

The weekly sums made before have no such count: they are dropped, and `flask sum-weeks` makes
them again (reports read the weeks from the daily rows meanwhile, with the same figures).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('campaign_week', 'answer_week', 'rolled_week'):
        op.execute(sa.text(f'DELETE FROM {table}'))
    with op.batch_alter_table('campaign_week', schema=None) as batch_op:
        batch_op.add_column(sa.Column('untallied_responses', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('campaign_week', schema=None) as batch_op:
        batch_op.alter_column('untallied_responses', server_default=None)


def downgrade():
    with op.batch_alter_table('campaign_week', schema=None) as batch_op:
        batch_op.drop_column('untallied_responses')
