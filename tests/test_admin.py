"""What Home Affairs admins and unit managers change: units, counters, users, campaigns.
Each change is audited and shows in the audit log."""

import csv
import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.clock import local_today
from app.extensions import db
from app.models import AuditEvent, Campaign, Counter, Questionnaire, Unit, User
from tests.factories import make_counter, make_unit, make_user
from tests.helpers import AuthActions, confirm, login, post


@pytest.fixture
def tree(app):
    with app.app_context():
        province = make_unit("TINH", "Tỉnh Thử")
        district = make_unit("HUYEN", "UBND huyện Thử", "district", parent=province)
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=district)
        center = make_unit("TT", "Trung tâm PVHCC", "center", parent=province)
        make_counter(commune, "Quầy xã")
        make_user("admin", "admin", province)
        make_user("manager", "manager", district)
        from app.domain.questionnaires import load_all

        load_all()
        db.session.commit()
        return {"province": province.id, "district": district.id, "commune": commune.id,
                "center": center.id}


def unit(app, unit_id) -> tuple:
    with app.app_context():
        u = db.session.get(Unit, unit_id)
        return u.name, u.parent_id, u.path, u.active


def test_admin_creates_a_unit_under_another(app, tree):
    admin = login(app, "admin")
    page = post(admin, "/admin/units/new", {"code": "xa-moi", "name": "UBND xã Mới",
                                            "kind": "commune", "parent": tree["district"]})
    assert page.status_code == 303
    with app.app_context():
        new = db.session.scalar(select(Unit).where(Unit.code == "XA-MOI"))
        assert new.parent_id == tree["district"] and new.path == f"/{tree['province']}/" \
            f"{tree['district']}/{new.id}/"
    duplicate = post(admin, "/admin/units/new", {"code": "XA-MOI", "name": "Trùng",
                                                 "kind": "commune", "parent": tree["district"]})
    assert "Mã đơn vị XA-MOI đã có." in duplicate.get_data(as_text=True)


def test_moving_a_unit_moves_its_whole_subtree(app, tree):
    admin = login(app, "admin")
    page = post(admin, f"/admin/units/{tree['district']}", {
        "name": "UBND huyện Thử (mới)", "kind": "district", "parent": tree["center"],
        "active": "y", "code": "HUYEN"})
    assert page.status_code == 303
    name, parent, path, _active = unit(app, tree["district"])
    assert name == "UBND huyện Thử (mới)" and parent == tree["center"]
    assert unit(app, tree["commune"])[2] == f"{path}{tree['commune']}/"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "unit",
                                                           AuditEvent.action == "update"))
        assert event.before["parent"] == "TINH" and event.after["parent"] == "TT"


def test_a_unit_cannot_move_under_its_own_subtree(app, tree):
    from app.domain.org import OrgError, update_unit

    with app.app_context():
        district = db.session.get(Unit, tree["district"])
        with pytest.raises(OrgError, match="cấp dưới"):
            update_unit(district, name=district.name, kind="district",
                        parent=db.session.get(Unit, tree["commune"]), active=True, actor="t")


def test_deactivating_a_unit_retires_its_stickers(app, client, tree):
    with app.app_context():
        code = db.session.scalar(select(Counter.code))
    admin = login(app, "admin")
    asked = post(admin, f"/admin/units/{tree['commune']}", {"name": "UBND xã Thử (mới)",
                                                            "kind": "commune",
                                                            "parent": tree["district"],
                                                            "code": "XA"})
    # First a page saying what it does; nothing has changed yet.
    assert "không nhận phiếu khảo sát nữa" in asked.get_data(as_text=True)
    assert unit(app, tree["commune"])[3] is True and client.get(f"/q/{code}").status_code == 200
    assert confirm(admin, asked).status_code == 303
    assert unit(app, tree["commune"])[0] == "UBND xã Thử (mới)"  # the other fields came along
    assert unit(app, tree["commune"])[3] is False
    assert client.get(f"/q/{code}").status_code == 410


