"""What the survey stores, decided here and nowhere else.

Stored: the counter, the campaign, the questionnaire version, the answers, the comment and the
calendar day. Never: address, user agent, cookie or session id, time of day, or anything that
orders responses in time. Funnel steps are counts per counter and day, not rows.

Unlike app/domain/, these functions commit: each is the whole of its request's writes (a scan's
"opened" count; a form's outcome), and a repeated ticket needs its own rollback-and-read.
"""

import hashlib
import uuid
from collections import Counter as Counter_
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, delete, exists, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from app.db_setup import counting_upsert
from app.domain.weeks import forget_all, monday
from app.extensions import db
from app.models import (
    Answer,
    AnswerDay,
    Campaign,
    Counter,
    DailyFunnel,
    PressureReport,
    QuarantinedDay,
    Questionnaire,
    Response,
    ResponseDay,
    UsedTicket,
)
from app.survey import inbox, integrity
from app.survey.questionnaire import overall_key
from app.survey.screening import OUTCOME_COMPLETED, OUTCOME_DECLINED, REASONS

FUNNEL_STEPS = ("opened", OUTCOME_DECLINED, *REASONS, OUTCOME_COMPLETED)


def _bump_funnel(counter_id: int, day: date, step: str, *, conn=None) -> None:
    """Add one to a funnel step, creating the counter's row for the day if needed (on `conn`,
    else in the session's transaction)."""
    if step not in FUNNEL_STEPS:
        raise ValueError(f"unknown funnel step {step!r}")
    stmt = counting_upsert(db.engine.dialect.name, DailyFunnel, ("counter_id", "day"), (step,))
    (conn or db.session).execute(stmt, {"counter_id": counter_id, "day": day, step: 1})


@dataclass(frozen=True)
class Completed:
    """One completed form, as the inbox holds it and `response` + `answer` will."""

    id: uuid.UUID
    counter_id: int
    campaign_id: int
    questionnaire_id: int
    day: date
    answers: dict[str, int]
    comment: str | None = None


def store_completed(conn: Connection, forms: list[Completed]) -> None:
    """Write completed forms into `response` and `answer` in the order given, and add them to
    the daily roll-ups (so reports never read raw answers) and to the funnel's "completed".
    A day set aside for review (quarantine.py) gets them counted there instead. No commit."""
    if not forms:
        return
    dialect = conn.dialect.name
    conn.execute(insert(Response), [
        {"id": f.id, "counter_id": f.counter_id, "campaign_id": f.campaign_id,
         "questionnaire_id": f.questionnaire_id, "submitted_on": f.day,
         "comment": f.comment or None} for f in forms])
    conn.execute(insert(Answer), [
        {"response_id": f.id, "question_key": key, "value": value}
        for f in forms for key, value in f.answers.items()])
    overall = dict(conn.execute(
        select(Campaign.id, Questionnaire.definition).join(Questionnaire)
        .where(Campaign.id.in_({f.campaign_id for f in forms}))).all())
    held = set(conn.execute(select(QuarantinedDay.counter_id, QuarantinedDay.day).where(
        QuarantinedDay.counter_id.in_({f.counter_id for f in forms}))).all())
    days: dict[tuple, Counter_] = {}
    answers: Counter_[tuple] = Counter_()
    completed: Counter_[tuple] = Counter_()
    set_aside: Counter_[tuple] = Counter_()
    for f in forms:
        completed[f.counter_id, f.day] += 1
        if (f.counter_id, f.day) in held:
            set_aside[f.counter_id, f.day] += 1
            continue
        day = days.setdefault((f.campaign_id, f.counter_id, f.day), Counter_())
        day["responses"] += 1
        level = f.answers.get(overall_key(overall[f.campaign_id]))
        if level:
            day[f"overall_{level}"] += 1
        for key, value in f.answers.items():
            answers[f.campaign_id, f.counter_id, f.day, key, value] += 1
    levels = tuple(f"overall_{n}" for n in range(1, 6))
    if days:
        conn.execute(counting_upsert(dialect, ResponseDay, ("campaign_id", "counter_id", "day"),
                                 ("responses", *levels)),
                     [{"campaign_id": k[0], "counter_id": k[1], "day": k[2],
                       "responses": v["responses"], **{n: v[n] for n in levels}}
                      for k, v in days.items()])
    if answers:
        conn.execute(counting_upsert(dialect, AnswerDay, ("campaign_id", "counter_id", "day",
                                                      "question_key", "value"), ("responses",)),
                     [{"campaign_id": k[0], "counter_id": k[1], "day": k[2],
                       "question_key": k[3], "value": k[4], "responses": n}
                      for k, n in answers.items()])
    conn.execute(counting_upsert(dialect, DailyFunnel, ("counter_id", "day"), ("completed",)),
                 [{"counter_id": k[0], "day": k[1], "completed": n}
                  for k, n in completed.items()])
    for (counter_id, day), n in set_aside.items():
        conn.execute(update(QuarantinedDay).where(
            QuarantinedDay.counter_id == counter_id, QuarantinedDay.day == day)
            .values(responses=QuarantinedDay.responses + n))


