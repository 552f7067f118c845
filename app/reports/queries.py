"""The few queries every report is built from: per counter, over a campaign and a day range,
read from the daily roll-ups and tallies (never from single responses).

Everything above the counter (units, subtrees, the province) is summed in Python by
app/reports/tables.py, so the database does one grouped scan per table.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, select

from app import figures
from app.extensions import db
from app.models import (
    AnswerDay,
    Campaign,
    Counter,
    DailyFunnel,
    ResponseDay,
    Tally,
    Unit,
)

FUNNEL = ("opened", "declined", "screened_online", "screened_postal", "screened_immediate",
          "completed")


@dataclass
class Counts:
    """What one counter (or, summed, one unit's subtree) holds for a campaign and period."""

    returned: int = 0
    immediate: int = 0
    online: int = 0
    postal: int = 0
    responses: int = 0
    overall: list[int] = field(default_factory=lambda: [0] * 5)  # answers at levels 1 … 5
    untallied_days: int = 0  # days with responses but no tally entered
    funnel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FUNNEL, 0))

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
        self.returned += other.returned
        self.immediate += other.immediate
        self.online += other.online
        self.postal += other.postal
        self.responses += other.responses
        self.overall = [a + b for a, b in zip(self.overall, other.overall, strict=True)]
        self.untallied_days += other.untallied_days
        for step in FUNNEL:
            self.funnel[step] += other.funnel[step]


def _in(root: Unit):
    """Counters of the root's subtree, as a subquery of ids."""
    return select(Counter.id).join(Unit).where(Unit.subtree_of(root))


def counts_by_counter(campaign: Campaign, root: Unit, start: date,
                      end: date) -> dict[int, Counts]:
    """Counts per counter of `root`'s subtree, for the campaign between start and end."""
    counters = _in(root)
    result: dict[int, Counts] = {}

    def of(counter_id: int) -> Counts:
        return result.setdefault(counter_id, Counts())

    tallies = (select(Tally.counter_id, func.sum(Tally.returned), func.sum(Tally.immediate),
                      func.sum(Tally.online), func.sum(Tally.postal))
               .where(Tally.counter_id.in_(counters), Tally.day.between(start, end))
               .group_by(Tally.counter_id))
    for counter_id, returned, immediate, online, postal in db.session.execute(tallies):
        c = of(counter_id)
        c.returned, c.immediate, c.online, c.postal = returned, immediate, online, postal

    levels = [func.sum(getattr(ResponseDay, f"overall_{n}")) for n in range(1, 6)]
    responses = (select(ResponseDay.counter_id, func.sum(ResponseDay.responses), *levels)
                 .where(ResponseDay.campaign_id == campaign.id,
                        ResponseDay.counter_id.in_(counters),
                        ResponseDay.day.between(start, end))
                 .group_by(ResponseDay.counter_id))
    for counter_id, total, *overall in db.session.execute(responses):
        c = of(counter_id)
        c.responses, c.overall = total, [int(n) for n in overall]

    untallied = (select(ResponseDay.counter_id, func.count())
                 .outerjoin(Tally, and_(Tally.counter_id == ResponseDay.counter_id,
                                        Tally.day == ResponseDay.day))
                 .where(ResponseDay.campaign_id == campaign.id,
                        ResponseDay.counter_id.in_(counters),
                        ResponseDay.day.between(start, end), Tally.day.is_(None))
                 .group_by(ResponseDay.counter_id))
    for counter_id, days in db.session.execute(untallied):
        of(counter_id).untallied_days = days

    steps = [func.sum(getattr(DailyFunnel, step)) for step in FUNNEL]
    funnel = (select(DailyFunnel.counter_id, *steps)
              .where(DailyFunnel.counter_id.in_(counters), DailyFunnel.day.between(start, end))
              .group_by(DailyFunnel.counter_id))
    for counter_id, *values in db.session.execute(funnel):
        of(counter_id).funnel = dict(zip(FUNNEL, (int(v) for v in values), strict=True))
    return result


def answer_counts(campaign: Campaign, counter_ids: list[int], start: date,
                  end: date) -> dict[str, dict[int, int]]:
    """{question: {value: responses}} over the given counters, for the satisfaction details."""
    query = (select(AnswerDay.question_key, AnswerDay.value, func.sum(AnswerDay.responses))
             .where(AnswerDay.campaign_id == campaign.id,
                    AnswerDay.counter_id.in_(counter_ids),
                    AnswerDay.day.between(start, end))
             .group_by(AnswerDay.question_key, AnswerDay.value))
    result: dict[str, dict[int, int]] = {}
    for key, value, total in db.session.execute(query):
        result.setdefault(key, {})[value] = int(total)
    return result


def tree_of(root: Unit) -> tuple[list[Unit], list[Counter]]:
    """The units of root's subtree in tree order, and their counters."""
    units = list(db.session.scalars(select(Unit).where(Unit.subtree_of(root))
                                    .order_by(Unit.path)))
    counters = list(db.session.scalars(select(Counter).join(Unit).where(Unit.subtree_of(root))
                                       .order_by(Unit.path, Counter.name, Counter.id)))
    return units, counters