def test_manager_adds_and_renames_counters_in_their_subtree(app, tree):
    manager = login(app, "manager")
    page = post(manager, "/staff/counters/new", {"name": "Quầy 2", "unit": tree["commune"],
                                                 "operator": "Bưu điện huyện"})
    assert page.status_code == 303
    with app.app_context():
        counter = db.session.scalar(select(Counter).where(Counter.name == "Quầy 2"))
        counter_id, old_code = counter.id, counter.code
        assert counter.operator == "Bưu điện huyện"
    post(manager, f"/staff/counters/{counter_id}", {"name": "Quầy trả kết quả",
                                                    "unit": tree["commune"], "active": "y"})
    asked = post(manager, f"/staff/counters/{counter_id}/reissue", {}, "/staff/counters")
    assert "sẽ ngừng hoạt động ngay" in asked.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Counter, counter_id).code == old_code  # not before the yes
    reissued = confirm(manager, asked)
    assert reissued.status_code == 303
    with app.app_context():
        counter = db.session.get(Counter, counter_id)
        assert counter.name == "Quầy trả kết quả" and counter.operator is None
        assert counter.code != old_code
        actions = set(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "counter", AuditEvent.object_id == str(counter_id))))
        assert actions == {"create", "update", "reissue-code"}
    # Outside the manager's subtree: the center is not a choice.
    refused = post(manager, "/staff/counters/new", {"name": "Quầy lạ", "unit": tree["center"]})
    assert "Lựa chọn không hợp lệ." in refused.get_data(as_text=True)


def test_closing_a_counter_asks_first_and_says_the_sticker_stops(app, client, tree):
    with app.app_context():
        counter = db.session.scalar(select(Counter))
        counter_id, code, unit_id = counter.id, counter.code, counter.unit_id
    manager = login(app, "manager")
    asked = post(manager, f"/staff/counters/{counter_id}", {"name": "Quầy đóng",
                                                            "unit": unit_id})  # unticked
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Ngừng hoạt động quầy" in html
    assert f"Tem QR của quầy (mã {code}) sẽ ngừng nhận phiếu ngay" in html
    assert client.get(f"/q/{code}").status_code == 200  # asked, not yet done
    done = confirm(manager, asked)
    assert done.status_code == 303
    assert "tem QR của quầy không còn nhận phiếu" in manager.get(
        done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        closed = db.session.get(Counter, counter_id)
        assert (closed.active, closed.name) == (False, "Quầy đóng")  # the rest came along
    scanned = client.get(f"/q/{code}")
    assert scanned.status_code == 410 and "Quầy đã ngừng khảo sát" in scanned.get_data(
        as_text=True)
    # Saving a closed counter again asks nothing.
    assert post(manager, f"/staff/counters/{counter_id}", {"name": "Quầy đóng",
                                                           "unit": unit_id}).status_code == 303


def test_a_new_account_has_no_unit_until_the_admin_chooses_one(app, tree):
    admin = login(app, "admin")
    form = admin.get("/admin/users/new").get_data(as_text=True)
    unit_select = form.split('name="unit"')[1].split("</select>")[0]
    # Nothing selected: the browser shows the first option, which is no unit.
    assert unit_select.startswith('><option value="">— Chọn đơn vị —</option>')
    assert "selected" not in unit_select
    page = post(admin, "/admin/users/new", {"username": "moi", "role": "clerk", "unit": "",
                                            "password": "mật khẩu ban đầu", "active": "y"})
    html = page.get_data(as_text=True)
    assert "Chọn đơn vị của tài khoản" in html and 'value="moi"' in html  # typed text kept
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "moi")) is None


