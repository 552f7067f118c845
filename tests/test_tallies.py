"""The denominator: tallies typed in by staff or imported from the one-stop system's export."""

import base64
import io
import re
import zipfile
from datetime import timedelta
from html import unescape as html_unescape

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.clock import local_today
from app.extensions import db
from app.models import AuditEvent, Tally
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import AuthActions, confirm_upload, csrf_token_of

HEADER = "date,counter_code,returned,immediate,online,postal"


@pytest.fixture
def setup(app):
    """A commune with two counters in a campaign that began 20 days ago; a clerk logged in."""
    with app.app_context():
        today = local_today()
        province = make_unit()
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        one, two = make_counter(commune, "Quầy 1"), make_counter(commune, "Quầy 2")
        other = make_counter(make_unit("XB", "UBND xã Khác", "commune", parent=province),
                             "Quầy xã khác")
        make_campaign(province, starts_on=today - timedelta(days=20), ends_on=today + timedelta(7))
        make_user("clerk", "clerk", commune)
        return {"one": one.code, "two": two.code, "other": other.code, "today": today}


@pytest.fixture
def clerk(app, setup):
    client = app.test_client()
    AuthActions(client).login("clerk")
    return client


def tallies(app) -> dict:
    with app.app_context():
        return {(t.counter.code, t.day): (t.returned, t.immediate, t.online, t.postal, t.eligible)
                for t in db.session.scalars(select(Tally))}


def upload(client, name: str, data: bytes):
    token = csrf_token_of(client.get("/staff/tallies"))
    return client.post("/staff/tallies/import", data={
        "csrf_token": token, "i-csrf_token": token, "i-file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def day(setup, ago: int) -> str:
    return (setup["today"] - timedelta(days=ago)).isoformat()


def test_clerk_types_todays_numbers_and_sees_the_eligible_count(app, clerk, setup):
    form = clerk.get("/staff/tallies")
    page = clerk.post("/staff/tallies", data={
        "csrf_token": csrf_token_of(form), "t-counter": _id(app, setup["one"]),
        "t-day": setup["today"].isoformat(), "t-returned": 40, "t-immediate": 5, "t-online": 3,
        "t-postal": 2}, follow_redirects=True)
    assert "30 kết quả thuộc diện khảo sát" in page.get_data(as_text=True)
    assert tallies(app) == {(setup["one"], setup["today"]): (40, 5, 3, 2, 30)}
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "tally"))
        assert event.actor == "clerk" and event.action == "record" and event.after["returned"] == 40


def _id(app, code):
    from app.models import Counter

    with app.app_context():
        return db.session.scalar(select(Counter.id).where(Counter.code == code))


@pytest.mark.parametrize(("numbers", "when", "message"), [
    ((10, 6, 3, 2), 0, "không được lớn hơn số đã trả"),
    ((10, -1, 0, 0), 0, "Số lượng không được âm."),
    ((10, 0, 0, 0), -1, "Không nhập số cho ngày trong tương lai."),
    ((10, 0, 0, 0), 30, "không thuộc đợt khảo sát nào của quầy này"),
])
def test_nonsense_numbers_are_refused_with_the_form_kept(app, clerk, setup, numbers, when,
                                                        message):
    form = clerk.get("/staff/tallies")
    returned, immediate, online, postal = numbers
    page = clerk.post("/staff/tallies", data={
        "csrf_token": csrf_token_of(form), "t-counter": _id(app, setup["one"]),
        "t-day": day(setup, when), "t-returned": returned, "t-immediate": immediate,
        "t-online": online, "t-postal": postal})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and message in html
    assert f'value="{returned}"' in html  # what was typed is still there
    assert tallies(app) == {}


