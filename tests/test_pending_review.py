"""A counter-day that carries an integrity flag waits for review: the counter reads "Cần xem
xét", never "Đạt", and its units are judged without it (the figure with it shown beside)
until Home Affairs accepts the day or sets it aside. Figures by hand."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.clock import local_today
from app.db_setup import transaction
from app.domain import holds, integrity
from app.domain.responses import store_outcome
from app.domain.tallies import TallyCounts, record_tally
from app.extensions import db
from app.models import AcceptedDay, AuditEvent, Counter, QuarantinedDay, ResponseDay
from app.reports import periods
from app.reports.tables import unit_report
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import csrf_token_of, login
from tests.test_reports import add_day


@pytest.fixture
def ward(app):
    """Last week's Monday: the honest counter answered 10 of 50 eligible returns; the stuffed
    one holds 30 answers, all "5", and then its tally comes: 20 eligible returns."""
    with app.app_context():
        monday = periods.last_reportable_day(local_today()) - timedelta(days=6)
        province = make_unit("TINH", "Tỉnh Thử")
        ward = make_unit("PHUONG", "Phường Thử", "commune", parent=province)
        honest, stuffed = make_counter(ward, "Quầy 1"), make_counter(ward, "Quầy 2")
        campaign = make_campaign(province, starts_on=monday - timedelta(days=7))
        add_day(honest, monday, eligible=50, responses=10, overall=(0, 1, 2, 4, 3),
                campaign=campaign)
        for _n in range(30):  # stored rows, as the survey leaves them
            store_outcome(counter_id=stuffed.id, day=monday, outcome="completed",
                          campaign=campaign, answers={"overall": 5})
        with transaction():  # the tally arrives: fewer returns than answers
            record_tally(stuffed, monday, TallyCounts(20, 0, 0, 0), actor="test",
                         today=local_today())
        make_user("admin", "admin", province)
        return {"campaign": campaign.id, "province": province.id, "ward": ward.id,
                "stuffed": stuffed.id, "monday": monday}


def ward_report(app, world):
    from app.models import Campaign, Unit

    with app.app_context():
        campaign = db.session.get(Campaign, world["campaign"])
        province, ward = db.session.get(Unit, world["province"]), db.session.get(Unit,
                                                                               world["ward"])
        monday = world["monday"]
        return unit_report(campaign, province, ward, monday, monday + timedelta(days=6))


def test_a_stuffed_counter_reads_needs_review_and_does_not_lift_its_unit(app, ward):
    with app.app_context():
        held = db.session.get(QuarantinedDay, (ward["stuffed"], ward["monday"]))
        assert (held.status, held.responses) == ("pending", 30)
    report = ward_report(app, ward)
    honest, stuffed = report.rows
    assert stuffed.status == "review" and stuffed.pending
    assert honest.status == "below"  # 10 / 50 = 20,00 % under a 30 % target
    # The ward without the pending day: 10 / 50 = 20,00 %, "Chưa đạt"; with it it would read
    # (10 + 30) / (50 + 20) = 57,14 %, "Đạt": that figure is shown beside, never judged.
    assert report.top.rate.value == Decimal("20.00") and report.top.status == "below"
    assert report.top.rate_with_pending.value == Decimal("57.14")
    assert report.top.counts.pending_days == 1
    assert stuffed.compared_with(report.top) is None  # no ▲/▼ on a figure under review
    with app.app_context():  # the weekly trend leaves the day out the same way
        from app.reports.details import weekly

        (week,) = weekly(report.campaign, report)
        assert (week.row.counts.eligible, week.row.rate.value) == (50, Decimal("20.00"))


def test_the_page_and_the_exports_say_so(app, ward):
    admin = login(app, "admin")
    week = "{}-W{:02d}".format(*ward["monday"].isocalendar()[:2])
    args = f"period=week&week={week}&unit={ward['ward']}"
    page = admin.get(f"/reports/?{args}").get_data(as_text=True)
    assert "Cần xem xét" in page and "57,14% nếu tính cả 1 ngày đang chờ xem xét" in page
    rows = list(csv.reader(io.StringIO(admin.get(f"/reports/export.csv?{args}")
                                       .data.decode("utf-8-sig"))))
    header, by_code = rows[0], {r[1]: r for r in rows[1:]}
    assert header[15:17] == ["Ngày chờ xem xét",
                             "Tỷ lệ phản hồi nếu tính cả ngày chờ xem xét (%)"]
    assert by_code["PHUONG"][7] == "20.00" and by_code["PHUONG"][15:17] == ["1", "57.14"]
    stuffed = next(r for r in rows[1:] if r[2] == "Quầy 2")
    assert stuffed[9] == "Cần xem xét"


def act(admin, path: str, counter: int, day, reason: str = ""):
    token = csrf_token_of(admin.get("/reports/review"))
    return admin.post(path, data={"csrf_token": token, "counter": counter,
                                  "day": day.isoformat(), "reason": reason},
                      follow_redirects=True)


def test_home_affairs_accepts_a_pending_day_with_a_reason(app, ward):
    admin = login(app, "admin")
    review = admin.get("/reports/review").get_data(as_text=True)
    assert "Chờ xem xét" in review and "Chấp nhận, tính vào số liệu" in review
    refused = act(admin, "/reports/review/accept", ward["stuffed"], ward["monday"])
    assert "Vui lòng ghi lý do chấp nhận." in refused.get_data(as_text=True)
    accepted = act(admin, "/reports/review/accept", ward["stuffed"], ward["monday"],
                   "Đã gọi điện xác minh: ngày hội chợ")
    assert "Đã chấp nhận 30 phiếu" in accepted.get_data(as_text=True)
    report = ward_report(app, ward)
    assert report.top.rate.value == Decimal("57.14") and not report.top.pending
    with app.app_context():
        assert db.session.get(AcceptedDay, (ward["stuffed"], ward["monday"])) is not None
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())
                                 .limit(1)) == "accept"
        # A new flag of that day does not hold it again.
        integrity.count(ward["stuffed"], ward["monday"], integrity.BURST)
        assert not holds.hold_if_flagged(db.session.connection(), ward["stuffed"],
                                         ward["monday"])
        db.session.commit()
        assert db.session.scalar(select(ResponseDay.responses).where(
            ResponseDay.counter_id == ward["stuffed"])) == 30


def test_home_affairs_sets_a_pending_day_aside(app, ward):
    admin = login(app, "admin")
    done = act(admin, "/reports/review/hold", ward["stuffed"], ward["monday"], "Phiếu giả")
    assert "Đã tạm loại 30 phiếu" in done.get_data(as_text=True)
    with app.app_context():
        held = db.session.get(QuarantinedDay, (ward["stuffed"], ward["monday"]))
        assert (held.status, held.reason) == ("held", "Phiếu giả")
    report = ward_report(app, ward)
    # Set aside: its answers stay out, its 20 returns count: 10 / 70 = 14,29 %.
    assert report.top.rate.value == Decimal("14.29") and not report.top.pending
    assert report.rows[1].status == "below"


def test_todays_pending_day_cannot_be_reviewed_yet(app, ward):
    with app.app_context():
        today = local_today()
        counter = db.session.get(Counter, ward["stuffed"])
        integrity.count(counter.id, today, integrity.IDENTICAL)
        assert holds.hold_if_flagged(db.session.connection(), counter.id, today)
        db.session.commit()
    admin = login(app, "admin")
    assert "Xem xét được sau khi hết ngày" in admin.get("/reports/review").get_data(
        as_text=True)
    refused = act(admin, "/reports/review/accept", ward["stuffed"], today, "thử")
    assert "Chỉ xem xét được ngày đã qua" in refused.get_data(as_text=True)


@pytest.mark.parametrize(("fast", "opened", "warns"), [(1, 20, False), (2, 20, True),
                                                        (0, 20, False), (3, 0, True)])
def test_early_presses_warn_only_as_an_unusual_share_of_openings(fast, opened, warns):
    assert integrity.fast_presses_warn(fast, opened) is warns