def test_admin_creates_disables_and_resets_accounts(app, tree):
    admin = login(app, "admin")
    page = post(admin, "/admin/users/new", {"username": "thu", "role": "clerk", "unit": "XA",
                                            "password": "mật khẩu ban đầu", "active": "y"})
    assert page.status_code == 303
    with app.app_context():
        thu = db.session.scalar(select(User).where(User.username == "thu"))
        thu_id = thu.id
    clerk = app.test_client()
    AuthActions(clerk).login("thu", "mật khẩu ban đầu")
    assert clerk.get("/staff/").status_code == 200
    asked = post(admin, f"/admin/users/{thu_id}", {"role": "clerk", "unit": "XA",
                                                   "password": "mật khẩu đặt lại",
                                                   "username": "thu"})
    assert "sẽ bị đăng xuất khỏi mọi thiết bị ngay" in asked.get_data(as_text=True)
    assert clerk.get("/staff/").status_code == 200  # asked, not yet done
    confirm(admin, asked)
    assert clerk.get("/staff/").status_code == 302  # disabled and reset: the session is over
    assert AuthActions(app.test_client()).login("thu", "mật khẩu đặt lại").status_code == 401
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == str(thu_id))
            .order_by(AuditEvent.id)))
    assert actions == ["create", "update", "reset-password"]


def test_an_admin_cannot_lock_themself_out(app, tree):
    admin = login(app, "admin")
    with app.app_context():
        me = db.session.scalar(select(User).where(User.username == "admin")).id
    page = post(admin, f"/admin/users/{me}", {"role": "manager", "unit": "TINH",
                                              "username": "admin", "active": "y"})
    assert "Không thể tự khoá hay tự hạ quyền" in page.get_data(as_text=True)


def _questionnaire(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Questionnaire.id))


def _campaign(app, admin, unit_id, start: date, end: date, target="30") -> int:
    page = post(admin, "/admin/campaigns/new", {
        "name": f"Đợt {start}", "unit": unit_id, "questionnaire": _questionnaire(app),
        "starts_on": start.isoformat(), "ends_on": end.isoformat(), "target_rate": target})
    assert page.status_code == 303, page.get_data(as_text=True)
    return int(page.headers["Location"].rsplit("/", 1)[1])


def test_campaigns_activate_unless_they_overlap_an_active_one(app, tree):
    admin = login(app, "admin")
    with app.app_context():
        today = local_today()
    first = _campaign(app, admin, tree["province"], today, today + timedelta(days=30), "30,5")
    second = _campaign(app, admin, tree["commune"], today + timedelta(days=10),
                       today + timedelta(days=40))
    later = _campaign(app, admin, tree["commune"], today + timedelta(days=31),
                      today + timedelta(days=60))
    post(admin, f"/admin/campaigns/{first}/activate", {}, f"/admin/campaigns/{first}")
    refused = post(admin, f"/admin/campaigns/{second}/activate", {}, f"/admin/campaigns/{second}")
    assert "mỗi đơn vị chỉ có một đợt khảo sát đang diễn ra" in \
        admin.get(refused.headers["Location"]).get_data(as_text=True)
    post(admin, f"/admin/campaigns/{later}/activate", {}, f"/admin/campaigns/{later}")
    with app.app_context():
        status = {c.id: c.status for c in db.session.scalars(select(Campaign))}
        assert status == {first: "active", second: "draft", later: "active"}
        assert db.session.get(Campaign, first).target_rate == Decimal("30.50")
    # Once the overlapping ones are closed, the second may start.
    for closing in (first, later):
        asked = post(admin, f"/admin/campaigns/{closing}/close", {},
                     f"/admin/campaigns/{closing}")
        assert "không mở lại được" in asked.get_data(as_text=True)
        confirm(admin, asked)
    post(admin, f"/admin/campaigns/{second}/activate", {}, f"/admin/campaigns/{second}")
    with app.app_context():
        assert db.session.get(Campaign, second).status == "active"


