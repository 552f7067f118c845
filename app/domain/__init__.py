"""Operations that change state (units, counters, accounts, campaigns, tallies, weekly sums).

Each operation checks its rule, changes the models, writes its audit event and flushes; none
commits. The page or CLI command that calls them commits once at the end through
`app.db_setup.transaction()`, so a request refused half-way leaves nothing behind.
"""


class DomainError(ValueError):
    """A change refused by a rule; the message, in the user's language, says which."""


class RowsRejected(DomainError):
    """A file, or rows of it, refused; `problems` lists (row number, reason), 0 = no row."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__("; ".join(f"{row}: {reason}" for row, reason in problems))
        self.problems = problems
