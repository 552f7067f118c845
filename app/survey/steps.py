"""What a sent survey form comes to, decided from what was read off it: a pure function, so
each case is a line of tests/test_screening.py rather than a branch buried in the view."""

from app.domain.screening import OUTCOME_COMPLETED
from app.survey.tickets import TICKET_EXPIRED, TICKET_FORGED, TICKET_TOO_FAST

# The view's next step (routes.submit).
RENEW = "renew"  # the page's token or ticket must be renewed: the same answers back
FIX = "fix"  # a required answer is missing or invalid: the form back with its errors (422)
STORE = "store"  # store the outcome once (completed, declined or screened out)
TOO_FAST = "too_fast"  # sent sooner than anyone reads the questions: back, counted as refused
ANSWERED = "answered"  # this phone answered at this counter today already


def next_step(*, csrf_ok: bool, ticket: str, outcome: str | None, answered: bool) -> str:
    """The order is the rule: a stale token or a ticket we did not issue (or one too old)
    comes first, whatever was filled in; then a form to fix; a decline or a screen-out is
    stored without further checks; only a completed answer must be neither too fast nor a
    second one from the same phone today."""
    if not csrf_ok or ticket in (TICKET_FORGED, TICKET_EXPIRED):
        return RENEW
    if outcome is None:
        return FIX
    if outcome != OUTCOME_COMPLETED:
        return STORE
    if ticket == TICKET_TOO_FAST:
        return TOO_FAST
    if answered:
        return ANSWERED
    return STORE