def test_unit_targets_override_the_default_for_their_subtree(app, tree):
    from app.domain.campaigns import target_for

    admin = login(app, "admin")
    with app.app_context():
        today = local_today()
    campaign = _campaign(app, admin, tree["province"], today, today + timedelta(days=30), "30")
    page = post(admin, f"/admin/campaigns/{campaign}/target",
                {"target-unit": tree["district"], "target-target_rate": "45"},
                f"/admin/campaigns/{campaign}")
    assert page.status_code == 303
    bad = post(admin, f"/admin/campaigns/{campaign}/target",
               {"target-unit": tree["center"], "target-target_rate": "120"},
               f"/admin/campaigns/{campaign}")
    assert "Chỉ tiêu phải từ 0 đến 100%." in admin.get(bad.headers["Location"]).get_data(
        as_text=True)
    with app.app_context():
        c = db.session.get(Campaign, campaign)
        assert target_for(c, db.session.get(Unit, tree["commune"])) == Decimal("45.00")
        assert target_for(c, db.session.get(Unit, tree["center"])) == Decimal("30.00")


def test_an_admin_sets_a_campaigns_sms_budget_and_sees_what_is_used(app, tree):
    admin = login(app, "admin")
    with app.app_context():
        today = local_today()
    campaign = _campaign(app, admin, tree["province"], today, today + timedelta(days=30))
    data = {"name": "Đợt có SMS", "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(), "target_rate": "30"}
    refused = post(admin, f"/admin/campaigns/{campaign}", {**data, "sms_budget": "-5"})
    assert "Số tin nhắn không được âm." in refused.get_data(as_text=True)
    page = post(admin, f"/admin/campaigns/{campaign}", {**data, "sms_budget": "5000"})
    assert page.status_code == 303
    shown = admin.get(page.headers["Location"]).get_data(as_text=True)
    assert 'value="5000"' in shown and "Đã dùng 0 tin nhắn mời." in shown
    with app.app_context():
        assert db.session.get(Campaign, campaign).sms_budget == 5000
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "campaign", AuditEvent.action == "update")).one()
        assert event.after["sms_budget"] == 5000 and event.before["sms_budget"] is None
    post(admin, f"/admin/campaigns/{campaign}", {**data, "sms_budget": ""})  # no limit again
    with app.app_context():
        assert db.session.get(Campaign, campaign).sms_budget is None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("target_rate", "ba mươi", "Chỉ tiêu phải là một số phần trăm"),
    ("ends_on", "2000-01-01", "Ngày kết thúc phải sau ngày bắt đầu."),
])
def test_bad_campaigns_are_explained(app, tree, field, value, message):
    admin = login(app, "admin")
    data = {"name": "Đợt lỗi", "unit": tree["province"], "questionnaire": _questionnaire(app),
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "target_rate": "30", field: value}
    page = post(admin, "/admin/campaigns/new", data)
    assert message in page.get_data(as_text=True)


def test_audit_log_lists_and_filters_changes(app, tree):
    admin = login(app, "admin")
    post(admin, "/admin/units/new", {"code": "XA2", "name": "UBND xã Hai", "kind": "commune",
                                     "parent": tree["district"]})
    page = admin.get("/admin/audit?object_type=unit&actor=admin").get_data(as_text=True)
    assert "XA2" in page and ">create<" not in page
    assert "Tạo đơn vị “UBND xã Hai”" in page  # a sentence, the object by name, not "unit 5"
    none = admin.get("/admin/audit?object_type=campaign").get_data(as_text=True)
    assert "Không có sự kiện nào." in none
    with app.app_context():
        today = local_today()
    in_range = admin.get(f"/admin/audit?since={today}&until={today}").get_data(as_text=True)
    assert "XA2" in in_range
    before = (today - timedelta(days=1)).isoformat()
    out_of_range = admin.get(f"/admin/audit?until={before}").get_data(as_text=True)
    assert "XA2" not in out_of_range


