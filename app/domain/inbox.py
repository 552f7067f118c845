"""Completed forms wait in an inbox and move into `response` in batches, in random order.

Why: a database row says more than its columns. PostgreSQL stamps each row with the
transaction that wrote it (`xmin`, which interleaves with `audit_event`'s, whose times are
stored) and lays rows out in the order they came (`ctid`, and so a pg_dump's row order); the
daily roll-ups' row versions would give away the time, and the answers, of each counter's last
form of the day. Whoever could read the database or a backup would learn when a citizen
answered, which the README promises nobody can.

So the transaction that stores a completed form writes its `response_inbox` row and nothing
else: the answers, the ticket's hash and the odd-answer flags wait there. At most every
SURVEY_MOVE_MINUTES the inbox moves in a transaction of its own, shuffled, into `response` and
`answer`, with the ticket's use (used_ticket), the integrity counts and holds, the roll-ups and
the funnel's "completed" (rollups.py): every row it writes carries the move's `xmin`, in random
order on disk. A move carries at least SURVEY_MOVE_BATCH forms, or only those of days already
over (a lone form moved would have its moment stamped on it). A move is started by a form sent
once one is due (it moves the others, never itself), by `flask move-answers` from cron, and
before `flask sum-weeks` sums a week. Reports never move it: they only read. 0 minutes moves
each form at once (tests, demos).
"""

