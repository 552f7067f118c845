"""The report a screen, an export and the PDF all show: plain rows with every figure computed
by app/figures.py, for one unit's subtree, one campaign and one period.

Small groups: a row's satisfaction over fewer than K responses is hidden ("< K phiếu"), and
so is as much of its siblings' as it takes for the hidden part of a shown total to hold at
least K responses (otherwise the parent minus the shown rows would give it away). Counts of
responses and eligible returns are never hidden.
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
    depth: int
    counts: Counts
    target: Decimal
    operator: str | None = None
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


@dataclass
class Report:
    campaign: Campaign
    start: date
    end: date
    k: int
    top: Row
    rows: list[Row]  # the top's child units, then the counters attached to the top itself
    trail: list[Unit]  # breadcrumbs: from the report's root down to the top


def unit_report(campaign: Campaign, root: Unit, top: Unit, start: date, end: date,
                k: int) -> Report:
    """The figures of `top` and of each unit and counter right below it.

    `root` is where the viewer's report starts (breadcrumbs begin there); `top` lies in it.
    """
    units, counters = tree_of(top)
    per_counter = counts_by_counter(campaign, top, start, end)
    totals = {u.id: Counts() for u in units}
    by_id = {u.id: u for u in units}
    for counter in counters:
        counts = per_counter.get(counter.id)
        if counts is None:
            continue
        for unit_id in by_id[counter.unit_id].ancestor_ids():
            if unit_id in totals:
                totals[unit_id].add(counts)

    def unit_row(unit: Unit) -> Row:
        return _flagged(Row(kind="unit", id=unit.id, name=unit.name, code=unit.code,
                            depth=unit.depth, counts=totals[unit.id],
                            target=target_for(campaign, unit),
                            has_children=any(u.parent_id == unit.id for u in units)
                            or any(c.unit_id == unit.id for c in counters)))

    def counter_row(counter: Counter) -> Row:
        return _flagged(Row(kind="counter", id=counter.id, name=counter.name,
                            code=counter.code, depth=top.depth + 1,
                            counts=per_counter.get(counter.id, Counts()),
                            target=target_for(campaign, by_id[counter.unit_id]),
                            operator=counter.operator))

    top_row = unit_row(top)
    rows = ([unit_row(u) for u in units if u.parent_id == top.id]
            + [counter_row(c) for c in counters if c.unit_id == top.id])
    suppress(top_row, rows, k)
    trail = [u for u in _lineage(top) if root.contains(u)]
    return Report(campaign=campaign, start=start, end=end, k=k, top=top_row, rows=rows,
                  trail=trail)


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
    """Hide satisfaction below K, in the total and in its parts, so that the parts hidden
    under a shown total always hold K responses or more between them."""
    total.suppressed = figures.is_suppressed(total.counts.responses, k)
    for row in parts:
        row.suppressed = figures.is_suppressed(row.counts.responses, k)
    if total.suppressed:
        return
    hidden = [r for r in parts if r.suppressed and r.counts.responses > 0]
    if not hidden:
        return
    shown = sorted((r for r in parts if not r.suppressed and r.counts.responses > 0),
                   key=lambda r: (r.counts.responses, r.code))
    while sum(r.counts.responses for r in hidden) < k and shown:
        extra = shown.pop(0)
        extra.suppressed = True
        hidden.append(extra)
    if sum(r.counts.responses for r in hidden) < k:
        total.suppressed = True  # cannot happen while total ≥ K, kept as a guard


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
