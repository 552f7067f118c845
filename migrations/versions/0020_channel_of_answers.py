"""channel of answers: each response says whether it came through an SMS invitation's link,
the roll-ups count those answers and their overall levels, and a weekly batch says whether it
is shown by channel (app/domain/weeks.py)

Answers stored before this revision count as the sticker's: nothing recorded their channel.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 18:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

CHANNEL = ("invited", *(f"invited_{n}" for n in range(1, 6)))


def upgrade():
    # Constant defaults ('0', false on both databases): SQLite adds the columns in place
    # instead of copying `response`, which every answer's row points at.
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited', sa.Boolean(), server_default='0',
                                      nullable=False))
    for table in ('response_day', 'campaign_week'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in CHANNEL:
                batch_op.add_column(sa.Column(name, sa.Integer(), server_default='0',
                                              nullable=False))
    with op.batch_alter_table('campaign_week', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_apart', sa.Boolean(), nullable=True))
    # Batches filed before this revision held no answer by link: each channel none or all.
    op.execute("UPDATE campaign_week SET batch_apart = TRUE WHERE batch_week IS NOT NULL")


def downgrade():
    with op.batch_alter_table('campaign_week', schema=None) as batch_op:
        batch_op.drop_column('batch_apart')
    for table in ('campaign_week', 'response_day'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in reversed(CHANNEL):
                batch_op.drop_column(name)
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('invited')
