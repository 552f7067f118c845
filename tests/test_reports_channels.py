"""Reports by channel: the answers that came through an SMS invitation's link and those that
came by the counter's QR sticker, each over the same eligible returns, and the invitations'
funnel (sent, opened, answered), on the screen, in the XLSX and CSV exports and in the PDF, to
the digit. The invitations are made, "sent" by the console backend and answered by a citizen
through the app, as in production."""

import csv
import io
import re
from datetime import date, timedelta
from html import unescape

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


# --- satisfaction by channel: batches whose channels each hold none or K or more ---------

def test_the_batch_rule_waits_for_each_channel_to_hold_none_or_k():
    from app.domain.weeks import APART_WAIT, file_batches

    w = [monday_of_week(n) for n in range(8)]
    # No invitation: a batch closes at K, as it always did.
    assert file_batches({w[0]: (3, 0), w[1]: (2, 0), w[2]: (4, 0)}, w, 5) == [
        ([w[0], w[1]], w[1], True)]
    # 4 by sticker and 1 by SMS: K in all, but 1 by SMS would be shown alone; the next week
    # brings 2 and 4 more: 6 and 5, each K or more.
    assert file_batches({w[0]: (5, 1), w[1]: (6, 4)}, w, 5) == [([w[0], w[1]], w[1], True)]
    # Nothing more comes by SMS: filed APART_WAIT after it first held K, for both channels
    # together only; a later week starts a batch of its own.
    assert timedelta(weeks=4) == APART_WAIT
    assert file_batches({w[0]: (5, 1), w[5]: (7, 0)}, w, 5) == [
        ([w[0]], w[4], False), ([w[5]], w[5], True)]
    # Still gathering, or waiting before APART_WAIT: nothing closes.
    assert file_batches({w[0]: (4, 0)}, w, 5) == []
    assert file_batches({w[0]: (5, 2)}, w[:4], 5) == []


def monday_of_week(n: int) -> date:
    return date(2026, 1, 5) + timedelta(weeks=n)


@pytest.fixture
def channels(app):
    """A campaign of seven weeks (W1 … W7, W7 the last complete one), K = 5. Counter A: in W1
    4 answers by its sticker (overall 4, 5, 5, 2) and 2 by SMS (3, 4); in W2 2 by sticker
    (5, 5) and 3 by SMS (1, 4, 5). Counter B: in W1 5 by sticker (all 4). Counter C: in W1
    4 by sticker (4, 4, 4, 4) and 1 by SMS (5), then nothing. Invitations sent at A and C."""
    from app.domain.invitations import count_funnel
    from app.domain.responses import store_outcome
    from app.domain.screening import OUTCOME_COMPLETED

    with app.test_request_context():
        end = periods.last_reportable_day(local_today())
        w1 = end - timedelta(days=6 + 6 * 7)
        top = make_unit("TINH", "Tỉnh Thử")
        a, b, c = (make_counter(top, f"Quầy {name}") for name in "ABC")
        campaign = make_campaign(top, starts_on=w1, ends_on=local_today() + timedelta(days=30))

        def answers(counter, week: int, levels, *, invited: bool = False):
            day = w1 + timedelta(days=7 * (week - 1) + 2)
            for level in levels:
                store_outcome(counter_id=counter.id, day=day, outcome=OUTCOME_COMPLETED,
                              campaign=campaign, answers={"overall": level}, invited=invited)
            if invited:
                count_funnel(counter.id, day, sent=len(levels), answered=len(levels))

        answers(a, 1, (4, 5, 5, 2))
        answers(a, 1, (3, 4), invited=True)
        answers(a, 2, (5, 5))
        answers(a, 2, (1, 4, 5), invited=True)
        answers(b, 1, (4, 4, 4, 4, 4))
        answers(c, 1, (4, 4, 4, 4))
        answers(c, 1, (5,), invited=True)
        db.session.commit()
        make_user("admin", "admin", top)
    admin = login(app, "admin")
    admin.w1 = w1
    return admin


