"""The read API: another system reads the dashboard's figures with a key for "reports" scoped
to a unit's subtree, to the digit, and nothing outside that subtree."""

import csv
import io
import re
from datetime import timedelta

import pytest

from app.clock import local_today
from app.domain.api_keys import create_key
from app.extensions import db
from app.reports import periods
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import AuthActions
from tests.test_reports import add_day


@pytest.fixture
def keys(app):
    """Last week at two communes' counters: A returned 20 eligible results and got 10 answers
    (overall 3, 3, 4 ×4, 5 ×4), B 10 and 2. Keys for reports: the province's and commune A's;
    and commune A's key for invitations."""
    with app.app_context():
        end = periods.last_reportable_day(local_today())
        day = end - timedelta(days=3)
        province = make_unit("TINH", "Tỉnh Thử")
        xa = make_unit("XAA", "UBND xã A", "commune", parent=province)
        xb = make_unit("XAB", "UBND xã B", "commune", parent=province)
        campaign = make_campaign(province, starts_on=end - timedelta(days=27),
                                 ends_on=local_today() + timedelta(days=30))
        add_day(make_counter(xa, "Quầy A"), day, eligible=20, responses=10,
                overall=(0, 0, 2, 4, 4), campaign=campaign)
        add_day(make_counter(xb, "Quầy B"), day, eligible=10, responses=2,
                overall=(0, 0, 0, 1, 1), campaign=campaign)
        admin = make_user("admin", "admin", province)
        made = {"province": create_key(name="Trung tâm điều hành", purpose="reports",
                                       unit=province, actor=admin)[1],
                "XAA": create_key(name="Xã A", purpose="reports", unit=xa, actor=admin)[1],
                "invitations": create_key(name="Một cửa xã A", purpose="invitations",
                                          unit=xa, actor=admin)[1]}
        db.session.commit()
        return {"secrets": made, "campaign": campaign.id, "xa": xa.id, "xb": xb.id}


def get(app, keys, url: str, key: str = "province"):
    return app.test_client().get(url, headers={"Authorization":
                                               f"Bearer {keys['secrets'][key]}"})


def test_the_figures_are_the_dashboards_to_the_digit(app, keys):
    page = get(app, keys, f"/api/v1/campaigns/{keys['campaign']}/figures")
    assert page.status_code == 200
    body = page.get_json()
    top = body["top"]
    # E = 30, R = 12: 40.00 % (target 30 %: met); satisfaction of the released batches only:
    # A's 10 (8 of them 4 or 5: 80.00 %); B's 2 wait: suppressed, no figure.
    assert (top["name"], top["eligible"], top["responses"], top["response_rate"],
            top["target"], top["status"]) == ("Tỉnh Thử", 30, 12, 40.0, 30.0, "met")
    assert (top["satisfaction"], top["released_answers"], top["suppressed"]) == (80.0, 10,
                                                                                  False)
    low, high = top["satisfaction_interval"]
    assert low < 80.0 < high
    units = {row["name"]: row for row in body["units"]}
    assert (units["UBND xã B"]["suppressed"], units["UBND xã B"]["satisfaction"],
            units["UBND xã B"]["response_rate"], units["UBND xã B"]["status"]) == (
        True, None, 20.0, "below")
    assert {row["name"] for row in body["counters"]} == {"Quầy A", "Quầy B"}
    assert body["k"] == 5 and "comment" not in page.get_data(as_text=True)
    # The dashboard says the same.
    client = app.test_client()
    AuthActions(client).login("admin")
    dashboard = client.get("/reports/").get_data(as_text=True)
    assert "40,00%" in dashboard and "80,00%" in dashboard


def test_a_communes_key_gets_its_subtree_and_nothing_else(app, keys):
    campaign = keys["campaign"]
    units = get(app, keys, "/api/v1/units", "XAA").get_json()["units"]
    assert [u["code"] for u in units] == ["XAA"]
    campaigns = get(app, keys, "/api/v1/campaigns", "XAA").get_json()["campaigns"]
    assert [c["id"] for c in campaigns] == [campaign]  # the province's, which covers it
    body = get(app, keys, f"/api/v1/campaigns/{campaign}/figures", "XAA").get_json()
    assert body["top"]["name"] == "UBND xã A" and body["units"] == []
    assert [row["name"] for row in body["counters"]] == ["Quầy A"]
    assert "Quầy B" not in str(body) and "UBND xã B" not in str(body)
    outside = get(app, keys, f"/api/v1/campaigns/{campaign}/figures?unit={keys['xb']}", "XAA")
    assert outside.status_code == 404 and "error" in outside.get_json()
    assert get(app, keys, f"/api/v1/campaigns/{campaign + 99}/figures", "XAA").status_code \
        == 404


def test_a_key_for_another_purpose_no_key_or_a_session_get_401(app, keys):
    url = f"/api/v1/campaigns/{keys['campaign']}/figures"
    assert get(app, keys, url, "invitations").status_code == 401
    assert app.test_client().get(url).status_code == 401
    staff = app.test_client()
    AuthActions(staff).login("admin")
    assert staff.get(url).status_code == 401  # a cookie is never enough


def test_csv_weeks_and_funnel(app, keys):
    campaign = keys["campaign"]
    page = get(app, keys, f"/api/v1/campaigns/{campaign}/figures.csv?lang=en")
    assert page.status_code == 200 and page.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(page.data.decode("utf-8-sig"))))
    total = dict(zip(lines[0], lines[1], strict=True))
    assert total["Response rate (%)"] == "40.00" and total["Satisfaction rate (%)"] == "80.00"
    weeks = get(app, keys, f"/api/v1/campaigns/{campaign}/weeks").get_json()["weeks"]
    with_data = [w for w in weeks if w["eligible"]]
    assert len(with_data) == 1 and with_data[0]["response_rate"] == 40.0
    assert re.fullmatch(r"\d{4}-W\d{2}", with_data[0]["week"])
    assert with_data[0]["satisfaction"] == 80.0  # A's batch of 10 filled that week
    funnel = get(app, keys, f"/api/v1/campaigns/{campaign}/funnel").get_json()["funnel"]
    assert funnel["eligible"] == 30


def test_a_period_is_asked_for_as_the_dashboard_asks_for_it(app, keys):
    campaign = keys["campaign"]
    bad = get(app, keys, f"/api/v1/campaigns/{campaign}/figures?period=fortnight")
    assert bad.status_code == 400 and "error" in bad.get_json()
    outside = get(app, keys, f"/api/v1/campaigns/{campaign}/figures?period=week&week=2020-W01")
    assert outside.status_code == 422 and outside.get_json()["error"]
    with app.app_context():
        end = periods.last_reportable_day(local_today())
    one_week = get(app, keys, f"/api/v1/campaigns/{campaign}/figures?period=custom"
                              f"&start={end - timedelta(days=6)}&end={end}").get_json()
    assert one_week["period"] == {"start": str(end - timedelta(days=6)), "end": str(end)}
    assert one_week["top"]["responses"] == 12


def test_the_openapi_document_names_every_endpoint_of_the_api(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
              for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") and rule.endpoint != "api.openapi"}
    assert set(document["paths"]) == routes
