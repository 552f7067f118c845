"""What the survey stores, decided here and nowhere else.

Stored: the counter, the campaign, the questionnaire version, the answers, the comment and the
calendar day. Never: address, user agent, cookie or session id, time of day, or anything that
orders responses in time. Funnel steps are counts per counter and day, not rows.

Unlike app/domain/, these functions commit: each is the whole of its request's writes (a scan's
"opened" count; a form's outcome), and a repeated ticket needs its own rollback-and-read.
"""

import hashlib
import uuid
from datetime import date
from functools import cache

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Answer, Campaign, Counter, DailyFunnel, Response, UsedTicket
from app.survey.screening import OUTCOME_COMPLETED, OUTCOME_DECLINED, REASONS

FUNNEL_STEPS = ("opened", OUTCOME_DECLINED, *REASONS, OUTCOME_COMPLETED)


@cache
def _funnel_upsert(dialect: str, step: str):
    """INSERT … ON CONFLICT that adds one to a step; built once per step, it runs on every scan."""
    if step not in FUNNEL_STEPS:
        raise ValueError(f"unknown funnel step {step!r}")
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    column = DailyFunnel.__table__.c[step]
    stmt = dialect_insert(DailyFunnel).values(
        counter_id=bindparam("counter_id"), day=bindparam("day"), **{step: 1})
    return stmt.on_conflict_do_update(
        index_elements=["counter_id", "day"], set_={step: column + 1})


def _bump_funnel(counter_id: int, day: date, step: str) -> None:
    """Add one to a funnel step, creating the counter's row for the day if needed."""
    stmt = _funnel_upsert(db.engine.dialect.name, step)
    db.session.execute(stmt, {"counter_id": counter_id, "day": day})


def _ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def record_opened(counter: Counter, day: date) -> None:
    """Count one opening of the survey form at this counter today."""
    _bump_funnel(counter.id, day, "opened")
    db.session.commit()


def previous_outcome(ticket: str) -> str | None:
    """What an already submitted form came to, or None if this ticket is unused."""
    return db.session.scalar(
        select(UsedTicket.outcome).where(UsedTicket.ticket_hash == _ticket_hash(ticket))
    )


def record_outcome(
    *,
    ticket: str,
    counter: Counter,
    day: date,
    outcome: str,
    campaign: Campaign | None = None,
    answers: dict[str, int] | None = None,
    comment: str | None = None,
) -> str:
    """Store one form's outcome once; return the outcome that stands for this ticket.

    outcome is "completed" (then campaign and answers are required), "declined", or a
    screen-out reason. A second submission of the same form stores nothing and returns
    the first one's outcome, so a double tap or a refresh cannot count twice.
    """
    if outcome == OUTCOME_COMPLETED and (campaign is None or not answers):
        raise ValueError("a completed response needs its campaign and answers")
    # Plain INSERTs through the session (one transaction, no unit-of-work bookkeeping): this
    # is the survey's hot path. The ticket goes first, so a repeated form fails right there.
    try:
        db.session.execute(insert(UsedTicket).values(
            ticket_hash=_ticket_hash(ticket), outcome=outcome, used_on=day))
    except IntegrityError:
        db.session.rollback()
        first = previous_outcome(ticket)
        if first is None:  # the conflict was not the ticket: a real error
            raise
        return first
    if outcome == OUTCOME_COMPLETED:
        response_id = uuid.uuid4()
        db.session.execute(insert(Response).values(
            id=response_id, counter_id=counter.id, campaign_id=campaign.id,
            questionnaire_id=campaign.questionnaire_id, submitted_on=day,
            comment=comment or None))
        db.session.execute(insert(Answer), [
            {"response_id": response_id, "question_key": key, "value": value}
            for key, value in answers.items()])
    _bump_funnel(counter.id, day, outcome)
    db.session.commit()
    return outcome