def test_csv_import_with_bom_semicolons_and_vietnamese_headers(app, clerk, setup):
    d = (setup["today"] - timedelta(days=2)).strftime("%d/%m/%Y")
    csv = (f"Ngày;Mã quầy;Số trả;Trả ngay;Trực tuyến;Bưu chính\n"
           f"{d};{setup['one']};20;2;1;0\n{d};{setup['two'].lower()};7;0;0;1\n")
    page = upload(clerk, "xuat-mot-cua.csv", b"\xef\xbb\xbf" + csv.encode())
    assert page.status_code == 303
    two_days_ago = setup["today"] - timedelta(days=2)
    assert tallies(app) == {(setup["one"], two_days_ago): (20, 2, 1, 0, 17),
                            (setup["two"], two_days_ago): (7, 0, 0, 1, 6)}


def confirm_replacing(client, page):
    return confirm_upload(client, page, "/staff/tallies/import/confirm")


def test_an_import_that_replaces_tallies_shows_old_and_new_and_asks_first(app, clerk, setup):
    first = f"{HEADER}\n{day(setup, 1)},{setup['one']},20,3,2,1\n"
    assert upload(clerk, "a.csv", first.encode()).status_code == 303
    second = (f"{HEADER}\n{day(setup, 1)},{setup['one']},26,2,3,0\n"
              f"{day(setup, 2)},{setup['one']},5,0,0,0\n")
    page = upload(clerk, "b.csv", second.encode())
    html = page.get_data(as_text=True)
    # Nothing stored yet: the page lists the row, old → new per column, and asks.
    assert page.status_code == 200 and "sẽ thay số đã có" in html
    assert "Tệp có 2 dòng; 1 dòng dưới đây sẽ thay số đã nhập trước" in html
    assert "<del>20</del> → <strong>26</strong>" in html  # returned
    assert "<del>14</del> → <strong>21</strong>" in html  # eligible
    assert tallies(app) == {(setup["one"], setup["today"] - timedelta(days=1)): (20, 3, 2, 1, 14)}
    done = confirm_replacing(clerk, page)
    assert done.status_code == 303
    flash = clerk.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 dòng mới, 1 dòng thay thế" in flash
    assert tallies(app)[(setup["one"], setup["today"] - timedelta(days=1))] == (26, 2, 3, 0, 21)
    assert len(tallies(app)) == 2


def test_a_confirmation_stores_only_what_its_page_showed(app, clerk, setup):
    first = f"{HEADER}\n{day(setup, 1)},{setup['one']},20,3,2,1\n"
    upload(clerk, "a.csv", first.encode())
    page = upload(clerk, "b.csv", f"{HEADER}\n{day(setup, 1)},{setup['one']},26,2,3,0\n".encode())
    # Someone types a new figure meanwhile: the confirmation asks again, showing it.
    with app.app_context():
        db.session.execute(db.update(Tally).values(returned=30))
        db.session.commit()
    again = confirm_replacing(clerk, page)
    assert again.status_code == 200 and "vừa được người khác thay đổi" in again.get_data(
        as_text=True)
    assert tallies(app)[(setup["one"], setup["today"] - timedelta(days=1))][0] == 30
    # A form whose file was changed after the page was shown stores nothing.
    fields = {k: html_unescape(v) for k, v in re.findall(
        r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)">',
        page.get_data(as_text=True))}
    fields["content"] = base64.b64encode(
        f"{HEADER}\n{day(setup, 1)},{setup['one']},99,0,0,0\n".encode()).decode()
    refused = clerk.post("/staff/tallies/import/confirm", data=fields)
    assert refused.status_code == 422 and "chưa lưu gì" in refused.get_data(as_text=True)
    assert tallies(app)[(setup["one"], setup["today"] - timedelta(days=1))][0] == 30


