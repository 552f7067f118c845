"""Home Affairs sets a flagged counter's day aside: its answers leave every figure, export and
comment list, are kept, come back exactly when released, and every step is audited."""

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.clock import local_today
from app.domain import integrity
from app.domain.responses import store_outcome
from app.domain.rollups import rebuild_rollups
from app.extensions import db
from app.models import AuditEvent, CampaignWeek, Response, ResponseDay, Tally, Unit
from app.reports import periods
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import csrf_token_of, login

HONEST = {"access": 4, "procedure": 4, "officer": 3, "result": 4, "feedback": 3,
          "on_time": 1, "extra_demand": 0}


@pytest.fixture
def world(app):
    """Last week: Monday 6 honest answers (4 satisfied) of 10 returns, Tuesday 30 stuffed "5"
    of 40, flagged."""
    with app.app_context():
        monday = periods.last_reportable_day(local_today()) - timedelta(days=6)
        province = make_unit("TINH", "Tỉnh Thử")
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        counter = make_counter(commune, "Quầy xã")
        campaign = make_campaign(province, starts_on=monday - timedelta(days=7))
        for n, level in enumerate((5, 4, 4, 5, 2, 3)):
            store_outcome(counter_id=counter.id, day=monday, outcome="completed",
                          campaign=campaign, answers={**HONEST, "overall": level},
                          comment=f"Thật {n}")
        for n in range(30):
            store_outcome(counter_id=counter.id, day=monday + timedelta(days=1),
                          outcome="completed", campaign=campaign,
                          answers={**dict.fromkeys(HONEST, 5), "on_time": 1,
                                   "extra_demand": 0, "overall": 5}, comment=f"Giả {n}")
        integrity.count(counter.id, monday + timedelta(days=1), integrity.BURST)
        for day, returned in ((monday, 10), (monday + timedelta(days=1), 40)):
            db.session.add(Tally(counter_id=counter.id, day=day, returned=returned))
        db.session.commit()
        make_user("admin", "admin", province)
        make_user("commune_admin", "admin", commune)
        return {"counter": counter.id, "tuesday": monday + timedelta(days=1),
                "week": "{}-W{:02d}".format(*monday.isocalendar()[:2])}


def figures(admin, week: str) -> tuple[str, str]:
    page = admin.get(f"/reports/?period=week&week={week}").get_data(as_text=True)
    total = page.split('class="total')[1].split("</tr>")[0]
    numbers = re.findall(r'data-label="Phiếu trả lời">([\d.]+)<', total)
    satisfaction = re.search(r"(\d+,\d\d%)<br>", total)
    return numbers[0], satisfaction.group(1) if satisfaction else ""


def act(admin, path: str, counter: int, day, reason: str = ""):
    token = csrf_token_of(admin.get("/staff/tallies"))  # any staff form carries one
    return admin.post(path, data={"csrf_token": token, "counter": counter,
                                  "day": day.isoformat(), "reason": reason})


