"""Returned dossiers in, a preview or a confirmed batch out: what the upload page and the JSON
API (app/api/) share, so that a post and an upload follow the same rules and leave the same
audit trail."""

from flask import current_app

from app.auth.scope import Scope, live_counters_in_scope
from app.clock import local_today
from app.db_setup import transaction
from app.domain import invitations as rules
from app.domain.audit import log_change
from app.extensions import db
from app.invitations.sending import queue_texts
from app.models import InvitationBatch, Unit, User


def preview_rows(rows: list[rules.ReturnedDossier],
                 scope: Scope | None = None) -> rules.Preview:
    """Who of these rows would be invited by someone of `scope` (the signed-in person's
    unless given: the API gives its key's)."""
    counters = {c.code: c for c in db.session.scalars(live_counters_in_scope(scope))}
    return rules.preview(rows, counters=counters, today=local_today(),
                         within_days=current_app.config["INVITATION_RETURNED_WITHIN_DAYS"])


def summary(result: rules.Preview, filename: str) -> dict:
    """What the audit log keeps of a preview or a batch: counts only."""
    return {"file": filename, "rows": result.rows, "to_send": len(result.invitees),
            "excluded": {r: n for r, n in result.excluded.items() if n}}


def log_preview(result: rules.Preview, *, unit: Unit, actor: User | str,
                filename: str) -> None:
    """Audit a preview (nothing sent, nothing of it kept but the counts). Commits."""
    with transaction():
        log_change(actor=actor, action="preview", object_type="invitation_batch", unit=unit,
                   after=summary(result, filename))


def send(result: rules.Preview, *, unit: Unit, actor: User | str, source: str,
         filename: str) -> tuple[InvitationBatch, bool]:
    """Confirm the batch (committed), then queue its texts: (batch, queued), False when
    they went out in this request (development, no queue)."""
    with transaction():
        batch, texts = rules.confirm_batch(result, unit=unit, actor=actor, source=source,
                                           filename=filename, today=local_today())
    return batch, queue_texts(batch, texts)
