"""Eligible-return tallies (the denominator) per counter and day: checked, stored, audited.

A typed tally replaces the day's figures; an import (rows read by app/staff/tally_files.py) is
all or nothing: one bad row rejects the file, with every problem listed by row number.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app import figures
from app.domain import RowsRejected
from app.domain.audit import log_change
from app.domain.campaigns import campaign_covering
from app.domain.quarantine import hold_found
from app.domain.weeks import monday, resum_counter_week
from app.extensions import db
from app.models import Counter, Tally, Unit, User


@dataclass(frozen=True)
class TallyCounts:
    returned: int
    immediate: int
    online: int
    postal: int

    @property
    def eligible(self) -> int:
        return figures.eligible(self.returned, self.immediate, self.online, self.postal)


@dataclass(frozen=True)
class TallyRow:
    """One data row of an import file: its row number and what it says, or why it cannot be read."""

    number: int
    code: str = ""
    day: date | None = None
    counts: TallyCounts | None = None
    problem: str | None = None


class TallyRejected(RowsRejected):
    """Numbers refused, typed or imported; `problems` lists (row number, reason), 0 = no row."""


@dataclass
class ImportResult:
    added: int = 0
    replaced: int = 0


MAX_COUNT = 100_000  # results one counter returns in a day: far above any real one


def problems_with(counter: Counter, day: date, counts: TallyCounts, *, today: date) -> list[str]:
    """Why these numbers cannot be a tally of this counter on this day (empty when fine)."""
    problems = []
    parts = (counts.returned, counts.immediate, counts.online, counts.postal)
    if any(n < 0 for n in parts):
        problems.append(_("Số lượng không được âm."))
    elif any(n > MAX_COUNT for n in parts):  # also what a database integer cannot hold
        problems.append(_("Số lượng quá lớn cho một quầy trong một ngày (tối đa %(n)s).",
                          n=f"{MAX_COUNT:,}".replace(",", ".")))
    elif counts.eligible < 0:
        problems.append(_("Tổng trả ngay, trực tuyến và bưu chính không được lớn hơn số đã trả."))
    if day > today:
        problems.append(_("Không nhập số cho ngày trong tương lai."))
    elif campaign_covering(counter, day) is None:
        problems.append(_("Ngày %(day)s không thuộc đợt khảo sát nào của quầy này.",
                          day=day.strftime("%d/%m/%Y")))
    return problems


def _state(tally: Tally) -> dict:
    return {"counter": tally.counter.code, "day": tally.day.isoformat(),
            "returned": tally.returned, "immediate": tally.immediate, "online": tally.online,
            "postal": tally.postal}


def _store(tally: Tally, counts: TallyCounts) -> None:
    tally.returned, tally.immediate = counts.returned, counts.immediate
    tally.online, tally.postal = counts.online, counts.postal


def record_tally(counter: Counter, day: date, counts: TallyCounts, *, actor: User | str,
                 today: date) -> Tally:
    """Store (or replace) one counter's tally for a day, after the checks."""
    problems = problems_with(counter, day, counts, today=today)
    if problems:
        raise TallyRejected([(0, p) for p in problems])
    tally = db.session.get(Tally, (counter.id, day))
    before = _state(tally) if tally else None
    if tally is None:
        tally = Tally(counter=counter, day=day)
        db.session.add(tally)
    _store(tally, counts)
    db.session.flush()
    resum_counter_week(counter.id, day)
    hold_found({(counter.id, day)})  # fewer eligible returns than answers: to review
    log_change(actor=actor, action="record" if before is None else "replace",
               object_type="tally", object_id=f"{counter.code}/{day.isoformat()}",
               unit=counter.unit, before=before, after=_state(tally))
    return tally


@dataclass(frozen=True)
class Checked:
    """A row of an import that passed every check: what it will store."""

    number: int
    counter: Counter
    day: date
    counts: TallyCounts


@dataclass(frozen=True)
class Replacement:
    """A row of an import that would change a tally already stored: before and after."""

    number: int
    counter: Counter
    day: date
    before: TallyCounts
    after: TallyCounts


def check_import(rows: list[TallyRow], *, counters: dict[str, Counter],
                 today: date) -> list[Checked]:
    """Every row checked: the rows to store, or TallyRejected with every problem by row.

    `counters`: code → live counter the importer may touch."""
    problems, checked, seen = [], [], {}
    for row in rows:
        if row.problem:
            problems.append((row.number, row.problem))
            continue
        counter = counters.get(row.code)
        if counter is None:
            problems.append((row.number, _("không có quầy mã %(code)s trong phạm vi của bạn",
                                           code=row.code)))
            continue
        if (row.code, row.day) in seen:
            problems.append((row.number, _("trùng quầy và ngày với dòng %(row)d",
                                           row=seen[row.code, row.day])))
            continue
        seen[row.code, row.day] = row.number
        problems.extend((row.number, p)
                        for p in problems_with(counter, row.day, row.counts, today=today))
        checked.append(Checked(row.number, counter, row.day, row.counts))
    if problems:
        raise TallyRejected(problems)
    if not checked:
        raise TallyRejected([(0, _("Tệp không có dòng số liệu nào."))])
    return checked


def _existing(checked: list[Checked]) -> dict[tuple[int, date], Tally]:
    return {(t.counter_id, t.day): t for t in db.session.scalars(
        select(Tally).where(Tally.counter_id.in_({c.counter.id for c in checked}),
                            Tally.day.in_({c.day for c in checked})))}


def replacements(checked: list[Checked]) -> list[Replacement]:
    """The rows that would change a tally already stored (same numbers: not a change), in the
    file's order. Reads only: the import page shows them and asks before storing."""
    existing = _existing(checked)
    found = []
    for row in checked:
        tally = existing.get((row.counter.id, row.day))
        if tally is not None:
            before = TallyCounts(tally.returned, tally.immediate, tally.online, tally.postal)
            if before != row.counts:
                found.append(Replacement(row.number, row.counter, row.day, before, row.counts))
    return found


def import_tallies(rows: list[TallyRow], *, filename: str, counters: dict[str, Counter],
                   scope: Unit | None, actor: User | str, today: date) -> ImportResult:
    """Check every row, then store all of them or none.

    `counters`: code → live counter the importer may touch; `scope`: the importer's unit (None
    for the operator's CLI), under which the import's audit event is filed. A page asks
    before an import that replaces stored tallies (`replacements`, then `store_import`)."""
    return store_import(check_import(rows, counters=counters, today=today), filename=filename,
                        scope=scope, actor=actor)


def store_import(checked: list[Checked], *, filename: str, scope: Unit | None,
                 actor: User | str) -> ImportResult:
    """Store the checked rows of an import (new tallies, and replacing the stored ones)."""
    result, replaced_before = ImportResult(), []
    existing = _existing(checked)
    for row in checked:
        tally = existing.get((row.counter.id, row.day))
        if tally is None:
            tally = Tally(counter=row.counter, day=row.day)
            db.session.add(tally)
            result.added += 1
        else:
            replaced_before.append(_state(tally))
            result.replaced += 1
        _store(tally, row.counts)
    db.session.flush()
    for counter, day in {(c.counter.id, monday(c.day)) for c in checked}:
        resum_counter_week(counter, day)
    hold_found({(c.counter.id, c.day) for c in checked})
    log_change(actor=actor, action="import", object_type="tally", object_id=filename[:64],
               unit=scope, before={"replaced": replaced_before} if replaced_before else None,
               after={"file": filename, "added": result.added, "replaced": result.replaced})
    return result
