"""Completed forms wait in an inbox and move into `response` in batches, in random order.

Why: a database row says more than its columns. PostgreSQL stamps each row with the
transaction that wrote it (`xmin`, which interleaves with `audit_event`'s, whose times are
stored) and lays rows out in the order they came (`ctid`, and so a pg_dump's row order); the
daily roll-ups' row versions would give away the time, and the answers, of each counter's last
form of the day. Whoever could read the database or a backup would learn when a citizen
answered, which the README promises nobody can.

So a completed form is written to `response_inbox` only. At most every SURVEY_MOVE_MINUTES,
the inbox moves in one transaction, shuffled, into `response` and `answer` with the roll-ups
and the funnel's "completed" (rollups.py): every answer of a batch carries the same `xmin`, and
their order on disk is random. A move is started by a form sent once one is due (it moves the
others, never itself: a lone answer does not move at its own moment), by `flask move-answers`
from cron (quiet hours), and before `flask sum-weeks` sums a week. Reports never move it: they
only read. 0 minutes moves each form at once (tests, demos).
"""

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import Connection, delete, insert, select

from app.db_setup import insert_for
from app.domain import holds
from app.domain.rollups import Completed, store_completed
from app.extensions import db
from app.models import InboxMove, InboxResponse

_shuffle = random.SystemRandom().shuffle


_PUT = insert(InboxResponse)


def put(conn: Connection, *, counter_id: int, campaign, day: date, answers: dict[str, int],
        comment: str | None) -> uuid.UUID:
    """Put one completed form in the inbox in the caller's transaction on `conn`; return its
    id. `campaign` has the campaign's id and questionnaire_id (a model or lookup's card)."""
    form_id = uuid.uuid4()
    conn.execute(_PUT, {  # one statement built once, values as parameters: compiled once
        "id": form_id, "counter_id": counter_id, "campaign_id": campaign.id,
        "questionnaire_id": campaign.questionnaire_id, "submitted_on": day,
        "answers": answers, "comment": comment or None})
    return form_id


def move(conn: Connection, *, keep: uuid.UUID | None = None) -> int:
    """Move every form in the inbox (but `keep`) into `response`, shuffled, in the caller's
    transaction on `conn`; return how many. Safe to run on two servers at once: each form is
    deleted from the inbox by exactly one of them."""
    taken = delete(InboxResponse).returning(
        InboxResponse.id, InboxResponse.counter_id, InboxResponse.campaign_id,
        InboxResponse.questionnaire_id, InboxResponse.submitted_on, InboxResponse.answers,
        InboxResponse.comment)
    if keep is not None:
        taken = taken.where(InboxResponse.id != keep)
    forms = [Completed(*row) for row in conn.execute(taken)]
    _shuffle(forms)
    store_completed(conn, forms)
    # More answers than the day's tally allows: the day waits for review (holds.py).
    for counter_id, day in holds.exceeding(conn, {(f.counter_id, f.day) for f in forms}):
        holds.hold_for_review(conn, counter_id, day)
    return len(forms)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _claim(conn: Connection, now: datetime, every: timedelta) -> datetime | None:
    """Stamp this moment as the last move if the last one is `every` old; return None if so,
    else when the last move was (the row lock makes one server win). Whether the stamp was
    written is read from RETURNING: psycopg reports a row count of -1 for this statement."""
    stmt = insert_for(conn.dialect.name)(InboxMove).values(id=1, moved_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={"moved_at": now},
                                      where=InboxMove.moved_at <= now - every)
    if conn.execute(stmt.returning(InboxMove.id)).first() is not None:
        return None
    return conn.scalar(select(InboxMove.moved_at).where(InboxMove.id == 1))


def move_due(*, keep: uuid.UUID | None = None, force: bool = False) -> int:
    """Move the inbox in a transaction of its own if a move is due (or `force`); return how
    many forms moved. Cheap when none is due: this process remembers when the next one is."""
    minutes = current_app.config["SURVEY_MOVE_MINUTES"]
    if minutes <= 0:
        with db.engine.begin() as conn:
            return move(conn)
    every, now = timedelta(minutes=minutes), _utcnow()
    state = current_app.extensions.setdefault("khaosat.inbox", {})
    if not force and now < state.get("next", now):
        return 0
    with db.engine.begin() as conn:
        last = _claim(conn, now, timedelta(0) if force else every)
        if last is not None:  # another process moved it lately
            state["next"] = last + every
            return 0
        state["next"] = now + every
        return move(conn, keep=keep)


def waiting() -> int:
    """How many forms are in the inbox now (for the review page and tests)."""
    return db.session.scalar(select(db.func.count()).select_from(InboxResponse))
