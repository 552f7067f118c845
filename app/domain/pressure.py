"""Home Affairs' follow-up of citizens' reports of pressure: each report is new, in progress or
done, with a note of what was done; every change is audited (never the citizen's words)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.domain import DomainError
from app.domain.audit import log_change
from app.extensions import db
from app.models import PressureReport, User

NEW, IN_PROGRESS, DONE = "new", "in_progress", "done"
STATUSES = ((NEW, _l("Mới")), (IN_PROGRESS, _l("Đang xử lý")), (DONE, _l("Đã xử lý")))
OPEN = (NEW, IN_PROGRESS)
NOTE_MAX = 1000


class PressureError(DomainError):
    """A follow-up that cannot be recorded."""


def follow_up(report: PressureReport, *, status: str, note: str | None,
              actor: User | str) -> None:
    """Set a report's status and note; audited with both, before and after."""
    if status not in dict(STATUSES):
        raise PressureError(_("Tình trạng không hợp lệ."))
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise PressureError(_("Ghi chú dài tối đa %(max)d ký tự.", max=NOTE_MAX))
    before = {"status": report.status, "note": report.note}
    report.status, report.note = status, note
    after = {"status": report.status, "note": report.note}
    if after != before:
        # Filed under no unit: only province-wide accounts see it in the log, as only they
        # see the reports (a unit must not learn it was reported).
        log_change(actor=actor, action="follow-up", object_type="pressure_report",
                   object_id=str(report.id), unit=None, before=before, after=after)
    db.session.flush()
