"""What a citizen leaves behind, decided here and nowhere else.

Stored: the counter, the campaign, the questionnaire version, the answers, the comment and the
calendar day. Never: address, user agent, cookie or session id, time of day, or anything that
orders responses in time. Funnel steps and refusals are counts per counter and day, not rows;
a completed form waits in the inbox (inbox.py) and reaches `response` in a shuffled batch.

The two on the survey's hot path (a scan's "opened" count, a form's outcome) are the whole of
their request's writes and run their own transaction on a connection of their own
(app/db_setup.py names them in OWN_TRANSACTIONS); the others only write, and the survey's
view commits them with transaction() like any page.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import func, insert, literal, select, text
from sqlalchemy.exc import IntegrityError

from app.domain import inbox, integrity
from app.domain.rollups import Completed, bump_funnel, store_completed
from app.domain.screening import OUTCOME_COMPLETED
from app.domain.weeks import monday
from app.extensions import db
from app.models import InboxResponse, PressureReport, UsedTicket


def record_opened(counter_id: int, day: date) -> None:
    """Count one opening of the survey form at this counter today, on a connection of its own;
    this runs on every scan. On PostgreSQL the database commits it by itself (no BEGIN and
    COMMIT round trips); SQLite's own transaction is cheaper there."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            bump_funnel(counter_id, day, "opened", conn=conn)
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        bump_funnel(counter_id, day, "opened", conn=conn)


def record_refusal(counter_id: int, day: date, reason: str) -> None:
    """Count one refused form (integrity.REFUSED_*) at this counter today. No commit."""
    integrity.count(counter_id, day, reason)


def add_pressure_report(counter_id: int, day: date, kinds: list[str],
                        text_: str | None) -> None:
    """Store a citizen's report of pressure with its ISO week only (not the day). No
    commit."""
    db.session.execute(insert(PressureReport).values(
        id=uuid.uuid4(), counter_id=counter_id, week=monday(day),
        kinds=",".join(sorted(kinds)), text=text_ or None))


def ticket_digest(ticket: str) -> str:
    """What the inbox and used_ticket keep of a form's ticket."""
    return hashlib.sha256(ticket.encode()).hexdigest()


def previous_outcome(ticket: str) -> str | None:
    """What an already submitted form came to, or None if this ticket is unused. A completed
    form's ticket is in the inbox until the form moves, then in used_ticket."""
    ticket_hash = ticket_digest(ticket)
    return db.session.execute(
        select(UsedTicket.outcome).where(UsedTicket.ticket_hash == ticket_hash)
        .union_all(select(literal(OUTCOME_COMPLETED)).where(
            InboxResponse.ticket_hash == ticket_hash))
        .limit(1)).scalar()


def outcome_sql(hashed):
    """previous_outcome as an SQL expression, for a ticket's hash (a value or a bind
    parameter): for reads that take it along with other things in one statement."""
    return func.coalesce(
        select(UsedTicket.outcome).where(UsedTicket.ticket_hash == hashed).scalar_subquery(),
        select(literal(OUTCOME_COMPLETED)).where(InboxResponse.ticket_hash == hashed)
        .limit(1).scalar_subquery())


_USE_TICKET = (
    "INSERT INTO used_ticket (ticket_hash, outcome, used_on) SELECT CAST(:ticket_hash AS "
    "VARCHAR(64)), :outcome, :day WHERE <live> AND NOT EXISTS (SELECT 1 FROM response_inbox "
    "WHERE ticket_hash = CAST(:ticket_hash AS VARCHAR(64)))")


@cache
def _use_ticket(dialect_name: str):
    """The ticket is used only if it is not waiting in the inbox with a completed form and
    the code, its counter and unit, and the campaign are live now (inbox.live_sql). Plain
    SQL, built once per database: the survey's hot path."""
    return text(_USE_TICKET.replace("<live>", inbox.live_sql(dialect_name)))


@dataclass(frozen=True)
class Stored:
    """What record_outcome did: the outcome that stands for the ticket (None: nothing stored,
    the code or campaign is no longer live), and the inbox id of this very form, if new."""

    outcome: str | None
    fresh: bool = False  # stored by this call (not a repeat of a form stored before)
    form_id: uuid.UUID | None = None


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
) -> Stored:
    """Store one form's outcome once, in a transaction of its own of one statement.
    `counter` and `campaign` are what the page was shown for (lookup cards or models: id,
    code, questionnaire_id). `flags` are integrity counts to add for the counter's day with
    a completed form (integrity.py).

    outcome is "completed" (then answers are required), "declined", or a screen-out reason. A
    completed form goes into the inbox with its ticket and flags, and nothing else is written
    with it: the move records the ticket's use and the counts (inbox.move), so no other row
    keeps the moment it was sent. A second submission of the same form stores nothing and
    returns the first one's outcome, so a double tap or a refresh cannot count twice. The
    caller then lets the inbox move (inbox.move_due, keeping this form back).
    """
    if outcome == OUTCOME_COMPLETED and not answers:
        raise ValueError("a completed response needs its answers")
    if flags and outcome != OUTCOME_COMPLETED:
        raise ValueError("only a completed form carries integrity flags")
    ticket_hash = ticket_digest(ticket)
    try:
        with db.engine.begin() as conn:  # a connection of its own: the survey's hot path
            if outcome == OUTCOME_COMPLETED:  # into the inbox: it moves later with others
                own = inbox.put(conn, ticket_hash=ticket_hash, counter=counter,
                                campaign=campaign, day=day, answers=answers, comment=comment,
                                flags=flags)
                stored = own is not None
            else:
                own, stored = None, conn.execute(_use_ticket(conn.dialect.name), {
                    "ticket_hash": ticket_hash, "outcome": outcome, "day": day,
                    "counter_id": counter.id, "code": counter.code,
                    "campaign_id": campaign.id}).rowcount > 0
                if stored:
                    bump_funnel(counter.id, day, outcome, conn=conn)
    except IntegrityError:  # the same ticket, stored a moment ago
        first = previous_outcome(ticket)
        if first is None:  # the conflict was not the ticket: a real error
            raise
        return Stored(first)
    if not stored:  # used already (by a form that moved), or no longer live
        return Stored(previous_outcome(ticket))
    return Stored(outcome, True, own)


def store_outcome(*, counter_id: int, day: date, outcome: str, campaign=None,
                  answers: dict[str, int] | None = None, comment: str | None = None,
                  invited: bool = False) -> None:
    """Store what one form came to straight into the tables the inbox moves answers to (and
    one more in the day's funnel). No commit. For made-up history only (app/demo.py, tests):
    a citizen's form goes through record_outcome and the inbox. `invited`: it came through an
    SMS invitation's link."""
    if outcome == OUTCOME_COMPLETED:
        store_completed(db.session.connection(), [Completed(
            id=uuid.uuid4(), counter_id=counter_id, campaign_id=campaign.id,
            questionnaire_id=campaign.questionnaire_id, day=day, answers=answers,
            comment=comment, invited=invited)])
    else:
        bump_funnel(counter_id, day, outcome)


def store_opened(counter_id: int, day: date) -> None:
    """One more "opened" in the day's funnel, without committing (for made-up history)."""
    bump_funnel(counter_id, day, "opened")
