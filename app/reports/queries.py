"""The few queries every report is built from, per counter or per week, over a campaign and a
period: whole weeks (cut to the campaign's days) from the weekly sums (app/domain/weeks.py,
made by `flask sum-weeks`), and a week not summed yet from the daily roll-ups. Never from
single responses, and never a write: a read-only database role can serve every report.

Everything above the counter (units, subtrees, the province) is summed in Python by
app/reports/tables.py.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import Date, and_, case, cast, false, func, or_, select, true

from app import figures
from app.clock import local_now
from app.domain import holds
from app.domain.integrity import COUNTS as INTEGRITY
from app.domain.integrity import FLAGS, QUARANTINED
from app.domain.weeks import (
    CHANNEL,
    FUNNEL,
    LEVELS,
    RESPONSES,
    TALLY,
    UNTALLIED,
    day_sums,
    file_batches,
    monday,
    settled_weeks,
    weeks_in,
)
from app.extensions import db
from app.models import (
    AnswerDay,
    AnswerWeek,
    Campaign,
    CampaignWeek,
    Counter,
    IntegrityDay,
    InvitationDay,
    QuarantinedDay,
    Response,
    ResponseDay,
    RolledWeek,
    Tally,
    Unit,
)

PENDING = ("pending_days", "pending_eligible", "pending_responses")
# The invitations' funnel (SMS texts sent and failed, links opened, answered), by return day.
INVITATIONS = ("sent", "failed", "opened", "answered")


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
    untallied_responses: int = 0  # their responses: in no rate (shown apart)
    funnel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FUNNEL, 0))
    # What the survey refused or found odd (app/domain/integrity.py), summed over days.
    integrity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLAGS, 0))
    # Counter-days pending review (app/domain/holds.py): out of every figure, as their
    # answers are; their eligible returns and (tallied) responses, to show "with them".
    pending_days: int = 0
    pending_eligible: int = 0
    pending_responses: int = 0
    # SMS invitations (app/domain/invitations.py): their funnel, and the answers that came
    # through a link on the days a rate counts (tallied, not set aside): the rest of `matched`
    # came by the counter's sticker.
    invitations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INVITATIONS, 0))
    invited_matched: int = 0

    @property
    def eligible(self) -> int:
        """E of the days a rate counts: not those pending review."""
        return figures.eligible(self.returned, self.immediate, self.online,
                                self.postal) - self.pending_eligible

    @property
    def matched(self) -> int:
        """Responses R of the days that have a tally: the ones a rate counts."""
        return figures.matched_responses(self.responses, self.untallied_responses)

    @property
    def satisfied(self) -> int:
        return sum(self.overall[level - 1] for level in figures.SATISFIED_VALUES)

    @property
    def answered_overall(self) -> int:
        return sum(self.overall)

    def add(self, other: "Counts") -> None:
        for name in (*TALLY, "responses", *UNTALLIED, *PENDING):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.overall = [a + b for a, b in zip(self.overall, other.overall, strict=True)]
        for step in FUNNEL:
            self.funnel[step] += other.funnel[step]
        for name in FLAGS:
            self.integrity[name] += other.integrity[name]
        for name in INVITATIONS:
            self.invitations[name] += other.invitations[name]
        self.invited_matched += other.invited_matched

    def take(self, names: tuple[str, ...], values) -> None:
        """Add summed columns, by name, as a query returned them."""
        for name, value in zip(names, values, strict=True):
            value = int(value or 0)
            place = _PLACES.get(name)  # thousands of rows a report: no search per value
            if place is None:
                setattr(self, name, getattr(self, name) + value)
            elif place == -1:
                self.funnel[name] += value
            else:
                self.overall[place] += value


# Where Counts.take puts a column: the funnel (-1), or a level of `overall` (its index).
_PLACES = {**dict.fromkeys(FUNNEL, -1), **{name: i for i, name in enumerate(LEVELS)}}


@dataclass
class Plan:
    """How a report reads a campaign's weeks up to its end (reads only, writes nothing).

    Weeks summed by `flask sum-weeks` are read from the weekly sums; every other week of the
    period from the daily rows. The answers of settled weeks not summed yet are filed into
    batches here, by the rule of domain/weeks.fill_batches carried on from the summed weeks,
    so a report gives the same figures before the sums are made as after."""

    summed: list[date]  # the summed weeks a report may read (a prefix of the settled ones)
    # Stored sums a report must not read (after a gap, or made with another K): only then do
    # its queries need to name the summed weeks, which costs a condition on every row.
    stray: bool = False
    # Worked out here: (counter, week) → the week its batch is filed under, what the week
    # holds (responses, overall_1 … overall_5, invited, invited_1 … invited_5), and the
    # weeks whose batch is shown by channel too.
    filed: dict[tuple[int, date], date] = field(default_factory=dict)
    parts: dict[tuple[int, date], tuple[int, ...]] = field(default_factory=dict)
    apart: set[tuple[int, date]] = field(default_factory=set)

    def filed_in(self, start: date, end: date) -> dict[tuple[int, date], date]:
        """The filings worked out here whose batch lies in the period's weeks."""
        first, last = monday(start), monday(end)
        return {key: batch for key, batch in self.filed.items() if first <= batch <= last}


