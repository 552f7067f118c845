"""A citizen reports pressure or interference: from the survey and the thank-you, anonymously,
to Home Affairs at the province only — never to the unit's own staff."""

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import local_today
from app.domain.weeks import monday
from app.extensions import db
from app.models import AuditEvent, PressureReport, Unit
from app.reports import periods
from tests.factories import make_counter, make_surveyed_counter, make_unit, make_user, ref
from tests.helpers import csrf_token_of, login, submit


@pytest.fixture
def counter(app):
    with app.app_context():
        counter = make_surveyed_counter()
        province = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)))
        make_user("admin", "admin", province)
        make_user("manager", "manager", counter.unit)
        make_user("unit_admin", "admin", counter.unit)
        return ref(counter)


def test_the_survey_and_the_thank_you_lead_to_the_report(client, counter):
    link = f'href="/q/{counter.code}/phan-anh"'
    assert link in client.get(f"/q/{counter.code}").get_data(as_text=True)
    assert link in submit(client, counter.code).get_data(as_text=True)


def test_a_report_is_stored_with_its_week_only(app, client, counter):
    page = client.get(f"/q/{counter.code}/phan-anh")
    assert "chỉ được gửi đến Sở Nội vụ" in page.get_data(as_text=True)
    done = client.post(f"/q/{counter.code}/phan-anh", data={
        "csrf_token": csrf_token_of(page), "kinds": ["told_what_to_answer", "watched"],
        "text": "Cán bộ đứng cạnh bảo chọn Rất hài lòng."})
    assert "Đã nhận phản ánh" in done.get_data(as_text=True)
    with app.app_context():
        report = db.session.scalars(select(PressureReport)).one()
        assert report.week == monday(local_today()) and report.counter_id == counter.id
        assert report.kinds == "told_what_to_answer,watched"


def test_an_empty_or_too_long_report_is_explained_and_keeps_the_text(client, counter):
    page = client.get(f"/q/{counter.code}/phan-anh")
    empty = client.post(f"/q/{counter.code}/phan-anh", data={"csrf_token": csrf_token_of(page)})
    assert empty.status_code == 422
    assert "chọn ít nhất một việc" in empty.get_data(as_text=True)
    long_text = "x" * 501
    too_long = client.post(f"/q/{counter.code}/phan-anh", data={
        "csrf_token": csrf_token_of(page), "kinds": ["other"], "text": long_text})
    html = too_long.get_data(as_text=True)
    assert too_long.status_code == 422 and "tối đa 500 ký tự" in html and long_text in html
    # An expired page (no valid token) keeps what was written, and says why.
    stale = client.post(f"/q/{counter.code}/phan-anh", data={
        "csrf_token": "stale", "kinds": ["other"], "text": "Bị đòi cà phê."})
    assert stale.status_code == 422 and "Bị đòi cà phê." in stale.get_data(as_text=True)
    assert "bấm Gửi phản ánh một lần nữa" in stale.get_data(as_text=True)


def test_only_home_affairs_sees_reports_listed_in_no_order_of_arrival(app, counter):
    with app.app_context():
        week = monday(periods.last_reportable_day(local_today()))
        written = [f"Phản ánh {n:02d}" for n in range(20)]
        for text in written:
            db.session.add(PressureReport(id=uuid.uuid4(), counter_id=counter.id, week=week,
                                          kinds="pressured", text=text))
        db.session.commit()
    admin = login(app, "admin")
    page = admin.get("/reports/pressure").get_data(as_text=True)
    shown = re.findall(r"Phản ánh \d\d", page)
    assert sorted(shown) == written and shown not in (written, written[::-1])
    assert "Bị ép phải tham gia khảo sát" in page
    rows = list(csv.reader(io.StringIO(admin.get("/reports/pressure.csv").data
                                       .decode("utf-8-sig"))))
    assert len(rows) == 21 and rows[1][0] == "{}-W{:02d}".format(*week.isocalendar()[:2])
    # The dashboard flags the counter for Home Affairs, and says nothing to the unit's staff.
    label = "{}-W{:02d}".format(*week.isocalendar()[:2])
    flag = "20 phản ánh của người dân"
    assert flag in admin.get(f"/reports/?period=week&week={label}").get_data(as_text=True)
    for name in ("manager", "unit_admin"):
        staff = login(app, name)
        assert staff.get("/reports/pressure").status_code == 403
        page = staff.get(f"/reports/?period=week&week={label}").get_data(as_text=True)
        assert flag not in page and "Phản ánh" not in page


