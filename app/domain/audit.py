"""Audit events: every change made by staff or through the CLI is written through here."""

from app.extensions import db
from app.models import AuditEvent, Unit, User


def log_change(
    *,
    actor: User | str,
    action: str,
    object_type: str,
    unit: Unit | None,
    object_id: object = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Add an audit event and flush it with the change; the caller's commit stores both.

    `unit` is where the changed object lives: the log shows the event to admins whose
    subtree holds that unit. None marks a province-wide event, shown to root admins only.
    """
    event = AuditEvent(
        user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.username if isinstance(actor, User) else actor,
        unit_id=None if unit is None else unit.id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=before,
        after=after,
    )
    db.session.add(event)
    db.session.flush()
    return event
