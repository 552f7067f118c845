"""The exports say what the screen says, to the digit: XLSX re-opened by openpyxl, CSV read
back, PDF text read by pdftotext; text that looks like a formula stays text."""

import csv
import io
import os
import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.clock import local_today
from app.domain.responses import store_outcome
from app.extensions import db
from app.models import Response
from app.reports import periods
from tests.factories import GOOD_ANSWERS, make_campaign, make_counter, make_unit, make_user
from tests.helpers import login
from tests.print_tools import pdf_text, require_tools
from tests.test_reports import add_day

ANSWERS = {k: int(v) if v.isdigit() else (1 if v == "yes" else 0)
           for k, v in GOOD_ANSWERS.items() if k not in ("channel", "immediate", "comment")}


@pytest.fixture
def world(app):
    """A province, a commune with one counter and a ward with two (one named like a formula)."""
    with app.app_context():
        monday = periods.last_reportable_day(local_today()) - timedelta(days=6)
        province = make_unit("TINH", "Tỉnh Thử")
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        ward = make_unit("PHUONG", "=HYPERLINK(\"http://x\")", "commune", parent=province)
        c = make_campaign(province, starts_on=monday - timedelta(days=7))
        add_day(make_counter(commune, "Quầy xã"), monday, eligible=110, responses=109,
                overall=(0, 1, 0, 8, 100), campaign=c)
        add_day(make_counter(ward, "Quầy 1"), monday, eligible=40, responses=12,
                overall=(1, 1, 2, 4, 4), campaign=c)
        add_day(make_counter(ward, "Quầy 2"), monday, eligible=30, responses=3,
                overall=(0, 0, 1, 1, 1), campaign=c)
        make_user("admin", "admin", province)
    return login(app, "admin")


def screen_figures(html: str) -> list[str]:
    """The numbers in the report table's rows, in order, as the page writes them."""
    table = html.split('<table class="report">')[1].split("</table>")[0]
    return re.findall(r"\d[\d.]*,\d\d%|(?<=>)\d[\d.]*(?=<)", table)


def test_screen_xlsx_csv_and_pdf_agree_to_the_digit(app, world):
    require_tools()
    page = world.get("/reports/").get_data(as_text=True)
    # Province: E 180, R 124 → 68,89 %. Its satisfaction is over the released answers: Quầy
    # 2's 3 still gather towards a batch of 5, so 108 + 8 = 116 satisfied of 121 → 95,87 %.
    # The commune: R 109 of E 110 → 99,09 %; satisfied 108 of 109 → 99,08 %.
    assert "68,89%" in page and "95,87%" in page and "99,09%" in page and "99,08%" in page
    book = load_workbook(io.BytesIO(world.get("/reports/export.xlsx").data))
    assert book.sheetnames == ["Tổng", "Đơn vị", "Quầy"]
    total = [c.value for c in book["Tổng"][4]]
    assert total[1:9] == ["TINH", "Tỉnh Thử", None, 180, 124, 0, 68.89, 30]
    assert total[11] == 95.87 and book["Tổng"]["H4"].number_format == "0.00"
    assert book["Tổng"].freeze_panes == "A4"
    units = {row[1].value: [c.value for c in row] for row in book["Đơn vị"].iter_rows(min_row=4)}
    assert units["XA"][7] == 99.09 and units["XA"][11] == 99.08  # 108 of 109
    rows = list(csv.reader(io.StringIO(world.get("/reports/export.csv").data.decode("utf-8"))))
    assert rows[0][0].startswith("\ufeff")  # the BOM that makes Excel read UTF-8
    by_code = {r[1]: r for r in rows[1:]}
    assert by_code["TINH"][4:9] == ["180", "124", "0", "68.89", "30.00"]
    assert by_code["TINH"][11] == "95.87" and by_code["XA"][7] == "99.09"
    pdf = world.get("/reports/report.pdf").data
    path = app.instance_path + "/report-test.pdf"
    with open(path, "wb") as fh:
        fh.write(pdf)
    text = pdf_text(path)
    for figure in ("68,89%", "95,87%", "99,09%", "99,08%", "Tổng: Tỉnh Thử"):
        assert figure in text