def test_a_flagged_day_set_aside_leaves_every_figure_and_comes_back(app, world):
    admin = login(app, "admin")
    before = figures(admin, world["week"])
    assert before == ("36", "94,44%")  # 4 + 30 satisfied of 36
    review = admin.get("/reports/review").get_data(as_text=True)
    assert "Quầy xã" in review and "Gửi dồn dập: 1" in review and "Tạm loại để xem xét" in review

    held = act(admin, "/reports/review/hold", world["counter"], world["tuesday"], "Dồn dập")
    assert held.status_code == 303
    assert "Đã tạm loại 30 phiếu" in admin.get("/reports/review").get_data(as_text=True)
    # Out of the figures: 6 answers, 4 satisfied → 66,67 %; the 30 are said to be held.
    assert figures(admin, world["week"]) == ("6", "66,67%")
    page = admin.get(f"/reports/?period=week&week={world['week']}").get_data(as_text=True)
    assert "30 phiếu đang xem xét" in page
    completed = page.split('data-label="Hoàn thành">')[1].split("<")[0]
    assert completed == "6"  # the funnel's completed count leaves them out too
    book = load_workbook(io.BytesIO(admin.get(
        f"/reports/export.xlsx?period=week&week={world['week']}").data))
    assert book["Tổng"]["F4"].value == 6
    comments = admin.get(f"/reports/comments.csv?period=week&week={world['week']}")
    text = comments.data.decode("utf-8-sig")
    assert "Thật 0" in text and "Giả" not in text
    with app.app_context():  # kept, and no batch is left under K
        assert db.session.scalar(select(func.count()).select_from(Response)) == 36
        sizes = db.session.execute(select(CampaignWeek.batch_week, func.sum(
            CampaignWeek.responses)).where(CampaignWeek.batch_week.is_not(None))
            .group_by(CampaignWeek.batch_week)).all()
        assert all(size >= 5 for _week, size in sizes)
        rebuild_rollups()  # a recount from the raw rows leaves the day out too
        db.session.commit()
        assert db.session.scalar(select(func.sum(ResponseDay.responses))) == 6

    released = act(admin, "/reports/review/release", world["counter"], world["tuesday"])
    assert released.status_code == 303
    assert figures(admin, world["week"]) == before
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "counter").order_by(AuditEvent.id)))
        assert actions[-2:] == ["quarantine", "release"]


def test_today_and_empty_days_cannot_be_set_aside(app, world):
    admin = login(app, "admin")
    with app.app_context():
        today = local_today()
    act(admin, "/reports/review/hold", world["counter"], today)
    assert "Chỉ tạm loại được những ngày đã qua" in admin.get("/reports/review").get_data(
        as_text=True)
    act(admin, "/reports/review/hold", world["counter"], world["tuesday"] + timedelta(days=1))
    assert "không có phiếu nào" in admin.get("/reports/review").get_data(as_text=True)
    assert figures(admin, world["week"])[0] == "36"


def test_only_home_affairs_sets_days_aside(app, world):
    commune_admin = login(app, "commune_admin")
    assert act(commune_admin, "/reports/review/hold", world["counter"],
               world["tuesday"]).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.sum(ResponseDay.responses))) == 36
        assert db.session.scalar(select(Unit.id).where(Unit.code == "XA"))


def test_two_decisions_on_one_day_at_once_give_no_server_error(app, world):
    """Someone gives a pending day back (the row is being deleted) while Home Affairs sets
    it aside: the second waits for the first (the row is read FOR UPDATE) and then does
    what it asked on what is there; where the database cannot wait (SQLite reads before it
    writes), the page says the day was just decided by another, not a 500 (the security
    scan's two concurrent POSTs met a StaleDataError)."""
    import threading
    import time

    from sqlalchemy import text

    from app.domain.holds import hold_for_review
    from app.models import QuarantinedDay

    with app.app_context():
        hold_for_review(db.session.connection(), world["counter"], world["tuesday"])
        db.session.commit()
        engine = db.engine
    admin = login(app, "admin")
    token = csrf_token_of(admin.get("/staff/tallies"))
    answer = {}

    def set_aside():
        answer["page"] = admin.post("/reports/review/hold", data={
            "csrf_token": token, "counter": world["counter"],
            "day": world["tuesday"].isoformat(), "reason": "cùng lúc"})

    with engine.connect() as giving_back:
        giving_back.execute(text("DELETE FROM quarantined_day WHERE counter_id = :c AND "
                                 "day = :d"), {"c": world["counter"], "d": world["tuesday"]})
        other = threading.Thread(target=set_aside)
        other.start()
        time.sleep(0.5)  # the set-aside reaches the row and waits
        giving_back.commit()
    other.join(timeout=30)
    assert answer["page"].status_code == 303
    review = admin.get("/reports/review").get_data(as_text=True)
    assert "Đã tạm loại 30 phiếu" in review or "vừa được người khác xử lý" in review
    with app.app_context():
        held = db.session.get(QuarantinedDay, (world["counter"], world["tuesday"]))
        if engine.dialect.name == "postgresql":  # it waited, then set the day aside
            assert held is not None and held.status == "held"
