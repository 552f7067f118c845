"""The report a screen, an export and the PDF all show: plain rows with every figure computed
by app/figures.py, for one unit's subtree, one campaign and one period.

Small groups: a breakdown of answers (satisfaction, the factors, comments) is made only of the
answers released in the period — each counter's whole batches of at least K responses
(SUPPRESSION_K), filed under the week they filled (app/domain/weeks.py). A unit's figure is the
sum of its counters' batches, so a unit minus its shown rows, or one period minus another, is
whole batches too: nothing can be subtracted down to fewer than K people, and no further
hiding is needed. A row with fewer than K answers released shows "< K phiếu". Counts of
responses and eligible returns cover every day of the period and are never hidden.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _

from app import figures
from app.domain import integrity
from app.domain.campaigns import target_for
from app.models import Campaign, Counter, Unit
from app.reports.pressure import counts_by as pressure_counts
from app.reports.queries import (
    Counts,
    add_integrity,
    add_invitations,
    channel_answers,
    counters_under,
    figures_by,
    tree_of,
    units_with_counters,
)

FLAG_IMPOSSIBLE = "responses_exceed_eligible"  # R > E: cannot happen in an honest count
FLAG_UNTALLIED = "untallied_days"  # responses on days without a tally
FLAG_UNOPENED = "completed_exceed_opened"  # answers sent without the form being opened
# And one flag per integrity count (app/domain/integrity.py), named as the count.


@dataclass
class Row:
    """One line of a report table: a unit rolled up over its subtree, or one counter."""

    kind: str  # "unit" or "counter"
    id: int
    name: str
    code: str
    counts: Counts  # every day of the period
    target: Decimal
    k: int
    answers: Counts = field(default_factory=Counts)  # the answers released in the period
    operator: str | None = None
    parent: str | None = None  # the name of the unit it belongs to
    has_children: bool = False
    flags: list[str] = field(default_factory=list)
    # Where invitations were sent: (all, by SMS link) of the answers released in batches shown
    # by channel (queries.channel_answers).
    channels: tuple[Counts, Counts] | None = None

    @property
    def suppressed(self) -> bool:
        """Answers came in, but fewer than K are released in the period: no breakdown."""
        has_any = self.counts.responses > 0 or self.answers.responses > 0
        return has_any and figures.is_suppressed(self.answers.responses, self.k)

    @property
    def rate(self) -> figures.ResponseRate:
        return figures.ResponseRate(self.counts.matched, self.counts.eligible)

    @property
    def pending(self) -> bool:
        """Some of its counter-days are pending review (out of its figures until decided)."""
        return self.counts.pending_days > 0

    @property
    def rate_with_pending(self) -> figures.ResponseRate:
        """The rate as it would be with the days pending review counted in."""
        return figures.ResponseRate(self.counts.matched + self.counts.pending_responses,
                                    self.counts.eligible + self.counts.pending_eligible)

    @property
    def status(self) -> str:
        """A counter with days pending review reads "Cần xem xét"; a unit is judged on its
        figures without them (shown beside, with them)."""
        return figures.target_status(self.rate, self.target,
                                     pending=self.pending and self.kind == "counter")

    @property
    def needed(self) -> int | None:
        return figures.responses_needed(self.rate, self.target)

    @property
    def satisfaction(self) -> Decimal | None:
        if self.suppressed:
            return None
        return figures.satisfaction_rate(self.answers.satisfied, self.answers.answered_overall)

    @property
    def interval(self) -> tuple[Decimal, Decimal] | None:
        if self.suppressed:
            return None
        return figures.wilson_interval(self.answers.satisfied, self.answers.answered_overall)

    @property
    def invited(self) -> bool:
        """Some of its results were followed by an SMS invitation in the period: its figures
        are shown by channel too."""
        return self.counts.invitations["sent"] > 0 or self.counts.invited_matched > 0

    @property
    def channel_rates(self) -> tuple[figures.ResponseRate, figures.ResponseRate]:
        """The response rate by channel: (QR sticker, SMS invitation), over the same E."""
        sticker, invited = figures.by_channel(self.counts.matched, self.counts.invited_matched)
        return (figures.ResponseRate(sticker, self.counts.eligible),
                figures.ResponseRate(invited, self.counts.eligible))

    @property
    def channel_answers(self) -> tuple[int, int, int]:
        """Answers released in the period by channel: (by the sticker, by an SMS link) of the
        batches shown by channel, and those of batches shown for both channels only."""
        both, invited = self.channels or (Counts(), Counts())
        return (both.responses - invited.responses, invited.responses,
                self.answers.responses - both.responses)

    @property
    def channel_satisfaction(self) -> tuple[Decimal | None, Decimal | None]:
        """Satisfaction by channel: (QR sticker, SMS invitation), None where hidden."""
        both, invited = self.channels or (Counts(), Counts())
        return figures.satisfaction_by_channel(both.overall, invited.overall, self.k)

    @property
    def invitations_opened(self) -> Decimal | None:
        """Links opened of the texts sent, in percent."""
        return figures.percent(self.counts.invitations["opened"],
                               self.counts.invitations["sent"])

    @property
    def invitations_answered(self) -> Decimal | None:
        """Links answered of the texts sent, in percent."""
        return figures.percent(self.counts.invitations["answered"],
                               self.counts.invitations["sent"])

    def compared_with(self, other: "Row") -> str | None:
        """"higher" / "lower" than `other` beyond chance (95 % intervals apart), "same" when
        they cannot be told apart, None when either is hidden."""
        if self.interval is None or other.interval is None or self.pending:
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
    counters: object = None  # the counters under the top, as a subquery of ids
    unit_rows: list[Row] = field(default_factory=list)  # the top and every unit below, in order
    counter_rows: list[Row] = field(default_factory=list)  # the counters read (see unit_report)
    counter: Counter | None = None  # a counter's own report (counter_report): the counter


def unit_report(campaign: Campaign, root: Unit, top: Unit, start: date, end: date, *,
                every_counter: bool = False, pressure: bool = False) -> Report:
    """The figures of `top`, of each unit below it, and of the counters attached to `top`
    (with `every_counter`, of every counter below it: the exports list them all). `root` is
    where the viewer's report starts (breadcrumbs begin there); `top` lies in it and in the
    campaign's unit. `pressure`: count citizens' reports of pressure among the flags (for
    Home Affairs only)."""
    k = current_app.config["SUPPRESSION_K"]
    units, counters = tree_of(top, every_counter=every_counter)
    under = counters_under(top)
    # Units are summed from their own counters' sums, counters read one by one only as shown.
    own = figures_by(campaign, under, start, end, by="unit")
    add_integrity(own[0], under, start, end, by="unit")
    add_invitations(own[0], under, start, end, by="unit")
    ids = [c.id for c in counters]
    per_counter, answers = figures_by(campaign, ids, start, end, by="counter") if ids else ({}, {})
    if ids:
        add_integrity(per_counter, ids, start, end, by="counter")
        add_invitations(per_counter, ids, start, end, by="counter")
    if pressure:
        for counts, keys, by in ((own[0], under, "unit"), (per_counter, ids, "counter")):
            for key, n in pressure_counts(keys, start, end, by=by).items():
                counts.setdefault(key, Counts()).integrity[integrity.PRESSURE] = n
    by_id = {u.id: u for u in units}
    with_counters = units_with_counters(top)
    counts_of, answers_of = (_subtree_sums(units, part) for part in own)
    child_units: dict[int, list[Unit]] = {}
    own_counters: dict[int, list[Counter]] = {}
    for unit in units:
        child_units.setdefault(unit.parent_id, []).append(unit)
    for counter in counters:
        own_counters.setdefault(counter.unit_id, []).append(counter)

    def unit_row(unit: Unit) -> Row:
        return _flagged(Row(kind="unit", id=unit.id, name=unit.name, code=unit.code,
                            counts=counts_of.get(unit.id, Counts()),
                            answers=answers_of.get(unit.id, Counts()), k=k,
                            target=target_for(campaign, unit),
                            parent=unit.parent.name if unit.parent else None,
                            has_children=bool(child_units.get(unit.id)
                                              or unit.id in with_counters)))

    def counter_row(counter: Counter) -> Row:
        return _flagged(Row(kind="counter", id=counter.id, name=counter.name,
                            code=counter.code, counts=per_counter.get(counter.id, Counts()),
                            answers=answers.get(counter.id, Counts()), k=k,
                            target=target_for(campaign, by_id[counter.unit_id]),
                            operator=counter.operator, parent=by_id[counter.unit_id].name))

    unit_rows = {u.id: unit_row(u) for u in units}
    counter_rows = {c.id: counter_row(c) for c in counters}
    if unit_rows[top.id].invited:  # satisfaction by channel (else every answer is a sticker's)
        own_channels = channel_answers(campaign, under, start, end, by="unit")
        both, invited = (_subtree_sums(units, {key: parts[n] for key, parts
                                               in own_channels.items()}) for n in (0, 1))
        for unit_id, row in unit_rows.items():
            if unit_id in both:
                row.channels = (both[unit_id], invited[unit_id])
        if ids:
            for counter_id, parts in channel_answers(campaign, ids, start, end,
                                                     by="counter").items():
                counter_rows[counter_id].channels = parts
    return Report(campaign=campaign, start=start, end=end, k=k, top=unit_rows[top.id],
                  rows=([unit_rows[u.id] for u in child_units.get(top.id, [])]
                        + [counter_rows[c.id] for c in own_counters.get(top.id, [])]),
                  trail=[u for u in _lineage(top) if root.contains(u)], counters=under,
                  unit_rows=list(unit_rows.values()), counter_rows=list(counter_rows.values()))


def counter_report(campaign: Campaign, root: Unit, counter: Counter, start: date, end: date,
                   *, pressure: bool = False) -> Report:
    """One counter's own report: its figures and verdict (the top row), for its page, its
    funnel, trend, factors and comments (details.py) and its exports. `root` is where the
    viewer's report starts (breadcrumbs begin there)."""
    k = current_app.config["SUPPRESSION_K"]
    ids = [counter.id]
    counts, answers = figures_by(campaign, ids, start, end, by="counter")
    add_integrity(counts, ids, start, end, by="counter")
    add_invitations(counts, ids, start, end, by="counter")
    if pressure:
        for key, n in pressure_counts(ids, start, end, by="counter").items():
            counts.setdefault(key, Counts()).integrity[integrity.PRESSURE] = n
    top = _flagged(Row(kind="counter", id=counter.id, name=counter.name, code=counter.code,
                       counts=counts.get(counter.id, Counts()),
                       answers=answers.get(counter.id, Counts()), k=k,
                       target=target_for(campaign, counter.unit), operator=counter.operator,
                       parent=counter.unit.name))
    if top.invited:
        top.channels = channel_answers(campaign, ids, start, end, by="counter").get(counter.id)
    return Report(campaign=campaign, start=start, end=end, k=k, top=top, rows=[],
                  trail=[u for u in _lineage(counter.unit) if root.contains(u)],
                  counters=ids, unit_rows=[top], counter=counter)


