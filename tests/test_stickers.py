"""Printed QR stickers: every code scans to its counter's URL, on every layout."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.clock import local_today
from app.extensions import db
from app.models import AuditEvent, Counter, Unit
from app.pdf import OutsideFetchRefused, html_to_pdf, printable_path
from app.printing import render
from app.printing.render import layouts
from app.qr import QUIET_ZONE, qr_matrix
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.print_tools import (
    dark_box,
    decode,
    pdf_fonts,
    pdf_text,
    rasterise,
    require_tools,
)

BASE = "https://khaosat.example.vn"
NAMES = ["Quầy Sở Kế hoạch và Đầu tư số 1", "Quầy trả kết quả của Bưu điện",
         "Bộ phận Một cửa – Quầy 2"]


# Only the tests that read PDFs as a person would need poppler and zbar.
rasterising = pytest.mark.usefixtures("print_tools")


@pytest.fixture
def print_tools():
    require_tools()


@pytest.fixture
def counters(app):
    """Three counters in two units, one run by the post office; returns their codes."""
    with app.app_context():
        province = make_unit("BINHAN", "Tỉnh Bình An")
        center = make_unit("TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh", "center",
                           parent=province)
        ward = make_unit("PBM", "UBND phường Bình Minh", "commune", parent=province)
        make_counter(center, NAMES[0])
        make_counter(center, NAMES[1], operator="Bưu điện tỉnh")
        make_counter(ward, NAMES[2])
        make_campaign(province)
        return [c.code for c in db.session.scalars(select(Counter).order_by(Counter.id))]


def print_cli(runner, tmp_path, *args) -> tuple[str, object]:
    out = tmp_path / "stickers.pdf"
    result = runner.invoke(args=["print-stickers", "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return result.output, out


@rasterising
@pytest.mark.parametrize("layout", ["poster", "a4-2x2", "a4-2x4", "labels-3x7", "a6-tent"])
def test_every_layout_prints_codes_that_scan_to_their_counters(runner, counters, tmp_path,
                                                               layout):
    output, pdf = print_cli(runner, tmp_path, "--layout", layout)
    assert "Wrote 3 stickers" in output
    faces = layouts()[layout].faces
    pages = rasterise(pdf, tmp_path)
    decoded = decode(pages)
    expected = [f"{BASE}/q/{code}" for code in counters] * faces
    assert sorted(decoded) == sorted(expected)
    assert len(decoded) == 3 * faces
    text = pdf_text(pdf)
    for name in NAMES:
        assert name in text  # diacritics intact
    assert "Quét mã QR để đánh giá mức độ hài lòng" in text
    assert "Ẩn danh – không bắt buộc" in text
    assert f"khaosat.example.vn/q/{counters[0]}" in text.replace(" ", "")
    fonts = pdf_fonts(pdf)
    assert fonts and all("Be-Vietnam-Pro" in f for f in fonts), fonts


@rasterising
def test_every_sheet_says_when_and_from_which_run_it_was_printed(app, runner, counters,
                                                                  tmp_path):
    output, pdf = print_cli(runner, tmp_path, "--layout", "a4-2x2")
    run = re.search(r"print run ([0-9A-Z]{6})", output).group(1)
    text = pdf_text(pdf)
    with app.app_context():
        today = local_today().strftime("%d/%m/%Y")
    assert f"In ngày {today} · Lô {run} · Tờ 1/1" in text
    assert text.count(f"In {today} · Lô {run}") == 3  # on each sticker too, for after cutting


@rasterising
def test_large_qr_codes_on_poster_and_eight_up_sheets(runner, counters, tmp_path):
    """The code itself (quiet zone excluded) is at least 30 mm wide."""
    for layout, (left, top, width, height) in {
        "poster": (15, 15, 180, 265),            # the whole sticker
        "a4-2x4": (10, 16.5, 50, 66),            # the code column of the first sticker
    }.items():
        _, pdf = print_cli(runner, tmp_path, "--layout", layout, "--counter", counters[0])
        out = tmp_path / layout
        out.mkdir()
        page = rasterise(pdf, out)[0]
        # Words above and below the code: measure the code between its finder patterns.
        box = dark_box(page, left + 2, top + 2, width - 4, height - 4)
        assert box is not None
        if layout == "poster":
            qr_left = (210 - 135) / 2 + 135 * QUIET_ZONE / 37
            box = dark_box(page, qr_left - 1, 60, 140, 140)
        assert box[2] - box[0] >= 30, (layout, box)


@rasterising
def test_label_stock_stickers_land_on_the_die_cut_grid(app, runner, tmp_path):
    """3 × 7 labels of 63.5 × 38.1 mm: columns every 66.0 mm from 7.25 mm, rows every 38.1 mm
    from 15.15 mm. Each code's corner sits where the layout puts it, within 1 mm, and no ink
    crosses a label's edge."""
    with app.app_context():
        unit = make_unit()
        for i in range(21):
            make_counter(unit, f"Quầy số {i + 1}")
    _, pdf = print_cli(runner, tmp_path, "--layout", "labels-3x7")
    page = rasterise(pdf, tmp_path)[0]
    modules = len(qr_matrix(f"{BASE}/q/ABCDEFGH"))
    quiet = 34 * QUIET_ZONE / (modules + 2 * QUIET_ZONE)  # the 34 mm box holds the quiet zone
    for row in range(7):
        for col in range(3):
            x0, y0 = 7.25 + col * 66.0, 15.15 + row * 38.1
            qr = dark_box(page, x0, y0, 34, 38.1)
            expected = (x0 + quiet, y0 + (38.1 - 34) / 2 + quiet)
            assert abs(qr[0] - expected[0]) <= 1 and abs(qr[1] - expected[1]) <= 1, (row, col)
            ink = dark_box(page, x0, y0, 63.5, 38.1)
            assert ink[2] <= x0 + 63.5 and ink[3] <= y0 + 38.1
    # Nothing printed in the gutters between columns.
    for col in range(2):
        assert dark_box(page, 7.25 + 63.5 + col * 66.0 + 0.3, 16, 1.9, 265) is None