def test_the_report_of_another_units_counter_is_not_listed_to_a_lower_admin(app, counter):
    """Home Affairs is the province's admin; an admin of a commune is not, even for reports
    about another commune's counter."""
    with app.app_context():
        province = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)))
        other = make_counter(make_unit("XAK", "UBND xã Khác", "commune", parent=province), "Q")
        db.session.add(PressureReport(id=uuid.uuid4(), counter_id=other.id,
                                      week=monday(local_today()) - timedelta(days=7),
                                      kinds="other", text="Khác"))
        db.session.commit()
    assert login(app, "unit_admin").get("/reports/pressure").status_code == 403
    assert "Khác" in login(app, "admin").get("/reports/pressure").get_data(as_text=True)


def test_home_affairs_follows_a_report_up_and_the_unit_never_learns_of_it(app, counter):
    """A report is new; Home Affairs marks it in progress, then done, with a note: the
    dashboard counts the open ones at once (this week's too), the CSV carries the status, the
    audit log records the steps under no unit (a unit's admin sees none of it)."""
    with app.app_context():
        report_id = uuid.uuid4()
        db.session.add(PressureReport(id=report_id, counter_id=counter.id,
                                      week=monday(local_today()), kinds="watched",
                                      text="Cán bộ đứng nhìn."))
        db.session.commit()
    admin = login(app, "admin")
    dashboard = admin.get("/reports/").get_data(as_text=True)
    assert "1 phản ánh của người dân về ép buộc, can thiệp chưa xử lý xong" in dashboard
    page = admin.get("/reports/pressure")
    html = page.get_data(as_text=True)
    assert "Mới" in html and "Ghi chú xử lý" in html
    prefix = report_id.hex
    token = csrf_token_of(page)

    def follow(status: str, note: str):
        return admin.post(f"/reports/pressure/{report_id}", data={
            f"{prefix}-csrf_token": token, f"{prefix}-status": status,
            f"{prefix}-note": note}, follow_redirects=True)

    assert "Đã lưu tình trạng" in follow("in_progress", "Đã gọi lãnh đạo phường").get_data(
        as_text=True)
    assert "1 phản ánh" in admin.get("/reports/").get_data(as_text=True)  # still open
    assert "Not a valid choice" not in follow("made_up", "").get_data(as_text=True)
    follow("done", "Đã nhắc nhở cán bộ; đã kiểm tra lại quầy.")
    assert "chưa xử lý xong" not in admin.get("/reports/").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(admin.get("/reports/pressure.csv").data
                                       .decode("utf-8-sig"))))
    assert rows[0][-2:] == ["Tình trạng", "Ghi chú xử lý"]
    assert rows[1][-2:] == ["Đã xử lý", "Đã nhắc nhở cán bộ; đã kiểm tra lại quầy."]
    with app.app_context():
        stored = db.session.get(PressureReport, report_id)
        assert (stored.status, stored.note) == ("done", "Đã nhắc nhở cán bộ; đã kiểm tra lại "
                                                        "quầy.")
        steps = db.session.execute(select(AuditEvent.action, AuditEvent.unit_id).where(
            AuditEvent.object_type == "pressure_report")).all()
        assert steps == [("follow-up", None), ("follow-up", None)]  # the made-up one refused
    unit_admin = login(app, "unit_admin")
    assert "Phản ánh" not in unit_admin.get("/admin/audit").get_data(as_text=True)
    token = csrf_token_of(unit_admin.get("/staff/tallies"))
    assert unit_admin.post(f"/reports/pressure/{report_id}", data={
        f"{prefix}-csrf_token": token, "csrf_token": token,
        f"{prefix}-status": "done"}).status_code == 403
