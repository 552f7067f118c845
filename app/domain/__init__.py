"""Operations that change state (units, counters, accounts, campaigns, tallies).

Each operation checks its rule, changes the models, writes its audit event and flushes; none
commits. The page or CLI command that calls them commits once at the end through
`transaction()`, so a request refused half-way leaves nothing behind.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from app.extensions import db


class DomainError(ValueError):
    """A change refused by a rule; the message, in the user's language, says which."""


@contextmanager
def transaction() -> Iterator[None]:
    """Commit everything the block changed, or nothing at all when it raises."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
