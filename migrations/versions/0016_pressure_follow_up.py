"""pressure follow-up: each citizen's report of pressure has a status (new, in progress, done)
and Home Affairs' note

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 17:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pressure_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=False,
                                      server_default='new'))
        batch_op.add_column(sa.Column('note', sa.String(length=1000), nullable=True))
    with op.batch_alter_table('pressure_report', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)


def downgrade():
    with op.batch_alter_table('pressure_report', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('status')
