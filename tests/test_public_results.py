"""A published campaign's results, for anyone without a login (/ket-qua/<id>): the dashboard's
figures to the digit, its suppression and verdicts, no counters unless the campaign says so,
gone the moment it is unpublished."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import local_today
from app.extensions import db
from app.models import AuditEvent, Campaign
from app.reports import periods
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import csrf_token_of, login
from tests.test_reports import add_day


@pytest.fixture
def world(app):
    """Last week: the center's counter returned 20 eligible results and got 10 answers
    (overall 3, 3, 4 ×4, 5 ×4); the commune's got 2 answers of 10 eligible."""
    with app.app_context():
        end = periods.last_reportable_day(local_today())
        day = end - timedelta(days=3)
        province = make_unit("TINH", "Tỉnh Thử")
        center = make_unit("TT", "Trung tâm Phục vụ", "center", parent=province)
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        campaign = make_campaign(province, starts_on=end - timedelta(days=27),
                                 ends_on=local_today() + timedelta(days=30))
        add_day(make_counter(center, "Quầy Sở Tư pháp"), day, eligible=20, responses=10,
                overall=(0, 0, 2, 4, 4), campaign=campaign)
        add_day(make_counter(commune, "Quầy xã"), day, eligible=10, responses=2,
                overall=(0, 0, 0, 1, 1), campaign=campaign)
        make_user("admin", "admin", province)
        db.session.commit()
        return campaign.id


def publish(admin, campaign_id: int, *, counters: bool = False):
    form = admin.get(f"/admin/campaigns/{campaign_id}")
    data = {"csrf_token": csrf_token_of(form)}
    if counters:
        data["publish-counters"] = "y"
    asked = admin.post(f"/admin/campaigns/{campaign_id}/publish", data=data)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Bất kỳ ai cũng xem được" in html  # asks first
    done = admin.post(f"/admin/campaigns/{campaign_id}/publish", data={**data, "confirmed": "1"})
    assert done.status_code == 303


def rows(html: str) -> dict[str, list[str]]:
    """Each row of the results table: its name → its cells as a reader sees them."""
    table = html.split('<table class="results">')[1].split("</table>")[0]
    found = {}
    for row in table.split("<tr")[2:]:
        cells = [re.sub(r"\s+", " ", re.sub(r"</?[a-z][^>]*>", "", c)).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        found[cells[0]] = cells[1:]
    return found


def test_a_published_campaign_shows_the_dashboards_figures_to_anyone(app, world):
    anyone = app.test_client()
    assert anyone.get(f"/ket-qua/{world}").status_code == 404  # not published yet
    admin = login(app, "admin")
    publish(admin, world)
    page = anyone.get(f"/ket-qua/{world}")
    assert page.status_code == 200
    shown = rows(page.get_data(as_text=True))
    # E = 20 + 10 = 30, R = 12: 40,00 % against 30 %, met. Satisfaction of the released batches
    # only: the center's 10 (8 of them 4 or 5: 80,00 %); the commune's 2 wait (< 5 phiếu).
    assert shown["Tỉnh Thử"][:5] == ["30", "12", "40,00%", "30,00%", "✓ Đạt"]
    assert shown["Tỉnh Thử"][5].startswith("80,00% (95%: ")
    assert shown["Trung tâm Phục vụ"][:5] == ["20", "10", "50,00%", "30,00%", "✓ Đạt"]
    assert shown["UBND xã Thử"] == ["10", "2", "20,00%", "30,00%", "✗ Chưa đạt", "< 5 phiếu"]
    assert "Quầy Sở Tư pháp" not in shown and "Quầy xã" not in shown  # counters not asked for
    dashboard = admin.get("/reports/").get_data(as_text=True)
    for figure in ("40,00%", "80,00%", "50,00%", "20,00%"):
        assert figure in dashboard  # the same figures the dashboard shows
    english = rows(anyone.get(f"/ket-qua/{world}?lang=en").get_data(as_text=True))
    assert english["Tỉnh Thử"][2:5] == ["40.00%", "30.00%", "✓ Met"]


def test_counters_only_when_asked_and_unpublishing_takes_effect_at_once(app, world):
    admin, anyone = login(app, "admin"), app.test_client()
    publish(admin, world, counters=True)
    first = anyone.get(f"/ket-qua/{world}")
    shown = rows(first.get_data(as_text=True))
    assert shown["Quầy Sở Tư pháp"][:3] == ["20", "10", "50,00%"]
    assert shown["Quầy xã"][-1] == "< 5 phiếu"
    # Kept by the server and by whoever asks again: an unchanged page answers 304.
    again = anyone.get(f"/ket-qua/{world}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and first.headers["Cache-Control"] == "public, no-cache"
    form = admin.get(f"/admin/campaigns/{world}")
    assert admin.post(f"/admin/campaigns/{world}/unpublish",
                      data={"csrf_token": csrf_token_of(form)}).status_code == 303
    assert anyone.get(f"/ket-qua/{world}").status_code == 404  # the cached page is not served
    assert anyone.get(f"/ket-qua/{world + 1000}").status_code == 404
    with app.app_context():
        events = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "campaign", AuditEvent.action.in_(
                ("publish", "unpublish"))).order_by(AuditEvent.id)).all()
        assert events == ["publish", "unpublish"]
        assert db.session.get(Campaign, world).publish_counters is False
    log = admin.get("/admin/audit?object_type=campaign").get_data(as_text=True)
    assert "Công khai kết quả đợt khảo sát “Đợt thử”" in log


def test_only_an_admin_of_the_campaign_may_publish_it(app, world):
    with app.app_context():
        commune = db.session.scalars(select(Campaign)).one().unit  # the province
        make_user("manager", "manager", commune)
    manager = login(app, "manager")
    form = manager.get("/staff/")
    page = manager.post(f"/admin/campaigns/{world}/publish",
                        data={"csrf_token": csrf_token_of(form), "confirmed": "1"})
    assert page.status_code == 403
    assert app.test_client().get(f"/ket-qua/{world}").status_code == 404
