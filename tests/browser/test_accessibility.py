"""axe-core (WCAG 2.1 A and AA rules) finds nothing to fix on the pages citizens and staff use."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.factories import make_campaign, make_counter, make_unit, make_user, ref
from tests.helpers import sign_in

pytestmark = pytest.mark.browser
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


@pytest.fixture
def counter(app):
    with app.app_context():
        province = make_unit()
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        make_campaign(province)
        make_user("admin", "admin", province)
        return ref(make_counter(commune, "Quầy 1"))


def violations(page) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})"
            for v in results.response["violations"]]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 667})
    page = context.new_page()
    yield page
    context.close()


def test_survey_pages_pass_axe(live_server, phone, counter):
    phone.goto(f"{live_server}/q/{counter.code}")
    assert violations(phone) == []
    phone.get_by_label("Trực tiếp tại Bộ phận Một cửa").check()
    phone.locator("#immediate").get_by_label("Không").check()
    phone.get_by_role("button", name="Gửi").click()  # ratings missing: the form with errors
    phone.wait_for_load_state()
    assert phone.locator(".summary").is_visible()
    assert violations(phone) == []
    phone.get_by_role("button", name="Không tham gia").click()
    phone.wait_for_load_state()
    assert violations(phone) == []
    phone.goto(f"{live_server}/q/ZZZZZZZZ")
    assert violations(phone) == []
    # The report of pressure: blank, refused for want of anything, and received.
    phone.goto(f"{live_server}/q/{counter.code}/phan-anh")
    assert violations(phone) == []
    phone.get_by_role("button", name="Gửi phản ánh").click()
    phone.wait_for_load_state()
    assert phone.locator(".summary").is_visible() and violations(phone) == []
    phone.get_by_label("Bị theo dõi, nhìn vào khi đang trả lời").check()
    phone.get_by_role("button", name="Gửi phản ánh").click()
    phone.wait_for_load_state()
    assert "Đã nhận phản ánh" in phone.content() and violations(phone) == []


def test_staff_pages_pass_axe(live_server, phone, counter):
    phone.goto(f"{live_server}/login")
    assert violations(phone) == []
    sign_in(phone, "admin")
    phone.wait_for_load_state()
    found = {}
    for path in ("/staff/", "/staff/tallies", "/staff/counters", "/stickers", "/admin/units",
                 "/admin/users/new", "/admin/campaigns/new", "/admin/audit", "/reports/review",
                 "/reports/pressure"):
        phone.goto(f"{live_server}{path}")
        found[path] = violations(phone)
    assert {path: v for path, v in found.items() if v} == {}


def test_axe_really_runs_under_the_survey_pages_strict_policy(live_server, phone, counter):
    """The survey's Content-Security-Policy must not silently stop the checker."""
    phone.goto(f"{live_server}/q/{counter.code}")
    phone.evaluate("document.querySelector('#access input').removeAttribute('id');"
                   "document.querySelector('main').insertAdjacentHTML('beforeend',"
                   " '<input type=text>')")
    assert any(v.startswith("label:") for v in violations(phone))


@pytest.fixture
def reported(app):
    """A commune with two counters, a clerk of the commune, and a week of figures."""
    from datetime import timedelta

    from app.clock import local_today
    from app.reports import periods
    from tests.test_reports import add_day

    with app.app_context():
        monday = periods.last_reportable_day(local_today()) - timedelta(days=6)
        province = make_unit()
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        campaign = make_campaign(province, starts_on=monday - timedelta(days=14))
        for name, responses in (("Quầy 1", 40), ("Quầy 2", 3)):
            add_day(make_counter(commune, name), monday, eligible=60, responses=responses,
                    overall=(1, 0, 1, responses // 2, responses - 2 - responses // 2),
                    campaign=campaign)
        make_user("admin", "admin", province)
        make_user("clerk", "clerk", commune)
        return commune.id


@pytest.mark.parametrize("width", [1366, 390])
def test_report_pages_pass_axe(live_server, browser, reported, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    found = {}
    for user, paths in (("admin", ("/reports/", f"/reports/?unit={reported}",
                                   "/reports/?period=custom&start=2026-01-01&end=2026-01-02")),
                        ("clerk", ("/reports/",))):
        page.goto(f"{live_server}/login")
        sign_in(page, user)
        page.wait_for_load_state()
        for path in paths:
            page.goto(f"{live_server}{path}")
            found[f"{user} {path}"] = violations(page)
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_load_state()
    context.close()
    assert {path: v for path, v in found.items() if v} == {}
