"""Who may open what: every route of the app × anonymous / clerk / manager / admin.

The table must name every endpoint the app has, so a new route without a check fails here.
Accounts of unit A reaching for unit B's objects get 404, by link, id or forged field.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Counter, Tally
from tests.conftest import AuthActions, csrf_token_of
from tests.factories import make_campaign, make_counter, make_unit, make_user

PUBLIC = {"static", "survey.entry", "auth.login"}
ROLES = ("clerk_a", "manager_a", "admin_a", "admin")


@dataclass
class World:
    unit_a: int
    unit_b: int
    counter_a: int
    counter_b: int
    user_b: int
    campaign_b: int


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        province = make_unit("TINH", "Tỉnh Thử")
        a = make_unit("XAA", "UBND xã A", "commune", parent=province)
        b = make_unit("XAB", "UBND xã B", "commune", parent=province)
        counter_a, counter_b = make_counter(a, "Quầy A"), make_counter(b, "Quầy B")
        make_user("clerk_a", "clerk", a)
        make_user("manager_a", "manager", a)
        make_user("admin_a", "admin", a)
        make_user("admin", "admin", province)
        user_b = make_user("manager_b", "manager", b)
        make_campaign(province)
        campaign_b = make_campaign(b, status="draft")
        return World(a.id, b.id, counter_a.id, counter_b.id, user_b.id, campaign_b.id)


# endpoint: (method, url, {role: expected status}); {w} is the World.
ALLOWED_ALL = dict.fromkeys(ROLES, 200)
COUNTER_MANAGERS = {"clerk_a": 403, "manager_a": 200, "admin_a": 200, "admin": 200}
ADMINS_ONLY = {"clerk_a": 403, "manager_a": 403, "admin_a": 200, "admin": 200}
# Unit B's objects: outside the subtree of unit A's accounts.
ADMINS_OF_B = {"clerk_a": 403, "manager_a": 403, "admin_a": 404, "admin": 200}
ROUTES = {
    "staff.home": ("GET", "/staff/", ALLOWED_ALL),
    "staff.counters": ("GET", "/staff/counters", COUNTER_MANAGERS),
    "staff.counter_new": ("GET", "/staff/counters/new", COUNTER_MANAGERS),
    "staff.counter_edit": ("GET", "/staff/counters/{w.counter_b}",
                           {"clerk_a": 403, "manager_a": 404, "admin_a": 404, "admin": 200}),
    "staff.counter_reissue": ("POST", "/staff/counters/{w.counter_b}/reissue",
                              {"clerk_a": 403, "manager_a": 404, "admin_a": 404, "admin": 303}),
    "staff.tallies": ("GET", "/staff/tallies", ALLOWED_ALL),
    "staff.tallies_import": ("POST", "/staff/tallies/import", dict.fromkeys(ROLES, 422)),
    "printing.stickers": ("GET", "/stickers", ALLOWED_ALL),
    "printing.stickers_pdf": ("GET", "/stickers.pdf?unit=XAB&layout=poster",
                              {"clerk_a": 422, "manager_a": 422, "admin_a": 422, "admin": 200}),
    "admin.units": ("GET", "/admin/units", ADMINS_ONLY),
    "admin.unit_new": ("GET", "/admin/units/new", ADMINS_ONLY),
    "admin.unit_edit": ("GET", "/admin/units/{w.unit_b}", ADMINS_OF_B),
    "admin.users": ("GET", "/admin/users", ADMINS_ONLY),
    "admin.user_new": ("GET", "/admin/users/new", ADMINS_ONLY),
    "admin.user_edit": ("GET", "/admin/users/{w.user_b}", ADMINS_OF_B),
    "admin.campaigns": ("GET", "/admin/campaigns", ADMINS_ONLY),
    "admin.campaign_new": ("GET", "/admin/campaigns/new", ADMINS_ONLY),
    "admin.campaign_edit": ("GET", "/admin/campaigns/{w.campaign_b}", ADMINS_OF_B),
    "admin.campaign_target": ("POST", "/admin/campaigns/{w.campaign_b}/target",
                              {**ADMINS_OF_B, "admin": 303}),
    "admin.campaign_status": ("POST", "/admin/campaigns/{w.campaign_b}/activate",
                              {**ADMINS_OF_B, "admin": 303}),
    "admin.audit": ("GET", "/admin/audit", {**ADMINS_ONLY}),
    "auth.password": ("GET", "/account/password", ALLOWED_ALL),
    "auth.logout": ("POST", "/logout", dict.fromkeys(ROLES, 303)),
}


def test_every_route_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - PUBLIC == set(ROUTES), "add the new route to ROUTES with its rules"


def test_anonymous_visitors_are_sent_to_login(client, world):
    # With a valid CSRF token (from the login page), so that the login check is what answers.
    token = csrf_token_of(client.get("/login"))
    wrong = {}
    for endpoint, (method, url, _) in sorted(ROUTES.items()):
        page = client.open(url.format(w=world), method=method,
                           data={"csrf_token": token} if method == "POST" else None)
        if page.status_code != 302 or not page.headers["Location"].startswith("/login?next="):
            wrong[endpoint] = page.status_code
    assert wrong == {}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(app, world, role):
    client = app.test_client()
    AuthActions(client).login(role)
    token = csrf_token_of(client.get("/staff/"))
    wrong = {}
    for endpoint, (method, url, expected) in sorted(ROUTES.items()):
        page = client.open(url.format(w=world), method=method,
                           data={"csrf_token": token} if method == "POST" else None)
        if page.status_code != expected[role]:
            wrong[endpoint] = (page.status_code, expected[role])
        if endpoint == "auth.logout":
            AuthActions(client).login(role)
            token = csrf_token_of(client.get("/staff/"))
    assert wrong == {}, "endpoint: (got, expected)"


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_manager_cannot_move_a_counter_into_another_units_tree_by_a_forged_field(app, world):
    client = app.test_client()
    AuthActions(client).login("manager_a")
    form = client.get(f"/staff/counters/{world.counter_a}")
    page = client.post(f"/staff/counters/{world.counter_a}", data={
        "csrf_token": csrf_token_of(form), "name": "Quầy A", "unit": world.unit_b,
        "active": "y"})
    assert page.status_code == 200 and "Lựa chọn không hợp lệ." in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Counter, world.counter_a).unit_id == world.unit_a


def test_clerk_cannot_enter_a_tally_for_another_units_counter(app, world):
    client = app.test_client()
    AuthActions(client).login("clerk_a")
    form = client.get("/staff/tallies")
    page = client.post("/staff/tallies", data={
        "csrf_token": csrf_token_of(form), "t-counter": world.counter_b, "t-day": "2026-01-01",
        "t-returned": 5, "t-immediate": 0, "t-online": 0, "t-postal": 0})
    assert page.status_code == 422
    assert _count(app, Tally) == 0


def test_refused_requests_change_nothing(app, world):
    before = _count(app, AuditEvent)
    client = app.test_client()
    AuthActions(client).login("manager_a")
    token = csrf_token_of(client.get("/staff/"))
    client.post(f"/staff/counters/{world.counter_b}/reissue", data={"csrf_token": token})
    client.post(f"/admin/campaigns/{world.campaign_b}/activate", data={"csrf_token": token})
    assert _count(app, AuditEvent) == before
