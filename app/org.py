"""Operations on the organisation tree: units and counters, and finding a counter by its code."""

from datetime import date

from flask import current_app
from sqlalchemy import select

from app.audit import log_change
from app.codes import new_counter_code, normalise_code
from app.extensions import db
from app.models import Counter, RetiredCode, Unit


def add_unit(*, code: str, name: str, kind: str, parent: Unit | None = None) -> Unit:
    """Create a unit under `parent` (None for the province) and give it its tree path."""
    unit = Unit(code=code, name=name, kind=kind, parent=parent)
    db.session.add(unit)
    db.session.flush()  # the path is made of ids
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    return unit


def add_counter(*, unit: Unit, name: str, operator: str | None = None) -> Counter:
    """Create a counter with a fresh public code that no sticker has ever carried."""
    counter = Counter(unit=unit, name=name, operator=operator, code=_unused_code())
    db.session.add(counter)
    db.session.flush()
    return counter


def _unused_code() -> str:
    while True:
        code = new_counter_code()
        taken = db.session.scalar(select(Counter.id).where(Counter.code == code)) or (
            db.session.get(RetiredCode, code)
        )
        if not taken:
            return code


def reissue_code(counter: Counter, *, actor, today: date) -> str:
    """Retire the counter's code (old stickers then say "no longer in use"); issue a new one."""
    old = counter.code
    db.session.add(RetiredCode(code=old, counter_id=counter.id, retired_on=today))
    counter.code = _unused_code()
    log_change(actor=actor, action="reissue-code", object_type="counter", object_id=counter.id,
               before={"code": old}, after={"code": counter.code})
    db.session.commit()
    return counter.code


def find_by_public_code(raw: str) -> tuple[Counter | None, bool]:
    """Return (live counter, False), or (None, True) for a retired code, or (None, False)."""
    code = normalise_code(raw)
    if code is None:
        return None, False
    counter = db.session.scalar(select(Counter).where(Counter.code == code))
    if counter is not None:
        return (counter, False) if counter.active and counter.unit.active else (None, True)
    return None, db.session.get(RetiredCode, code) is not None


def survey_url(code: str) -> str:
    """The absolute survey URL of a counter code: what its sticker encodes, and nothing more."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/q/{code}"


def province_of(unit: Unit) -> Unit:
    """The unit at the top of `unit`'s tree."""
    return db.session.get(Unit, unit.ancestor_ids()[0])
