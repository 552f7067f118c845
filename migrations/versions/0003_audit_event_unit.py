"""audit events know the unit of the object they changed

The audit log is scoped like every other staff list: an admin sees the events of their
subtree. Existing events get the unit of the object they name; events that name no single
unit (a whole-file tally import) stay province-wide (NULL), shown to root admins only.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# One statement per kind of object, valid on SQLite and PostgreSQL alike. A tally's object id
# is "COUNTERCODE/YYYY-MM-DD" (codes are 8 characters); its code may have been retired since.
BACKFILL = {
    "unit": "SELECT u.id FROM unit u WHERE CAST(u.id AS VARCHAR) = audit_event.object_id",
    "counter": "SELECT c.unit_id FROM counter c "
               "WHERE CAST(c.id AS VARCHAR) = audit_event.object_id",
    "user": "SELECT a.unit_id FROM user_account a "
            "WHERE CAST(a.id AS VARCHAR) = audit_event.object_id",
    "campaign": "SELECT c.unit_id FROM campaign c "
                "WHERE CAST(c.id AS VARCHAR) = audit_event.object_id",
    "tally": "SELECT c.unit_id FROM counter c WHERE c.code = substr(audit_event.object_id, 1, 8) "
             "OR c.id = (SELECT r.counter_id FROM retired_code r "
             "WHERE r.code = substr(audit_event.object_id, 1, 8))",
}


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_event_unit_id'), ['unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_event_unit_id_unit'), 'unit',
                                    ['unit_id'], ['id'])
    for object_type, unit_of in BACKFILL.items():
        extra = " AND action <> 'import'" if object_type == "tally" else ""
        op.execute(f"UPDATE audit_event SET unit_id = ({unit_of} LIMIT 1) "
                   f"WHERE object_type = '{object_type}'{extra}")


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_event_unit_id_unit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_event_unit_id'))
        batch_op.drop_column('unit_id')
