"""Citizens' reports of pressure or interference, for Home Affairs at the province only
(PROVINCE_ONLY in app/auth/scope.py): by unit and ISO week, in the order of their random ids,
never the order they came in."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select

from app.auth.scope import Scope
from app.domain.pressure import DONE, OPEN
from app.extensions import db
from app.models import Counter, PressureReport, Unit
from app.reports.queries import per_counter_or_unit

PER_PAGE = 100


def counts_by(counters, start: date, end: date, *, by: str) -> dict[int, int]:
    """How many reports per counter (by="counter") or per the counters' unit (by="unit") in
    the weeks from start to end."""
    query = per_counter_or_unit(PressureReport, counters, func.count(), by=by).where(
        PressureReport.week.between(start - timedelta(days=start.weekday()), end))
    return dict(db.session.execute(query).all())


@dataclass(frozen=True)
class Listed:
    """One report as Home Affairs reads it."""

    id: uuid.UUID
    week: str  # "2026-W47"
    unit: str
    counter: str
    kinds: list[str]
    text: str | None
    status: str
    note: str | None


def open_count(scope: Scope) -> int:
    """Reports in the scope not dealt with yet (new or in progress), whatever their week."""
    return db.session.scalar(
        select(func.count()).select_from(PressureReport)
        .join(Counter, Counter.id == PressureReport.counter_id)
        .join(Unit, Unit.id == Counter.unit_id)
        .where(scope.units(), PressureReport.status.in_(OPEN)))


def listing(scope: Scope, *, page: int = 1,
            per_page: int | None = PER_PAGE) -> tuple[list[Listed], int]:
    """(reports, how many in all) in the scope, open ones first, then newest week first."""
    where = (scope.units(),)
    base = (select(PressureReport.id, PressureReport.week, Unit.name, Counter.name,
                   PressureReport.kinds, PressureReport.text, PressureReport.status,
                   PressureReport.note)
            .select_from(PressureReport)
            .join(Counter, Counter.id == PressureReport.counter_id)
            .join(Unit, Unit.id == Counter.unit_id).where(*where))
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    done_last = case((PressureReport.status == DONE, 1), else_=0)
    query = base.order_by(done_last, PressureReport.week.desc(), PressureReport.id)
    if per_page:
        query = query.limit(per_page).offset((page - 1) * per_page)
    rows = []
    for report_id, week, unit, counter, kinds, text, status, note in db.session.execute(query):
        year, number, _ = week.isocalendar()
        rows.append(Listed(report_id, f"{year}-W{number:02d}", unit, counter,
                           kinds.split(",") if kinds else [], text, status, note))
    return rows, total
