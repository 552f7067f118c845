"""Which counters a print run covers: one counter, a unit's subtree, or the whole province."""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.codes import normalise_code
from app.extensions import db
from app.models import Counter, Unit


class SelectionError(ValueError):
    """A unit or counter code that names nothing printable."""


def counters_to_print(*, unit_code: str | None = None,
                      counter_codes: list[str] | tuple[str, ...] = (),
                      within: str = "/") -> list[Counter]:
    """Live counters of the unit's subtree (all units when None), or only the given counters.

    `within` is the path of the subtree the person printing may see (app/auth/scope.py).
    """
    query = (select(Counter).join(Unit).where(Counter.active, Unit.active,
                                              Unit.path.startswith(within))
             .options(selectinload(Counter.unit)).order_by(Unit.path, Counter.name, Counter.id))
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None or not unit.path.startswith(within):
            raise SelectionError(_("Không có đơn vị mã %(code)s.", code=unit_code))
        query = query.where(Unit.path.startswith(unit.path))
    if counter_codes:
        codes = [normalise_code(c) or c for c in counter_codes]
        query = query.where(Counter.code.in_(codes))
        found = db.session.scalars(query).all()
        missing = sorted(set(codes) - {c.code for c in found})
        if missing:
            raise SelectionError(
                _("Không có quầy đang hoạt động mã %(codes)s.", codes=", ".join(missing))
            )
        return list(found)
    return list(db.session.scalars(query))