def test_formula_looking_text_is_written_as_text(world):
    book = load_workbook(io.BytesIO(world.get("/reports/export.xlsx").data))
    names = [row[2].value for row in book["Đơn vị"].iter_rows(min_row=4)]
    assert "'=HYPERLINK(\"http://x\")" in names
    assert all(cell.data_type != "f" for sheet in book for row in sheet.iter_rows()
               for cell in row)
    text = world.get("/reports/export.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_libreoffice_reads_a_formula_looking_comment_as_text(app, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs LibreOffice (libreoffice-calc-nogui)")
        pytest.skip("LibreOffice is not installed (make system-deps)")
    from app.reports.exports import comments_csv

    with app.app_context():
        data = comments_csv([("2026-W47", "=1+1"), ("2026-W47", "@SUM(A1)")])
    (tmp_path / "c.csv").write_bytes(data)
    subprocess.run([soffice, "--headless", "--convert-to", "xlsx", "--outdir", str(tmp_path),
                    str(tmp_path / "c.csv")], check=True, capture_output=True, timeout=120,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    sheet = load_workbook(tmp_path / "c.xlsx").active
    assert [sheet["B2"].value, sheet["B3"].value] == ["'=1+1", "'@SUM(A1)"]
    assert sheet["B2"].data_type == "s"


def test_comments_come_in_an_order_unrelated_to_when_they_were_written(app):
    """Twenty comments stored one after the other: neither the page nor the exports list
    them in that order (nor in its reverse)."""
    with app.app_context():
        monday = periods.last_reportable_day(local_today()) - timedelta(days=6)
        province = make_unit()
        counter = make_counter(province)
        c = make_campaign(province, starts_on=monday - timedelta(days=7))
        written = [f"Góp ý số {n:02d}" for n in range(20)]
        for text in written:
            store_outcome(counter_id=counter.id, day=monday, outcome="completed", campaign=c,
                          answers=ANSWERS, comment=text)
        db.session.commit()
        make_user("admin", "admin", province)
        assert db.session.query(Response).count() == 20
    admin = login(app, "admin")
    page = admin.get("/reports/details").get_data(as_text=True)
    shown = re.findall(r"Góp ý số \d\d", page)
    exported = re.findall(r"Góp ý số \d\d", admin.get("/reports/comments.csv").data.decode())
    for listing in (shown, exported):
        assert sorted(listing) == written
        assert listing not in (written, written[::-1])
    assert "2026" in page and not re.search(r"\d\d/\d\d/\d{4}[^<]*Góp ý số", page)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_export_report_command(app, runner, world, tmp_path, fmt):
    if fmt == "pdf":
        require_tools()
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(args=["export-report", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote the {fmt.upper()} report of TINH" in result.output
    if fmt == "csv":
        assert "68.89" in out.read_text(encoding="utf-8-sig")
    elif fmt == "xlsx":
        assert load_workbook(out)["Tổng"]["H4"].value == 68.89
    else:
        assert "68,89%" in pdf_text(out)
    bad = runner.invoke(args=["export-report", "--unit", "NOPE", "--format", fmt, "-o",
                              str(out)])
    assert bad.exit_code != 0 and "No unit NOPE" in bad.output


def test_the_figures_module_alone_rounds_what_exports_show():
    from app.figures import percent

    assert percent(108, 109) == Decimal("99.08") and percent(124, 180) == Decimal("68.89")


@pytest.mark.parametrize(("responses", "shown"), [(4, False), (5, True)])
def test_comments_need_k_responses_and_a_manager(app, responses, shown):
    with app.app_context():
        monday = periods.last_reportable_day(local_today()) - timedelta(days=6)
        province = make_unit()
        counter = make_counter(province)
        c = make_campaign(province, starts_on=monday - timedelta(days=7))
        for n in range(responses):
            store_outcome(counter_id=counter.id, day=monday, outcome="completed", campaign=c,
                          answers=ANSWERS, comment=f"Ý kiến {n}")
        db.session.commit()
        make_user("admin", "admin", province)
        make_user("clerk", "clerk", province)
    page = login(app, "admin").get("/reports/details").get_data(as_text=True)
    assert len(re.findall("Ý kiến", page)) == (responses if shown else 0)
    assert ("chưa có đợt 5 phiếu nào đủ" in page) is not shown
    clerk = login(app, "clerk").get("/reports/details").get_data(as_text=True)
    assert "Ý kiến" not in clerk and "Góp ý của người dân" not in clerk


def test_a_comment_carries_the_week_its_batch_filled_not_the_week_it_was_written(app):
    """Three answers with comments one week, two the next: nothing is released the first week
    (3 < K), and all five come out with the second week, labelled with it."""
    with app.app_context():
        monday = periods.last_reportable_day(local_today()) - timedelta(days=6)
        before = monday - timedelta(days=7)
        province = make_unit()
        counter = make_counter(province)
        c = make_campaign(province, starts_on=before)
        for day, texts in ((before, ("Trước 1", "Trước 2", "Trước 3")),
                           (monday, ("Sau 1", "Sau 2"))):
            for text in texts:
                store_outcome(counter_id=counter.id, day=day, outcome="completed", campaign=c,
                              answers=ANSWERS, comment=text)
        db.session.commit()
        make_user("admin", "admin", province)
    admin = login(app, "admin")
    labels = [f"{y}-W{w:02d}" for y, w, _ in (d.isocalendar() for d in (before, monday))]
    first = admin.get(f"/reports/comments.csv?period=week&week={labels[0]}")
    assert first.status_code == 200
    assert list(csv.reader(io.StringIO(first.data.decode("utf-8-sig"))))[1:] == []
    rows = list(csv.reader(io.StringIO(admin.get("/reports/comments.csv").data
                                       .decode("utf-8-sig"))))[1:]
    assert sorted(text for _week, text in rows) == ["Sau 1", "Sau 2", "Trước 1", "Trước 2",
                                                    "Trước 3"]
    assert {week for week, _text in rows} == {labels[1]}
