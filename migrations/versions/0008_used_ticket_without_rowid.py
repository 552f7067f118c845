"""used_ticket without a rowid on SQLite

The hashes of used tickets are random, but SQLite's hidden rowid kept them in the order forms
were sent; rebuilt WITHOUT ROWID, the table is stored in the order of the hashes. Nothing
changes on PostgreSQL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _rebuild(with_rowid: bool):
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.drop_index('ix_used_ticket_used_on', table_name='used_ticket')
    op.rename_table('used_ticket', 'used_ticket_old')
    op.create_table('used_ticket',
    sa.Column('ticket_hash', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('used_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('ticket_hash', name=op.f('pk_used_ticket')),
    sqlite_with_rowid=with_rowid,
    )
    op.execute('INSERT INTO used_ticket (ticket_hash, outcome, used_on) '
               'SELECT ticket_hash, outcome, used_on FROM used_ticket_old')
    op.drop_table('used_ticket_old')
    op.create_index('ix_used_ticket_used_on', 'used_ticket', ['used_on'])


def upgrade():
    _rebuild(with_rowid=False)


def downgrade():
    _rebuild(with_rowid=True)
