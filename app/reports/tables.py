"""The report a screen, an export and the PDF all show: plain rows with every figure computed
by app/figures.py, for one unit's subtree, one campaign and one period.

Small groups: any breakdown of answers (satisfaction, the factors, comments) over fewer than K
responses is hidden ("< K phiếu"). Because a unit's figure is the sum of its rows (its sub-units
and its own counters), hiding one row alone would not do: the unit minus the shown rows would
give it away. So in every such table, the hidden rows together hold at least K responses (the
smallest other rows are hidden with them), and when a unit itself is hidden its rows are too, as
far as it takes. The decision is made once for the whole campaign tree, top down, so a unit is
hidden or shown alike on its parent's page and on its own. Counts of responses and eligible
returns are never hidden.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app import figures
from app.domain.campaigns import target_for
from app.models import Campaign, Counter, Unit
from app.reports.queries import Counts, counts_by_counter, tree_of

FLAG_IMPOSSIBLE = "responses_exceed_eligible"  # R > E: cannot happen in an honest count
FLAG_UNTALLIED = "untallied_days"  # responses on days without a tally


@dataclass
class Row:
    """One line of a report table: a unit rolled up over its subtree, or one counter."""

    kind: str  # "unit" or "counter"
    id: int
    name: str
    code: str
    counts: Counts
    target: Decimal
    operator: str | None = None
    parent: str | None = None  # the name of the unit it belongs to
    has_children: bool = False
    suppressed: bool = False  # satisfaction hidden (small group)
    flags: list[str] = field(default_factory=list)

    @property
    def rate(self) -> figures.ResponseRate:
        return figures.ResponseRate(self.counts.responses, self.counts.eligible)

    @property
    def status(self) -> str:
        return figures.target_status(self.rate, self.target)

    @property
    def needed(self) -> int | None:
        return figures.responses_needed(self.rate, self.target)

    @property
    def satisfaction(self) -> Decimal | None:
        if self.suppressed:
            return None
        return figures.satisfaction_rate(self.counts.satisfied, self.counts.answered_overall)

    @property
    def interval(self) -> tuple[Decimal, Decimal] | None:
        if self.suppressed:
            return None
        return figures.wilson_interval(self.counts.satisfied, self.counts.answered_overall)


    def compared_with(self, other: "Row") -> str | None:
        """"higher" / "lower" than `other` beyond chance (95 % intervals apart), "same" when
        they cannot be told apart, None when either is hidden."""
        if self.interval is None or other.interval is None:
            return None
        if not figures.can_tell_apart(self.interval, other.interval):
            return "same"
        return "higher" if self.interval[0] > other.interval[1] else "lower"


@dataclass
class Report:
    campaign: Campaign
    start: date
    end: date
    k: int
    top: Row
    rows: list[Row]  # the top's child units, then the counters attached to the top itself
    trail: list[Unit]  # breadcrumbs: from the report's root down to the top
    counter_ids: list[int] = field(default_factory=list)  # every counter under the top
    unit_rows: list[Row] = field(default_factory=list)  # the top and every unit below, in order
    counter_rows: list[Row] = field(default_factory=list)  # every counter below the top


def unit_report(campaign: Campaign, root: Unit, top: Unit, start: date, end: date,
                k: int) -> Report:
    """The figures of `top` and of each unit and counter right below it.

    `root` is where the viewer's report starts (breadcrumbs begin there); `top` lies in it.
    The whole campaign tree is counted, so that hiding is decided alike on every page.
    """
    units, counters = tree_of(campaign.unit)
    per_counter = counts_by_counter(campaign, campaign.unit, start, end)
    by_id = {u.id: u for u in units}
    totals = {u.id: Counts() for u in units}
    for counter in counters:
        counts = per_counter.get(counter.id)
        if counts is not None:
            for unit_id in by_id[counter.unit_id].ancestor_ids():
                if unit_id in totals:
                    totals[unit_id].add(counts)
    child_units: dict[int, list[Unit]] = {}
    own_counters: dict[int, list[Counter]] = {}
    for unit in units:
        child_units.setdefault(unit.parent_id, []).append(unit)
    for counter in counters:
        own_counters.setdefault(counter.unit_id, []).append(counter)

    def unit_row(unit: Unit) -> Row:
        return _flagged(Row(kind="unit", id=unit.id, name=unit.name, code=unit.code,
                            counts=totals[unit.id],
                            target=target_for(campaign, unit),
                            parent=unit.parent.name if unit.parent else None,
                            has_children=bool(child_units.get(unit.id)
                                              or own_counters.get(unit.id))))

    def counter_row(counter: Counter) -> Row:
        return _flagged(Row(kind="counter", id=counter.id, name=counter.name,
                            code=counter.code, counts=per_counter.get(counter.id, Counts()),
                            target=target_for(campaign, by_id[counter.unit_id]),
                            operator=counter.operator, parent=by_id[counter.unit_id].name))

    # Every row once, then the hiding decided top down from the campaign's unit: each table
    # (a unit and the rows right below it) follows the unit's own hiding, set by its parent.
    unit_rows = {u.id: unit_row(u) for u in units}
    counter_rows = {c.id: counter_row(c) for c in counters}

    def rows_under(unit: Unit) -> list[Row]:
        return ([unit_rows[u.id] for u in child_units.get(unit.id, [])]
                + [counter_rows[c.id] for c in own_counters.get(unit.id, [])])

    first = unit_rows[campaign.unit.id]
    first.suppressed = figures.is_suppressed(first.counts.responses, k)
    for unit in units:  # tree order: a parent's table is settled before its children's
        suppress(unit_rows[unit.id], rows_under(unit), k)

    inside = [u for u in units if top.contains(u)]
    under = [c for c in counters if top.contains(by_id[c.unit_id])]
    return Report(campaign=campaign, start=start, end=end, k=k, top=unit_rows[top.id],
                  rows=rows_under(top), trail=[u for u in _lineage(top) if root.contains(u)],
                  counter_ids=[c.id for c in under],
                  unit_rows=[unit_rows[u.id] for u in inside],
                  counter_rows=[counter_rows[c.id] for c in under])


def _lineage(unit: Unit) -> list[Unit]:
    chain = [unit]
    while chain[-1].parent is not None:
        chain.append(chain[-1].parent)
    return chain[::-1]


def _flagged(row: Row) -> Row:
    if row.rate.impossible:  # also E = 0 with R > 0
        row.flags.append(FLAG_IMPOSSIBLE)
    if row.counts.untallied_days:
        row.flags.append(FLAG_UNTALLIED)
    return row


def suppress(total: Row, parts: list[Row], k: int) -> None:
    """Hide the parts' breakdowns below K; then, if any part is hidden or the total is, hide
    the smallest shown parts too until the hidden parts hold K responses between them (or
    all are hidden). `total.suppressed` is already decided, by its own parent's table."""
    for row in parts:
        row.suppressed = figures.is_suppressed(row.counts.responses, k)
    hidden = [r for r in parts if r.suppressed and r.counts.responses > 0]
    if not hidden and not total.suppressed:
        return
    shown = sorted((r for r in parts if not r.suppressed and r.counts.responses > 0),
                   key=lambda r: (r.counts.responses, r.code))
    while shown and sum(r.counts.responses for r in hidden) < k:
        extra = shown.pop(0)
        extra.suppressed = True
        hidden.append(extra)


SORT_KEYS = {
    "name": lambda r: r.name.lower(),
    "eligible": lambda r: r.counts.eligible,
    "responses": lambda r: r.counts.responses,
    "rate": lambda r: r.rate.value,
    "needed": lambda r: r.needed,
    "satisfaction": lambda r: r.satisfaction,
}


def sorted_rows(rows: list[Row], sort: str) -> list[Row]:
    """Rows ordered by a column ("rate", or "-rate" for descending); missing figures last.
    Units stay before counters, as the table reads best that way."""
    descending = sort.startswith("-")
    key = SORT_KEYS.get(sort.lstrip("-"))
    if key is None:
        return rows
    result = []
    for kind in ("unit", "counter"):
        group = [r for r in rows if r.kind == kind]
        present = sorted((r for r in group if key(r) is not None), key=key, reverse=descending)
        result += present + [r for r in group if key(r) is None]
    return result
