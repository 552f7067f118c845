"""Reports by channel: the answers that came through an SMS invitation's link and those that
came by the counter's QR sticker, each over the same eligible returns, and the invitations'
funnel (sent, opened, answered), on the screen, in the XLSX and CSV exports and in the PDF, to
the digit. The invitations are made, "sent" by the console backend and answered by a citizen
through the app, as in production."""

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from app.clock import local_today
from app.domain.invitations import INVITATION_PREFIX, confirm_batch, preview
from app.extensions import db
from app.invitations.dossier_files import parsed
from app.invitations.sending import queue_texts
from app.reports import periods
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import GOOD_ANSWERS, hidden_fields, login
from tests.print_tools import pdf_text, require_tools
from tests.test_reports import add_day


def invite(counter, day, phones: list[str]) -> list[str]:
    """Invitations for results returned at `counter` on `day`, sent now by the console
    backend (no job queue in the tests); their links."""
    rows = parsed([(n + 2, {"returned_on": day.isoformat(), "counter_code": counter.code,
                            "phone": phone, "channel": "Trực tiếp", "immediate": "Không"})
                   for n, phone in enumerate(phones)])
    result = preview(rows, counters={counter.code: counter}, today=local_today(),
                     within_days=14)
    batch, texts = confirm_batch(result, unit=counter.unit, actor="test", source="upload",
                                 filename="t.csv", today=local_today())
    db.session.commit()
    assert not queue_texts(batch, texts)  # sent in this process, counted as sent
    db.session.commit()
    return [INVITATION_PREFIX + t.text.split(INVITATION_PREFIX)[1].split()[0] for t in texts]


def answer(client, link: str) -> None:
    page = client.get(link)
    assert page.status_code == 200, page.status_code
    fields = {**hidden_fields(page.get_data(as_text=True)), "submit": "1", **GOOD_ANSWERS}
    done = client.post(link, data=fields)
    assert done.status_code in (200, 303), done.status_code


@pytest.fixture
def province(app):
    """Last week, at a commune's two counters: counter A returned 20 eligible results on a
    tallied day, 3 citizens answered by its sticker and 4 were invited by SMS (3 opened the
    link, 2 answered); on an untallied day 1 more was invited and answered. Counter B: 10
    eligible, 1 answer by its sticker, no invitation."""
    client = app.test_client()
    with app.test_request_context():
        end = periods.last_reportable_day(local_today())
        tallied, untallied = end - timedelta(days=3), end - timedelta(days=2)
        top = make_unit("TINH", "Tỉnh Thử")
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=top)
        a, b = make_counter(commune, "Quầy A"), make_counter(commune, "Quầy B")
        campaign = make_campaign(top, starts_on=end - timedelta(days=20),
                                 ends_on=local_today() + timedelta(days=30))
        add_day(a, tallied, eligible=20, responses=3, overall=(0, 0, 1, 1, 1),
                campaign=campaign)
        add_day(b, tallied, eligible=10, responses=1, overall=(0, 0, 0, 0, 1),
                campaign=campaign)
        links = invite(a, tallied, ["0912000001", "0912000002", "0912000003", "0912000004"])
        late = invite(a, untallied, ["0912000005"])
        make_user("admin", "admin", top)
        ids = {"commune": commune.id, "b": b.id}
    client.get(links[2])  # opened, not answered
    for link in (links[0], links[1], late[0]):
        answer(client, link)
    admin = login(app, "admin")
    admin.ids = ids
    return admin


def channel_table(html: str) -> list[list[str]]:
    table = html.split('<table class="list channels">')[1].split("</table>")[0]
    return [re.findall(r">([^<>]+)</t[hd]>", row) for row in table.split("<tr")[2:]]


def test_the_dashboard_shows_the_rate_by_channel_and_the_invitations_funnel(province):
    html = province.get("/reports/").get_data(as_text=True)
    # E = 20 + 10 = 30. R (tallied days only) = 3 + 2 + 1 = 6 → 20,00 %: by sticker 3 + 1 = 4
    # → 13,33 %, by SMS 2 → 6,67 % (the answer of the untallied day is in no rate).
    assert channel_table(html) == [["Quét tem QR tại quầy", "4", "13,33%"],
                                   ["Tin nhắn mời (SMS)", "2", "6,67%"],
                                   ["Cả hai kênh", "6", "20,00%"]]
    funnel = html.split('<table class="funnel invitations">')[1].split("</table>")[0]
    # 5 sent, 0 failed, 4 opened (80,00 % of 5), 3 answered (60,00 %): by return day, also
    # the untallied day's.
    cells = [re.sub(r"<[^>]+>", "", cell).split() for cell in
             re.findall(r'<td class="num"[^>]*>(.*?)</td>', funnel)]
    assert cells == [["5"], ["0"], ["4", "(80,00%)"], ["3", "(60,00%)"]]
    # The 3 answers through links count as completed on the survey's funnel, whose "opened"
    # counts scans of the sticker: opened links count too, so they raise no warning.
    assert "Số phiếu hoàn thành nhiều hơn số lần mở phiếu" not in html
    # The commune's drill-down says the same; counter B alone has no invitation: no section.
    commune = province.get(f"/reports/?unit={province.ids['commune']}").get_data(as_text=True)
    assert channel_table(commune)[1] == [
        "Tin nhắn mời (SMS)", "2", "6,67%"]


def test_a_report_without_invitations_shows_no_channel_section(province):
    ids = province.ids
    html = province.get(f"/reports/?counter={ids['b']}&unit={ids['commune']}").get_data(
        as_text=True)
    assert "Tỷ lệ phản hồi" in html and 'class="list channels"' not in html


def test_the_exports_carry_the_same_channel_figures(province, tmp_path):
    require_tools()
    book = load_workbook(io.BytesIO(province.get("/reports/export.xlsx").data))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[3]]
    total = dict(zip(header, [c.value for c in sheet[4]], strict=True))
    assert (total["Phiếu qua tem QR"], total["Phiếu qua tin nhắn mời"]) == (4, 2)
    assert (total["Tỷ lệ phản hồi qua tem QR (%)"],
            total["Tỷ lệ phản hồi qua tin nhắn mời (%)"]) == (13.33, 6.67)
    assert [total[h] for h in ("Tin nhắn mời đã gửi", "Tin nhắn gửi không được",
                               "Đường dẫn đã mở", "Tin nhắn mời đã trả lời")] == [5, 0, 4, 3]
    counters = {row[2]: dict(zip(header, row, strict=True))
                for row in book.worksheets[2].iter_rows(min_row=4, values_only=True)}
    assert (counters["Quầy A"]["Phiếu qua tin nhắn mời"],
            counters["Quầy B"]["Phiếu qua tin nhắn mời"]) == (2, 0)
    assert counters["Quầy B"]["Tỷ lệ phản hồi qua tem QR (%)"] == 10
    lines = list(csv.reader(io.StringIO(province.get("/reports/export.csv").data
                                        .decode("utf-8-sig"))))
    assert dict(zip(lines[0], lines[1], strict=True))["Phiếu qua tin nhắn mời"] == "2"
    pdf = tmp_path / "report.pdf"
    made = province.get("/reports/report.pdf")
    assert made.status_code == 200 and made.mimetype == "application/pdf"
    pdf.write_bytes(made.data)
    text = " ".join(pdf_text(pdf).split())
    assert "Theo kênh: tem QR tại quầy và tin nhắn mời" in text
    assert "Quét tem QR tại quầy 4 13,33%" in text and "Tin nhắn mời (SMS) 2 6,67%" in text
    assert "5 0 4 (80,00%) 3 (60,00%)" in text
