"""The audit log as staff read it: each event a sentence in their language, objects and units
by name, figures and dates formatted, and the fields a change touched, before → after. The raw
record stays downloadable (audit.csv)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import figures
from app.admin.forms import KIND_LABELS, ROLE_LABELS
from app.domain.api_keys import PURPOSES
from app.domain.invitations import REASON_TEXTS
from app.domain.pressure import STATUSES as PRESSURE_STATUSES
from app.extensions import db
from app.models import AuditEvent, Campaign, Counter, Unit, User

# One sentence per kind of event; %(name)s is the object (quoted), the rest come from the
# event's record, formatted (_sentence_values).
SENTENCES = {
    ("unit", "create"): _l("Tạo đơn vị %(name)s"),
    ("unit", "update"): _l("Sửa đơn vị %(name)s"),
    ("counter", "create"): _l("Tạo quầy %(name)s thuộc %(unit)s"),
    ("counter", "update"): _l("Sửa quầy %(name)s"),
    ("counter", "reissue-code"): _l("Cấp mã mới cho quầy %(name)s: %(old)s → %(new)s (tem cũ "
                                    "không còn dùng được)"),
    ("counter", "quarantine"): _l("Tạm loại ngày %(day)s của quầy %(name)s để xem xét "
                                  "(%(responses)s phiếu)"),
    ("counter", "release"): _l("Trả lại ngày %(day)s của quầy %(name)s vào số liệu "
                               "(%(responses)s phiếu)"),
    ("counter", "accept"): _l("Chấp nhận ngày %(day)s của quầy %(name)s (%(responses)s phiếu)"),
    ("user", "create"): _l("Tạo tài khoản %(name)s: %(role)s, %(unit)s"),
    ("user", "update"): _l("Sửa tài khoản %(name)s"),
    ("user", "reset-password"): _l("Đặt lại mật khẩu của tài khoản %(name)s"),
    ("user", "change-password"): _l("Tài khoản %(name)s đổi mật khẩu của mình"),
    ("user", "notifications"): _l("Tài khoản %(name)s đổi các thư báo nhận qua email"),
    ("campaign", "create"): _l("Tạo đợt khảo sát %(name)s của %(unit)s"),
    ("campaign", "update"): _l("Sửa đợt khảo sát %(name)s"),
    ("campaign", "activate"): _l("Bắt đầu đợt khảo sát %(name)s"),
    ("campaign", "close"): _l("Kết thúc đợt khảo sát %(name)s"),
    ("campaign", "publish"): _l("Công khai kết quả đợt khảo sát %(name)s"),
    ("campaign", "unpublish"): _l("Thôi công khai kết quả đợt khảo sát %(name)s"),
    ("campaign", "set-target"): _l("Đặt chỉ tiêu %(target)s cho %(unit)s trong đợt %(name)s"),
    ("tally", "record"): _l("Ghi số hồ sơ trả của quầy %(counter)s ngày %(day)s"),
    ("tally", "replace"): _l("Sửa số hồ sơ trả của quầy %(counter)s ngày %(day)s"),
    ("tally", "import"): _l("Nhập tệp số hồ sơ trả %(file)s: %(added)s dòng mới, %(replaced)s "
                            "dòng thay thế"),
    ("invitation_batch", "preview"): _l("Xem trước tệp hồ sơ đã trả %(file)s: %(rows)s dòng, "
                                        "%(to_send)s tin nhắn sẽ gửi (chưa gửi gì)"),
    ("invitation_batch", "invite"): _l("Gửi tin nhắn mời từ %(file)s: %(rows)s dòng, "
                                       "%(to_send)s tin nhắn"),
    ("api_key", "create"): _l("Tạo khoá API %(key)s (%(purpose)s, bắt đầu bằng %(prefix)s)"),
    ("api_key", "revoke"): _l("Thu hồi khoá API %(key)s"),
    ("pressure_report", "follow-up"): _l("Cập nhật việc xử lý phản ánh số %(id)s"),
}
# Events of a kind without a sentence (none today; an older record, a new kind): the action.
ACTIONS = {
    "create": _l("Tạo mới"), "update": _l("Sửa"), "reissue-code": _l("Cấp mã mới"),
    "activate": _l("Bắt đầu đợt"), "close": _l("Kết thúc đợt"),
    "set-target": _l("Đặt chỉ tiêu riêng"), "record": _l("Ghi số hồ sơ trả"),
    "replace": _l("Sửa số hồ sơ trả"), "import": _l("Nhập tệp số hồ sơ trả"),
    "reset-password": _l("Đặt lại mật khẩu"), "change-password": _l("Đổi mật khẩu"),
    "quarantine": _l("Tạm loại ngày để xem xét"), "release": _l("Trả lại ngày đã xem xét"),
    "accept": _l("Chấp nhận ngày chờ xem xét"), "follow-up": _l("Xử lý phản ánh"),
}
OBJECTS = {"unit": _l("Đơn vị"), "counter": _l("Quầy"), "user": _l("Tài khoản"),
           "campaign": _l("Đợt khảo sát"), "tally": _l("Số hồ sơ trả"),
           "pressure_report": _l("Phản ánh"), "invitation_batch": _l("Mời qua SMS"),
           "api_key": _l("Khoá API")}
ACTORS = {"cli": _l("dòng lệnh trên máy chủ"), "seed-demo": _l("dữ liệu mẫu")}
FIELDS = {
    "name": _l("tên"), "code": _l("mã"), "kind": _l("loại"), "active": _l("hoạt động"),
    "parent": _l("đơn vị cấp trên"), "unit": _l("đơn vị"), "operator": _l("tổ chức vận hành"),
    "role": _l("vai trò"), "username": _l("tên đăng nhập"), "starts_on": _l("từ ngày"),
    "ends_on": _l("đến ngày"), "target_rate": _l("chỉ tiêu"), "status": _l("trạng thái"),
    "questionnaire": _l("phiếu"), "opening_hours": _l("giờ làm việc"),
    "counter": _l("quầy"), "day": _l("ngày"), "returned": _l("đã trả"),
    "immediate": _l("trả ngay"), "online": _l("trực tuyến"), "postal": _l("bưu chính"),
    "file": _l("tệp"), "added": _l("dòng mới"), "replaced": _l("dòng thay thế"),
    "responses": _l("số phiếu"), "reason": _l("lý do"), "target": _l("chỉ tiêu"),
    "sms_budget": _l("ngân sách tin nhắn"), "note": _l("ghi chú"), "purpose": _l("quyền"),
    "prefix": _l("phần đầu của khoá"), "rows": _l("số dòng"), "to_send": _l("tin nhắn"),
    "was": _l("trước đó"), "published": _l("công khai"),
    "publish_counters": _l("công khai từng quầy"), "email": _l("email"),
    "messages": _l("thư nhận"),
}
STATUSES = {"draft": _l("nháp"), "active": _l("đang diễn ra"), "closed": _l("đã kết thúc"),
            "pending": _l("chờ xem xét"), **dict(PRESSURE_STATUSES)}
MODELS = {"unit": Unit, "counter": Counter, "user": User, "campaign": Campaign}
TALLY_COUNTS = ("returned", "immediate", "online", "postal")
PERCENTS = ("target_rate", "target")
DAYS = ("day", "starts_on", "ends_on")
COUNTS = ("returned", "immediate", "online", "postal", "responses", "added", "rows", "to_send",
          "sms_budget")
# Already said by the sentence: not repeated among the details of a new object.
SAID = {"name", "username", "file", "added", "replaced", "rows", "to_send", "day",
        "counter", "responses", "prefix", "purpose", "unit", "role"}


@dataclass(frozen=True)
class Line:
    """One event as the log page shows it."""

    event: AuditEvent
    actor: str
    sentence: str
    changes: list[tuple[str, str, str]]  # (field, before, after), changed fields only


@dataclass
class _Names:
    """Names of what the events mention, read in one query per kind: objects by id, units
    and counters by the codes their records keep."""

    objects: dict[tuple[str, str], str]
    units: dict[str, str]
    counters: dict[str, str]

    def unit(self, code) -> str:
        return _quoted(self.units.get(code, code))

    def counter(self, code) -> str:
        return _quoted(self.counters.get(code, code))


def _quoted(name) -> str:
    return f"“{name}”" if name not in (None, "") else "—"


def _value(key: str, value, names: _Names) -> str:
    locale = str(get_locale())
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("có")) if value else str(_l("không"))
    if key == "role" and value in ROLE_LABELS:
        return str(ROLE_LABELS[value])
    if key == "kind" and value in KIND_LABELS:
        return str(KIND_LABELS[value])
    if key == "status" and value in STATUSES:
        return str(STATUSES[value])
    if key == "purpose" and value in PURPOSES:
        return str(PURPOSES[value])
    if key in ("unit", "parent"):
        return names.unit(value)
    if key == "counter":
        return names.counter(value)
    if key in PERCENTS:
        try:
            return figures.format_percent(Decimal(str(value)), locale, "—")
        except InvalidOperation:
            return str(value)
    if key in DAYS and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if key in COUNTS and isinstance(value, int):
        return figures.format_count(value, locale)
    if key == "excluded" and isinstance(value, dict):
        return "; ".join(f"{REASON_TEXTS.get(reason, reason)}: "
                         f"{figures.format_count(n, locale)}" for reason, n in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def changes(before: dict | None, after: dict | None,
            names: _Names | None = None) -> list[tuple[str, str, str]]:
    """The fields whose value differs, in a stable order: (label, before, after), formatted
    (a new object's fields the sentence already says are left out)."""
    names = names or _Names({}, {}, {})
    before, after = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)
            and not (not before and k in SAID)]
    return [(str(FIELDS.get(k, k)), _value(k, before.get(k), names) if before else "",
             _value(k, after.get(k), names) if after else "") for k in keys]