def _subtree_sums(units: list[Unit], parts: dict[int, Counts]) -> dict[int, Counts]:
    """Each unit's sum of `parts` (per unit, of its own counters) over its subtree; a unit
    whose subtree has none is left out."""
    known, sums = {unit.id for unit in units}, {}
    for unit in units:
        if unit.id in parts:
            for ancestor_id in unit.ancestor_ids():
                if ancestor_id in known:
                    sums.setdefault(ancestor_id, Counts()).add(parts[unit.id])
    return sums


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
    # An invitation's link is opened on its own funnel (invitation_day), not the sticker's.
    if row.counts.funnel["completed"] > (row.counts.funnel["opened"]
                                         + row.counts.invitations["opened"]):
        row.flags.append(FLAG_UNOPENED)
    row.flags += [name for name, n in row.counts.integrity.items() if n
                  and (name != integrity.REFUSED_FAST
                       or integrity.fast_presses_warn(n, row.counts.funnel["opened"]))]
    return row


def flag_labels() -> dict[str, str]:
    """A short name for each integrity count, for the review page's columns."""
    return {
        integrity.REFUSED_TICKET: _("Phiếu không do hệ thống cấp"),
        integrity.REFUSED_FAST: _("Gửi quá nhanh"),
        integrity.REFUSED_LIMIT: _("Quá nhiều từ một nơi (bị chặn)"),
        integrity.REFUSED_REPEAT: _("Cùng điện thoại trả lời lại"),
        integrity.BURST: _("Gửi dồn dập"),
        integrity.IDENTICAL: _("Phiếu giống hệt nhau"),
        integrity.OUTSIDE_HOURS: _("Ngoài giờ làm việc"),
        integrity.ONE_PLACE: _("Nhiều phiếu từ một nơi"),
    }