def channel_satisfaction(html: str) -> list[list[str]]:
    """(channel, satisfaction) per row of the channels table, as a reader sees them."""
    table = html.split('<table class="list channels">')[1].split("</table>")[0]
    rows = [[unescape(re.sub(r"</?[a-z][^>]*>", "", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in table.split("<tr")[2:]]
    return [[row[0], row[-1]] for row in rows]


def hint_after_channels(html: str) -> str:
    return " ".join(html.split('<table class="list channels">')[1].split('<p class="hint">')[1]
                    .split("</p>")[0].split())


@pytest.mark.parametrize("summed", [False, True])
def test_satisfaction_by_channel_from_batches_each_channel_none_or_k(app, channels, summed):
    if summed:
        assert app.test_cli_runner().invoke(args=["sum-weeks"]).exit_code == 0
    html = channels.get("/reports/").get_data(as_text=True)
    # Sticker, in batches apart: A's 6 (4, 5, 5, 2, 5, 5: 5 satisfied) and B's 5 (all 4):
    # 10 of 11 = 90,91 %. SMS: A's 5 (3, 4, 1, 4, 5): 3 of 5 = 60,00 %. C's batch (4 by
    # sticker, 1 by SMS) waited four weeks and counts for both only: 21 answers, 8 + 5 + 5
    # satisfied = 18 of 21 = 85,71 %.
    assert channel_satisfaction(html) == [["Quét tem QR tại quầy", "90,91%"],
                                          ["Tin nhắn mời (SMS)", "60,00%"],
                                          ["Cả hai kênh", "85,71%"]]
    assert ("11 phiếu qua tem và 5 phiếu qua tin nhắn; 5 phiếu của các đợt khác chỉ được "
            "tính chung") in hint_after_channels(html)
    # W1 alone: only B's batch is filed in it (A's fills in W2, C's in W5): no SMS figure.
    w1 = channels.w1
    first = channels.get(f"/reports/?period=custom&start={w1}&end={w1 + timedelta(days=6)}")
    assert channel_satisfaction(first.get_data(as_text=True)) == [
        ["Quét tem QR tại quầy", "100,00%"], ["Tin nhắn mời (SMS)", "< 5 phiếu"],
        ["Cả hai kênh", "100,00%"]]


def test_exports_and_pdf_carry_satisfaction_by_channel(channels, tmp_path):
    require_tools()
    book = load_workbook(io.BytesIO(channels.get("/reports/export.xlsx").data))
    header = [c.value for c in book.worksheets[0][3]]
    total = dict(zip(header, [c.value for c in book.worksheets[0][4]], strict=True))
    assert (total["Tỷ lệ hài lòng qua tem QR (%)"],
            total["Tỷ lệ hài lòng qua tin nhắn mời (%)"]) == (90.91, 60)
    counters = {row[2]: dict(zip(header, row, strict=True))
                for row in book.worksheets[2].iter_rows(min_row=4, values_only=True)}
    # B invited nobody: all its answers came by the sticker. C's one batch is shown together.
    assert [counters[name]["Tỷ lệ hài lòng qua tin nhắn mời (%)"] for name in
            ("Quầy A", "Quầy B", "Quầy C")] == [60, "< 5 phiếu", "< 5 phiếu"]
    assert counters["Quầy B"]["Tỷ lệ hài lòng qua tem QR (%)"] == 100
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(channels.get("/reports/report.pdf").data)
    text = " ".join(pdf_text(pdf).split())
    # No tally in this campaign: no response rate, satisfaction all the same.
    assert ("Quét tem QR tại quầy 0 chưa có số liệu 90,91% Tin nhắn mời (SMS) 0 chưa có số "
            "liệu 60,00% Cả hai kênh 0 chưa có số liệu 85,71%") in text
    assert "5 phiếu của các đợt khác chỉ được tính chung" in text


def test_answers_through_links_are_counted_as_invited_in_the_rollups(app, province):
    from sqlalchemy import func, select

    from app.models import Response, ResponseDay

    with app.app_context():
        # The 3 answers through links (2 on the tallied day, 1 on the other), moved by the
        # inbox, and none of the sticker's: in the raw rows and the daily roll-ups.
        assert db.session.scalar(select(func.count()).where(Response.invited)) == 3
        assert sorted(db.session.scalars(select(ResponseDay.invited))) == [0, 1, 2]


def test_a_recount_of_the_raw_rows_gives_the_channel_again(app, channels):
    from app.domain.rollups import recount_rollups
    from tests.helpers import stored_rollups

    with app.app_context():
        days, _answers = stored_rollups()
        assert sum(day[6] for day in days.values()) == 6  # A's 2 + 3 and C's 1 by SMS
        assert (days, _answers) == recount_rollups()
