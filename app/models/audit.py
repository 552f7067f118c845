"""Audit trail of every change made by staff (or by an operator through the CLI)."""

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


def _now() -> datetime:
    return datetime.now(UTC)


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    # The log's filters, newest first (migration 0012); keyset paging on (at, id).
    __table_args__ = (Index("ix_audit_event_actor_at", "actor", "at"),
                      Index("ix_audit_event_object_type_at", "object_type", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The unit the changed object belongs to, so the log is scoped like every other list:
    # an admin sees the events of their subtree. None: a province-wide event (a root admin's).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    # Who, as text: a username, or "cli" for commands run on the server.
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
