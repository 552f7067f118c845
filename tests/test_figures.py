"""The figures, pinned with numbers worked out by hand."""

from decimal import Decimal

import pytest

from app.figures import (
    ResponseRate,
    can_tell_apart,
    format_count,
    format_percent,
    is_suppressed,
    percent,
    responses_needed,
    satisfaction_rate,
    target_status,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("responses", "eligible", "expected"),
    [
        (109, 110, Decimal("99.09")),   # 99.0909… → 99.09
        (1, 8, Decimal("12.50")),       # exactly 12.5
        (1, 3, Decimal("33.33")),       # 33.333…
        (2, 3, Decimal("66.67")),       # 66.666… → up
        (1, 16, Decimal("6.25")),       # 6.25 exactly
        (1, 800, Decimal("0.13")),      # 0.125 → half-up to 0.13, not banker's 0.12
        (0, 40, Decimal("0.00")),
        (40, 40, Decimal("100.00")),
    ],
)
def test_response_rate_is_rounded_half_up_to_two_decimals(responses, eligible, expected):
    assert ResponseRate(responses, eligible).value == expected


def test_no_eligible_returns_means_no_data_not_zero_nor_infinity():
    rate = ResponseRate(0, 0)
    assert rate.value is None
    assert rate.meets(Decimal("30")) is None
    assert ResponseRate(3, 0).value is None


def test_more_responses_than_eligible_returns_is_flagged():
    assert ResponseRate(12, 10).impossible is True
    assert ResponseRate(10, 10).impossible is False


@pytest.mark.parametrize(
    ("responses", "eligible", "target", "met"),
    [(30, 100, "30", True), (29, 100, "30", False), (1, 3, "33.33", True),
     (1, 3, "33.34", False)],
)
def test_target_met_when_rate_reaches_it(responses, eligible, target, met):
    assert ResponseRate(responses, eligible).meets(Decimal(target)) is met


def test_satisfaction_rate_counts_satisfied_over_those_who_answered():
    # 17 "Hài lòng" + 4 "Rất hài lòng" out of 23 who answered the overall question.
    assert satisfaction_rate(21, 23) == Decimal("91.30")
    assert satisfaction_rate(0, 0) is None


@pytest.mark.parametrize(("n", "suppressed"), [(0, True), (4, True), (5, False), (120, False)])
def test_breakdowns_under_k_responses_are_suppressed(n, suppressed):
    assert is_suppressed(n, 5) is suppressed


@pytest.mark.parametrize(
    ("value", "locale", "text"),
    [
        (Decimal("99.09"), "vi", "99,09%"),
        (Decimal("99.09"), "en", "99.09%"),
        (Decimal("1234.50"), "vi", "1.234,50%"),
        (Decimal("0.00"), "vi", "0,00%"),
        (None, "vi", "không có dữ liệu"),
    ],
)
def test_percent_format_follows_the_language(value, locale, text):
    assert format_percent(value, locale, no_data="không có dữ liệu") == text


@pytest.mark.parametrize(("count", "locale", "text"),
                         [(17383, "vi", "17.383"), (17383, "en", "17,383"), (5, "vi", "5")])
def test_counts_use_the_languages_thousands_separator(count, locale, text):
    assert format_count(count, locale) == text


def test_percent_of_zero_denominator_is_none():
    assert percent(5, 0) is None


# --- targets, intervals ---------------------------------------------------------------

@pytest.mark.parametrize(("responses", "eligible", "target", "needed", "status"), [
    (10, 100, "30", 20, "below"),     # 30 % of 100 is 30 responses: 20 more
    (30, 100, "30", 0, "met"),
    (45, 100, "30", 0, "met"),
    (0, 3, "33.33", 1, "below"),      # 1/3 shows as 33,33 %: one response is enough
    (1, 7, "30", 2, "below"),         # 3/7 = 42,86 %, 2/7 = 28,57 %: 2 more
    (0, 0, "30", None, "no_data"),    # no eligible returns: nothing to reach
    (5, 0, "30", None, "no_data"),
])
def test_responses_needed_to_reach_the_target(responses, eligible, target, needed, status):
    rate = ResponseRate(responses, eligible)
    assert responses_needed(rate, Decimal(target)) == needed
    assert target_status(rate, Decimal(target)) == status


@pytest.mark.parametrize(("successes", "total", "low", "high"), [
    # Worked by hand: p = 39/40, z = 1,96: centre 0,93338, half-width 0,06219.
    (39, 40, "87.11", "99.56"),
    (0, 10, "0.00", "27.76"),
    (10, 10, "72.24", "100.00"),
    (17225, 17383, "98.93", "99.23"),
])
def test_wilson_interval_at_95_percent(successes, total, low, high):
    assert wilson_interval(successes, total) == (Decimal(low), Decimal(high))
    assert wilson_interval(0, 0) is None


def test_shares_are_told_apart_only_when_their_intervals_do_not_overlap():
    big, small = wilson_interval(17225, 17383), wilson_interval(2844, 2902)  # 99,09 % / 98,00 %
    assert can_tell_apart(big, small)
    a, b = wilson_interval(39, 40), wilson_interval(37, 40)  # 97,5 % vs 92,5 % on 40 answers
    assert not can_tell_apart(a, b)
    assert not can_tell_apart(a, None)
