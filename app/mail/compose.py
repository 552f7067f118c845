"""What a subscribed account is told, for its own scope, read from the reports' own rows
(app/reports/tables.py): a weekly digest, and the day's alerts of each kind. Reads only.

Every figure is a row's, so what the dashboard hides (fewer than K answers released) is
hidden here too; comments and pressure reports' words are never read.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app import figures
from app.auth.scope import Scope, campaigns_to_report, user_can
from app.extensions import db
from app.models import AlertedItem, Campaign, Counter, PressureReport, QuarantinedDay, Unit, User
from app.reports.periods import PeriodError, resolve
from app.reports.tables import Report, Row, unit_report

RECENT_WEEKS = 4  # the pace, and satisfaction compared with the weeks before


@dataclass
class CampaignDigest:
    campaign: Campaign
    report: Report  # the campaign so far, whole weeks, from the account's report root
    moved: list[tuple[Row, str]] = field(default_factory=list)  # (unit row, higher | lower)
    pending: list[Row] = field(default_factory=list)  # counters with days pending review


@dataclass
class Digest:
    user: User
    campaigns: list[CampaignDigest]
    open_pressure: int | None = None  # Home Affairs only


@dataclass
class PaceAlert:
    campaign: Campaign
    row: Row
    projected: Decimal
    weeks_left: int


@dataclass
class SatisfactionAlert:
    campaign: Campaign
    recent: Row
    before: Row


@dataclass
class ReviewAlert:
    counter: str
    unit: str
    day: date
    item: str  # what AlertedItem keeps


def reported_campaigns(user: User, today: date) -> list[tuple[Campaign, Unit, date, date]]:
    """The account's running campaigns with a whole week over: (campaign, report root, first
    and last day reported)."""
    scope, found = Scope(user.unit), []
    for campaign in db.session.scalars(campaigns_to_report(scope)):
        if campaign.status != "active":
            continue
        try:
            period = resolve(campaign, today)
        except PeriodError:
            continue
        found.append((campaign, scope.report_root(campaign), period.start, period.end))
    return found


def _recent(start: date, end: date) -> tuple[tuple[date, date], tuple[date, date] | None]:
    """The last RECENT_WEEKS whole weeks of a period, and the as many weeks before them (None
    when the period does not reach back that far)."""
    recent = (max(start, end - timedelta(weeks=RECENT_WEEKS) + timedelta(days=1)), end)
    before_end = recent[0] - timedelta(days=1)
    before_start = before_end - timedelta(weeks=RECENT_WEEKS) + timedelta(days=1)
    return recent, ((before_start, before_end) if before_start >= start else None)


def _unit_rows(report: Report) -> list[Row]:
    return [report.top, *(row for row in report.rows if row.kind == "unit")]


def compared(campaign: Campaign, root: Unit, start: date,
             end: date) -> list[tuple[Row, Row]]:
    """(recent, before) rows of the report's top and each unit below it: the last four weeks
    and the four before."""
    recent, before = _recent(start, end)
    if before is None:
        return []
    now = {row.id: row for row in _unit_rows(unit_report(campaign, root, root, *recent))}
    then = {row.id: row for row in _unit_rows(unit_report(campaign, root, root, *before))}
    return [(now[key], then[key]) for key in now if key in then]


def digest_for(user: User, today: date) -> Digest | None:
    """The week's digest for the account's scope, None when no campaign of it has a whole
    week to report."""
    parts = []
    for campaign, root, start, end in reported_campaigns(user, today):
        report = unit_report(campaign, root, root, start, end, every_counter=True)
        part = CampaignDigest(campaign=campaign, report=report,
                              pending=[row for row in report.counter_rows if row.pending])
        for recent, before in compared(campaign, root, start, end):
            direction = recent.compared_with(before)  # None when either is hidden
            if direction in ("higher", "lower"):
                part.moved.append((recent, direction))
        parts.append(part)
    if not parts:
        return None
    open_pressure = None
    if user_can(user, "pressure"):
        open_pressure = db.session.scalar(select(func.count()).select_from(PressureReport)
                                          .where(PressureReport.status != "done"))
    return Digest(user=user, campaigns=parts, open_pressure=open_pressure)


def pace_alerts(user: User, today: date) -> list[PaceAlert]:
    """Units that will end their campaign below target if the last four weeks' pace holds
    (figures.projected_rate), among the report's top and the units right below it."""
    found = []
    for campaign, root, start, end in reported_campaigns(user, today):
        weeks_left = (campaign.ends_on - end).days // 7
        if weeks_left <= 0:
            continue  # nothing left to change: the dashboard's verdict is the last word
        (recent_start, _end), _before = _recent(start, end)
        recent_weeks = ((end - recent_start).days + 1) / 7
        so_far = {row.id: row for row in _unit_rows(
            unit_report(campaign, root, root, start, end))}
        recent = {row.id: row for row in _unit_rows(
            unit_report(campaign, root, root, recent_start, end))}
        for key, row in so_far.items():
            last = recent.get(key)
            if row.pending or last is None:
                continue  # days pending review: Home Affairs decides first
            projected = figures.projected_rate(
                row.counts.matched, row.counts.eligible, last.counts.matched,
                last.counts.eligible, recent_weeks, weeks_left)
            if projected is not None and projected < row.target:
                found.append(PaceAlert(campaign, row, projected, weeks_left))
    return found


def satisfaction_alerts(user: User, today: date) -> list[SatisfactionAlert]:
    """Units whose satisfaction of the last four weeks lies below the four weeks before,
    beyond chance (their 95 % intervals apart; hidden figures are never compared)."""
    return [SatisfactionAlert(campaign, recent, before)
            for campaign, root, start, end in reported_campaigns(user, today)
            for recent, before in compared(campaign, root, start, end)
            if recent.compared_with(before) == "lower"]


def review_alerts(user: User) -> list[ReviewAlert]:
    """Counters of the account's scope with a day newly pending review."""
    rows = db.session.execute(
        select(QuarantinedDay.counter_id, QuarantinedDay.day, Counter.name, Unit.name)
        .join(Counter, Counter.id == QuarantinedDay.counter_id).join(Unit)
        .where(QuarantinedDay.status == "pending", Scope(user.unit).units())
        .order_by(Unit.path, Counter.name, QuarantinedDay.day))
    told = _told(user)
    return [ReviewAlert(counter, unit, day, item) for counter_id, day, counter, unit in rows
            if (item := f"review:{counter_id}:{day.isoformat()}") not in told]


def pressure_alerts(user: User) -> list[str]:
    """Citizens' reports of pressure not yet followed up nor told to this account (Home
    Affairs only): their items, to count."""
    if not user_can(user, "pressure"):
        return []
    told = _told(user)
    return [item for report_id in db.session.scalars(select(PressureReport.id).where(
        PressureReport.status == "new")) if (item := f"pressure:{report_id}") not in told]


def _told(user: User) -> set[str]:
    return set(db.session.scalars(select(AlertedItem.item).where(
        AlertedItem.user_id == user.id)))

