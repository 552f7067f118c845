"""THE place where khaosat's figures are defined: response rate, satisfaction, suppression, format.

Screens, exports and the PDF report all call these; nothing else computes a rate.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

# Overall answers that count as satisfied: Hài lòng (4) and Rất hài lòng (5).
SATISFIED_VALUES = (4, 5)
_CENT = Decimal("0.01")


def eligible(returned: int, immediate: int, online: int, postal: int) -> int:
    """Eligible returns E: results returned at the counter, less the three cases not surveyed
    (returned on submission, submitted online, submitted by post)."""
    return returned - immediate - online - postal


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


def satisfaction_rate(satisfied: int, answered: int) -> Decimal | None:
    """Satisfied overall answers over responses that answered the overall question, in percent."""
    return percent(satisfied, answered)


def is_suppressed(responses: int, k: int) -> bool:
    """A breakdown of answers over fewer than K responses is not shown (small-group privacy)."""
    return responses < k


def format_percent(value: Decimal | None, locale: str, no_data: str) -> str:
    """'99,09%' in Vietnamese, '99.09%' in English; `no_data` when there is no figure."""
    if value is None:
        return no_data
    return format_decimal(value, format="#,##0.00", locale=locale) + "%"


def format_count(count: int, locale: str) -> str:
    """'17.383' in Vietnamese, '17,383' in English."""
    return format_decimal(count, format="#,##0", locale=locale)