import random
import uuid
from collections import Counter as Counter_
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import (
    JSON,
    Connection,
    Uuid,
    and_,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite

from app.clock import local_today
from app.db_setup import insert_for
from app.domain import holds, integrity, invitations
from app.domain.rollups import Completed, store_completed
from app.domain.screening import OUTCOME_COMPLETED
from app.extensions import db
from app.models import Campaign, Counter, InboxMove, InboxResponse, UsedTicket

_shuffle = random.SystemRandom().shuffle


_LIVE = (
    "EXISTS (SELECT 1 FROM counter JOIN unit ON unit.id = counter.unit_id JOIN campaign ON "
    "campaign.id = :campaign_id WHERE counter.id = :counter_id AND counter.code = :code AND "
    "<live>)")
_PUT = (
    "INSERT INTO response_inbox (id, counter_id, campaign_id, questionnaire_id, submitted_on, "
    "answers, comment, ticket_hash, flags) SELECT :id, :counter_id, :campaign_id, "
    ":questionnaire_id, :day, :answers, :comment, CAST(:ticket_hash AS VARCHAR(64)), :flags "
    "WHERE <live> AND NOT EXISTS (SELECT 1 FROM used_ticket WHERE ticket_hash = "
    "CAST(:ticket_hash AS VARCHAR(64)))")  # one type for both uses (PostgreSQL infers each)
_DIALECTS = {"postgresql": postgresql.dialect, "sqlite": sqlite.dialect}


@cache
def live_sql(dialect_name: str) -> str:
    """SQL that is true while the code, its counter and unit, and the campaign are live (the
    models' own conditions, Counter.live() and Campaign.runs_on, compiled once): a page shown
    from a server's cache (survey/lookup.py) after a change stores nothing."""
    live = and_(Counter.live(), Campaign.runs_on(literal_column(":day")))
    return _LIVE.replace("<live>", str(live.compile(
        dialect=_DIALECTS[dialect_name](), compile_kwargs={"literal_binds": True})))


@cache
def _put(dialect_name: str):
    return text(_PUT.replace("<live>", live_sql(dialect_name))).bindparams(
        bindparam("id", type_=Uuid), bindparam("answers", type_=JSON))


def put(conn: Connection, *, ticket_hash: str, counter, campaign, day: date,
        answers: dict[str, int], comment: str | None, flags=()) -> uuid.UUID | None:
    """Put one completed form in the inbox, with its ticket and odd-answer flags, in the
    caller's transaction on `conn`: the only row the sending transaction writes. Return its
    id, or None if nothing was put (the ticket was used by a form moved already, or the code
    or campaign is no longer live). The same ticket twice in the inbox raises IntegrityError.
    `counter` has id and code, `campaign` id and questionnaire_id (models or lookup cards)."""
    form_id = uuid.uuid4()
    put = conn.execute(_put(conn.dialect.name), {
        "id": form_id, "counter_id": counter.id, "code": counter.code,
        "campaign_id": campaign.id, "questionnaire_id": campaign.questionnaire_id, "day": day,
        "answers": answers, "comment": comment or None, "ticket_hash": ticket_hash,
        "flags": ",".join(flags) or None})
    return form_id if put.rowcount else None


def held_ticket(conn, ticket_hash: str) -> bool:
    """A form with this ticket waits in the inbox."""
    return conn.execute(select(InboxResponse.id).where(
        InboxResponse.ticket_hash == ticket_hash)).first() is not None


@dataclass(frozen=True)
class _Waiting:
    form: Completed
    ticket_hash: str | None
    flags: tuple[str, ...]


def move(conn: Connection, *, keep: uuid.UUID | None = None, at_least: int = 1,
         today: date | None = None) -> int:
    """Move the forms in the inbox (but `keep`) into `response`, shuffled, in the caller's
    transaction on `conn`, with what the sending transactions left to the move: each ticket's
    use (a ticket that was used meanwhile stores nothing: a form answers once) and the
    odd-answer counts, holding the days they call for review. Fewer than `at_least` forms
    waiting: only those of days before `today` move (a move of those tells no more than the
    day each keeps). Return how many moved. Safe to run on two servers at once: each form is
    deleted from the inbox by exactly one of them."""
    taken = delete(InboxResponse).returning(
        InboxResponse.id, InboxResponse.counter_id, InboxResponse.campaign_id,
        InboxResponse.questionnaire_id, InboxResponse.submitted_on, InboxResponse.answers,
        InboxResponse.comment, InboxResponse.ticket_hash, InboxResponse.flags)
    others = [] if keep is None else [InboxResponse.id != keep]
    taken = taken.where(*others)
    if at_least > 1 and conn.scalar(select(func.count()).select_from(InboxResponse)
                                    .where(*others)) < at_least:
        taken = taken.where(InboxResponse.submitted_on < today)
    waiting = []
    for row in conn.execute(taken):
        flags = tuple(filter(None, (row[8] or "").split(",")))
        waiting.append(_Waiting(Completed(*row[:7], invited=invitations.INVITED in flags),
                                row[7], flags))
    _shuffle(waiting)
    tickets = [w.ticket_hash for w in waiting if w.ticket_hash]
    fresh = set()
    if tickets:  # in the shuffled order: used_ticket's rows keep no order of their own
        fresh = set(conn.execute(
            insert_for(conn.dialect.name)(UsedTicket).on_conflict_do_nothing()
            .returning(UsedTicket.ticket_hash, sort_by_parameter_order=True),
            [{"ticket_hash": w.ticket_hash, "outcome": OUTCOME_COMPLETED,
              "used_on": w.form.day} for w in waiting if w.ticket_hash]).scalars())
    waiting = [w for w in waiting if w.ticket_hash is None or w.ticket_hash in fresh]
    flagged: Counter_[tuple] = Counter_()
    invited: Counter_[tuple] = Counter_()
    for w in waiting:
        for flag in w.flags:
            if flag == invitations.INVITED:  # came through an SMS link: counted, not odd
                invited[w.form.counter_id, w.form.day] += 1
            else:
                flagged[w.form.counter_id, w.form.day, flag] += 1
    if invited:
        invitations.count_answered(conn, invited)
    for (counter_id, day, flag), n in flagged.items():
        integrity.count(counter_id, day, flag, conn=conn, by=n)
    for counter_id, day in {(c, d) for c, d, flag in flagged if flag in integrity.REVIEW_AT}:
        holds.hold_if_flagged(conn, counter_id, day)  # pending review now
    forms = [w.form for w in waiting]
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
    many forms moved. Cheap when none is due: this process remembers when the next one is.
    A move carries at least SURVEY_MOVE_BATCH forms, or only those of earlier days."""
    config = current_app.config
    minutes = config["SURVEY_MOVE_MINUTES"]
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
        return move(conn, keep=keep, at_least=config["SURVEY_MOVE_BATCH"], today=local_today())


def waiting() -> int:
    """How many forms are in the inbox now (for the review page and tests)."""
    return db.session.scalar(select(db.func.count()).select_from(InboxResponse))
