"""Citizens' reports of pressure or interference, for Home Affairs at the province only
(PROVINCE_ONLY in app/auth/scope.py): by unit and ISO week, in the order of their random ids,
never the order they came in."""

from datetime import date, timedelta

from sqlalchemy import func, select

from app.auth.scope import Scope
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


def listing(scope: Scope, *, page: int = 1, per_page: int | None = PER_PAGE):
    """((ISO week, unit name, counter name, kinds, text) …, how many in all) in the scope,
    newest week first."""
    where = (scope.units(),)
    base = (select(PressureReport.week, Unit.name, Counter.name, PressureReport.kinds,
                   PressureReport.text)
            .select_from(PressureReport)
            .join(Counter, Counter.id == PressureReport.counter_id)
            .join(Unit, Unit.id == Counter.unit_id).where(*where))
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    query = base.order_by(PressureReport.week.desc(), PressureReport.id)
    if per_page:
        query = query.limit(per_page).offset((page - 1) * per_page)
    rows = []
    for week, unit, counter, kinds, text in db.session.execute(query):
        year, number, _ = week.isocalendar()
        rows.append((f"{year}-W{number:02d}", unit, counter, kinds.split(",") if kinds else [],
                     text))
    return rows, total