def test_a_unit_gets_its_own_opening_hours_and_bad_ones_are_explained(app, tree):
    admin = login(app, "admin")
    form = {"name": "UBND xã Thử", "kind": "commune", "parent": tree["district"], "code": "XA",
            "active": "y"}
    bad = post(admin, f"/admin/units/{tree['commune']}", {**form, "opening_hours": "7h-11h"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "07:00-11:30,13:30-17:00." in html
    assert 'value="7h-11h"' in html  # what was typed stays
    good = post(admin, f"/admin/units/{tree['commune']}",
                {**form, "opening_hours": "07:00-11:30, 13:30-17:00"})
    assert good.status_code == 303
    with app.app_context():
        from app.domain.integrity import opening_hours

        commune = db.session.get(Unit, tree["commune"])
        assert commune.opening_hours == "07:00-11:30,13:30-17:00"
        assert opening_hours(commune) == "07:00-11:30,13:30-17:00"
        assert opening_hours(commune.parent) == app.config["OFFICE_HOURS"]  # not set above
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "unit")
                                  .order_by(AuditEvent.id.desc()))
        assert event.after == {"opening_hours": "07:00-11:30,13:30-17:00"}


def test_a_new_account_starts_as_a_clerk_and_shows_every_missing_field_at_once(app, tree):
    admin = login(app, "admin")
    form = admin.get("/admin/users/new").get_data(as_text=True)
    assert re.search(r'<option selected value="clerk">|<option value="clerk" selected>', form)
    assert not re.search(r'<option[^>]*selected[^>]*value="admin"', form)
    page = post(admin, "/admin/users/new", {"username": "", "role": "clerk", "unit": "XA",
                                            "password": ""})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # Both the empty username and the missing password are named on the first attempt.
    assert "Nhập mật khẩu ban đầu cho tài khoản." in html
    assert html.count('class="error"') >= 2
    short = post(admin, "/admin/users/new", {"username": "lan", "role": "clerk", "unit": "XA",
                                             "password": "short"})
    assert "Mật khẩu cần ít nhất" in short.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "lan")) is None


def test_targets_are_written_as_the_pages_language_writes_numbers(app, tree):
    admin = login(app, "admin")
    with app.app_context():
        today = local_today()
    campaign = _campaign(app, admin, tree["province"], today, today + timedelta(days=30), "30,5")
    post(admin, f"/admin/campaigns/{campaign}/target",
         {"target-unit": tree["district"], "target-target_rate": "45"},
         f"/admin/campaigns/{campaign}")
    listing = admin.get("/admin/campaigns").get_data(as_text=True)
    assert "30,50%" in listing and "30.50" not in listing
    assert "30.50%" in admin.get("/admin/campaigns?lang=en").get_data(as_text=True)
    form = admin.get(f"/admin/campaigns/{campaign}").get_data(as_text=True)
    assert 'value="30,5"' in form and "45,00%" in form  # the field, and the unit's own target


