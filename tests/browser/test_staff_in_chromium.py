"""A clerk logs in with a real browser and records today's returned results."""

from datetime import date

import pytest
from sqlalchemy import select

from app.clock import local_today
from app.extensions import db
from app.models import Tally
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def clerk_counter(app) -> tuple[str, date]:
    """A commune's counter in a running campaign and its clerk: the counter's code, today."""
    with app.app_context():
        province = make_unit()
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        code = make_counter(commune, "Quầy 1").code
        make_campaign(province)
        make_user("clerk", "clerk", commune)
        return code, local_today()


def test_clerk_logs_in_and_records_a_tally(app, browser, live_server, clerk_counter,
                                           tmp_path):
    today = clerk_counter[1]
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/staff/tallies")
    assert "/login" in page.url
    sign_in(page, "clerk")
    page.wait_for_url("**/staff/tallies")
    page.get_by_label("Số kết quả đã trả tại quầy").fill("25")
    page.get_by_label("Trong đó: trả ngay khi nộp").fill("4")
    page.get_by_label("Trong đó: nộp trực tuyến").fill("1")
    page.get_by_role("button", name="Lưu", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("20 kết quả thuộc diện khảo sát").is_visible()
    page.screenshot(path=tmp_path / "tallies.png", full_page=True)
    context.close()
    with app.app_context():
        tally = db.session.scalars(select(Tally)).one()
        assert (tally.day, tally.returned, tally.eligible) == (today, 25, 20)


def test_the_sticker_pdf_is_for_the_unit_the_page_shows(app, browser, live_server, tmp_path):
    """Choosing a unit in the list and pressing "Tải PDF" without "Chọn đơn vị" first used to
    print the whole province. Now the page shows the chosen unit's counters, prints nothing,
    and the next press prints that unit only."""
    with app.app_context():
        province = make_unit()
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        other = make_unit("PHUONG", "UBND phường Thử", "commune", parent=province)
        make_counter(commune, "Quầy xã")
        make_counter(other, "Quầy phường 1")
        make_counter(other, "Quầy phường 2")
        make_user("sonoivu", "admin", province)
    context = browser.new_context(viewport={"width": 1024, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/login?next=/stickers")
    sign_in(page, "sonoivu")
    page.wait_for_url("**/stickers")
    assert page.get_by_text("Quầy phường 1").count() == 1  # the province: every counter
    page.get_by_label("Đơn vị").select_option(label="UBND xã Thử")
    page.get_by_role("button", name="Tải PDF").click()  # without "Chọn đơn vị"
    page.wait_for_url("**/stickers?unit=XA*")
    assert page.get_by_text("Đã chọn đơn vị khác").is_visible()
    assert page.get_by_text("Quầy xã").count() == 1 and page.get_by_text("Quầy phường").count() == 0
    with page.expect_download() as download:
        page.get_by_role("button", name="Tải PDF").click()
    pdf = tmp_path / "xa.pdf"
    download.value.save_as(pdf)
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Quầy xã" in text and "Quầy phường" not in text
    assert len(PdfReader(pdf).pages) == 1
    context.close()


def test_an_import_lands_where_its_problems_and_its_confirmation_are(app, browser, live_server,
                                                                     clerk_counter, tmp_path):
    """1366×900 with a month of tallies listed below: after "Nhập tệp", the refusal is on the
    first screen (it used to sit at y≈950); a file that would change a typed tally shows old →
    new and stores only after "Thay … và nhập tệp"."""
    code, today = clerk_counter
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/login?next=/staff/tallies")
    sign_in(page, "clerk")
    page.wait_for_url("**/staff/tallies")
    page.get_by_label("Số kết quả đã trả tại quầy").fill("20")
    page.get_by_role("button", name="Lưu", exact=True).click()
    page.wait_for_load_state()
    bad = tmp_path / "sai.csv"
    bad.write_text(f"date,counter_code,returned,immediate,online,postal\n"
                   f"{today.isoformat()},{code},nhiều,0,0,0\n", encoding="utf-8")
    page.set_input_files("#i-file", bad)
    page.get_by_role("button", name="Nhập tệp").click()
    page.wait_for_load_state()
    problems = page.locator("#import-problems")
    box = problems.bounding_box()
    page.screenshot(path=tmp_path / "import-refused.png")
    assert "Dòng 2" in problems.inner_text() and box["y"] >= 0 and box["y"] + 40 < 900, box
    changed = tmp_path / "moi.csv"
    changed.write_text(f"date,counter_code,returned,immediate,online,postal\n"
                       f"{today.isoformat()},{code},26,0,0,0\n", encoding="utf-8")
    page.set_input_files("#i-file", changed)
    page.get_by_role("button", name="Nhập tệp").click()
    page.wait_for_load_state()
    assert page.locator("table.replacements del").first.inner_text() == "20"
    page.screenshot(path=tmp_path / "import-asks.png", full_page=True)
    with app.app_context():
        assert db.session.scalars(select(Tally)).one().returned == 20  # not yet
    page.get_by_role("button", name="Thay 1 dòng và nhập tệp").click()
    page.wait_for_load_state()
    assert page.get_by_text("0 dòng mới, 1 dòng thay thế").is_visible()
    context.close()
    with app.app_context():
        assert db.session.scalars(select(Tally)).one().returned == 26
