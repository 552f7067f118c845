"""qr code cache: each survey URL's QR code encoded once (app/qr.py)

The code depends only on the URL; it is encoded when a counter's code is issued and read by
every print. Rows for existing counters are made by their first print.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 20:17:38.621092

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('qr_code',
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('svg', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_qr_code'))
    )


def downgrade():
    op.drop_table('qr_code')
