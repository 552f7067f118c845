"""campaign targets and tallies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 19:27:17.226895

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_target',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('target_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.CheckConstraint('target_rate >= 0 AND target_rate <= 100', name=op.f('ck_campaign_target_target_rate')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_target_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_campaign_target_unit_id_unit')),
    sa.PrimaryKeyConstraint('campaign_id', 'unit_id', name=op.f('pk_campaign_target'))
    )
    op.create_table('tally',
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('immediate', sa.Integer(), nullable=False),
    sa.Column('online', sa.Integer(), nullable=False),
    sa.Column('postal', sa.Integer(), nullable=False),
    sa.CheckConstraint('immediate + online + postal <= returned', name=op.f('ck_tally_parts')),
    sa.CheckConstraint('returned >= 0 AND immediate >= 0 AND online >= 0 AND postal >= 0', name=op.f('ck_tally_positive')),
    sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_tally_counter_id_counter')),
    sa.PrimaryKeyConstraint('counter_id', 'day', name=op.f('pk_tally'))
    )
    with op.batch_alter_table('tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tally_day'), ['day'], unique=False)



def downgrade():
    with op.batch_alter_table('tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tally_day'))

    op.drop_table('tally')
    op.drop_table('campaign_target')
