"""Counter-days held out of the figures until Home Affairs reviews them ("pending review").

A counter-day is held when its integrity counts call for review (integrity.needs_review:
bursts, identical runs, many from one place, answers outside opening hours) or when it holds
more responses than its tally's eligible returns. Its answers stay stored; its daily roll-ups
leave the figures (as a day set aside does, quarantine.py), and the reports show beside each
unit what its rate would be with them. Home Affairs then accepts the day (it counts from then
on) or sets it aside (quarantine.py). Held at write time: by the inbox's move that carries a
flagged form (the form's own transaction writes nothing but its inbox row, inbox.py), by a
tally, and by `flask sum-weeks` (which catches the rest).
"""

from datetime import date

from sqlalchemy import Connection, and_, delete, exists, func, or_, select

from app.db_setup import insert_for
from app.domain.integrity import REVIEW_AT, needs_review
from app.domain.weeks import monday
from app.models import (
    AcceptedDay,
    AnswerDay,
    IntegrityDay,
    QuarantinedDay,
    ResponseDay,
    RolledWeek,
    Tally,
)

PENDING, HELD = "pending", "held"


def hold_for_review(conn: Connection, counter_id: int, day: date) -> bool:
    """Hold the counter-day (status "pending") unless it is held already or was accepted, in
    the caller's transaction on `conn`; True when held now. The caller sums its week again
    if that week was summed (summed_week_of)."""
    if conn.execute(select(AcceptedDay.day).where(AcceptedDay.counter_id == counter_id,
                                                  AcceptedDay.day == day)).first():
        return False
    responses = conn.scalar(select(func.coalesce(func.sum(ResponseDay.responses), 0)).where(
        ResponseDay.counter_id == counter_id, ResponseDay.day == day))
    held = conn.execute(insert_for(conn.dialect.name)(QuarantinedDay).values(
        counter_id=counter_id, day=day, responses=responses, status=PENDING)
        .on_conflict_do_nothing().returning(QuarantinedDay.day)).first()
    if held is None:  # held already (pending, or set aside)
        return False
    for table in (ResponseDay, AnswerDay):
        conn.execute(delete(table).where(table.counter_id == counter_id, table.day == day))
    return True


def hold_if_flagged(conn: Connection, counter_id: int, day: date) -> bool:
    """Hold the counter-day if its integrity counts call for review (after new flags)."""
    row = conn.execute(select(*(getattr(IntegrityDay, name) for name in REVIEW_AT)).where(
        IntegrityDay.counter_id == counter_id, IntegrityDay.day == day)).first()
    if row is None or not needs_review(dict(zip(REVIEW_AT, row, strict=True))):
        return False
    return hold_for_review(conn, counter_id, day)


def exceeding(conn: Connection, pairs=None) -> list[tuple[int, date]]:
    """Counter-days (of `pairs`, else all) with more responses than eligible returns, not held
    and not accepted."""
    eligible = Tally.returned - Tally.immediate - Tally.online - Tally.postal
    query = (select(ResponseDay.counter_id, ResponseDay.day)
             .join(Tally, and_(Tally.counter_id == ResponseDay.counter_id,
                               Tally.day == ResponseDay.day))
             .group_by(ResponseDay.counter_id, ResponseDay.day, eligible)
             .having(func.sum(ResponseDay.responses) > eligible))
    if pairs is not None:
        if not pairs:
            return []
        query = query.where(ResponseDay.counter_id.in_({c for c, _d in pairs}),
                            ResponseDay.day.in_({d for _c, d in pairs}))
    found = [tuple(row) for row in conn.execute(query)]
    return found if pairs is None else [pair for pair in found if pair in pairs]


def flagged(conn: Connection) -> list[tuple[int, date]]:
    """Counter-days whose integrity counts call for review and that are neither held nor
    accepted: what `sum-weeks` holds if nothing held them at write time."""
    calls = or_(*(getattr(IntegrityDay, name) >= at for name, at in REVIEW_AT.items()))
    decided = or_(
        exists().where(QuarantinedDay.counter_id == IntegrityDay.counter_id,
                       QuarantinedDay.day == IntegrityDay.day),
        exists().where(AcceptedDay.counter_id == IntegrityDay.counter_id,
                       AcceptedDay.day == IntegrityDay.day))
    return [tuple(row) for row in conn.execute(
        select(IntegrityDay.counter_id, IntegrityDay.day).where(calls, ~decided))]


def summed_week_of(conn: Connection, day: date) -> bool:
    """Some campaign has summed the day's week (then holding it must sum it again)."""
    return conn.execute(select(RolledWeek.week).where(RolledWeek.week == monday(day))
                        .limit(1)).first() is not None
