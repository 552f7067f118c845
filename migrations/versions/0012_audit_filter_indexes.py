"""audit filter indexes: the log filtered by who or by kind, newest first, at any depth

The audit page pages by keyset on (at, id); these let a filter by actor or object type read
one index range instead of scanning a year of events.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 23:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_event_actor_at', 'audit_event', ['actor', 'at'])
    op.create_index('ix_audit_event_object_type_at', 'audit_event', ['object_type', 'at'])


def downgrade():
    op.drop_index('ix_audit_event_object_type_at', table_name='audit_event')
    op.drop_index('ix_audit_event_actor_at', table_name='audit_event')
