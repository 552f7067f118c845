"""Which counters a print run covers: one counter, a unit's subtree, or the whole scope."""

from flask_babel import gettext as _

from app.auth.scope import Scope, live_counters_in_scope, unit_by_code
from app.domain.codes import normalise_code
from app.extensions import db
from app.models import Counter, Unit


class SelectionError(ValueError):
    """A unit or counter code that names nothing printable."""


def counters_to_print(scope: Scope, *, unit_code: str | None = None,
                      counter_codes: list[str] | tuple[str, ...] = ()) -> list[Counter]:
    """Live counters of the scope, of one unit's subtree in it, or only the given counters."""
    query = live_counters_in_scope(scope)
    if unit_code:
        unit = unit_by_code(unit_code, scope)
        if unit is None:
            raise SelectionError(_("Không có đơn vị mã %(code)s.", code=unit_code))
        query = query.where(Unit.subtree_of(unit))
    if counter_codes:
        codes = [normalise_code(c) or c for c in counter_codes]
        found = db.session.scalars(query.where(Counter.code.in_(codes))).all()
        missing = sorted(set(codes) - {c.code for c in found})
        if missing:
            raise SelectionError(
                _("Không có quầy đang hoạt động mã %(codes)s.", codes=", ".join(missing))
            )
        return list(found)
    return list(db.session.scalars(query))
