"""What lies behind one unit's row: the funnel, each question's answers, the weekly trend and
the comments. Every share comes from app/figures.py; every breakdown of answers is made of the
batches released in the period (app/reports/tables.py says why), a week's of those filed under
that week, and comments carry that week too.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, exists, func, select

from app import figures
from app.domain.weeks import monday
from app.extensions import db
from app.models import Campaign, CampaignWeek, QuarantinedDay, Response
from app.reports.queries import (
    Counts,
    add_pending_by_week,
    answer_counts,
    figures_by,
    in_batches,
    monday_of,
    released_responses,
)
from app.reports.tables import Report, Row


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
    if shares and not top.suppressed and top.answers.responses:
        counts = answer_counts(campaign, report.counters, report.start, report.end)
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
    """Each week of the period for the report's top: its counts, and the satisfaction of the
    batches filed under it (< K: hidden)."""
    start, end = report.start, report.end
    by_week, answers = figures_by(campaign, report.counters, start, end, by="week")
    add_pending_by_week(by_week, report.counters, start, end)
    weeks, week = [], monday(start)
    while week <= end:
        year, number, _ = week.isocalendar()
        label = f"{year}-W{number:02d}"
        weeks.append(Week(label=label, start=max(week, start),
                          end=min(week + timedelta(days=6), end),
                          row=Row(kind="week", id=len(weeks), name=label, code=label,
                                  counts=by_week.get(week, Counts()),
                                  answers=answers.get(week, Counts()), k=report.k,
                                  target=report.top.target)))
        week += timedelta(days=7)
    return weeks


def comments_for(report: Report, *, page: int = 1,
                 per_page: int | None = None) -> tuple[list[tuple[str, str]], int]:
    """((ISO week, comment) …, how many in all) of the top's released answers, each with the
    week its batch was filed under, in the order of their random ids: nothing about when
    they were written, not even their order, is shown. Empty when the top is hidden."""
    if report.top.suppressed or not report.top.answers.responses:
        return [], 0
    campaign = report.campaign
    released, worked_out = released_responses(campaign, report.counters, report.start,
                                               report.end)
    batch = and_(*in_batches(Response, campaign, report.start, report.end,
                             week=monday_of(Response.submitted_on)))
    where = (Response.campaign_id == campaign.id,
             Response.counter_id.in_(report.counters),
             Response.submitted_on <= report.end,  # a batch may begin before the period
             Response.comment.is_not(None), released,
             ~exists().where(QuarantinedDay.counter_id == Response.counter_id,
                             QuarantinedDay.day == Response.submitted_on))
    total = db.session.scalar(select(func.count()).select_from(Response)
                              .outerjoin(CampaignWeek, batch).where(*where))
    query = (select(CampaignWeek.batch_week, Response.counter_id, Response.submitted_on,
                    Response.comment)
             .outerjoin(CampaignWeek, batch).where(*where).order_by(Response.id))
    if per_page:
        query = query.limit(per_page).offset((page - 1) * per_page)
    result = []
    for week, counter_id, day, comment in db.session.execute(query):
        week = week or worked_out[counter_id, monday(day)]
        year, number, _ = week.isocalendar()
        result.append((f"{year}-W{number:02d}", comment))
    return result, total
