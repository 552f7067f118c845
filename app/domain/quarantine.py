"""Home Affairs' review of counter-days: accept a day pending review, set a day aside, or give
a day set aside back.

A flagged counter-day is held "pending" by holds.py until reviewed. Home Affairs (an admin of
the province) accepts it (with a reason: its answers count again, and new flags of that day
do not hold it again) or sets it aside; any other past day can be set aside too when its
answers look stuffed. The responses stay stored; the day's daily roll-ups are removed, its
week summed again and the counter's batches remade, so the day is out of every figure, export
and comment list, and "n phiếu đang xem xét" says how many. Giving it back recounts the day
from the stored responses. Every step is audited. The caller commits.
"""

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from app.domain import DomainError, holds, inbox
from app.domain.audit import log_change
from app.domain.holds import HELD, PENDING
from app.domain.rollups import recount_rollups, store_rollups
from app.domain.weeks import rebatch_counter, resum_counter_week
from app.extensions import db
from app.models import (
    AcceptedDay,
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
    """Set the counter's answers of `day` aside; return how many. The day's row is read
    FOR UPDATE (here, in release_day and accept_day): two people deciding the same day at
    once are served one after the other, the second seeing what the first did."""
    if day >= today:
        raise QuarantineError(_("Chỉ tạm loại được những ngày đã qua."))
    # The day's last forms may still wait there: they move (a past day's forms always may).
    inbox.move(db.session.connection(), at_least=current_app.config["SURVEY_MOVE_BATCH"],
               today=today)
    found = db.session.get(QuarantinedDay, (counter.id, day), with_for_update=True)
    if found is not None and found.status == PENDING:  # out of the figures already
        found.status, found.reason = HELD, (reason or "").strip() or None
        log_change(actor=actor, action="quarantine", object_type="counter",
                   object_id=counter.id, unit=counter.unit,
                   after={"day": day.isoformat(), "responses": found.responses,
                          "reason": found.reason, "was": PENDING})
        return found.responses
    if found is not None:
        raise QuarantineError(_("Ngày này của quầy đã đang được xem xét."))
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
    held = db.session.get(QuarantinedDay, (counter.id, day), with_for_update=True)
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


def accept_day(counter: Counter, day: date, *, reason: str | None, actor: User | str,
               today: date) -> int:
    """Accept a day pending review: its answers count from now on, and new flags of that day
    do not hold it again. Returns how many answers it gives back."""
    held = db.session.get(QuarantinedDay, (counter.id, day), with_for_update=True)
    if held is None or held.status != PENDING:
        raise QuarantineError(_("Ngày này của quầy không chờ xem xét."))
    if day >= today:
        raise QuarantineError(_("Chỉ xem xét được ngày đã qua: phiếu của hôm nay vẫn đang "
                                "đến."))
    reason = (reason or "").strip()
    if not reason:
        raise QuarantineError(_("Vui lòng ghi lý do chấp nhận."))
    responses = held.responses
    db.session.delete(held)
    db.session.add(AcceptedDay(counter_id=counter.id, day=day, reason=reason[:500]))
    db.session.flush()
    store_rollups(*recount_rollups(counter_id=counter.id, day=day))
    _refresh(counter.id, day)
    log_change(actor=actor, action="accept", object_type="counter", object_id=counter.id,
               unit=counter.unit, after={"day": day.isoformat(), "responses": responses,
                                         "reason": reason})
    return responses


def hold_found(pairs: set[tuple[int, date]] | None = None) -> int:
    """Hold every counter-day (of `pairs`, else all) that calls for review and is not held
    yet: a tally of fewer eligible returns than the day's responses, or (`flask sum-weeks`)
    an upgrade's old flags; return how many. Weeks already summed are summed again."""
    conn = db.session.connection()
    found = set(holds.exceeding(conn, pairs))
    if pairs is None:
        found |= set(holds.flagged(conn))
    held = 0
    for counter_id, day in sorted(found):
        if holds.hold_for_review(conn, counter_id, day):
            held += 1
            if holds.summed_week_of(conn, day):
                _refresh(counter_id, day)
    return held


def _refresh(counter_id: int, day: date) -> None:
    """Sum the day's week again where it was summed, and remake the counter's batches."""
    resum_counter_week(counter_id, day)
    conn, k = db.session.connection(), current_app.config["SUPPRESSION_K"]
    for campaign in db.session.scalars(select(Campaign).where(Campaign.id.in_(
            select(RolledWeek.campaign_id).distinct()))):
        rebatch_counter(conn, campaign, counter_id, k)