def test_a_large_file_comes_back_whole_with_its_confirmation(app, clerk, setup):
    """A month of a busy province's tallies is over a megabyte: its confirmation carries it back
    whole (a plain form: Werkzeug's 500 KB limit on a field holds for multipart forms only, so
    the page must not become one; MAX_CONTENT_LENGTH leaves room for 2 MB in base64). Here the
    size comes from blank rows padded with spaces, which the reader skips."""
    first = f"{HEADER}\n{day(setup, 1)},{setup['one']},20,3,2,1\n"
    upload(clerk, "a.csv", first.encode())
    padding = (",".join([" " * 200] * 20) + "\n") * 260
    big = (f"{HEADER}\n{day(setup, 1)},{setup['one']},26,2,3,0\n{padding}").encode()
    assert 1_000_000 < len(big) < 2 * 1024 * 1024
    page = upload(clerk, "thang.csv", big)
    assert page.status_code == 200, page.status_code
    done = confirm_replacing(clerk, page)
    assert done.status_code == 303, done.status_code
    assert tallies(app)[(setup["one"], setup["today"] - timedelta(days=1))][0] == 26


def test_the_same_numbers_again_replace_nothing_and_need_no_confirmation(app, clerk, setup):
    same = f"{HEADER}\n{day(setup, 1)},{setup['one']},20,3,2,1\n"
    upload(clerk, "a.csv", same.encode())
    assert upload(clerk, "a.csv", same.encode()).status_code == 303


def test_xlsx_import_made_by_openpyxl(app, clerk, setup):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append([setup["today"] - timedelta(days=3), setup["one"], 9, 0, 1, 0])
    sheet.append([day(setup, 4), setup["two"], "1.234", 0, 0, 34])
    data = io.BytesIO()
    book.save(data)
    page = upload(clerk, "export.xlsx", data.getvalue())
    assert page.status_code == 303
    four_days_ago = setup["today"] - timedelta(days=4)
    assert tallies(app)[(setup["two"], four_days_ago)] == (1234, 0, 0, 34, 1200)


def test_a_file_with_bad_rows_is_rejected_whole_with_every_reason(app, clerk, setup):
    csv = (f"{HEADER}\n"
           f"{day(setup, 1)},{setup['one']},10,0,0,0\n"          # fine, but not stored
           f"{day(setup, 1)},{setup['other']},10,0,0,0\n"        # row 3: outside the scope
           f"hôm qua,{setup['two']},10,0,0,0\n"                  # row 4: a date?
           f"{day(setup, 2)},{setup['two']},5,3,3,0\n"           # row 5: parts exceed the whole
           f"{day(setup, 1)},{setup['one']},11,0,0,0\n")         # row 6: duplicate of row 2
    page = upload(clerk, "bad.csv", csv.encode())
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Chưa lưu gì" in html
    assert f"Dòng 3: không có quầy mã {setup['other']} trong phạm vi của bạn" in html
    assert "Dòng 4: ngày “hôm qua” không đúng dạng" in html
    assert "Dòng 5: Tổng trả ngay, trực tuyến và bưu chính không được lớn hơn" in html
    assert "Dòng 6: trùng quầy và ngày với dòng 2" in html
    assert tallies(app) == {}
    # The reasons sit right under the file field, not at the top of the page, and the manual
    # form above keeps its date.
    field, problems = html.index('name="i-file"'), html.index('id="import-problems"')
    assert field < problems < html.index("Tải tệp mẫu")
    assert 'id="tally-problems"' not in html
    assert f'value="{setup["today"].isoformat()}"' in html


@pytest.mark.parametrize(("name", "data", "message"), [
    ("notes.txt", b"hello", "Chỉ nhận tệp .csv hoặc .xlsx."),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "Tệp .xlsx bị hỏng"),
    ("big.csv", b"x" * (2 * 1024 * 1024 + 1), "Tệp lớn hơn 2 MB."),
    ("latin1.csv", "Ngày,Mã quầy,Số trả\n".encode("utf-16"), "UTF-8"),
    ("wrong.csv", b"day,code,n\n2026-01-01,X,1\n", "thiếu cột"),
    ("empty.csv", HEADER.encode() + b"\n", "không có dòng số liệu"),
])
def test_files_that_cannot_be_tallies_are_refused_cleanly(app, setup, name, data, message):
    from app.domain import RowsRejected
    from app.staff.tally_files import read_tally_file

    with app.app_context(), pytest.raises(RowsRejected) as refused:
        read_tally_file(data, name)
    assert message in str(refused.value)