def plan(campaign: Campaign, counters, end: date, now: datetime | None = None) -> Plan:
    """The plan of the campaign's weeks up to `end` for these counters (ids or a subquery).

    Worked out once per request: a page asks for it per grouping (units, counters, weeks,
    answers, comments), and while a week is not summed yet each asking reads its daily rows.
    A request only reads reports, so the plan cannot change under it."""
    if now is not None or not has_request_context():
        return _plan(campaign, counters, end, now or local_now())
    key = (campaign.id, end, _counters_key(counters))
    plans = g.setdefault("report_plans", {})
    if key not in plans:
        plans[key] = _plan(campaign, counters, end, local_now())
    return plans[key]


def _counters_key(counters) -> tuple:
    """What identifies a set of counters: its ids, or a subquery's SQL and parameters."""
    if isinstance(counters, (list, tuple, set, frozenset)):
        return ("ids", *sorted(counters))
    compiled = counters.compile()
    return ("sql", str(compiled), *sorted(compiled.params.items()))


def _plan(campaign: Campaign, counters, end: date, now: datetime) -> Plan:
    k = current_app.config["SUPPRESSION_K"]
    rolled = db.session.execute(select(RolledWeek.week, RolledWeek.batch_k).where(
        RolledWeek.campaign_id == campaign.id)).all()
    stored = set()
    if not any(batch_k is not None and batch_k != k for _week, batch_k in rolled):
        stored = {week for week, _k in rolled}  # sums made with another K are not read
    settled = settled_weeks(campaign, monday(end), now)
    summed = []
    for week in settled:
        if week not in stored:
            break
        summed.append(week)
    result = Plan(summed=summed, stray=bool(set(stored) - set(summed)) or (
        bool(rolled) and not stored))
    rest = settled[len(summed):]
    if not rest:
        return result
    # Each counter's answers still gathering in the summed weeks, then those of the rest.
    gathering: dict[int, list[tuple[date, tuple]]] = {}
    if summed:
        for counter_id, week, *values in db.session.execute(
                select(CampaignWeek.counter_id, CampaignWeek.week,
                       *(getattr(CampaignWeek, n) for n in (*RESPONSES, *CHANNEL)))
                .where(CampaignWeek.campaign_id == campaign.id,
                       CampaignWeek.batch_week.is_(None), CampaignWeek.responses > 0,
                       CampaignWeek.week.between(summed[0], summed[-1]),
                       CampaignWeek.counter_id.in_(counters))
                .order_by(CampaignWeek.week)):
            gathering.setdefault(counter_id, []).append((week, tuple(values)))
    week_of = monday_of(ResponseDay.day)
    daily = db.session.execute(
        select(ResponseDay.counter_id, week_of, *_sums(ResponseDay, (*RESPONSES, *CHANNEL)))
        .where(ResponseDay.campaign_id == campaign.id,
               ResponseDay.day.between(max(rest[0], campaign.starts_on),
                                       min(rest[-1] + timedelta(days=6), campaign.ends_on)),
               ResponseDay.counter_id.in_(counters))
        .group_by(ResponseDay.counter_id, week_of))
    for counter_id, week, *values in daily:
        if values[0]:
            week = week if isinstance(week, date) else date.fromisoformat(week)
            gathering.setdefault(counter_id, []).append((week, tuple(int(v) for v in values)))
    invited = len(RESPONSES)  # where the answers by link are in a week's values
    for counter_id, weeks in gathering.items():
        values_of = dict(weeks)
        held = {week: (values[0], values[invited]) for week, values in weeks}
        first = min(held)
        for batch, filed_under, apart in file_batches(
                held, [w for w in (*summed, *rest) if w >= first], k):
            for week in batch:
                result.filed[counter_id, week] = filed_under
                result.parts[counter_id, week] = values_of[week]
                if apart:
                    result.apart.add((counter_id, week))
    return result


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
    the week they were filed). One pass over the weekly sums gives both; the weeks not summed
    yet are read day by day and their batches worked out by plan()."""
    counts: dict = {}
    answers: dict = {}
    weeks_plan = plan(campaign, counters, end)
    summed = set(weeks_plan.summed)
    weeks = [w for w in weeks_in(start, end) if w in summed]
    spans = [(max(w, start), min(w + timedelta(days=6), end))
             for w in weeks_in(start, end) if w not in summed]
    names = (*TALLY, *FUNNEL, "responses", *LEVELS, *UNTALLIED)
    if summed:
        in_period = _in_weeks(CampaignWeek.week, weeks) if weeks else false()
        filed = CampaignWeek.batch_week.between(monday(start), monday(end))
        if weeks_plan.stray:
            filed = and_(filed, CampaignWeek.week.between(weeks_plan.summed[0],
                                                          weeks_plan.summed[-1]))
        keys = {"counter": (CampaignWeek.counter_id,), "unit": (Counter.unit_id,),
                "week": (CampaignWeek.week, CampaignWeek.batch_week)}[by]
        # A period holding every summed week (a campaign's, the usual dashboard) counts every
        # row read: plain sums, a quarter less work for the database than a CASE on each.
        everything = weeks == weeks_plan.summed and not weeks_plan.stray
        query = (select(*keys,
                        *(func.sum(getattr(CampaignWeek, n)) if everything else
                          func.sum(case((in_period, getattr(CampaignWeek, n)), else_=0))
                          for n in names),
                        *(func.sum(case((filed, getattr(CampaignWeek, n)), else_=0))
                          for n in RESPONSES))
                 .where(CampaignWeek.campaign_id == campaign.id,
                        true() if everything else or_(in_period, filed),
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
    filed_here = weeks_plan.filed_in(start, end)
    unit_of = {} if by != "unit" else dict(db.session.execute(
        select(Counter.id, Counter.unit_id).where(Counter.id.in_(counters))).all())
    for (counter_id, week), batch in filed_here.items():  # batches worked out, not stored
        key = {"counter": counter_id, "unit": unit_of.get(counter_id), "week": batch}[by]
        answers.setdefault(key, Counts()).take(
            RESPONSES, weeks_plan.parts[counter_id, week][:len(RESPONSES)])
    for first, last in spans:  # not summed: counts from the daily rows
        daily = day_sums(db.session, campaign, first, last,
                         by="day" if by == "week" else "counter", counters=counters)
        for group, values in daily.items():
            key = monday(group) if by == "week" else unit_of.get(group, group)
            counts.setdefault(key, Counts()).take(tuple(values), values.values())
    return counts, {key: value for key, value in answers.items() if value.responses}


def channel_answers(campaign: Campaign, counters, start: date, end: date, *,
                    by: str) -> dict:
    """Per counter or per the counters' unit: (all, by an SMS link) as two Counts of the
    answers released in the period in batches shown by channel (batch_apart: each channel
    none or K or more, app/domain/weeks.py); the rest of them came by the sticker. Only read
    where invitations were sent: the answers of other counters are all apart and all sticker."""
    weeks_plan = plan(campaign, counters, end)
    result: dict = {}

    def add(key, values) -> None:
        both, invited = result.setdefault(key, (Counts(), Counts()))
        both.take(RESPONSES, values[:len(RESPONSES)])
        invited.take(RESPONSES, values[len(RESPONSES):])

    if weeks_plan.summed:
        query = per_counter_or_unit(CampaignWeek, counters,
                                    *_sums(CampaignWeek, (*RESPONSES, *CHANNEL)), by=by)
        query = query.where(CampaignWeek.campaign_id == campaign.id,
                            CampaignWeek.batch_week.between(monday(start), monday(end)),
                            CampaignWeek.batch_apart.is_(True))
        if weeks_plan.stray:
            query = query.where(CampaignWeek.week.between(weeks_plan.summed[0],
                                                          weeks_plan.summed[-1]))
        for key, *values in db.session.execute(query):
            add(key, values)
    worked_out = {key for key in weeks_plan.filed_in(start, end) if key in weeks_plan.apart}
    unit_of = {} if by != "unit" or not worked_out else dict(db.session.execute(
        select(Counter.id, Counter.unit_id).where(Counter.id.in_(counters))).all())
    for counter_id, week in worked_out:
        add(counter_id if by == "counter" else unit_of[counter_id],
            weeks_plan.parts[counter_id, week])
    return result


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
    for group, held, days, pending_e, pending_r in _held(counters, start, end, by=by):
        row = counts.setdefault(group, Counts())
        row.integrity[QUARANTINED] = int(held or 0)
        row.funnel["completed"] -= int(held or 0)  # held: out of every figure
        row.pending_days += int(days or 0)
        row.pending_eligible += int(pending_e or 0)
        row.pending_responses += int(pending_r or 0)


def add_invitations(counts: dict, counters, start: date, end: date, *, by: str) -> None:
    """Add the invitations' funnel of the period's return days to `counts` (per counter or per
    the counters' unit), and how many of their answers a rate counts: those of days with a
    tally and not set aside for review, as `matched` counts responses. An invitation's answer
    is filed under its return day (domain/invitations.py), so it meets that day's tally."""
    rated = and_(Tally.day.is_not(None), QuarantinedDay.day.is_(None))
    query = per_counter_or_unit(InvitationDay, counters, *_sums(InvitationDay, INVITATIONS),
                                func.sum(case((rated, InvitationDay.answered), else_=0)), by=by)
    query = (query.outerjoin(Tally, and_(Tally.counter_id == InvitationDay.counter_id,
                                         Tally.day == InvitationDay.day))
             .outerjoin(QuarantinedDay, and_(QuarantinedDay.counter_id == InvitationDay.counter_id,
                                             QuarantinedDay.day == InvitationDay.day))
             .where(InvitationDay.day.between(start, end)))
    for group, *values in db.session.execute(query):
        row = counts.setdefault(group, Counts())
        row.invitations.update(zip(INVITATIONS, (int(v or 0) for v in values[:-1]), strict=True))
        row.invited_matched = int(values[-1] or 0)


def _held(counters, start: date, end: date, *, by: str):
    """Per counter, unit or week (its Monday): (key, responses held, days pending review,
    their eligible returns, their responses on tallied days)."""
    pending = QuarantinedDay.status == holds.PENDING
    tallied = Tally.day.is_not(None)
    eligible = Tally.returned - Tally.immediate - Tally.online - Tally.postal
    columns = (func.sum(QuarantinedDay.responses), func.sum(case((pending, 1), else_=0)),
               func.sum(case((and_(pending, tallied), eligible), else_=0)),
               func.sum(case((and_(pending, tallied), QuarantinedDay.responses), else_=0)))
    if by == "week":
        week = monday_of(QuarantinedDay.day)
        query = (select(week, *columns).where(QuarantinedDay.counter_id.in_(counters))
                 .group_by(week))
    else:
        query = per_counter_or_unit(QuarantinedDay, counters, *columns, by=by)
    query = query.outerjoin(Tally, and_(Tally.counter_id == QuarantinedDay.counter_id,
                                        Tally.day == QuarantinedDay.day))
    for key, *values in db.session.execute(query.where(QuarantinedDay.day.between(start,
                                                                                  end))):
        if by == "week" and not isinstance(key, date):
            key = date.fromisoformat(key)  # SQLite's date() is text
        yield key, *values


def add_pending_by_week(counts: dict, counters, start: date, end: date) -> None:
    """Add the days pending review to each week's Counts (keyed by Monday), so a week's rate
    leaves them out as the report's rows do."""
    for week, _held_n, days, pending_e, pending_r in _held(counters, start, end, by="week"):
        row = counts.setdefault(week, Counts())
        row.pending_days += int(days or 0)
        row.pending_eligible += int(pending_e or 0)
        row.pending_responses += int(pending_r or 0)


def counters_under(root: Unit):
    """Counters of the root's subtree, as a subquery of ids."""
    return select(Counter.id).join(Unit).where(Unit.subtree_of(root))


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
    weeks_plan = plan(campaign, counters, end)
    result: dict[str, dict[int, int]] = {}

    def add(rows) -> None:
        for key, value, total in rows:
            cell = result.setdefault(key, {})
            cell[value] = cell.get(value, 0) + int(total)

    grouping = (AnswerWeek.question_key, AnswerWeek.value)
    if weeks_plan.summed:
        add(db.session.execute(
            select(*grouping, func.sum(AnswerWeek.responses))
            .join(CampaignWeek, and_(*in_batches(AnswerWeek, campaign, start, end)))
            .where(AnswerWeek.campaign_id == campaign.id, AnswerWeek.counter_id.in_(counters),
                   AnswerWeek.week.between(weeks_plan.summed[0], weeks_plan.summed[-1])
                   if weeks_plan.stray else true())
            .group_by(*grouping)))
    by_week = _counters_by_week(weeks_plan.filed_in(start, end))
    summed = set(weeks_plan.summed)
    stored = [and_(AnswerWeek.week == week, AnswerWeek.counter_id.in_(ids))
              for week, ids in by_week.items() if week in summed]
    if stored:  # gathering in summed weeks, filed by a batch worked out here
        add(db.session.execute(
            select(*grouping, func.sum(AnswerWeek.responses))
            .where(AnswerWeek.campaign_id == campaign.id, or_(*stored)).group_by(*grouping)))
    daily = [and_(AnswerDay.day.between(week, week + timedelta(days=6)),
                  AnswerDay.counter_id.in_(ids))
             for week, ids in by_week.items() if week not in summed]
    if daily:  # settled weeks not summed yet
        add(db.session.execute(
            select(AnswerDay.question_key, AnswerDay.value, func.sum(AnswerDay.responses))
            .where(AnswerDay.campaign_id == campaign.id,
                   AnswerDay.day.between(campaign.starts_on, campaign.ends_on), or_(*daily))
            .group_by(AnswerDay.question_key, AnswerDay.value)))
    return result


def _counters_by_week(filed: dict[tuple[int, date], date]) -> dict[date, list[int]]:
    """{week: [counter ids]} of filings worked out by plan()."""
    by_week: dict[date, list[int]] = {}
    for counter_id, week in filed:
        by_week.setdefault(week, []).append(counter_id)
    return by_week


def released_responses(campaign: Campaign, counters, start: date, end: date):
    """(SQL condition on Response joined to CampaignWeek by `in_batches`, {(counter, week):
    batch week} worked out by plan()): the responses whose batch is filed in the period. For
    the comments, which carry their batch's week."""
    weeks_plan = plan(campaign, counters, end)
    filed = weeks_plan.filed_in(start, end)
    worked_out = [and_(Response.submitted_on.between(week, week + timedelta(days=6)),
                       Response.counter_id.in_(ids))
                  for week, ids in _counters_by_week(filed).items()]
    stored = (CampaignWeek.week.between(weeks_plan.summed[0], weeks_plan.summed[-1])
              if weeks_plan.summed else false())
    return or_(and_(CampaignWeek.counter_id.is_not(None), stored), *worked_out), filed


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
