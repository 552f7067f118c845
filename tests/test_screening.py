"""The pilot's exclusion rules."""

import pytest

from app.domain.screening import outcome_of, screen_out_reason
from app.survey.steps import next_step


@pytest.mark.parametrize(
    ("channel", "immediate", "reason"),
    [
        ("in_person", "no", None),
        ("in_person", "yes", "screened_immediate"),
        ("online", "no", "screened_online"),
        ("online", "yes", "screened_online"),
        ("online", None, "screened_online"),
        ("postal", "no", "screened_postal"),
        ("postal", "yes", "screened_postal"),
    ],
)
def test_only_in_person_later_returned_cases_are_surveyed(channel, immediate, reason):
    assert screen_out_reason(channel=channel, immediate=immediate) == reason


# The order of what a submitted form comes to: decline first, then screening, then ratings.
@pytest.mark.parametrize(
    ("declined", "screening_valid", "channel", "immediate", "answers_valid", "outcome"),
    [
        (True, False, None, None, False, "declined"),  # a decline needs nothing else
        (True, True, "in_person", "no", True, "declined"),
        (False, False, None, None, True, None),  # screening unanswered: back to the citizen
        (False, True, "online", None, False, "screened_online"),  # ratings hidden: not checked
        (False, True, "in_person", "yes", False, "screened_immediate"),
        (False, True, "in_person", "no", False, None),  # eligible, ratings missing
        (False, True, "in_person", "no", True, "completed"),
    ],
)
def test_what_a_submitted_form_comes_to(declined, screening_valid, channel, immediate,
                                        answers_valid, outcome):
    assert outcome_of(declined=declined, screening_valid=screening_valid, channel=channel,
                      immediate=immediate, answers_valid=answers_valid) == outcome


@pytest.mark.parametrize(("csrf_ok", "ticket", "outcome", "answered", "step"), [
    # A stale token or a ticket not ours (or too old) first, whatever was filled in.
    (False, "ok", "completed", False, "renew"),
    (True, "forged", "declined", False, "renew"),
    (True, "expired", None, False, "renew"),
    # Then a form to fix.
    (True, "ok", None, False, "fix"),
    (True, "too_fast", None, True, "fix"),
    # A decline or a screen-out is stored even sent fast or from a phone that answered.
    (True, "too_fast", "declined", True, "store"),
    (True, "ok", "screened_online", True, "store"),
    # A completed answer: not too fast, not twice a day from one phone.
    (True, "too_fast", "completed", False, "too_fast"),
    (True, "too_fast", "completed", True, "too_fast"),
    (True, "ok", "completed", True, "answered"),
    (True, "ok", "completed", False, "store"),
])
def test_what_a_sent_form_comes_to(csrf_ok, ticket, outcome, answered, step):
    assert next_step(csrf_ok=csrf_ok, ticket=ticket, outcome=outcome,
                     answered=answered) == step
