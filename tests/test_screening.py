"""The pilot's exclusion rules."""

import pytest

from app.domain.screening import outcome_of, screen_out_reason


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
