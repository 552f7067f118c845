"""The pilot's exclusion rules."""

import pytest

from app.survey.screening import screen_out_reason


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
