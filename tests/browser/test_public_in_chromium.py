"""The public results page as a reader sees it on a phone and at a desk."""

import pytest

from app.extensions import db
from app.models import Campaign
from tests.test_public_results import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "lang"), [(390, "en"), (390, "vi"), (1366, "vi")])
def test_the_results_read_without_sideways_scrolling(app, browser, live_server, world,  # noqa: F811
                                                     width, lang):
    with app.app_context():
        campaign = db.session.get(Campaign, world)
        campaign.published = campaign.publish_counters = True
        db.session.commit()
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/ket-qua/{world}?lang={lang}")
    assert page.locator("table.results tbody tr").count() == 5  # 3 units, 2 counters
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Each figure sits on the line of its label (a card per row on a phone).
    rate = page.locator("table.results tbody tr").first.locator("td").nth(2)
    assert rate.inner_text().strip() in ("40,00%", "40.00%")
    context.close()
