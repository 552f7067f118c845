"""Every staff page fits a clerk's phone (390 px wide): tables scroll inside their own box,
the page itself never scrolls sideways, and the header spans the screen."""

import pytest
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Campaign, Counter, Unit, User
from tests.helpers import sign_in

pytestmark = pytest.mark.browser
WIDTH = 390


@pytest.fixture
def demo(app, runner):
    """The demo province with two weeks of history (every list and report has rows)."""
    assert runner.invoke(args=["seed-demo", "--history-days", "14"]).exit_code == 0
    with app.app_context():
        return {"counter": db.session.scalar(select(Counter.id)),
                "unit": db.session.scalar(select(Unit.id).where(Unit.parent_id.is_not(None))),
                "user": db.session.scalar(select(User.id)),
                "campaign": db.session.scalar(select(Campaign.id))}


def staff_pages(ids) -> list[str]:
    return ["/staff/", "/staff/counters", "/staff/counters/new",
            f"/staff/counters/{ids['counter']}", "/staff/tallies", "/stickers",
            "/admin/units", "/admin/units/new",
            f"/admin/units/{ids['unit']}", "/admin/users", "/admin/users/new",
            f"/admin/users/{ids['user']}", "/admin/campaigns", "/admin/campaigns/new",
            f"/admin/campaigns/{ids['campaign']}", "/admin/audit", "/reports/",
            f"/reports/?unit={ids['unit']}", "/reports/details", "/reports/pressure",
            "/reports/review", "/staff/invitations/", "/admin/api-keys", "/account/password",
            "/login", "/"]


def test_no_staff_page_scrolls_sideways_on_a_phone(browser, live_server, demo, tmp_path):
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    sign_in(page, "admin", DEMO_PASSWORD)
    page.wait_for_url("**/staff/")
    too_wide = {}
    for path in staff_pages(demo):
        page.goto(live_server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        header = page.evaluate("document.querySelector('header.top').getBoundingClientRect()"
                               ".width")
        if width > WIDTH or header < WIDTH:
            too_wide[path] = (width, header)
            page.screenshot(path=tmp_path / f"{path.strip('/').replace('/', '_') or 'home'}.png",
                            full_page=True)
    # A new API key is shown once, with its curl example: that page must fit too.
    page.goto(f"{live_server}/admin/api-keys")
    page.fill("#name", "Hệ thống một cửa tỉnh")
    page.click("form.narrow button[type=submit]")
    secret = page.inner_text("code.secret")
    assert secret.startswith("khs_") and secret in page.inner_text("pre.example")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        too_wide["/admin/api-keys (a new key)"] = (width, WIDTH)
    page.screenshot(path=tmp_path / "new-api-key.png", full_page=True)
    context.close()
    assert too_wide == {}, f"page width, header width at {WIDTH} px (screenshots in {tmp_path})"


@pytest.mark.parametrize(("width", "wide"), [(WIDTH, False), (1366, True)])
def test_chart_text_is_legible_and_charts_fill_the_page(browser, live_server, demo, width,
                                                        wide):
    """Each chart shows the drawing made for the width (the phone's or the desktop's), its
    smallest text at least 12 CSS px, and on a desktop the full width of the report."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    sign_in(page, "admin", DEMO_PASSWORD)
    page.wait_for_url("**/staff/")
    page.goto(f"{live_server}/reports/")
    shown = page.evaluate("""() => [...document.querySelectorAll('figure.chart svg')]
        .filter(s => s.getBoundingClientRect().width > 0).map(s => {
          const scale = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
          const sizes = [...s.querySelectorAll('text')].filter(t => t.textContent.trim())
            .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
          return {width: s.getBoundingClientRect().width, smallest: Math.min(...sizes),
                  label: s.getAttribute('aria-label')};
        })""")
    context.close()
    assert len(shown) == 3  # volume, rate against target, satisfaction: one drawing each
    assert all(chart["smallest"] >= 12 for chart in shown), shown
    assert shown[1]["label"].startswith("Tỷ lệ phản hồi mỗi tuần so với chỉ tiêu 30,00%")
    if wide:
        assert all(chart["width"] >= 1100 for chart in shown), shown
