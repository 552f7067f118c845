"""The database's plumbing: engine settings per database (SQLite tuned so several gunicorn
workers can write), and the one transaction a page or CLI command commits."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db


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