def test_the_audit_log_shows_what_changed_in_words_and_keeps_the_raw_record(app, tree):
    admin = login(app, "admin")
    post(admin, f"/admin/units/{tree['commune']}", {"name": "UBND xã Thử Mới", "kind": "commune",
                                                    "parent": tree["district"], "code": "XA",
                                                    "active": "y"})
    html = admin.get("/admin/audit?object_type=unit").get_data(as_text=True)
    # Only the changed field, before → after; nothing unchanged, no JSON.
    update = next(row for row in html.split("<tr>") if "Sửa đơn vị “UBND xã Thử Mới”" in row)
    assert "tên:</span> UBND xã Thử → UBND xã Thử Mới" in update
    assert "loại:" not in update and '{"' not in html
    english = admin.get("/admin/audit?object_type=unit&lang=en").get_data(as_text=True)
    assert "name:</span> UBND xã Thử → UBND xã Thử Mới" in english
    assert "Edited unit “UBND xã Thử Mới”" in english
    raw = admin.get("/admin/audit.csv?object_type=unit")
    assert raw.status_code == 200 and raw.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(raw.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["id", "at_utc", "actor", "action"]
    update = next(r for r in rows[1:] if r[3] == "update")
    assert json.loads(update[7])["name"] == "UBND xã Thử" and json.loads(update[8])["kind"] == \
        "commune"


def test_usernames_are_plain_and_every_csv_cell_is_guarded_against_formulas(app, tree):
    """An account named like a formula is refused with the rule in words (the form keeps
    what was entered); an actor stored before the rule is written to audit.csv as text."""
    admin = login(app, "admin")
    page = post(admin, "/admin/users/new", {"username": '=HYPERLINK("http://x")',
                                            "role": "manager", "unit": "XA",
                                            "password": "mật khẩu đủ dài"})
    html = page.get_data(as_text=True)
    assert "chỉ gồm chữ cái không dấu, chữ số" in html
    assert 'value="=HYPERLINK(&#34;http://x&#34;)"' in html or "=HYPERLINK(&#34;" in html
    assert re.search(r'<option selected value="manager">|<option value="manager" selected>',
                     html)
    for bad in ("ab", "a" * 65, "nguyễn", "an toan"):
        refused = post(admin, "/admin/users/new", {"username": bad, "role": "clerk",
                                                   "unit": "XA", "password": "mật khẩu đủ dài"})
        assert "chỉ gồm chữ cái không dấu" in refused.get_data(as_text=True), bad
    made = post(admin, "/admin/users/new", {"username": "Nguyen.Van-An_2", "role": "clerk",
                                            "unit": "XA", "password": "mật khẩu đủ dài"})
    assert made.status_code in (200, 303)
    with app.app_context():
        assert db.session.scalar(select(User.username).where(
            User.username == "nguyen.van-an_2")) is not None
        assert db.session.scalar(select(func.count()).select_from(User).where(
            User.username.contains("HYPERLINK"))) == 0
        db.session.add(AuditEvent(actor='=HYPERLINK("http://x")', action="update",
                                  object_type="unit", object_id=tree["commune"],
                                  unit_id=tree["commune"], after={"name": "@SUM(A1)"}))
        db.session.commit()
    raw = admin.get("/admin/audit.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert [r[2] for r in rows[1:] if "HYPERLINK" in r[2]] == ['\'=HYPERLINK("http://x")']
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_every_csv_and_xlsx_row_is_written_through_one_guard():
    """CSV writers and XLSX rows are made in app/spreadsheets.py only, so a new export
    cannot forget the formula guard."""
    from pathlib import Path

    root = Path(__file__).parent.parent / "app"
    writers = {str(p.relative_to(root)) for p in root.rglob("*.py")
               if re.search(r"csv\.writer\(|csv\.DictWriter\(|\bsheet\.append\(|\bws\.append\(",
                            p.read_text(encoding="utf-8"))}
    assert writers == {"spreadsheets.py"}


def test_each_audit_event_reads_as_a_sentence_with_names_figures_and_dates(app, tree):
    """Units by name (not their code), a target as the page writes percentages, dates as
    dd/mm/yyyy, in both languages."""
    admin = login(app, "admin")
    with app.app_context():
        today = local_today()
    campaign = _campaign(app, admin, tree["province"], today, today + timedelta(days=30))
    post(admin, f"/admin/campaigns/{campaign}/target",
         {"target-unit": tree["district"], "target-target_rate": "35"},
         f"/admin/campaigns/{campaign}")
    post(admin, "/admin/users/new", {"username": "lan", "role": "clerk", "unit": "XA",
                                     "password": "mật khẩu đủ dài"})
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert f"Đặt chỉ tiêu 35,00% cho “UBND huyện Thử” trong đợt “Đợt {today}”" in html
    assert "Tạo tài khoản “lan”: Công chức một cửa, “UBND xã Thử”" in html
    assert f"từ ngày:</span> {today:%d/%m/%Y}" in html  # the new campaign's details
    events = [row for row in html.split("<tr>") if "chỉ tiêu 35" in row or "“lan”" in row]
    assert len(events) == 2 and not any("35.00" in e or "XA" in e or "HUYEN" in e
                                        for e in events), events
    english = admin.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Set a target of 35.00% for “UBND huyện Thử” in campaign “Đợt" in english