def _replaced_rows(event: AuditEvent, names: _Names) -> list[tuple[str, str, str]]:
    """An import's replaced tallies as they were before it: one line per counter and day."""
    rows = (event.before or {}).get("replaced") or []
    return [(_("Quầy %(counter)s, ngày %(day)s", counter=names.counter(row.get("counter")),
               day=_value("day", row.get("day"), names)),
             ", ".join(f"{FIELDS[k]} {_value(k, row.get(k), names)}" for k in TALLY_COUNTS),
             _("đã thay")) for row in rows if isinstance(row, dict)]


def _names(events) -> _Names:
    wanted: dict[str, set[int]] = {}
    unit_codes, counter_codes = set(), set()
    for e in events:
        if e.object_type in MODELS and (e.object_id or "").isdigit():
            wanted.setdefault(e.object_type, set()).add(int(e.object_id))
        for record in (e.before or {}, e.after or {}):
            unit_codes.update(str(record[k]) for k in ("unit", "parent") if record.get(k))
            if record.get("counter"):
                counter_codes.add(str(record["counter"]))
            replaced = record.get("replaced")
            if isinstance(replaced, list):  # an import's tallies as they were
                counter_codes.update(str(row.get("counter")) for row in replaced
                                     if isinstance(row, dict))
        if e.object_type == "tally" and "/" in (e.object_id or ""):
            counter_codes.add(e.object_id.split("/")[0])
    objects = {}
    for kind, ids in wanted.items():
        model = MODELS[kind]
        label = model.username if model is User else model.name
        for object_id, name in db.session.execute(select(model.id, label).where(
                model.id.in_(ids))):
            objects[kind, str(object_id)] = name
    units = dict(db.session.execute(select(Unit.code, Unit.name).where(
        Unit.code.in_(unit_codes))).all()) if unit_codes else {}
    counters = dict(db.session.execute(select(Counter.code, Counter.name).where(
        Counter.code.in_(counter_codes))).all()) if counter_codes else {}
    return _Names(objects, units, counters)