def record_pressure(counter: Counter, day: date, kinds: list[str], text: str | None) -> None:
    """Store a citizen's report of pressure with its ISO week only (not the day). No commit
    (the survey's route commits it alone)."""
    db.session.execute(insert(PressureReport).values(
        id=uuid.uuid4(), counter_id=counter.id, week=monday(day), kinds=",".join(sorted(kinds)),
        text=text or None))


def _ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def record_opened(counter_id: int, day: date) -> None:
    """Count one opening of the survey form at this counter today, on a connection of its own;
    this runs on every scan. On PostgreSQL the database commits it by itself (no BEGIN and
    COMMIT round trips); SQLite's own transaction is cheaper there."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            _bump_funnel(counter_id, day, "opened", conn=conn)
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        _bump_funnel(counter_id, day, "opened", conn=conn)


def record_refusal(counter_id: int, day: date, reason: str) -> None:
    """Count one refused form (integrity.REFUSED_*) at this counter today."""
    integrity.count(counter_id, day, reason)
    db.session.commit()


def previous_outcome(ticket: str) -> str | None:
    """What an already submitted form came to, or None if this ticket is unused."""
    return db.session.scalar(
        select(UsedTicket.outcome).where(UsedTicket.ticket_hash == _ticket_hash(ticket))
    )


# The ticket is used only if the code, its counter and unit, and the campaign are live now:
# a page a server showed from its cache (lookup.py) after a change stores nothing.
_USE_TICKET = text(
    "INSERT INTO used_ticket (ticket_hash, outcome, used_on) SELECT :ticket_hash, :outcome, "
    ":day WHERE EXISTS (SELECT 1 FROM counter JOIN unit ON unit.id = counter.unit_id "
    "JOIN campaign ON campaign.id = :campaign_id WHERE counter.id = :counter_id "
    "AND counter.code = :code AND counter.active AND unit.active AND campaign.status = 'active' "
    "AND campaign.starts_on <= :day AND campaign.ends_on >= :day)")


def record_outcome(
    *,
    ticket: str,
    counter,
    day: date,
    outcome: str,
    campaign,
    answers: dict[str, int] | None = None,
    comment: str | None = None,
    flags: list[str] | tuple[str, ...] = (),
) -> str | None:
    """Store one form's outcome once; return the outcome that stands for this ticket, or None
    when the code or the campaign is no longer live (nothing stored). `counter` and `campaign`
    are what the page was shown for (lookup.py cards or models: id, code, questionnaire_id).
    `flags` are integrity counts to add for the counter's day with it (integrity.py).

    outcome is "completed" (then answers are required), "declined", or a screen-out reason. A
    second submission of the same form stores nothing and returns the first one's outcome, so
    a double tap or a refresh cannot count twice.
    """
    if outcome == OUTCOME_COMPLETED and not answers:
        raise ValueError("a completed response needs its answers")
    # One transaction of plain statements on a connection of its own: the survey's hot path.
    # The ticket goes first, so a repeated form fails right there.
    own = None
    try:
        with db.engine.begin() as conn:
            used = conn.execute(_USE_TICKET, {
                "ticket_hash": _ticket_hash(ticket), "outcome": outcome, "day": day,
                "counter_id": counter.id, "code": counter.code, "campaign_id": campaign.id})
            if not used.rowcount:
                return None
            if outcome == OUTCOME_COMPLETED:  # into the inbox: it moves later with others
                own = inbox.put(conn, counter_id=counter.id, campaign=campaign, day=day,
                                answers=answers, comment=comment)
            else:
                _bump_funnel(counter.id, day, outcome, conn=conn)
            if flags:
                integrity.count(counter.id, day, *flags, conn=conn)
    except IntegrityError:
        first = previous_outcome(ticket)
        if first is None:  # the conflict was not the ticket: a real error
            raise
        return first
    inbox.move_due(keep=own)
    return outcome


def store_outcome(*, counter_id: int, day: date, outcome: str, campaign: Campaign | None = None,
                  answers: dict[str, int] | None = None, comment: str | None = None) -> None:
    """Store what one form came to straight into the tables the inbox moves answers to (and
    one more in the day's funnel). No commit. For made-up history only (app/demo.py, tests):
    a citizen's form goes through record_outcome and the inbox."""
    if outcome == OUTCOME_COMPLETED:
        store_completed(db.session.connection(), [Completed(
            id=uuid.uuid4(), counter_id=counter_id, campaign_id=campaign.id,
            questionnaire_id=campaign.questionnaire_id, day=day, answers=answers,
            comment=comment)])
    else:
        _bump_funnel(counter_id, day, outcome)


def record_opened_count(counter_id: int, day: date) -> None:
    """One more "opened" in the day's funnel, without committing (for the demo history)."""
    _bump_funnel(counter_id, day, "opened")


def recount_rollups(*, counter_id: int | None = None,
                    day: date | None = None) -> tuple[dict, dict]:
    """What response_day and answer_day must hold, counted again from the raw rows (all of
    them but the days set aside for review, or one counter's day):
    ({(campaign, counter, day): (responses, overall_1, …, overall_5)},
     {(campaign, counter, day, question, value): responses})."""
    overall_of = {c.id: overall_key(c.questionnaire.definition)
                  for c in db.session.scalars(select(Campaign))}
    if counter_id is None:
        where = [~exists().where(QuarantinedDay.counter_id == Response.counter_id,
                                 QuarantinedDay.day == Response.submitted_on)]
    else:
        where = [Response.counter_id == counter_id, Response.submitted_on == day]
    days: dict[tuple, list[int]] = {}
    for campaign_id, counter_id_, day_ in db.session.execute(
            select(Response.campaign_id, Response.counter_id, Response.submitted_on)
            .where(*where)):
        days.setdefault((campaign_id, counter_id_, day_), [0] * 6)[0] += 1
    answers: dict[tuple, int] = {}
    for campaign_id, counter_id_, day_, key, value in db.session.execute(
            select(Response.campaign_id, Response.counter_id, Response.submitted_on,
                   Answer.question_key, Answer.value).join(Answer).where(*where)):
        cell = (campaign_id, counter_id_, day_, key, value)
        answers[cell] = answers.get(cell, 0) + 1
        if key == overall_of[campaign_id] and 1 <= value <= 5:
            days[campaign_id, counter_id_, day_][value] += 1
    return {k: tuple(v) for k, v in days.items()}, answers


def stored_rollups() -> tuple[dict, dict]:
    """The roll-ups as stored, in the shape recount_rollups() returns."""
    levels = [getattr(ResponseDay, f"overall_{n}") for n in range(1, 6)]
    days = {(r.campaign_id, r.counter_id, r.day): tuple(r[3:])
            for r in db.session.execute(select(ResponseDay.campaign_id, ResponseDay.counter_id,
                                               ResponseDay.day, ResponseDay.responses, *levels))}
    answers = {(r.campaign_id, r.counter_id, r.day, r.question_key, r.value): r.responses
               for r in db.session.scalars(select(AnswerDay))}
    return days, answers


def rebuild_rollups() -> int:
    """Replace both daily roll-ups by a recount of the raw rows (after a repair by hand), and
    drop the weekly sums made from them; the caller commits. Returns how many counter-days
    hold responses."""
    days, answers = recount_rollups()
    db.session.execute(delete(ResponseDay))
    db.session.execute(delete(AnswerDay))
    forget_all()  # the weekly sums are made from the daily ones: the next report redoes them
    store_rollups(days, answers)
    return len(days)


def store_rollups(days: dict, answers: dict) -> None:
    """Insert daily roll-up rows as recount_rollups() returns them (no commit)."""
    if days:
        db.session.execute(insert(ResponseDay), [
            {"campaign_id": k[0], "counter_id": k[1], "day": k[2], "responses": v[0],
             **{f"overall_{n}": v[n] for n in range(1, 6)}} for k, v in days.items()])
    if answers:
        db.session.execute(insert(AnswerDay), [
            {"campaign_id": k[0], "counter_id": k[1], "day": k[2], "question_key": k[3],
             "value": k[4], "responses": v} for k, v in answers.items()])
