"""THE place where khaosat's figures are defined: response rate, satisfaction, suppression, format.

Screens, exports and the PDF report all call these; nothing else computes a rate.
"""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel import Locale

# Overall answers that count as satisfied: Hài lòng (4) and Rất hài lòng (5).
SATISFIED_VALUES = (4, 5)
_CENT = Decimal("0.01")


def eligible(returned: int, immediate: int, online: int, postal: int) -> int:
    """Eligible returns E: results returned at the counter, less the three cases not surveyed
    (returned on submission, submitted online, submitted by post)."""
    return returned - immediate - online - postal


def matched_responses(responses: int, untallied: int) -> int:
    """Responses R of a rate: those of counter-days that have a tally of eligible returns.
    Responses of a day nobody tallied are shown apart, never in a rate (no E to divide by)."""
    return responses - untallied


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator in percent, two decimals, half-up; None when the denominator is 0."""
    if denominator <= 0:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(_CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class ResponseRate:
    """Responses R over eligible returns E, and whether the count can be honest."""

    responses: int
    eligible: int

    @property
    def value(self) -> Decimal | None:
        """R / E in percent; None means "no data" (E = 0), never 0% nor infinity."""
        return percent(self.responses, self.eligible)

    @property
    def impossible(self) -> bool:
        """More responses than eligible returns cannot happen in an honest count: flag it."""
        return self.responses > self.eligible

    def meets(self, target: Decimal) -> bool | None:
        """True when the rate reaches the target, None when there is no data to judge."""
        value = self.value
        return None if value is None else value >= target


STATUS_MET, STATUS_BELOW, STATUS_NO_DATA = "met", "below", "no_data"
STATUS_REVIEW = "review"  # cần xem xét: a counter with days pending review is never "met"


def target_status(rate: ResponseRate, target: Decimal, *, pending: bool = False) -> str:
    """đạt (met) / chưa đạt (below) / chưa có số liệu (no data: no eligible returns yet), or
    cần xem xét (review) for a counter whose period holds days pending review."""
    if pending:
        return STATUS_REVIEW
    met = rate.meets(target)
    return STATUS_NO_DATA if met is None else STATUS_MET if met else STATUS_BELOW


def responses_needed(rate: ResponseRate, target: Decimal) -> int | None:
    """How many more responses reach the target at the current E, the rate rounded as shown;
    0 when met, None without eligible returns."""
    if rate.eligible <= 0:
        return None
    needed = max(0, math.ceil(Decimal(rate.eligible) * target / 100) - rate.responses)
    # The shown (rounded) rate decides: one fewer may already round up to the target.
    while needed > 0 and ResponseRate(rate.responses + needed - 1, rate.eligible).meets(target):
        needed -= 1
    return needed


def by_channel(matched: int, invited: int) -> tuple[int, int]:
    """Responses R of a rate by the way they came: (by the counter's QR sticker, by an SMS
    invitation's link). Each has the same eligible returns E as the whole, so the two rates add
    up to the rate of both together."""
    return matched - invited, invited


def projected_rate(responses: int, eligible: int, recent_responses: int,
                   recent_eligible: int, recent_weeks: float,
                   weeks_left: float) -> Decimal | None:
    """The response rate a unit will end its campaign with if the pace of its recent weeks
    holds: the responses and eligible returns so far, plus, for each week left, the recent
    weeks' average of each. None without any eligible return to divide by."""
    if recent_weeks <= 0:
        return percent(responses, eligible)
    per_week = Decimal(weeks_left) / Decimal(recent_weeks)
    total_eligible = Decimal(eligible) + Decimal(recent_eligible) * per_week
    if total_eligible <= 0:
        return None
    total = Decimal(responses) + Decimal(recent_responses) * per_week
    return (total * 100 / total_eligible).quantize(_CENT, ROUND_HALF_UP)


def satisfaction_rate(satisfied: int, answered: int) -> Decimal | None:
    """Satisfied overall answers over responses that answered the overall question, in percent."""
    return percent(satisfied, answered)


def satisfaction_by_channel(levels: list[int], invited: list[int],
                            k: int) -> tuple[Decimal | None, Decimal | None]:
    """Satisfaction (QR sticker, SMS invitation) from the overall levels 1 … 5 of the answers
    released in batches shown by channel: of them all, and of those by an SMS link (the rest
    came by the sticker). A channel with fewer than K such answers has no figure."""
    sticker = [both - link for both, link in zip(levels, invited, strict=True)]
    return tuple(
        None if is_suppressed(sum(part), k) else
        satisfaction_rate(sum(part[value - 1] for value in SATISFIED_VALUES), sum(part))
        for part in (sticker, invited))


Z_95 = 1.959963984540054  # the normal quantile for a two-sided 95 % interval


def wilson_interval(successes: int, total: int) -> tuple[Decimal, Decimal] | None:
    """The 95 % Wilson score interval of successes / total, in percent (two decimals, low end
    rounded down and high end up so the interval never looks narrower than it is)."""
    if total <= 0:
        return None
    p, n, z2 = successes / total, total, Z_95 * Z_95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    low = Decimal(max(0.0, centre - half) * 100).quantize(_CENT, rounding="ROUND_FLOOR")
    high = Decimal(min(1.0, centre + half) * 100).quantize(_CENT, rounding="ROUND_CEILING")
    return low, high


def can_tell_apart(a: tuple[Decimal, Decimal] | None, b: tuple[Decimal, Decimal] | None) -> bool:
    """Two shares differ beyond chance only when their 95 % intervals do not overlap."""
    return a is not None and b is not None and (a[1] < b[0] or b[1] < a[0])


def is_suppressed(responses: int, k: int) -> bool:
    """A breakdown of answers over fewer than K responses is not shown (small-group privacy)."""
    return responses < k


@cache
def _separators(locale: str) -> dict[int, str]:
    """Python's "," and "." turned into the locale's group and decimal signs (from Babel)."""
    symbols = Locale.parse(locale).number_symbols["latn"]
    return str.maketrans({",": symbols["group"], ".": symbols["decimal"]})


def format_percent(value: Decimal | None, locale: str, no_data: str) -> str:
    """'99,09%' in Vietnamese, '99.09%' in English; `no_data` when there is no figure."""
    if value is None:
        return no_data
    # Python formats, Babel's signs replace its own: a report prints thousands of these.
    rounded = Decimal(value).quantize(_CENT, ROUND_HALF_UP)
    return f"{rounded:,.2f}".translate(_separators(locale)) + "%"


def format_count(count: int, locale: str) -> str:
    """'17.383' in Vietnamese, '17,383' in English."""
    return f"{int(count):,}".translate(_separators(locale))


def format_editable(value: Decimal, locale: str) -> str:
    """A stored percentage to type over in a form: '30' or '30,5' in Vietnamese, '30.5' in
    English (no sign, no trailing zeros; domain/campaigns.parse_rate reads both)."""
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", Locale.parse(locale).number_symbols["latn"]["decimal"])
