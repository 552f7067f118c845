"""Setting a counter's answers of a day aside for review, and giving them back.

Home Affairs (an admin of the province) can set aside a counter's day — typically one the
reports flag — when its answers look stuffed. The responses stay stored; the day's daily
roll-ups are removed, its week summed again and the counter's batches remade, so the day is
out of every figure, export and comment list, and "n phiếu đang xem xét" says how many. Giving
it back recounts the day from the stored responses. Both are audited. The caller commits.
"""

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from app.domain import DomainError, inbox
from app.domain.audit import log_change
from app.domain.rollups import recount_rollups, store_rollups
from app.domain.weeks import rebatch_counter, resum_counter_week
from app.extensions import db
from app.models import (
    AnswerDay,
    Campaign,
    Counter,
    QuarantinedDay,
    Response,
    ResponseDay,
    RolledWeek,
    User,
)


class QuarantineError(DomainError):
    """A day that cannot be set aside or given back."""


def quarantine_day(counter: Counter, day: date, *, reason: str | None, actor: User | str,
                   today: date) -> int:
    """Set the counter's answers of `day` aside; return how many."""
    if day >= today:
        raise QuarantineError(_("Chỉ tạm loại được những ngày đã qua."))
    if db.session.get(QuarantinedDay, (counter.id, day)):
        raise QuarantineError(_("Ngày này của quầy đã đang được xem xét."))
    inbox.move(db.session.connection())  # the day's last forms may still wait there
    responses = db.session.scalar(select(func.count()).select_from(Response).where(
        Response.counter_id == counter.id, Response.submitted_on == day))
    if not responses:
        raise QuarantineError(_("Quầy này không có phiếu nào trong ngày đó."))
    db.session.add(QuarantinedDay(counter_id=counter.id, day=day, responses=responses,
                                  reason=(reason or "").strip() or None))
    for table in (ResponseDay, AnswerDay):
        db.session.execute(delete(table).where(table.counter_id == counter.id,
                                               table.day == day))
    _refresh(counter.id, day)
    log_change(actor=actor, action="quarantine", object_type="counter", object_id=counter.id,
               unit=counter.unit, after={"day": day.isoformat(), "responses": responses,
                                         "reason": reason or None})
    return responses


def release_day(counter: Counter, day: date, *, actor: User | str) -> int:
    """Give the counter's answers of `day` back to the figures; return how many."""
    held = db.session.get(QuarantinedDay, (counter.id, day))
    if held is None:
        raise QuarantineError(_("Ngày này của quầy không ở trong danh sách xem xét."))
    responses = held.responses
    db.session.delete(held)
    db.session.flush()
    store_rollups(*recount_rollups(counter_id=counter.id, day=day))
    _refresh(counter.id, day)
    log_change(actor=actor, action="release", object_type="counter", object_id=counter.id,
               unit=counter.unit, before={"day": day.isoformat(), "responses": responses})
    return responses


def _refresh(counter_id: int, day: date) -> None:
    """Sum the day's week again where it was summed, and remake the counter's batches."""
    resum_counter_week(counter_id, day)
    conn, k = db.session.connection(), current_app.config["SUPPRESSION_K"]
    for campaign in db.session.scalars(select(Campaign).where(Campaign.id.in_(
            select(RolledWeek.campaign_id).distinct()))):
        rebatch_counter(conn, campaign, counter_id, k)
