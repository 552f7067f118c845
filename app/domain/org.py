"""Operations on the organisation tree: units and counters, and finding a counter by its code."""

from datetime import date, time

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import qr
from app.domain import DomainError
from app.domain.audit import log_change
from app.domain.codes import new_counter_code, normalise_code
from app.extensions import db
from app.models import Counter, RetiredCode, Unit, User
from app.models.org import UNIT_KINDS
from app.privacy import SURVEY_PREFIX


class OrgError(DomainError):
    """A change to units or counters that would break the tree or its codes."""


class HoursError(OrgError):
    """Opening hours that cannot be read."""


def add_unit(*, code: str, name: str, kind: str, parent: Unit | None,
             actor: User | str) -> Unit:
    """Create a unit under `parent` (None for the province) and give it its tree path."""
    code = code.strip().upper()
    if db.session.scalar(select(Unit.id).where(Unit.code == code)):
        raise OrgError(_("Mã đơn vị %(code)s đã có.", code=code))
    if kind not in UNIT_KINDS:
        raise OrgError(_("Loại đơn vị không hợp lệ."))
    unit = Unit(code=code, name=name.strip(), kind=kind, parent=parent)
    db.session.add(unit)
    db.session.flush()  # the path is made of ids
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    log_change(actor=actor, action="create", object_type="unit", object_id=unit.id, unit=unit,
               after=_unit_state(unit))
    return unit


def _unit_state(unit: Unit) -> dict:
    return {"code": unit.code, "name": unit.name, "kind": unit.kind, "active": unit.active,
            "parent": unit.parent.code if unit.parent else None}


def update_unit(unit: Unit, *, name: str, kind: str, parent: Unit | None, active: bool,
                actor: User | str) -> None:
    """Rename, re-kind, move (with its whole subtree) or (de)activate a unit."""
    before = _unit_state(unit)
    if kind not in UNIT_KINDS:
        raise OrgError(_("Loại đơn vị không hợp lệ."))
    if parent is not None and unit.contains(parent):
        raise OrgError(_("Không thể chuyển đơn vị vào chính nó hoặc đơn vị cấp dưới của nó."))
    if (parent is None) != (unit.parent is None):
        raise OrgError(_("Chỉ có một đơn vị gốc (cấp tỉnh)."))
    unit.name, unit.kind, unit.active = name.strip(), kind, active
    if parent is not None and parent.id != unit.parent_id:
        _move(unit, parent)
    after = _unit_state(unit)
    if after != before:
        log_change(actor=actor, action="update", object_type="unit", object_id=unit.id,
                   unit=unit, before=before, after=after)
    db.session.flush()


def parse_hours(text: str) -> list[tuple[time, time]]:
    """"07:00-11:30,13:30-17:00" → [(07:00, 11:30), (13:30, 17:00)]; ValueError if malformed."""
    spans = []
    for part in text.replace(" ", "").split(","):
        first, last = part.split("-")
        start, end = time.fromisoformat(first), time.fromisoformat(last)
        if start >= end:
            raise ValueError(part)
        spans.append((start, end))
    return spans


def set_opening_hours(unit: Unit, text: str | None, *, actor: User | str) -> None:
    """The unit's own opening hours (None or empty: as the unit above it). Answers sent
    outside them are counted, not refused (app/survey/limits.py)."""
    text = (text or "").replace(" ", "") or None
    if text is not None:
        try:
            parse_hours(text)
        except ValueError:
            raise HoursError(_("Giờ làm việc viết như 07:00-11:30,13:30-17:00.")) from None
    if text != unit.opening_hours:
        log_change(actor=actor, action="update", object_type="unit", object_id=unit.id,
                   unit=unit, before={"opening_hours": unit.opening_hours},
                   after={"opening_hours": text})
        unit.opening_hours = text


def _move(unit: Unit, parent: Unit) -> None:
    """Hang `unit` and its whole subtree under `parent`: every path below it is rewritten."""
    old_prefix, new_prefix = unit.path, parent.path + f"{unit.id}/"
    for member in db.session.scalars(select(Unit).where(Unit.subtree_of(unit))):
        member.path = new_prefix + member.path[len(old_prefix):]
    unit.parent = parent


def add_counter(*, unit: Unit, name: str, operator: str | None = None,
                actor: User | str) -> Counter:
    """Create a counter with a fresh public code that no sticker has ever carried."""
    counter = Counter(unit=unit, name=name.strip(), operator=(operator or "").strip() or None,
                      code=_unused_code())
    db.session.add(counter)
    db.session.flush()
    qr.remember(survey_url(counter.code))  # so its first print encodes nothing
    log_change(actor=actor, action="create", object_type="counter", object_id=counter.id,
               unit=unit, after=_counter_state(counter))
    return counter


def _counter_state(counter: Counter) -> dict:
    return {"name": counter.name, "unit": counter.unit.code, "operator": counter.operator,
            "active": counter.active, "code": counter.code}


def update_counter(counter: Counter, *, name: str, unit: Unit, operator: str | None,
                   active: bool, actor: User | str) -> None:
    """Rename, move to another unit, change operator or (de)activate a counter."""
    before = _counter_state(counter)
    counter.name, counter.unit, counter.active = name.strip(), unit, active
    counter.operator = (operator or "").strip() or None
    after = _counter_state(counter)
    if after != before:
        log_change(actor=actor, action="update", object_type="counter", object_id=counter.id,
                   unit=counter.unit, before=before, after=after)
    db.session.flush()


def _unused_code() -> str:
    while True:
        code = new_counter_code()
        taken = db.session.scalar(select(Counter.id).where(Counter.code == code)) or (
            db.session.get(RetiredCode, code)
        )
        if not taken:
            return code


def reissue_code(counter: Counter, *, actor: User | str, today: date) -> str:
    """Retire the counter's code (old stickers then say "no longer in use"); issue a new one."""
    old = counter.code
    db.session.add(RetiredCode(code=old, counter_id=counter.id, retired_on=today))
    counter.code = _unused_code()
    qr.remember(survey_url(counter.code))
    log_change(actor=actor, action="reissue-code", object_type="counter", object_id=counter.id,
               unit=counter.unit, before={"code": old}, after={"code": counter.code})
    return counter.code


def find_by_public_code(raw: str) -> tuple[Counter | None, bool]:
    """Return (live counter, False), or (None, True) for a retired code, or (None, False)."""
    code = normalise_code(raw)
    if code is None:
        return None, False
    counter = db.session.scalar(
        select(Counter).where(Counter.code == code).options(joinedload(Counter.unit)))
    if counter is not None:
        return (counter, False) if counter.is_live else (None, True)
    return None, db.session.get(RetiredCode, code) is not None


def survey_url(code: str) -> str:
    """The absolute survey URL of a counter code: what its sticker encodes, and nothing more."""
    return f"{current_app.config['PUBLIC_BASE_URL']}{SURVEY_PREFIX}{code}"


def province_of(unit: Unit) -> Unit:
    """The unit at the top of `unit`'s tree."""
    return db.session.get(Unit, unit.ancestor_ids()[0])
