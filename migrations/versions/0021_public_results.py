"""public results: a campaign may be published at /ket-qua/<id>, with or without its counters

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        # A constant default ('0', false on both databases): SQLite then adds the column in
        # place instead of copying a table other tables' rows point at.
        batch_op.add_column(sa.Column('published', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('publish_counters', sa.Boolean(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('publish_counters')
        batch_op.drop_column('published')
