"""The database's plumbing: engine settings per database (SQLite tuned so several gunicorn
workers can write), and the one transaction a page or CLI command commits."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from app.extensions import db

# Functions that commit on their own instead of through transaction(), and why. Checked by
# tests/test_layout.py: a new commit anywhere else fails it.
OWN_TRANSACTIONS = {
    # The survey's hot path: each is the whole of its request's writes, on a connection of
    # its own (a BEGIN and a pool rollback saved per scan, FACTS.md).
    "app/domain/responses.py": ("record_opened", "record_outcome"),
    "app/domain/invitations.py": ("mark_opened",),  # an invitation's link: as hot a path
    # A move of the inbox: one short transaction that claims the move first.
    "app/domain/inbox.py": ("move_due",),
    # `flask sum-weeks`: each week in a short transaction that claims it first.
    "app/domain/weeks.py": ("sum_settled",),
    "app/db_setup.py": ("transaction",),
}


@contextmanager
def transaction() -> Iterator[None]:
    """Commit everything the block changed, or nothing at all when it raises. Pages and CLI
    commands wrap their calls to app/domain/ in it; the operations themselves only flush."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def insert_for(dialect: str):
    """The INSERT with ON CONFLICT of the database in use ("postgresql" or "sqlite")."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


@cache
def counting_upsert(dialect: str, model, keys: tuple[str, ...], counts: tuple[str, ...]):
    """INSERT … ON CONFLICT (keys) that adds the given counts to the row if it is there: every
    count per counter and day (funnel, roll-ups, integrity) is kept this way. Built once per
    shape; executed with the keys' and counts' values."""
    table = model.__table__
    stmt = insert_for(dialect)(model)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + stmt.excluded[name] for name in counts})


def configure_engine_events(engine: Engine) -> None:
    """On SQLite: WAL, a 10 s busy timeout and foreign keys, set on every new connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
