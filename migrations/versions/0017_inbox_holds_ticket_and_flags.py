"""the survey's inbox holds a completed form's ticket and odd-answer flags, so that the
sending transaction writes nothing else (used_ticket and integrity_day are written by the
shuffled move)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN and CREATE INDEX: SQLite keeps the table WITHOUT ROWID (a batch
    # recreate would not). Forms waiting at the upgrade have their ticket in used_ticket.
    op.add_column('response_inbox', sa.Column('ticket_hash', sa.String(length=64),
                                              nullable=True))
    op.add_column('response_inbox', sa.Column('flags', sa.String(length=200), nullable=True))
    op.create_index('ix_response_inbox_ticket_hash', 'response_inbox', ['ticket_hash'],
                    unique=True)


def downgrade():
    op.drop_index('ix_response_inbox_ticket_hash', table_name='response_inbox')
    with op.batch_alter_table('response_inbox', schema=None,
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.drop_column('flags')
        batch_op.drop_column('ticket_hash')
