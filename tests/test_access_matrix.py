"""Who may open what: every route of the app × anonymous / clerk / manager / admin.

The table must name every endpoint the app has, so a new route without a check fails here.
Accounts of unit A reaching for unit B's objects get 404, by link, id or forged field, and
no list page shows them B's names: the body is read, not only the status code.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from app.clock import local_today
from app.domain.api_keys import create_key
from app.extensions import db
from app.models import AuditEvent, Counter, InvitationBatch, Tally
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import AuthActions, count_rows, csrf_token_of

PUBLIC = {"static", "survey.entry", "survey.submit", "survey.pressure", "auth.login",
          "auth.index", "health.health", "invited.entry", "invited.submit",
          "public.results",  # a published campaign's results: tests/test_public_results.py
          "api.openapi"}  # the API's description
ROLES = ("clerk_a", "manager_a", "admin_a", "admin")


@dataclass
class World:
    unit_a: int
    unit_b: int
    counter_a: int
    counter_b: int
    user_b: int
    campaign_b: int
    campaign_p: int  # the province's, active
    batch_b: str
    key_b: int
    secrets: dict  # unit code → an API key for invitations in that unit's subtree


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
        province_admin = make_user("admin", "admin", province)
        user_b = make_user("manager_b", "manager", b)
        campaign_p = make_campaign(province)
        make_campaign(a, status="draft", name="Đợt riêng xã A")
        campaign_b = make_campaign(b, status="draft", name="Đợt riêng xã B")
        for counter in (counter_a, counter_b):
            db.session.add(Tally(counter=counter, day=local_today(), returned=3))
        batches = [InvitationBatch(
            id=uuid.uuid4().hex, unit=unit, source="upload", filename=f"tep-{unit.code}.csv",
            created_at=datetime.now(UTC), rows=1, excluded={}, to_send=1, sent=1, failed=0,
            failures={}, over_budget=0) for unit in (a, b)]
        db.session.add_all(batches)
        made = {unit.code: create_key(name=f"Khoá {unit.name}", purpose="invitations",
                                      unit=unit, actor=province_admin) for unit in (a, b)}
        made.update({f"R{unit.code}": create_key(name=f"Số liệu {unit.name}",
                                                 purpose="reports", unit=unit,
                                                 actor=province_admin) for unit in (a, b)})
        db.session.commit()
        return World(a.id, b.id, counter_a.id, counter_b.id, user_b.id, campaign_b.id,
                     campaign_p.id, batches[1].id, made["XAB"][0].id,
                     {code: secret for code, (_key, secret) in made.items()})


# endpoint: (method, url, {role: expected status}); {w} is the World.
ALLOWED_ALL = dict.fromkeys(ROLES, 200)
COUNTER_MANAGERS = {"clerk_a": 403, "manager_a": 200, "admin_a": 200, "admin": 200}
ADMINS_ONLY = {"clerk_a": 403, "manager_a": 403, "admin_a": 200, "admin": 200}
PROVINCE_ADMIN = {"clerk_a": 403, "manager_a": 403, "admin_a": 403, "admin": 200}
# Unit B's objects: outside the subtree of unit A's accounts.
ADMINS_OF_B = {"clerk_a": 403, "manager_a": 403, "admin_a": 404, "admin": 200}
ROUTES = {
    "staff.home": ("GET", "/staff/", ALLOWED_ALL),
    "staff.counters": ("GET", "/staff/counters", COUNTER_MANAGERS),
    "staff.counter_new": ("GET", "/staff/counters/new", COUNTER_MANAGERS),
    "staff.counter_edit": ("GET", "/staff/counters/{w.counter_b}",
                           {"clerk_a": 403, "manager_a": 404, "admin_a": 404, "admin": 200}),
    "staff.counter_reissue": ("POST", "/staff/counters/{w.counter_b}/reissue",
                              # 200: the page asking to confirm (app/confirm.py)
                              {"clerk_a": 403, "manager_a": 404, "admin_a": 404, "admin": 200}),
    "staff.tallies": ("GET", "/staff/tallies", ALLOWED_ALL),
    "staff.tallies_example": ("GET", "/staff/tallies/example.csv", ALLOWED_ALL),
    "staff.tallies_import": ("POST", "/staff/tallies/import", dict.fromkeys(ROLES, 422)),
    # Without a signed file from its own page: nothing stored, the page says so.
    "staff.tallies_import_confirm": ("POST", "/staff/tallies/import/confirm",
                                     dict.fromkeys(ROLES, 422)),
    # Invitations by SMS: a unit's managers and admins, for their subtree.
    "invitations.index": ("GET", "/staff/invitations/", COUNTER_MANAGERS),
    "invitations.example": ("GET", "/staff/invitations/example.csv", COUNTER_MANAGERS),
    "invitations.preview_upload": ("POST", "/staff/invitations/preview",
                                   {**COUNTER_MANAGERS, "manager_a": 422, "admin_a": 422,
                                    "admin": 422}),
    "invitations.confirm": ("POST", "/staff/invitations/confirm",
                            {**COUNTER_MANAGERS, "manager_a": 422, "admin_a": 422,
                             "admin": 422}),
    "invitations.batch": ("GET", "/staff/invitations/{w.batch_b}",
                          {"clerk_a": 403, "manager_a": 404, "admin_a": 404, "admin": 200}),
    "reports.dashboard": ("GET", "/reports/", ALLOWED_ALL),
    "reports.details": ("GET", "/reports/details", ALLOWED_ALL),
    "reports.export_csv": ("GET", "/reports/export.csv", ALLOWED_ALL),
    "reports.export_xlsx": ("GET", "/reports/export.xlsx", ALLOWED_ALL),
    "reports.export_pdf": ("GET", "/reports/report.pdf", ALLOWED_ALL),
    "reports.export_comments": ("GET", "/reports/comments.csv", COUNTER_MANAGERS),
    # Citizens' reports of pressure: Home Affairs at the province only, not a commune's admin.
    "reports.pressure_reports": ("GET", "/reports/pressure", PROVINCE_ADMIN),
    "reports.export_pressure": ("GET", "/reports/pressure.csv", PROVINCE_ADMIN),
    "reports.pressure_follow_up": ("POST", f"/reports/pressure/{uuid.UUID(int=7)}",
                                   {"clerk_a": 403, "manager_a": 403, "admin_a": 403,
                                    "admin": 404}),
    # Setting answers aside for review: Home Affairs only (a post naming no counter: 404).
    "reports.review": ("GET", "/reports/review", PROVINCE_ADMIN),
    "reports.review_hold": ("POST", "/reports/review/hold",
                            {"clerk_a": 403, "manager_a": 403, "admin_a": 403, "admin": 404}),
    "reports.review_accept": ("POST", "/reports/review/accept",
                              {"clerk_a": 403, "manager_a": 403, "admin_a": 403, "admin": 404}),
    "reports.review_release": ("POST", "/reports/review/release",
                               {"clerk_a": 403, "manager_a": 403, "admin_a": 403,
                                "admin": 404}),
    "printing.stickers": ("GET", "/stickers", ALLOWED_ALL),
    "printing.stickers_pdf": ("GET", "/stickers.pdf?unit=XAB&layout=poster",
                              {"clerk_a": 422, "manager_a": 422, "admin_a": 422, "admin": 200}),
    # A background print job is its requester's only (tests/test_print_jobs.py): none here.
    "printing.job": ("GET", "/stickers/jobs/0123abcd", dict.fromkeys(ROLES, 404)),
    "printing.job_pdf": ("GET", "/stickers/jobs/0123abcd.pdf", dict.fromkeys(ROLES, 404)),
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
    "admin.campaign_publish": ("POST", "/admin/campaigns/{w.campaign_b}/unpublish",
                               {**ADMINS_OF_B, "admin": 303}),
    "admin.api_keys": ("GET", "/admin/api-keys", ADMINS_ONLY),
    "admin.api_key_revoke": ("POST", "/admin/api-keys/{w.key_b}/revoke", ADMINS_OF_B),
    "admin.audit": ("GET", "/admin/audit", {**ADMINS_ONLY}),
    "admin.audit_csv": ("GET", "/admin/audit.csv", {**ADMINS_ONLY}),
    "auth.password": ("GET", "/account/password", ALLOWED_ALL),
    "auth.notifications": ("GET", "/account/notifications", ALLOWED_ALL),
    "auth.language": ("POST", "/account/language/en", dict.fromkeys(ROLES, 303)),
    "auth.logout": ("POST", "/logout", dict.fromkeys(ROLES, 303)),
}


# The JSON API: no session, a key. (method, url, {credential: expected status}): "none" sends
# no key, "staff" a signed-in province admin's cookie and no key (a cookie is never enough),
# "XAA" / "XAB" that commune's key for invitations, "RXAA" / "RXAB" its key for reports.
# Commune B's campaign is a draft: not reported, so 404 for B too; the province's campaign is
# read through each commune's key, for its own unit, and B's unit through A's key is 404.
NO_REPORTS = {"none": 401, "staff": 401, "XAA": 401, "XAB": 401}
API_ROUTES = {
    "api.returned_dossiers": ("POST", "/api/v1/returned-dossiers",
                              {"none": 401, "staff": 401, "XAA": 200, "XAB": 200,
                               "RXAA": 401, "RXAB": 401}),
    "api.invitation_batch": ("GET", "/api/v1/invitation-batches/{w.batch_b}",
                             {"none": 401, "staff": 401, "XAA": 404, "XAB": 200,
                              "RXAA": 401, "RXAB": 401}),
    "api.campaigns": ("GET", "/api/v1/campaigns", {**NO_REPORTS, "RXAA": 200, "RXAB": 200}),
    "api.units": ("GET", "/api/v1/units", {**NO_REPORTS, "RXAA": 200, "RXAB": 200}),
    "api.campaign_figures": ("GET", "/api/v1/campaigns/{w.campaign_b}/figures",
                             {**NO_REPORTS, "RXAA": 404, "RXAB": 404}),
    "api.campaign_figures_csv": ("GET", "/api/v1/campaigns/{w.campaign_p}/figures.csv"
                                        "?unit={w.unit_b}",
                                 {**NO_REPORTS, "RXAA": 404, "RXAB": 200}),
    "api.campaign_weeks": ("GET", "/api/v1/campaigns/{w.campaign_p}/weeks?unit={w.unit_b}",
                           {**NO_REPORTS, "RXAA": 404, "RXAB": 200}),
    "api.campaign_funnel": ("GET", "/api/v1/campaigns/{w.campaign_p}/funnel",
                            {**NO_REPORTS, "RXAA": 200, "RXAB": 200}),
}


def test_every_route_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - PUBLIC == set(ROUTES) | set(API_ROUTES), (
        "add the new route to ROUTES (or API_ROUTES) with its rules")


@pytest.mark.parametrize("credential", ["none", "staff", "XAA", "XAB", "RXAA", "RXAB"])
def test_each_api_key_gets_what_the_table_says(app, world, credential):
    client = app.test_client()
    headers = {}
    if credential == "staff":
        AuthActions(client).login("admin")
    elif credential != "none":
        headers["Authorization"] = f"Bearer {world.secrets[credential]}"
    wrong = {}
    for endpoint, (method, url, expected) in sorted(API_ROUTES.items()):
        page = client.open(url.format(w=world), method=method, headers=headers,
                           json={"preview": True, "dossiers": []} if method == "POST" else None)
        if page.status_code != expected[credential]:
            wrong[endpoint] = (page.status_code, expected[credential])
    assert wrong == {}, "endpoint: (got, expected)"


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


# List page: (what unit A's accounts must see, what they must not: unit B's names and codes).
# The province admin sees both, which proves each check can fail.
LISTS = {
    "/staff/counters": (["Quầy A"], ["Quầy B"]),
    "/staff/tallies": (["Quầy A"], ["Quầy B"]),
    "/staff/invitations/": (["tep-XAA.csv"], ["tep-XAB.csv"]),
    "/stickers": (["UBND xã A"], ["UBND xã B", "XAB"]),
    "/reports/": (["UBND xã A"], ["UBND xã B"]),
    "/reports/export.csv": (["UBND xã A", "Quầy A"], ["UBND xã B", "Quầy B"]),
    "/admin/units": (["UBND xã A"], ["UBND xã B", "XAB"]),
    "/admin/users": (["manager_a"], ["manager_b"]),
    "/admin/campaigns": (["Đợt riêng xã A"], ["Đợt riêng xã B"]),
    "/admin/audit": (["XAA", "manager_a"], ["XAB", "manager_b"]),
    "/admin/api-keys": (["Khoá UBND xã A"], ["Khoá UBND xã B"]),
}


@pytest.mark.parametrize("role", ROLES)
def test_list_pages_show_only_the_viewers_subtree(app, world, role):
    client = app.test_client()
    AuthActions(client).login(role)
    opened, wrong = 0, {}
    for url, (own, others) in LISTS.items():
        page = client.get(url)
        if page.status_code == 403:
            continue
        assert page.status_code == 200, url
        opened += 1
        body = page.get_data(as_text=True)
        expected_present = own + (others if role == "admin" else [])
        expected_absent = [] if role == "admin" else others
        missing = [name for name in expected_present if name not in body]
        leaked = [name for name in expected_absent if name in body]
        if missing or leaked:
            wrong[url] = {"missing": missing, "leaked": leaked}
    assert wrong == {}
    assert opened == {"clerk_a": 4, "manager_a": 6, "admin_a": 11, "admin": 11}[role]


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
    assert count_rows(app, Tally) == 2  # the two of the world, none added


def test_refused_requests_change_nothing(app, world):
    before = count_rows(app, AuditEvent)
    client = app.test_client()
    AuthActions(client).login("manager_a")
    token = csrf_token_of(client.get("/staff/"))
    client.post(f"/staff/counters/{world.counter_b}/reissue",
                data={"csrf_token": token, "confirmed": "1"})
    client.post(f"/admin/campaigns/{world.campaign_b}/activate", data={"csrf_token": token})
    assert count_rows(app, AuditEvent) == before
