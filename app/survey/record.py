"""What the survey stores, decided here and nowhere else.

Stored: the counter, the campaign, the questionnaire version, the answers, the comment and the
calendar day. Never: address, user agent, cookie or session id, time of day, or anything that
orders responses in time. Funnel steps are counts per counter and day, not rows.
"""

import hashlib
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Answer, Campaign, Counter, DailyFunnel, Response, UsedTicket
from app.survey.screening import REASONS

OUTCOME_COMPLETED = "completed"
OUTCOME_DECLINED = "declined"
FUNNEL_STEPS = ("opened", OUTCOME_DECLINED, *REASONS, OUTCOME_COMPLETED)


def _bump_funnel(counter_id: int, day: date, step: str) -> None:
    """Add one to a funnel step, creating the counter's row for the day if needed."""
    if step not in FUNNEL_STEPS:
        raise ValueError(f"unknown funnel step {step!r}")
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    column = DailyFunnel.__table__.c[step]
    stmt = insert(DailyFunnel).values(counter_id=counter_id, day=day, **{step: 1})
    stmt = stmt.on_conflict_do_update(
        index_elements=["counter_id", "day"], set_={step: column + 1}
    )
    db.session.execute(stmt)


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
    db.session.add(UsedTicket(ticket_hash=_ticket_hash(ticket), outcome=outcome, used_on=day))
    if outcome == OUTCOME_COMPLETED:
        if campaign is None or not answers:
            raise ValueError("a completed response needs its campaign and answers")
        response = Response(
            counter_id=counter.id,
            campaign_id=campaign.id,
            questionnaire_id=campaign.questionnaire_id,
            submitted_on=day,
            comment=comment or None,
            answers=[Answer(question_key=k, value=v) for k, v in answers.items()],
        )
        db.session.add(response)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        first = previous_outcome(ticket)
        if first is None:  # the conflict was not the ticket: a real error
            raise
        return first
    _bump_funnel(counter.id, day, outcome)
    db.session.commit()
    return outcome
