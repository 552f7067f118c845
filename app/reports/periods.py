"""The period a report covers: the whole campaign, a calendar month, an ISO week or a custom
range — always whole days inside the campaign and never past today.

Reports show complete ISO weeks only, Monday to Sunday: a month is the weeks whose Thursday
falls in it (as ISO counts weeks, so months never overlap), a custom range is widened to the
weeks it touches, and the current week waits until it is over. So figures change once a week,
not after each citizen, and no two periods differ by less than a week of answers.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from app.domain.weeks import monday
from app.models import Campaign


class PeriodError(ValueError):
    """A period that cannot be reported on; the message says why."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date


def last_reportable_day(today: date) -> date:
    """The Sunday before the current week: the last day of the last complete week."""
    return monday(today) - timedelta(days=1)


def campaign_span(campaign: Campaign, today: date) -> tuple[date, date] | None:
    """The campaign's days up to the end of the last complete week, or None when no week of
    it is over yet. (Its first and last weeks may be partial: no answer of it lies outside.)"""
    start, end = campaign.starts_on, min(campaign.ends_on, last_reportable_day(today))
    return (start, end) if start <= end else None


def resolve(campaign: Campaign, today: date, *, kind: str = "campaign", value: str = "",
            start: date | None = None, end: date | None = None) -> Period:
    """The period asked for, widened to whole weeks and cut to the campaign's reportable span."""
    span = campaign_span(campaign, today)
    if span is None:
        raise PeriodError(_("Đợt khảo sát chưa có tuần nào trọn vẹn để báo cáo."))
    if kind == "month":
        first, last = _month(value)
    elif kind == "week":
        first = _week(value)
        last = first + timedelta(days=6)
    elif kind == "custom":
        if start is None or end is None or start > end:
            raise PeriodError(_("Chọn ngày bắt đầu và ngày kết thúc; ngày kết thúc không được "
                                "trước ngày bắt đầu."))
        first, last = start, end
    else:  # the whole campaign
        first, last = span
    # Whole weeks, then cut to the campaign (tallies after its end belong to no campaign).
    first = max(monday(first), span[0])
    last = min(last + timedelta(days=6 - last.weekday()), span[1])
    if first > last:
        raise PeriodError(_("Khoảng thời gian này không có tuần trọn vẹn nào của đợt khảo sát."))
    return Period(start=first, end=last)


def _month(value: str) -> tuple[date, date]:
    try:
        year, month = (int(part) for part in value.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise PeriodError(_("Tháng không hợp lệ.")) from None
    following = date(year + month // 12, month % 12 + 1, 1)
    # The weeks whose Thursday is in the month: from the Monday before its first Thursday.
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    next_thursday = following + timedelta(days=(3 - following.weekday()) % 7)
    return first_thursday - timedelta(days=3), next_thursday - timedelta(days=4)


def _week(value: str) -> date:
    try:
        year, week = value.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise PeriodError(_("Tuần không hợp lệ.")) from None


def week_choices(campaign: Campaign, today: date) -> list[tuple[str, date, date]]:
    """("2026-W47", Monday, Sunday) for each reportable week of the campaign, newest first."""
    span = campaign_span(campaign, today)
    if span is None:
        return []
    weeks, day = [], monday(span[0])
    while day <= span[1]:
        year, week, _weekday = day.isocalendar()
        weeks.append((f"{year}-W{week:02d}", day, day + timedelta(days=6)))
        day += timedelta(days=7)
    return weeks[::-1]


def month_choices(campaign: Campaign, today: date) -> list[str]:
    """"2026-11" for each month holding a reportable week's Thursday, newest first."""
    span = campaign_span(campaign, today)
    if span is None:
        return []
    months, thursday = [], monday(span[0]) + timedelta(days=3)
    while thursday <= span[1]:
        label = f"{thursday.year}-{thursday.month:02d}"
        if label not in months:
            months.append(label)
        thursday += timedelta(days=7)
    return months[::-1]
