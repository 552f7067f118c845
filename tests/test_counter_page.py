"""A counter's own page: its figures and verdict, funnel, weekly trend, factors, comments,
held days and exports, reached from its unit's table, for whoever may see the counter."""

import csv
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Counter, Unit
from tests.helpers import login


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["seed-demo", "--history-days", "30"]).exit_code == 0
    with app.app_context():
        anphu = db.session.scalar(select(Unit).where(Unit.code == "XAANPHU"))
        counter = db.session.scalars(select(Counter).where(Counter.unit_id == anphu.id)
                                     .order_by(Counter.id)).first()
        return {"counter": counter.id, "name": counter.name, "code": counter.code,
                "unit": anphu.id}


@pytest.mark.parametrize("username", ["admin", "quanly.anphu"])
def test_home_affairs_and_the_units_manager_open_a_counters_page(app, demo, username):
    viewer = login(app, username, "khaosat-demo")
    unit_page = viewer.get(f"/reports/?unit={demo['unit']}").get_data(as_text=True)
    assert f"counter={demo['counter']}" in unit_page  # the unit's table links each counter
    page = viewer.get(f"/reports/?unit={demo['unit']}&counter={demo['counter']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"(mã {demo['code']})" in html and 'aria-current="page">' + demo["name"] in html
    assert "Phễu khảo sát" in html and "Xu hướng theo tuần" in html
    assert "Ngày đang xem xét của quầy" in html
    rows = list(csv.reader(io.StringIO(viewer.get(
        f"/reports/export.csv?counter={demo['counter']}").data.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][1] == demo["code"]  # the counter alone
    details = viewer.get(f"/reports/details?counter={demo['counter']}")
    assert details.status_code == 200 and demo["name"] in details.get_data(as_text=True)


def test_a_clerk_opens_a_counter_of_their_own_unit(app, demo):
    clerk = login(app, "congchuc.ttpvhcc", "khaosat-demo")
    with app.app_context():
        center = db.session.scalar(select(Unit).where(Unit.code == "TTPVHCC"))
        own = db.session.scalars(select(Counter).where(Counter.unit_id == center.id)).first()
        name = own.name
    page = clerk.get(f"/reports/?counter={own.id}")
    assert page.status_code == 200 and 'aria-current="page">' + name in page.get_data(
        as_text=True)
    assert "Góp ý" not in clerk.get(f"/reports/details?counter={own.id}").get_data(
        as_text=True)  # comments stay for managers and admins


def test_a_clerk_of_another_unit_cannot_open_the_counter(app, demo):
    clerk = login(app, "congchuc.ttpvhcc", "khaosat-demo")
    assert clerk.get(f"/reports/?counter={demo['counter']}").status_code == 404
    assert clerk.get(f"/reports/export.csv?counter={demo['counter']}").status_code == 404
    admin = login(app, "admin", "khaosat-demo")
    assert admin.get("/reports/?counter=abc").status_code == 404
    assert admin.get("/reports/?counter=999999").status_code == 404