def test_xlsx_with_formulas_is_refused(app, clerk, setup):
    book = Workbook()
    book.active.append(HEADER.split(","))
    book.active.append([day(setup, 1), setup["one"], "=5+5", 0, 0, 0])
    data = io.BytesIO()
    book.save(data)
    page = upload(clerk, "f.xlsx", data.getvalue())
    assert page.status_code == 422 and "Dòng 2: có công thức" in page.get_data(as_text=True)


def test_import_tallies_command(app, runner, setup, tmp_path):
    path = tmp_path / "mot-cua.csv"
    path.write_text(f"{HEADER}\n{day(setup, 1)},{setup['other']},8,1,1,1\n", encoding="utf-8")
    result = runner.invoke(args=["import-tallies", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 rows added, 0 replaced" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n{day(setup, 1)},ZZZZZZZZ,8,1,1,1\n", encoding="utf-8")
    result = runner.invoke(args=["import-tallies", str(bad)])
    assert result.exit_code != 0
    assert "row 2: không có quầy mã ZZZZZZZZ" in result.output
    assert len(tallies(app)) == 1


def test_the_example_file_is_made_of_the_clerks_own_counters_and_is_not_importable(
        app, clerk, setup):
    typed = f"{HEADER}\n{setup['today'].isoformat()},{setup['one']},20,3,2,1\n"
    upload(clerk, "typed.csv", typed.encode())
    example = clerk.get("/staff/tallies/example.csv")
    assert example.status_code == 200 and example.mimetype == "text/csv"
    text = example.get_data(as_text=True)
    assert text.startswith("\ufeff")  # so that Excel reads it as UTF-8, as every export
    assert text[1:].splitlines()[0] == HEADER
    assert setup["one"] in text and setup["two"] in text and setup["other"] not in text
    assert setup["today"].isoformat() in text and ",VD 12," in text
    # Imported as it is: refused, every row says why, and the clerk's typed tally stays.
    page = upload(clerk, "so-ho-so-tra-mau.csv", example.data)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Dòng 2: đây là dòng của tệp mẫu (ô “VD 12”)" in html and "Dòng 3: đây là dòng" in html
    assert tallies(app) == {(setup["one"], setup["today"]): (20, 3, 2, 1, 14)}
    # With its cells filled in, the same file imports (and asks before replacing).
    filled = text.replace("VD ", "")
    assert upload(clerk, "so-ho-so-tra.csv", filled.encode()).status_code == 200


def test_the_list_of_tallies_is_filtered_and_paged_newest_first(app, clerk, setup):
    rows = "".join(f"{day(setup, n)},{code},{10 + n},0,0,0\n"
                   for n in range(20) for code in (setup["one"], setup["two"]))
    assert upload(clerk, "thang.csv", f"{HEADER}\n{rows}".encode()).status_code == 303
    with app.app_context():
        one = db.session.scalar(select(Tally.counter_id).join(Tally.counter).where(
            Tally.counter.has(code=setup["one"])))

    def listed(query: str) -> list[str]:
        html = clerk.get(f"/staff/tallies?{query}").get_data(as_text=True)
        table = html.split('<table class="list tallies">')[1].split("</table>")[0]
        return re.findall(r'<td data-label="Ngày">([\d/]+)</td>', table)

    # 40 tallies: a page of 50 holds them, newest first.
    everything = listed("")
    assert len(everything) == 40 and everything[0] == setup["today"].strftime("%d/%m/%Y")
    # One counter, and a span of days.
    since = (setup["today"] - timedelta(days=4)).isoformat()
    assert len(listed(f"counter={one}&since={since}")) == 5
    until = (setup["today"] - timedelta(days=10)).isoformat()
    assert listed(f"counter={one}&until={until}") == [
        (setup["today"] - timedelta(days=n)).strftime("%d/%m/%Y") for n in range(10, 20)]
    # Another counter's id (outside the choices) is refused, not shown.
    html = clerk.get("/staff/tallies?counter=999999").get_data(as_text=True)
    assert "Lựa chọn không hợp lệ." in html


def test_the_list_of_tallies_comes_a_page_at_a_time(app, clerk, setup, monkeypatch):
    from app.staff import routes

    monkeypatch.setattr(routes, "TALLIES_PER_PAGE", 3)
    rows = "".join(f"{day(setup, n)},{setup['one']},{10 + n},0,0,0\n" for n in range(5))
    upload(clerk, "tuan.csv", f"{HEADER}\n{rows}".encode())
    first = clerk.get("/staff/tallies").get_data(as_text=True)
    assert 'rel="next"' in first and first.count('<td data-label="Ngày">') == 3
    second = clerk.get("/staff/tallies?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and second.count('<td data-label="Ngày">') == 2


def test_the_counter_list_is_grouped_by_unit_and_names_each_code(app, clerk, setup):
    html = clerk.get("/staff/tallies").get_data(as_text=True)
    assert '<optgroup label="UBND xã Thử">' in html
    assert f"Quầy 1 ({setup['one']})" in html and f"Quầy 2 ({setup['two']})" in html


def test_an_oversized_upload_is_refused_on_the_page(app, clerk, setup):
    page = upload(clerk, "huge.csv", HEADER.encode() + b"\n" + b"x" * (2 * 1024 * 1024))
    assert page.status_code == 422
    assert "Tệp lớn hơn 2 MB." in page.get_data(as_text=True)
    assert tallies(app) == {}


def _bomb(member_size: int) -> bytes:
    """An .xlsx-shaped zip whose sheet unpacks to `member_size` bytes of XML padding."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b" " * (1024 * 1024)
            for _ in range(member_size // len(chunk)):
                sheet.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize("size_mb", [100, 780])
def test_a_zip_bomb_is_refused_before_it_is_opened(app, clerk, setup, size_mb, monkeypatch):
    import app.staff.table_files as table_files

    def never(*args, **kwargs):
        raise AssertionError("the bomb was opened")

    monkeypatch.setattr(table_files, "load_workbook", never)
    bomb = _bomb(size_mb * 1024 * 1024)
    assert len(bomb) < 2 * 1024 * 1024  # under the upload limit, as the attack was
    page = upload(clerk, "bom.xlsx", bomb)  # read in the child: `never` would raise there
    assert page.status_code == 422
    assert "giải nén ra quá lớn" in page.get_data(as_text=True)
    assert tallies(app) == {}


def test_a_giant_cell_and_a_million_rows_stop_at_the_first_excess(app, clerk, setup):
    import app.staff.table_files as table_files
    import app.staff.tally_files as tally_files

    book = Workbook()
    book.active.append(HEADER.split(","))
    book.active.append([day(setup, 1), setup["one"], "x" * 300, 0, 0, 0])
    data = io.BytesIO()
    book.save(data)
    page = upload(clerk, "o-dai.xlsx", data.getvalue())
    assert page.status_code == 422 and "có ô dài quá 200 ký tự" in page.get_data(as_text=True)
    rows = (HEADER + "\n" + "1\n" * 1_000_000).encode()
    assert len(rows) < 2 * 1024 * 1024
    page = upload(clerk, "trieu-dong.csv", rows)
    assert page.status_code == 422 and "quá 50000 dòng" in page.get_data(as_text=True)
    with app.test_request_context():
        reading = tally_files.read_tallies_within_limits(rows, "trieu-dong.csv")
    assert reading.rows_seen == 1 + table_files.MAX_ROWS + 1  # header, the rows allowed, one
    assert reading.cells_read == 6 + table_files.MAX_ROWS + 1


HEADER_CELLS = "".join(f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'
                       for col, name in zip("ABCDEF", HEADER.split(","), strict=True))


def _crafted(sheet_xml: str, strings_xml: str | None = None) -> bytes:
    """A real .xlsx (made by openpyxl) whose first sheet, and shared strings, are replaced by
    hand-written XML, as an attacker would."""
    book = Workbook()
    book.active.append(HEADER.split(","))
    made = io.BytesIO()
    book.save(made)
    out = io.BytesIO()
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(out, "w",
                                                          zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            target.writestr(item.filename, data)
        if strings_xml is not None:
            target.writestr("xl/sharedStrings.xml", strings_xml)
    return out.getvalue()


SHEET = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}<worksheet xmlns='
         '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dim}"/>'
         '<sheetData><row r="1">' + HEADER_CELLS + '</row>{rows}</sheetData></worksheet>')


def test_a_sheet_declaring_a_million_rows_is_read_cell_by_cell_and_stops_at_the_cap(
        app, clerk, setup):
    """4 KB: the header, one cell at XFD1048576, and a dimension that says A1:XFD1048576.
    The reader trusts none of it: rows come no wider than a tally's columns, blank rows count
    toward the cap, and reading stops at the first row past it."""
    import app.staff.table_files as table_files
    import app.staff.tally_files as tally_files

    sparse = _crafted(SHEET.format(doctype="", dim="A1:XFD1048576",
                                   rows='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))
    assert len(sparse) < 8 * 1024
    page = upload(clerk, "thua.xlsx", sparse)
    assert page.status_code == 422 and "quá 50000 dòng" in page.get_data(as_text=True)
    with app.test_request_context():
        reading = tally_files.read_tallies_within_limits(sparse, "thua.xlsx")
    assert reading.rows_seen == 1 + table_files.MAX_ROWS + 1  # header, the cap, one more
    assert reading.cells_read == 6  # the header's: blank rows are counted, never padded
    # A real row with a stray cell far to the right is read, only as wide as a tally.
    d = day(setup, 1)
    wide = _crafted(SHEET.format(doctype="", dim="A1:XFD2", rows=(
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{d}</t></is></c>'
        f'<c r="B2" t="inlineStr"><is><t>{setup["one"]}</t></is></c><c r="C2"><v>8</v></c>'
        '<c r="D2"><v>0</v></c><c r="E2"><v>0</v></c><c r="F2"><v>0</v></c>'
        '<c r="XFD2"><v>9</v></c></row>')))
    assert upload(clerk, "rong.xlsx", wide).status_code == 303
    assert tallies(app)[(setup["one"], setup["today"] - timedelta(days=1))][0] == 8


LAUGHS = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                    for i in range(8)) + ']>')


@pytest.mark.parametrize(("name", "sheet", "strings", "message"), [
    ("billion laughs", SHEET.format(doctype=LAUGHS, dim="A1:A2",
                                    rows='<row r="2"><c r="A2" t="inlineStr"><is><t>&i;</t>'
                                         '</is></c></row>'), None, "bị hỏng"),
    ("cut in half", SHEET.format(doctype="", dim="A1:F2", rows="")[:300], None, "bị hỏng"),
    ("string index past the table",
     SHEET.format(doctype="", dim="A1:A2", rows='<row r="2"><c r="A2" t="s"><v>99</v></c>'
                                                 '</row>'),
     '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
     'uniqueCount="1"><si><t>x</t></si></sst>', "bị hỏng"),
    ("a huge shared-strings table", SHEET.format(doctype="", dim="A1:F1", rows=""),
     '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
     + "<si><t>khaosat</t></si>" * 80_000 + "</sst>", "giải nén ra quá lớn"),
])
def test_a_malformed_spreadsheet_gets_a_message_not_a_500(app, clerk, setup, name, sheet,
                                                          strings, message):
    page = upload(clerk, "hong.xlsx", _crafted(sheet, strings))
    assert page.status_code == 422, name
    assert message in page.get_data(as_text=True), name
    assert tallies(app) == {}


def test_a_file_the_reader_cannot_finish_in_its_cpu_time_is_refused_and_the_worker_goes_on(
        app, clerk, setup):
    """A real export within every cap (50,000 rows, under 2 MB) that takes openpyxl longer
    than the reading ceiling (here 1 s of CPU; 3 s in production, where this file takes
    about that): the child is stopped, the clerk told what to do, and the next file is read."""
    from openpyxl import Workbook as WriteOnly

    app.config["UPLOAD_READ_CPU_SECONDS"] = 1
    book = WriteOnly(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER.split(","))
    for _ in range(50_000):
        sheet.append([day(setup, 1), setup["one"], 12, 1, 2, 0])
    made = io.BytesIO()
    book.save(made)
    assert len(made.getvalue()) < 2 * 1024 * 1024
    page = upload(clerk, "ca-nam.xlsx", made.getvalue())
    assert page.status_code == 422
    assert "quá phức tạp để đọc trong 1 giây" in page.get_data(as_text=True)
    assert "lưu thành .csv" in page.get_data(as_text=True)
    small = f"{HEADER}\n{day(setup, 1)},{setup['one']},8,0,0,0\n".encode()
    assert upload(clerk, "nho.csv", small).status_code == 303


def test_a_file_that_needs_more_memory_than_the_ceiling_is_refused(tmp_path):
    """The child reading a file may take UPLOAD_READ_MEMORY_MB more address space than the
    worker holds (512 in production; 4 here, less than 50,000 rows need): refused with a
    message. Played in a fresh interpreter, as a worker is: a test process that has grown and
    shrunk keeps free heap that the child could use without asking for more. The CPU ceiling
    is raised, so that on a busy machine it is the memory ceiling that is met."""
    import subprocess
    import sys

    rows = "".join(f"2026-11-02,C{n % 90:07d},{n % 90},0,0,0\n" for n in range(50_000))
    path = tmp_path / "nhieu.csv"
    path.write_text(HEADER + "\n" + rows)
    script = (
        "from app import create_app\nfrom app.staff import tally_files\n"
        "app = create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x', "
        "'UPLOAD_READ_MEMORY_MB': LIMIT, 'UPLOAD_READ_CPU_SECONDS': 10})\n"
        "with app.test_request_context():\n"
        f"    r = tally_files.read_tallies_within_limits(open({str(path)!r}, 'rb').read(),\n"
        "                                              'n.csv')\n"
        "print(r.problems[0][1] if r.problems else f'read {len(r.rows)}')")
    for mb, expected in ((4, "quá nhiều bộ nhớ"), (512, "read 50000")):
        out = subprocess.run([sys.executable, "-c", script.replace("LIMIT", str(mb))],
                             capture_output=True, text=True, check=True).stdout
        assert expected in out, (mb, out)


def test_the_audit_log_tells_a_replacing_import_in_words(app, clerk, setup):
    """An import that replaced a typed tally: the file, how many rows were new and replaced,
    and each replaced tally as it was, by the counter's name: no record printed raw."""
    from app.models import Unit

    with app.app_context():
        make_user("admin", "admin",
                  db.session.scalars(select(Unit).where(Unit.parent_id.is_(None))).one())
    form = clerk.get("/staff/tallies")
    clerk.post("/staff/tallies", data={
        "csrf_token": csrf_token_of(form), "t-counter": _id(app, setup["one"]),
        "t-day": day(setup, 2), "t-returned": 20, "t-immediate": 3, "t-online": 2,
        "t-postal": 1})
    when = setup["today"] - timedelta(days=2)
    page = upload(clerk, "thay.csv", f"{HEADER}\n{when.isoformat()},{setup['one']},26,2,3,0\n"
                  .encode())
    assert confirm_replacing(clerk, page).status_code == 303
    admin = app.test_client()
    AuthActions(admin).login("admin")
    html = html_unescape(admin.get("/admin/audit?object_type=tally").get_data(as_text=True))
    assert f"Ghi số hồ sơ trả của quầy “Quầy 1” ngày {when:%d/%m/%Y}" in html
    assert "Nhập tệp số hồ sơ trả “thay.csv”: 0 dòng mới, 1 dòng thay thế" in html
    assert (f"Quầy “Quầy 1”, ngày {when:%d/%m/%Y}:</span> đã trả 20, trả ngay 3, trực tuyến 2, "
            "bưu chính 1 → đã thay") in html
    assert "{'" not in html and setup["one"] not in html
