"""The audit log as staff read it: actions in their language, objects by name, and only the
fields a change touched, before → after. The raw record stays downloadable (audit.csv)."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.admin.forms import KIND_LABELS, ROLE_LABELS
from app.extensions import db
from app.models import AuditEvent, Campaign, Counter, Unit, User

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
           "pressure_report": _l("Phản ánh")}
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
}
STATUSES = {"draft": _l("nháp"), "active": _l("đang diễn ra"), "closed": _l("đã kết thúc")}
MODELS = {"unit": Unit, "counter": Counter, "user": User, "campaign": Campaign}


@dataclass(frozen=True)
class Line:
    """One event as the log page shows it."""

    event: AuditEvent
    actor: str
    action: str
    what: str
    changes: list[tuple[str, str, str]]  # (field, before, after), changed fields only


def _value(key: str, value) -> str:
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
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def changes(before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
    """The fields whose value differs, in a stable order: (label, before, after)."""
    before, after = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return [(str(FIELDS.get(k, k)), _value(k, before.get(k)) if before else "",
             _value(k, after.get(k)) if after else "") for k in keys]


def _names(events) -> dict[tuple[str, str], str]:
    """The current names of the objects the events name, read in one query per kind."""
    wanted: dict[str, set[int]] = {}
    for e in events:
        if e.object_type in MODELS and (e.object_id or "").isdigit():
            wanted.setdefault(e.object_type, set()).add(int(e.object_id))
    names = {}
    for kind, ids in wanted.items():
        model = MODELS[kind]
        label = model.username if model is User else model.name
        for object_id, name in db.session.execute(select(model.id, label).where(
                model.id.in_(ids))):
            names[kind, str(object_id)] = name
    return names


def lines(events) -> list[Line]:
    names = _names(events)
    result = []
    for e in events:
        kind = str(OBJECTS.get(e.object_type, e.object_type))
        name = names.get((e.object_type, e.object_id or "")) or e.object_id or ""
        actor = f"{ACTORS[e.actor]} ({e.actor})" if e.actor in ACTORS else e.actor
        result.append(Line(event=e, actor=actor, action=str(ACTIONS.get(e.action, e.action)),
                           what=f"{kind} {name}".strip(), changes=changes(e.before, e.after)))
    return result