@rasterising
def test_print_one_counter_or_one_units_subtree(runner, counters, tmp_path):
    output, pdf = print_cli(runner, tmp_path, "--counter", counters[1])
    assert "Wrote 1 sticker on 1 sheet" in output
    assert decode(rasterise(pdf, tmp_path)) == [f"{BASE}/q/{counters[1]}"]
    output, _ = print_cli(runner, tmp_path, "--unit", "TTPVHCC")
    assert "Wrote 2 stickers" in output


@pytest.mark.parametrize(("args", "message"), [
    (["--unit", "NOPE"], "Không có đơn vị mã NOPE."),
    (["--counter", "ZZZZZZZZ"], "Không có quầy đang hoạt động mã ZZZZZZZZ."),
    (["--layout", "a3-huge"], "Invalid value for '--layout'"),
])
def test_print_stickers_refuses_unknown_choices(runner, counters, args, message):
    result = runner.invoke(args=["print-stickers", *args])
    assert result.exit_code != 0
    assert message in result.output


@rasterising
def test_reissued_code_retires_the_old_sticker(app, runner, client, counters, tmp_path):
    old = counters[0]
    result = runner.invoke(args=["reissue-code", old])
    assert result.exit_code == 0, result.output
    new = re.search(r"new code ([0-9A-Z]{8})", result.output).group(1)
    assert new != old
    gone = client.get(f"/q/{old}")
    assert gone.status_code == 410
    assert "Mã này không còn sử dụng" in gone.get_data(as_text=True)
    assert client.get(f"/q/{new}").status_code == 200
    _, pdf = print_cli(runner, tmp_path, "--counter", new)
    assert decode(rasterise(pdf, tmp_path)) == [f"{BASE}/q/{new}"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reissue-code"))
        assert event.before == {"code": old} and event.after == {"code": new}


@rasterising
def test_big_runs_are_laid_out_in_parallel_and_joined_in_order(app, counters, tmp_path,
                                                               monkeypatch):
    monkeypatch.setattr(render, "MIN_SHEETS_PER_PROCESS", 1)
    with app.app_context():
        chosen = db.session.scalars(select(Counter).order_by(Counter.id)).all()
        stickers = render.make_stickers(chosen)
    run = render.PrintRun.new(date(2026, 11, 22))
    pdf = tmp_path / "parallel.pdf"
    pdf.write_bytes(render.render_sheets(stickers, layouts()["poster"], run, workers=3))
    pages = rasterise(pdf, tmp_path)
    assert [decode([p]) for p in pages] == [[f"{BASE}/q/{c}"] for c in counters]
    text = pdf_text(pdf)
    assert [f"Tờ {i}/3" in text for i in (1, 2, 3)] == [True, True, True]
    assert text.index("Tờ 1/3") < text.index("Tờ 2/3") < text.index("Tờ 3/3")


@pytest.mark.parametrize("url", ["https://example.com/font.ttf", "file:///etc/hostname",
                                 "file:///work/../etc/passwd", "data:text/css,body{}"])
def test_print_layouts_fetch_nothing_outside_printables(url):
    with pytest.raises(OutsideFetchRefused):
        printable_path(url)


def test_a_layout_asking_for_an_outside_file_fails_loudly():
    with pytest.raises(BaseException, match="Error fetching"):
        html_to_pdf('<img src="file:///etc/hostname">')


@pytest.fixture
def admin(app, auth, counters):
    with app.app_context():
        make_user("sonoivu", "admin", db.session.scalar(select(Unit).where(Unit.code == "BINHAN")))
    auth.login("sonoivu")


def test_sticker_page_lets_staff_pick_counters_and_layout(client, admin, counters):
    page = client.get("/stickers?unit=TTPVHCC")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert NAMES[0] in html and NAMES[1] in html and NAMES[2] not in html
    for title in ("A4 – 8 tem (2×4)", "Giấy nhãn A4 – 21 nhãn 63,5×38,1 mm (3×7)",
                  "Biển để bàn A6 (gấp đôi)"):
        assert title in html


@rasterising
def test_sticker_pdf_preview_and_download(client, admin, counters, tmp_path):
    preview = client.get(f"/stickers.pdf?unit=BINHAN&layout=a4-2x4&counters={counters[2]}")
    assert preview.status_code == 200
    assert preview.headers["Content-Type"] == "application/pdf"
    assert preview.headers["Content-Disposition"].startswith("inline;")
    pdf = tmp_path / "preview.pdf"
    pdf.write_bytes(preview.data)
    assert decode(rasterise(pdf, tmp_path)) == [f"{BASE}/q/{counters[2]}"]
    download = client.get("/stickers.pdf?unit=PBM&layout=poster&download=1")
    assert download.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("query", ["unit=BINHAN&layout=a3", "unit=NOPE&layout=poster",
                                   "unit=BINHAN&layout=poster&counters=ZZZZZZZZ"])
def test_sticker_pdf_refuses_bad_choices_with_the_form(client, admin, counters, query):
    page = client.get(f"/stickers.pdf?{query}")
    assert page.status_code == 422
    assert "In tem QR cho quầy" in page.get_data(as_text=True)


def test_sticker_pages_need_a_login(client, counters):
    for url in ("/stickers", "/stickers.pdf?unit=BINHAN&layout=poster"):
        page = client.get(url)
        assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")


@rasterising
def test_clerk_prints_only_their_units_counters(app, client, auth, counters, tmp_path):
    with app.app_context():
        ward = db.session.scalar(select(Unit).where(Unit.code == "PBM"))
        make_user("congchuc", "clerk", ward)
    auth.login("congchuc")
    page = client.get("/stickers").get_data(as_text=True)
    assert NAMES[2] in page and NAMES[0] not in page and "TTPVHCC" not in page
    # The whole-province unit, or another unit's counter, by a forged query: refused.
    assert client.get("/stickers.pdf?unit=BINHAN&layout=poster").status_code == 422
    forged = client.get(f"/stickers.pdf?unit=PBM&layout=poster&counters={counters[0]}")
    assert forged.status_code == 422
    own = client.get("/stickers.pdf?unit=PBM&layout=poster")
    pdf = tmp_path / "own.pdf"
    pdf.write_bytes(own.data)
    assert decode(rasterise(pdf, tmp_path)) == [f"{BASE}/q/{counters[2]}"]


def test_a_qr_code_is_encoded_once_when_its_code_is_issued_and_prints_reuse_it(
        app, counters, monkeypatch):
    from app import qr
    from app.domain.org import reissue_code, survey_url
    from app.models import QrCode

    with app.app_context():
        counter = db.session.scalars(select(Counter).order_by(Counter.id)).first()
        assert db.session.get(QrCode, survey_url(counter.code)) is not None  # when added
        db.session.delete(db.session.get(QrCode, survey_url(counter.code)))  # e.g. a new base
        stickers = render.make_stickers([counter])  # the next print encodes it, and keeps it
        db.session.commit()
        kept = db.session.get(QrCode, survey_url(counter.code)).svg
        assert stickers[0].qr_svg == kept and kept.startswith("<svg")
        new = reissue_code(counter, actor="test", today=local_today())
        db.session.commit()
        assert db.session.get(QrCode, survey_url(new)) is not None  # encoded when issued

        def no_encoding(url):
            raise AssertionError(f"a print encoded {url} again")

        monkeypatch.setattr(qr, "qr_svg", no_encoding)
        assert render.make_stickers([counter])[0].qr_svg.startswith("<svg")


# --- the typed address: on one line of its sticker, whatever the host -------------------

LONG_HOST = "khaosat-hailong.sonoivu.tinh-binhan.gov.vn"  # 42 characters


def _address_lines(layout, host: str) -> tuple[render.AddressFit, list[tuple[str, float]]]:
    """Lay out one sticker of `layout` whose address has `host` and the widest code (WWWWWWWW,
    wider than any the alphabet makes up in practice); return
    the fit chosen and each line of the address as WeasyPrint laid it out: (its text, how far
    its end lies past the address's column, in CSS px)."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    from app.pdf import PRINTABLES_DIR, _fetcher, render_html

    sticker = render.Sticker(province_name="Tỉnh Bình An", unit_name="UBND xã An Phú",
                             counter_name="Bộ phận Một cửa – Quầy 1", operator=None,
                             code="WWWWWWWW", url=f"https://{host}/q/WWWWWWWW",
                             short_url=f"{host}/q/WWWWWWWW", qr_svg="")
    fit = render.address_fit(sticker.host, sticker.path, layout)
    html = render_html(f"stickers/{layout.template}", sheets=[[sticker]], layout=layout,
                       run=render.PrintRun("ABCDEF", "04/12/2026"), first_sheet=1,
                       total_sheets=1, address_of=lambda s: fit)
    page = HTML(string=html, base_url=str(PRINTABLES_DIR / "stickers") + "/",
                url_fetcher=_fetcher()).render().pages[0]
    def walk(box):  # every box, also those placed absolutely (behind a placeholder)
        box = getattr(box, "_box", box)
        yield box
        for child in getattr(box, "children", ()):
            yield from walk(child)

    found = []
    for box in walk(page._page_box):
        if (isinstance(box, boxes.BlockBox) and box.element_tag == "p"
                and "url" in (box.element.get("class") or "").split()):
            column_end = box.content_box_x() + box.width
            for line in box.children:
                assert isinstance(line, boxes.LineBox)
                texts = [t for t in walk(line) if isinstance(t, boxes.TextBox)]
                end = max(t.position_x + t.margin_width() for t in texts)
                found.append(("".join(t.text for t in texts), end - column_end))
    return fit, found


@pytest.mark.parametrize("name", sorted(layouts()))
@pytest.mark.parametrize("host", ["127.0.0.1:5000", "khaosat.binhan.gov.vn", LONG_HOST])
def test_the_typed_address_fits_its_sticker_on_every_layout(name, host):
    layout = layouts()[name]
    fit, lines = _address_lines(layout, host)
    faces = layout.faces
    if fit.one_line:
        assert [text for text, _past in lines] == [f"{host}/q/WWWWWWWW"] * faces
    else:  # the host alone above the path, never cut inside either
        assert [text for text, _past in lines] == [host, "/q/WWWWWWWW"] * faces
    assert all(past <= 0.01 for _text, past in lines), lines
    if layout.address_mm >= 80 and host != LONG_HOST:  # the large stickers: as it is
        assert fit == render.AddressFit(one_line=True, host_pt=layout.address_pt)
    if name == "labels-3x7" and host == LONG_HOST:  # 27 mm: the host's own line, small
        assert not fit.one_line and 3 <= fit.host_pt < layout.address_pt
