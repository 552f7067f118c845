"""What lies behind one unit's row: the funnel, each question's answers, the weekly trend and
the comments. Every share comes from app/figures.py; every breakdown obeys the unit's hiding
(app/reports/tables.py decides it) and the same rule again across the weeks of the trend.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app import figures
from app.domain.weeks import monday
from app.extensions import db
from app.models import Campaign, Response
from app.reports.queries import Counts, answer_counts, counts_by_week
from app.reports.tables import Report, Row, suppress


@dataclass(frozen=True)
class Share:
    """A share of answers with its 95 % interval: levels 4–5 of a scale, or "yes"."""

    key: str
    label: str
    kind: str  # "scale" or "yes_no"
    hits: int
    total: int
    levels: tuple[int, ...] = ()  # answers per level 1 … 5 (scale questions)

    @property
    def value(self) -> Decimal | None:
        return figures.percent(self.hits, self.total)

    @property
    def interval(self) -> tuple[Decimal, Decimal] | None:
        return figures.wilson_interval(self.hits, self.total)

    def level_share(self, level: int) -> Decimal | None:
        return figures.percent(self.levels[level - 1], self.total)


@dataclass
class Week:
    """One ISO week of the trend: its counts, and whether its satisfaction is shown."""

    label: str  # "2026-W47"
    start: date
    end: date
    row: Row


@dataclass
class Details:
    funnel: dict[str, int]
    eligible: int
    shares: list[Share] = field(default_factory=list)  # empty when hidden
    weeks: list[Week] = field(default_factory=list)
    scale: list[str] = field(default_factory=list)


def question_label(question: dict, locale: str) -> str:
    """A question's short name for tables: the words before its colon."""
    if question.get("role") == "overall":
        return "Overall satisfaction" if locale == "en" else "Hài lòng chung"
    return question[locale].split(":")[0].rstrip("?")


def details_for(report: Report, locale: str, *, shares: bool = False,
                weeks: bool = True) -> Details:
    """The funnel of the report's top, its weekly trend (`weeks`), and the answers to each
    question (`shares`: the details page and the PDF; the dashboard links to them)."""
    top, campaign = report.top, report.campaign
    definition = campaign.questionnaire.definition
    details = Details(funnel=top.counts.funnel, eligible=top.counts.eligible,
                      scale=definition["scale"][locale])
    if shares and not top.suppressed and top.counts.responses:
        counts = answer_counts(campaign, report.counter_ids, report.start, report.end)
        for question in definition["questions"]:
            values = counts.get(question["key"], {})
            total = sum(values.values())
            if question["kind"] == "scale":
                levels = tuple(values.get(level, 0) for level in range(1, 6))
                hits = sum(levels[v - 1] for v in figures.SATISFIED_VALUES)
            else:
                levels, hits = (), values.get(1, 0)
            details.shares.append(Share(key=question["key"], kind=question["kind"],
                                        label=question_label(question, locale), hits=hits,
                                        total=total, levels=levels))
    if weeks:
        details.weeks = weekly(campaign, report)
    return details


def weekly(campaign: Campaign, report: Report) -> list[Week]:
    """Each week of the period for the report's top: counts always; satisfaction only for the
    campaign's whole unit, hidden under K answers, and with it the smallest other weeks until
    the hidden ones hold K (the period minus the shown weeks must not give a week away)."""
    start, end = report.start, report.end
    by_week = counts_by_week(campaign, report.counter_ids, start, end)
    weeks, week = [], monday(start)
    while week <= end:
        year, number, _ = week.isocalendar()
        label = f"{year}-W{number:02d}"
        weeks.append(Week(label=label, start=max(week, start),
                          end=min(week + timedelta(days=6), end),
                          row=Row(kind="week", id=len(weeks), name=label, code=label,
                                  counts=by_week.get(week, Counts()),
                                  target=report.top.target)))
        week += timedelta(days=7)
    rows = [w.row for w in weeks]
    if report.top.id == campaign.unit_id:
        suppress(report.top, rows, report.k)
    else:
        # Below the campaign's unit, a unit's week minus a sub-unit's week could single out a
        # small sibling group, and no table shows those weeks side by side to guard it: only
        # the campaign's whole unit gets a weekly satisfaction line.
        for row in rows:
            row.suppressed = True
    return weeks


def comments_for(report: Report, *, page: int = 1,
                 per_page: int | None = None) -> tuple[list[tuple[str, str]], int]:
    """((ISO week, comment) …, how many in all) of the top's responses, in the order of their
    random ids: nothing about when they were written, not even their order, is shown. Empty
    when the top is hidden or holds fewer than K responses."""
    if report.top.suppressed or report.top.counts.responses < report.k:
        return [], 0
    where = (Response.campaign_id == report.campaign.id,
             Response.counter_id.in_(report.counter_ids),
             Response.submitted_on.between(report.start, report.end),
             Response.comment.is_not(None))
    total = db.session.scalar(select(func.count()).where(*where))
    query = select(Response.submitted_on, Response.comment).where(*where).order_by(Response.id)
    if per_page:
        query = query.limit(per_page).offset((page - 1) * per_page)
    result = []
    for day, comment in db.session.execute(query):
        year, week, _ = day.isocalendar()
        result.append((f"{year}-W{week:02d}", comment))
    return result, total