def _sentence(e: AuditEvent, names: _Names) -> str:
    """The event as a sentence: its kind's, with the object and the record's values."""
    record = {**(e.before or {}), **(e.after or {})}
    name = (names.objects.get((e.object_type, e.object_id or ""))
            or record.get("name") or record.get("username") or e.object_id)
    template = SENTENCES.get((e.object_type, e.action))
    if template is None:
        kind = str(OBJECTS.get(e.object_type, e.object_type))
        return f"{ACTIONS.get(e.action, e.action)}: {kind} {_quoted(name)}"
    counter, day = record.get("counter"), record.get("day")
    if e.object_type == "tally" and "/" in (e.object_id or ""):
        counter, day = e.object_id.split("/", 1)
    values = {
        "name": _quoted(name), "unit": names.unit(record.get("unit")),
        "counter": names.counter(counter), "day": _value("day", day, names),
        "role": _value("role", record.get("role"), names),
        "target": _value("target", record.get("target_rate", record.get("target")), names),
        "old": (e.before or {}).get("code", "—"), "new": (e.after or {}).get("code", "—"),
        "file": _quoted(record.get("file")), "key": _quoted(record.get("name")),
        "purpose": _value("purpose", record.get("purpose"), names),
        "prefix": record.get("prefix", "—"), "id": e.object_id or "—",
        **{k: _value(k, record.get(k, 0), names) for k in ("responses", "added", "rows",
                                                           "to_send")},
    }
    replaced = (e.after or {}).get("replaced", 0)
    values["replaced"] = _value("added", replaced if isinstance(replaced, int) else 0, names)
    return str(template % values)


def lines(events) -> list[Line]:
    names = _names(events)
    result = []
    for e in events:
        actor = f"{ACTORS[e.actor]} ({e.actor})" if e.actor in ACTORS else e.actor
        if e.object_type == "tally" and e.action == "import":
            details = _replaced_rows(e, names)
        else:
            details = changes(e.before, e.after, names)
        result.append(Line(event=e, actor=actor, sentence=_sentence(e, names), changes=details))
    return result
