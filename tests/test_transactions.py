"""One transaction per request or command: domain operations flush, the caller commits once,
and a request refused half-way leaves nothing behind."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.clock import local_today
from app.domain import accounts, campaigns, org, tallies
from app.domain.questionnaires import latest, load_all
from app.extensions import db
from app.models import AuditEvent, Campaign, Counter, Tally, Unit, User
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import count_rows, login, post


def _unit():
    return db.session.scalar(select(Unit).where(Unit.code == "XA"))


def _counter():
    return db.session.scalar(select(Counter))


def _user():
    return db.session.scalar(select(User))


def _campaign():
    return db.session.scalar(select(Campaign))


OPERATIONS = {
    "add_unit": lambda: org.add_unit(code="MOI", name="Mới", kind="commune",
                                     parent=_unit(), actor="test"),
    "update_unit": lambda: org.update_unit(_unit(), name="Đổi", kind="commune",
                                           parent=_unit().parent, active=True, actor="test"),
    "add_counter": lambda: org.add_counter(unit=_unit(), name="Quầy mới", actor="test"),
    "reissue_code": lambda: org.reissue_code(_counter(), actor="test", today=local_today()),
    "create_user": lambda: accounts.create_user(username="moi", role="clerk", unit=_unit(),
                                                password="mật khẩu dài đủ", actor="test"),
    "create_campaign": lambda: campaigns.create_campaign(
        name="Đợt mới", unit=_unit(), questionnaire=latest("sipas-short"),
        starts_on=local_today(), ends_on=local_today() + timedelta(days=9),
        target_rate=Decimal(10), actor="test"),
    "update_counter": lambda: org.update_counter(_counter(), name="Đổi", unit=_unit(),
                                                 operator=None, active=False, actor="test"),
    "update_user": lambda: accounts.update_user(_user(), role="manager", unit=_unit(),
                                                active=True, actor="test"),
    "reset_password": lambda: accounts.reset_password(_user(), new="mật khẩu mới dài",
                                                      actor="test"),
    "set_status": lambda: campaigns.set_status(_campaign(), "closed", actor="test"),
    "set_target": lambda: campaigns.set_target(_campaign(), _unit(), Decimal(50), actor="test"),
    "update_campaign": lambda: campaigns.update_campaign(
        _campaign(), name="Đổi", starts_on=local_today(), ends_on=local_today(),
        target_rate=Decimal(5), actor="test"),
    "record_tally": lambda: tallies.record_tally(
        _counter(), local_today(), tallies.TallyCounts(5, 0, 0, 0), actor="test",
        today=local_today()),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_domain_operations_never_commit(app, name):
    with app.app_context():
        province = make_unit()
        make_counter(make_unit("XA", "UBND xã Thử", "commune", parent=province))
        make_campaign(province)
        make_user("lan", "clerk", province)
        load_all()
        db.session.commit()
        events = count_rows(app, AuditEvent)
        OPERATIONS[name]()
        db.session.flush()
        # What another connection sees: nothing yet, not even the audit event.
        assert count_rows(app, AuditEvent) == events
        db.session.rollback()
    assert count_rows(app, AuditEvent) == events


@pytest.fixture
def accounts_world(app):
    with app.app_context():
        province = make_unit()
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        make_user("admin", "admin", province)
        user = make_user("lan", "clerk", commune)
        return {"user": user.id, "session_version": user.session_version}


def test_a_user_edit_refused_half_way_saves_nothing(app, accounts_world):
    """The role change is made first, then the new password is refused: neither is saved."""
    admin = login(app, "admin")
    events = count_rows(app, AuditEvent)
    page = post(admin, f"/admin/users/{accounts_world['user']}", {
        "username": "lan", "role": "manager", "unit": "TINH", "active": "y",
        "password": "ngắn"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Mật khẩu cần ít nhất 10 ký tự." in body
    assert 'value="manager" selected' in body or 'selected value="manager"' in body
    with app.app_context():
        user = db.session.get(User, accounts_world["user"])
        assert (user.role, user.unit.code) == ("clerk", "XA")
        assert user.session_version == accounts_world["session_version"]
    assert count_rows(app, AuditEvent) == events


def test_a_campaign_refused_by_the_overlap_rule_stays_a_draft(app):
    with app.app_context():
        province = make_unit()
        make_user("admin", "admin", province)
        make_campaign(province)
        draft = make_campaign(province, status="draft")
        draft_id = draft.id
    admin = login(app, "admin")
    events = count_rows(app, AuditEvent)
    post(admin, f"/admin/campaigns/{draft_id}/activate", {}, f"/admin/campaigns/{draft_id}")
    with app.app_context():
        assert db.session.get(Campaign, draft_id).status == "draft"
    assert count_rows(app, AuditEvent) == events


def test_a_rejected_import_stores_no_row(app, tmp_path, runner):
    with app.app_context():
        province = make_unit()
        counter = make_counter(province)
        make_campaign(province)
        code, day = counter.code, local_today().isoformat()
    path = tmp_path / "half.csv"
    path.write_text("date,counter_code,returned,immediate,online,postal\n"
                    f"{day},{code},5,0,0,0\n{day},ZZZZZZZZ,5,0,0,0\n", encoding="utf-8")
    result = runner.invoke(args=["import-tallies", str(path)])
    assert result.exit_code != 0 and "row 3" in result.output
    assert count_rows(app, Tally) == 0
