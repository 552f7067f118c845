"""Operations that change state (units, counters, accounts, campaigns, tallies, weekly sums).

Each operation checks its rule, changes the models, writes its audit event and flushes; none
commits. The page or CLI command that calls them commits once at the end through
`app.db_setup.transaction()`, so a request refused half-way leaves nothing behind.
"""


class DomainError(ValueError):
    """A change refused by a rule; the message, in the user's language, says which."""