def flag_texts(row: Row) -> list[str]:
    """Each flag of a row in the reader's language, with its count: for the page and exports."""
    n = row.counts.integrity
    words = {
        FLAG_IMPOSSIBLE: _("Số phiếu nhiều hơn số hồ sơ thuộc diện khảo sát"),
        FLAG_UNTALLIED: _("%(n)d ngày có phiếu nhưng chưa nhập số hồ sơ trả",
                          n=row.counts.untallied_days),
        FLAG_UNOPENED: _("Số phiếu hoàn thành nhiều hơn số lần mở phiếu"),
        integrity.BURST: _("%(n)d phiếu gửi dồn dập (quá nhiều trong ít phút)",
                           n=n[integrity.BURST]),
        integrity.IDENTICAL: _("%(n)d phiếu giống hệt nhiều phiếu khác trong ít phút",
                               n=n[integrity.IDENTICAL]),
        integrity.OUTSIDE_HOURS: _("%(n)d phiếu ngoài giờ làm việc",
                                   n=n[integrity.OUTSIDE_HOURS]),
        integrity.ONE_PLACE: _("%(n)d phiếu gửi từ một nơi đã gửi quá nhiều trong ngày",
                               n=n[integrity.ONE_PLACE]),
        integrity.REFUSED_TICKET: _("%(n)d lượt gửi bị từ chối: phiếu không do hệ thống cấp",
                                    n=n[integrity.REFUSED_TICKET]),
        integrity.REFUSED_FAST: _("%(n)d lượt gửi bị từ chối: gửi quá nhanh sau khi mở",
                                  n=n[integrity.REFUSED_FAST]),
        integrity.REFUSED_LIMIT: _("%(n)d lượt bị từ chối: quá nhiều từ cùng một nơi",
                                   n=n[integrity.REFUSED_LIMIT]),
        integrity.REFUSED_REPEAT: _("%(n)d lượt bị từ chối: cùng điện thoại trả lời lại",
                                    n=n[integrity.REFUSED_REPEAT]),
        integrity.PRESSURE: _("%(n)d phản ánh của người dân về ép buộc, can thiệp",
                              n=n[integrity.PRESSURE]),
        integrity.QUARANTINED: _("%(n)d phiếu đang xem xét (không tính vào số liệu)",
                                 n=n[integrity.QUARANTINED]),
    }
    return [words[flag] for flag in row.flags]


SORT_KEYS = {
    "name": lambda r: r.name.lower(),
    "eligible": lambda r: r.counts.eligible,
    "responses": lambda r: r.counts.matched,
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
