"""The operator's commands: flask --app wsgi seed-demo, create-user, list-counters, ..."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.clock import local_today
from app.extensions import db
from app.models import AuditEvent, Campaign, Counter, Questionnaire, Unit, UsedTicket, User
from tests.factories import make_unit
from tests.helpers import count_rows


def test_seed_demo_builds_a_small_province_once(app, runner):
    first = runner.invoke(args=["seed-demo", "--history-days", "0"])
    assert first.exit_code == 0, first.output
    assert "Demo data created." in first.output
    with app.app_context():
        assert count_rows(app, Counter) >= 8
        names = set(db.session.scalars(select(Unit.name)))
        assert "Trung tâm Phục vụ hành chính công tỉnh Bình An" in names
        assert {"UBND xã An Phú", "UBND phường Bình Minh"} <= names
        counters = set(db.session.scalars(select(Counter.name)))
        assert {"Quầy Sở Kế hoạch và Đầu tư số 1", "Quầy Sở Tư pháp số 1"} <= counters
        post = db.session.scalar(select(Counter).where(Counter.operator.is_not(None)))
        assert "Bưu điện" in post.operator
        campaign = db.session.scalars(select(Campaign)).one()
        assert campaign.status == "active" and campaign.target_rate > 0
        assert campaign.starts_on <= local_today() <= campaign.ends_on
        assert count_rows(app, Questionnaire) == 2  # versions 1 and 2
    again = runner.invoke(args=["seed-demo", "--history-days", "0"])
    assert "already present" in again.output
    with app.app_context():
        assert count_rows(app, Unit) == len(names) and count_rows(app, Campaign) == 1


def test_demo_survey_link_opens_a_survey(app, runner, client):
    runner.invoke(args=["seed-demo", "--history-days", "0"])
    listing = runner.invoke(args=["list-counters"])
    assert listing.exit_code == 0
    lines = listing.output.strip().splitlines()
    assert len(lines) >= 8
    url = lines[0].split()[0]
    assert url.startswith("https://khaosat.example.vn/q/")
    page = client.get(url.removeprefix("https://khaosat.example.vn"))
    assert page.status_code == 200 and "Không tham gia" in page.get_data(as_text=True)


def test_list_counters_of_one_unit_only(app, runner):
    runner.invoke(args=["seed-demo", "--history-days", "0"])
    listing = runner.invoke(args=["list-counters", "--unit", "XAANPHU"])
    assert listing.output.count("/q/") == 1 and "UBND xã An Phú" in listing.output
    unknown = runner.invoke(args=["list-counters", "--unit", "NOPE"])
    assert unknown.exit_code != 0 and "No unit with code NOPE" in unknown.output


def test_create_user_reads_the_password_from_stdin_and_audits(app, runner):
    runner.invoke(args=["seed-demo", "--history-days", "0"])
    result = runner.invoke(
        args=["create-user", "lan.nguyen", "--role", "manager", "--unit", "XAANPHU",
              "--password-stdin"],
        input="một mật khẩu dài\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created manager 'lan.nguyen' for unit XAANPHU." in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "lan.nguyen"))
        assert user.role == "manager" and user.unit.code == "XAANPHU" and user.active
        assert check_password_hash(user.password_hash, "một mật khẩu dài")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "user",
                                                           AuditEvent.object_id == str(user.id)))
        assert (event.actor, event.action, event.after["username"]) == ("cli", "create",
                                                                        "lan.nguyen")


def test_create_user_prompts_for_the_password_twice(app, runner):
    with app.app_context():
        make_unit()
    result = runner.invoke(args=["create-user", "admin1", "--role", "admin", "--unit", "TINH"],
                           input="correct horse battery\ncorrect horse battery\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "Created admin 'admin1'" in result.output


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["ghost", "--role", "clerk", "--unit", "NOPE"], "long enough pw",
         "Không có đơn vị mã NOPE"),
        (["shorty", "--role", "clerk", "--unit", "TINH"], "short", "Mật khẩu cần ít nhất 10"),
        (["taken", "--role", "clerk", "--unit", "TINH"], "long enough pw", "đã có"),
        (["x", "--role", "boss", "--unit", "TINH"], "long enough pw", "Invalid value for '--role'"),
    ],
)
def test_create_user_refuses_bad_requests_clearly(app, runner, args, password, message):
    with app.app_context():
        make_unit("TINH")
    runner.invoke(args=["create-user", "taken", "--role", "clerk", "--unit", "TINH",
                        "--password-stdin"], input="long enough pw\n")
    result = runner.invoke(args=["create-user", *args, "--password-stdin"], input=password + "\n")
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert count_rows(app, User) == 1


def test_load_questionnaires_is_idempotent(app, runner):
    first = runner.invoke(args=["load-questionnaires"])
    second = runner.invoke(args=["load-questionnaires"])
    for version in (1, 2):  # every version stays: responses keep the one they answered
        assert f"sipas-short v{version}: loaded" in first.output
        assert f"sipas-short v{version}: unchanged" in second.output
    with app.app_context():
        assert count_rows(app, Questionnaire) == 2


def test_purge_tickets_keeps_those_a_link_could_still_use(app, runner):
    """Tickets live as long as an invitation's link may still answer under its return day:
    INVITATION_RETURNED_WITHIN_DAYS + INVITATION_VALID_DAYS (7 + 7), not the 2 asked for."""
    with app.app_context():
        today = local_today()
        for i, age in enumerate((0, 1, 2, 3, 10, 14, 15, 30)):
            db.session.add(UsedTicket(ticket_hash=f"{i:064d}", outcome="completed",
                                      used_on=today - timedelta(days=age)))
        db.session.commit()
    result = runner.invoke(args=["purge-tickets"])
    assert f"Deleted 2 tickets older than {today - timedelta(days=14)}" in result.output
    with app.app_context():
        assert count_rows(app, UsedTicket) == 6
