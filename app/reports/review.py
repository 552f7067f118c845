"""What Home Affairs reviews: counter-days the survey flagged, and the days set aside
(app/domain/quarantine.py does the setting aside)."""

from datetime import date, timedelta

from sqlalchemy import func, or_, select

from app.auth.scope import Scope
from app.domain.integrity import COUNTS
from app.extensions import db
from app.models import Counter, IntegrityDay, QuarantinedDay, ResponseDay, Unit

RECENT_DAYS = 35


def flagged_days(scope: Scope, today: date) -> list[dict]:
    """Counter-days of the last RECENT_DAYS in the scope with any integrity count, newest
    first, with their answers still counted and whether they are set aside."""
    since = today - timedelta(days=RECENT_DAYS)
    answers = (select(ResponseDay.counter_id, ResponseDay.day,
                      func.sum(ResponseDay.responses).label("responses"))
               .where(ResponseDay.day >= since)  # not the whole table's history
               .group_by(ResponseDay.counter_id, ResponseDay.day).subquery())
    query = (select(IntegrityDay, Counter.name, Counter.code, Unit.name, answers.c.responses,
                    QuarantinedDay.responses)
             .join(Counter, Counter.id == IntegrityDay.counter_id)
             .join(Unit, Unit.id == Counter.unit_id)
             .outerjoin(answers, (answers.c.counter_id == IntegrityDay.counter_id)
                        & (answers.c.day == IntegrityDay.day))
             .outerjoin(QuarantinedDay, (QuarantinedDay.counter_id == IntegrityDay.counter_id)
                        & (QuarantinedDay.day == IntegrityDay.day))
             .where(scope.units(), IntegrityDay.day >= since,
                    or_(*(getattr(IntegrityDay, name) > 0 for name in COUNTS)))
             .order_by(IntegrityDay.day.desc(), Unit.path, Counter.name))
    return [{"counter_id": row.counter_id, "day": row.day, "counter": counter, "code": code,
             "unit": unit, "responses": int(responses or 0), "held": held,
             "counts": {name: getattr(row, name) for name in COUNTS if getattr(row, name)}}
            for row, counter, code, unit, responses, held in db.session.execute(query)]


def counter_days(counter_id: int, start: date, end: date) -> list[tuple]:
    """A counter's days held in the period: (day, responses, status), newest first."""
    return db.session.execute(
        select(QuarantinedDay.day, QuarantinedDay.responses, QuarantinedDay.status)
        .where(QuarantinedDay.counter_id == counter_id,
               QuarantinedDay.day.between(start, end))
        .order_by(QuarantinedDay.day.desc())).all()


def held_days(scope: Scope) -> list[tuple]:
    """Days held in the scope, pending review or set aside: (counter id, day, counter, unit,
    responses, reason, status)."""
    return db.session.execute(
        select(QuarantinedDay.counter_id, QuarantinedDay.day, Counter.name, Unit.name,
               QuarantinedDay.responses, QuarantinedDay.reason, QuarantinedDay.status)
        .join(Counter, Counter.id == QuarantinedDay.counter_id)
        .join(Unit, Unit.id == Counter.unit_id)
        .where(scope.units()).order_by(QuarantinedDay.day.desc())).all()
