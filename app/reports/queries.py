"""The few queries every report is built from, per counter or per week, over a campaign and a
period: whole weeks (cut to the campaign's days) from the weekly sums (app/domain/weeks.py,
filled here the first time a report needs a week), and a week not summed yet from the daily
roll-ups. Never from single responses.

Everything above the counter (units, subtrees, the province) is summed in Python by
app/reports/tables.py.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Date, and_, case, cast, delete, false, func, or_, select

from app import figures
from app.clock import local_now
from app.db_setup import insert_for
from app.domain.weeks import (
    FUNNEL,
    LEVELS,
    RESPONSES,
    TALLY,
    day_sums,
    fill_batches,
    monday,
    sum_week,
)
from app.extensions import db
from app.models import (
    AnswerWeek,
    Campaign,
    CampaignWeek,
    Counter,
    IntegrityDay,
    QuarantinedDay,
    RolledWeek,
    Unit,
)
from app.survey import inbox
from app.survey.integrity import COUNTS as INTEGRITY
from app.survey.integrity import FLAGS, QUARANTINED


@dataclass
class Counts:
    """What one counter (or, summed, one unit's subtree, or one week) holds."""

    returned: int = 0
    immediate: int = 0
    online: int = 0
    postal: int = 0
    responses: int = 0
    overall: list[int] = field(default_factory=lambda: [0] * 5)  # answers at levels 1 … 5
    untallied_days: int = 0  # days with responses but no tally entered
    funnel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FUNNEL, 0))
    # What the survey refused or found odd (app/survey/integrity.py), summed over days.
    integrity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLAGS, 0))

    @property
    def eligible(self) -> int:
        return figures.eligible(self.returned, self.immediate, self.online, self.postal)

    @property
    def satisfied(self) -> int:
        return sum(self.overall[level - 1] for level in figures.SATISFIED_VALUES)

    @property
    def answered_overall(self) -> int:
        return sum(self.overall)

    def add(self, other: "Counts") -> None:
        for name in (*TALLY, "responses", "untallied_days"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.overall = [a + b for a, b in zip(self.overall, other.overall, strict=True)]
        for step in FUNNEL:
            self.funnel[step] += other.funnel[step]
        for name in FLAGS:
            self.integrity[name] += other.integrity[name]

    def take(self, names: tuple[str, ...], values) -> None:
        """Add summed columns, by name, as a query returned them."""
        for name, value in zip(names, values, strict=True):
            value = int(value or 0)
            if name in FUNNEL:
                self.funnel[name] += value
            elif name in LEVELS:
                self.overall[LEVELS.index(name)] += value
            else:
                setattr(self, name, getattr(self, name) + value)


SETTLE = timedelta(minutes=10)  # an answer sent at 23:59 on Sunday is committed long before


def is_settled(week: date, now: datetime) -> bool:
    """True once the week is over by SETTLE: no answer or scan of it can still be on its way.
    (Until then, reports read that week from the daily rows.)"""
    return now >= datetime.combine(week + timedelta(days=7), time(), now.tzinfo) + SETTLE


# A report sums at most this many weeks (about a second each at 5 M responses a year) and
# reads the rest day by day; `flask sum-weeks` sums them all, e.g. right after an upgrade.
WEEKS_PER_REQUEST = 4


def ensure_summed(campaign: Campaign, through: date, now: datetime | None = None,
                  limit: int | None = WEEKS_PER_REQUEST) -> set[date]:
    """Sum the campaign's settled weeks up to `through` that are not summed yet, oldest first
    (each week's batches of answers build on the weeks before it), at most `limit` of them;
    return the weeks summed now (the others are read day by day, and release no answers).

    A report fills these sums as it reads, like a cache: each week in a short transaction of
    its own that claims the week first, so two app servers never sum it twice."""
    now = now or local_now()
    inbox.move_due()  # so what waits in the survey's inbox counts, at most a move late
    k = current_app.config["SUPPRESSION_K"]
    rolled = db.session.execute(select(RolledWeek.week, RolledWeek.batch_k).where(
        RolledWeek.campaign_id == campaign.id)).all()
    if any(batch_k is not None and batch_k != k for _week, batch_k in rolled):
        with db.engine.begin() as conn:  # batches made with another K are made again
            for table in (CampaignWeek, AnswerWeek, RolledWeek):
                conn.execute(delete(table).where(table.campaign_id == campaign.id))
        rolled = []
    done = {week for week, _k in rolled}
    emptied = False
    week, last = monday(campaign.starts_on), min(through, monday(campaign.ends_on))
    while week <= last and is_settled(week, now) and limit != 0:
        if week not in done:
            if not emptied:  # a settled week's last answers may still wait in the inbox
                inbox.move_due(force=True)
                emptied = True
            if limit is not None:
                limit -= 1
            with db.engine.begin() as conn:
                claimed = conn.execute(insert_for(conn.dialect.name)(RolledWeek).values(
                    campaign_id=campaign.id, week=week, batch_k=k).on_conflict_do_nothing())
                if claimed.rowcount:  # another server has summed it (or is summing it) otherwise
                    sum_week(conn, campaign, week)
                    fill_batches(conn, campaign, week, k)
            done.add(week)
        week += timedelta(days=7)
    return done


def weeks_in(start: date, end: date) -> list[date]:
    """The Mondays of the weeks from start to end."""
    weeks, week = [], monday(start)
    while week <= end:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


def split(campaign: Campaign, start: date, end: date,
          now: datetime | None = None) -> tuple[list[date], list[tuple[date, date]]]:
    """A period (whole weeks cut to the campaign) as the Mondays of its summed weeks, and the
    day ranges of the weeks not summed yet (not settled), to read day by day."""
    weeks = weeks_in(start, end)
    summed = ensure_summed(campaign, monday(end), now)
    spans = [(max(w, start), min(w + timedelta(days=6), end)) for w in weeks if w not in summed]
    return [w for w in weeks if w in summed], spans


def _in_weeks(column, weeks: list[date]):
    """column in these Mondays: a BETWEEN when they follow each other (the usual case)."""
    if (weeks[-1] - weeks[0]).days == 7 * (len(weeks) - 1):
        return column.between(weeks[0], weeks[-1])
    return column.in_(weeks)


def _sums(model, names):
    return [func.sum(getattr(model, name)) for name in names]


def _grouped(campaign: Campaign, counters, start: date, end: date, *,
             by: str) -> tuple[dict, dict]:
    """For these counters, grouped by counter, by the unit a counter belongs to, or by week
    (by="counter" / "unit" / "week"): the counts of every day of the period, and the answers
    released in it (the batches filed under its weeks, app/domain/weeks.py; by week, under
    the week they were filed). One pass over the weekly sums gives both."""
    counts: dict = {}
    answers: dict = {}
    weeks, spans = split(campaign, start, end)
    names = (*TALLY, *FUNNEL, "responses", *LEVELS, "untallied_days")
    in_period = _in_weeks(CampaignWeek.week, weeks) if weeks else false()
    filed = CampaignWeek.batch_week.between(monday(start), monday(end))
    keys = {"counter": (CampaignWeek.counter_id,), "unit": (Counter.unit_id,),
            "week": (CampaignWeek.week, CampaignWeek.batch_week)}[by]
    query = (select(*keys,
                    *(func.sum(case((in_period, getattr(CampaignWeek, n)), else_=0))
                      for n in names),
                    *(func.sum(case((filed, getattr(CampaignWeek, n)), else_=0))
                      for n in RESPONSES))
             .where(CampaignWeek.campaign_id == campaign.id, or_(in_period, filed),
                    CampaignWeek.counter_id.in_(counters))
             .group_by(*keys))
    if by == "unit":
        query = query.join(Counter, Counter.id == CampaignWeek.counter_id)
    for row in db.session.execute(query):
        values = row[len(keys):]
        count_key = answer_key = row[0]
        if by == "week":
            answer_key = row[1]
        counts.setdefault(count_key, Counts()).take(names, values[:len(names)])
        if answer_key is not None:
            answers.setdefault(answer_key, Counts()).take(RESPONSES, values[len(names):])
    for first, last in spans:  # not summed yet: counts only, no batch is filed there yet
        daily = day_sums(db.session, campaign, first, last,
                         by="day" if by == "week" else "counter", counters=counters)
        unit_of = {} if by != "unit" else dict(db.session.execute(
            select(Counter.id, Counter.unit_id).where(Counter.id.in_(list(daily)))).all())
        for group, values in daily.items():
            key = monday(group) if by == "week" else unit_of.get(group, group)
            counts.setdefault(key, Counts()).take(tuple(values), values.values())
    return counts, {key: value for key, value in answers.items() if value.responses}


def per_counter_or_unit(model, counters, *columns, by: str):
    """SELECT key, *columns FROM `model` for these counters, grouped by the row's counter
    (by="counter") or by that counter's unit (by="unit"); callers add their own WHERE."""
    key = model.counter_id if by == "counter" else Counter.unit_id
    query = (select(key, *columns).select_from(model)
             .where(model.counter_id.in_(counters)).group_by(key))
    if by == "unit":
        query = query.join(Counter, Counter.id == model.counter_id)
    return query


def add_integrity(counts: dict, counters, start: date, end: date, *, by: str) -> None:
    """Add the integrity counts of the period's days to `counts` (per counter or per the
    counters' unit), making a Counts where a key has none yet; answers set aside for review
    leave the funnel's completed count too."""
    query = per_counter_or_unit(IntegrityDay, counters, *_sums(IntegrityDay, INTEGRITY), by=by)
    for group, *values in db.session.execute(query.where(IntegrityDay.day.between(start, end))):
        counts.setdefault(group, Counts()).integrity.update(
            zip(INTEGRITY, (int(v or 0) for v in values), strict=True))
    query = per_counter_or_unit(QuarantinedDay, counters, func.sum(QuarantinedDay.responses),
                                by=by)
    for group, held in db.session.execute(query.where(QuarantinedDay.day.between(start, end))):
        row = counts.setdefault(group, Counts())
        row.integrity[QUARANTINED] = int(held or 0)
        row.funnel["completed"] -= int(held or 0)  # set aside: out of every figure


def counters_under(root: Unit):
    """Counters of the root's subtree, as a subquery of ids."""
    return select(Counter.id).join(Unit).where(Unit.subtree_of(root))


def counts_by_counter(campaign: Campaign, counters, start: date,
                      end: date) -> dict[int, Counts]:
    """Counts per counter (`counters`: ids or a subquery), between start and end."""
    return _grouped(campaign, counters, start, end, by="counter")[0]


def counts_by_unit(campaign: Campaign, root: Unit, start: date,
                   end: date) -> dict[int, Counts]:
    """Counts per unit of `root`'s subtree, of the counters attached to it directly."""
    return _grouped(campaign, counters_under(root), start, end, by="unit")[0]


def counts_by_week(campaign: Campaign, counters, start: date,
                   end: date) -> dict[date, Counts]:
    """Counts per week (keyed by its Monday) over the given counters."""
    return _grouped(campaign, counters, start, end, by="week")[0]


def released(campaign: Campaign, counters, start: date, end: date, *,
             by: str) -> dict:
    """The answers released in the period (see `_grouped`) as Counts of responses and
    overall levels, per counter, per counter's unit or per week they were filed under."""
    return _grouped(campaign, counters, start, end, by=by)[1]


def figures_by(campaign: Campaign, counters, start: date, end: date, *,
               by: str) -> tuple[dict, dict]:
    """(counts, released answers) per counter, unit or week, in one pass (see `_grouped`)."""
    return _grouped(campaign, counters, start, end, by=by)


def in_batches(model, campaign: Campaign, start: date, end: date, week=None):
    """Join `model` (per counter and week, or per response with `week` its Monday) to the
    weekly sums, keeping the rows whose batch is filed in the period."""
    return (CampaignWeek.campaign_id == campaign.id,
            CampaignWeek.counter_id == model.counter_id,
            CampaignWeek.week == (model.week if week is None else week),
            CampaignWeek.batch_week.between(monday(start), monday(end)))


def answer_counts(campaign: Campaign, counters, start: date,
                  end: date) -> dict[str, dict[int, int]]:
    """{question: {value: responses}} over the given counters, for the satisfaction details:
    the answers released in the period, as every breakdown."""
    ensure_summed(campaign, monday(end))
    result: dict[str, dict[int, int]] = {}
    query = (select(AnswerWeek.question_key, AnswerWeek.value, func.sum(AnswerWeek.responses))
             .join(CampaignWeek, and_(*in_batches(AnswerWeek, campaign, start, end)))
             .where(AnswerWeek.campaign_id == campaign.id,
                    AnswerWeek.counter_id.in_(counters))
             .group_by(AnswerWeek.question_key, AnswerWeek.value))
    for key, value, total in db.session.execute(query):
        result.setdefault(key, {})[value] = int(total)
    return result


def monday_of(column):
    """SQL for the Monday of a date column's week."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.date_trunc("week", column), Date)
    return func.date(column, "weekday 0", "-6 days")


def tree_of(root: Unit, *, every_counter: bool = True) -> tuple[list[Unit], list]:
    """The units of root's subtree in tree order, and the counters of them all (or only of
    root itself) as plain rows (id, unit_id, name, code, operator): a province has
    thousands, and reports only read them."""
    units = list(db.session.scalars(select(Unit).where(Unit.subtree_of(root))
                                    .order_by(Unit.path)))
    where = Unit.subtree_of(root) if every_counter else Unit.id == root.id
    counters = list(db.session.execute(
        select(Counter.id, Counter.unit_id, Counter.name, Counter.code, Counter.operator)
        .join(Unit).where(where).order_by(Unit.path, Counter.name, Counter.id)))
    return units, counters


def units_with_counters(root: Unit) -> set[int]:
    """Ids of the units of root's subtree that have a counter of their own."""
    return set(db.session.scalars(select(Counter.unit_id).join(Unit)
                                  .where(Unit.subtree_of(root)).distinct()))
