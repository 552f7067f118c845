"""Digests and alerts by email, through a real SMTP server the tests start (aiosmtpd, with
STARTTLS on a certificate made for the run), read back as the recipient's mail client would:
the figures to the digit, each account's scope and language, once however often cron runs."""

import email
import socket
import subprocess
import time
import uuid
from datetime import timedelta
from email.policy import default as default_policy

import pytest
from sqlalchemy import select

from app.clock import local_today
from app.domain.accounts import set_notifications
from app.domain.responses import store_outcome
from app.domain.screening import OUTCOME_COMPLETED
from app.extensions import db
from app.models import PressureReport, QuarantinedDay, User
from app.models.staff import MESSAGE_KINDS
from app.reports import periods
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import csrf_token_of, login
from tests.test_reports import add_day


class Mailbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's name for it
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(
            envelope.content, policy=default_policy)))
        return "250 OK"


@pytest.fixture
def smtp(app, tmp_path):
    """A real SMTP server on 127.0.0.1 that insists on STARTTLS, with a certificate the app is
    told to trust (MAIL_CA_FILE), as a province's relay with a private CA would be."""
    import ssl

    from aiosmtpd.controller import Controller

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port of this machine's
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=True,
                      MAIL_CA_FILE=str(cert), MAIL_FROM="khaosat <khaosat@sonoivu.test>",
                      PUBLIC_BASE_URL="https://khaosat.example.vn")
    yield mailbox
    controller.stop()


@pytest.fixture
def province(app):
    """Nine weeks of a campaign (target 30 %). The center's counter A: five weeks ago 80
    eligible and 40 answers, all "very satisfied"; last week 20 eligible and 11 answers
    (overall 2, 2, 2, 3, 3, 3, 4, 4, 5, 5 and one more 5 with a comment). The commune's counter
    B: last week 10 eligible, 2 answers. Another commune's counter C: a day pending review
    (which keeps its units, the province too, out of every comparison and pace). One new
    pressure report. The province's admin (Vietnamese) takes everything, with the PDF; the
    commune's manager (English) the digest."""
    with app.app_context():
        end = periods.last_reportable_day(local_today())
        top = make_unit("TINH", "Tỉnh Thử")
        center = make_unit("TT", "Trung tâm Phục vụ", "center", parent=top)
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=top)
        campaign = make_campaign(top, starts_on=end - timedelta(weeks=9) + timedelta(days=1),
                                 ends_on=local_today() + timedelta(days=30))
        a, b = make_counter(center, "Quầy A"), make_counter(commune, "Quầy B")
        c = make_counter(make_unit("XB", "UBND xã Ba", "commune", parent=top), "Quầy C")
        add_day(a, end - timedelta(days=35), eligible=80, responses=40,
                overall=(0, 0, 0, 0, 40), campaign=campaign)
        add_day(a, end - timedelta(days=3), eligible=20, responses=10,
                overall=(0, 3, 3, 2, 2), campaign=campaign)
        store_outcome(counter_id=a.id, day=end - timedelta(days=3), outcome=OUTCOME_COMPLETED,
                      campaign=campaign, answers={"overall": 5}, comment="BÍ MẬT của người dân")
        add_day(b, end - timedelta(days=3), eligible=10, responses=2,
                overall=(0, 0, 0, 1, 1), campaign=campaign)
        db.session.add(QuarantinedDay(counter_id=c.id, day=end - timedelta(days=2),
                                      responses=1, status="pending"))
        db.session.add(PressureReport(id=uuid.uuid4(), counter_id=b.id, week=end - timedelta(
            days=6), kinds="pressured", text="LỜI người dân"))
        admin = make_user("admin", "admin", top)
        manager = make_user("manager", "manager", commune)
        manager.language = "en"
        set_notifications(admin, "sonoivu@example.vn", set(MESSAGE_KINDS), actor="test")
        set_notifications(manager, "xa@example.vn", {"digest"}, actor="test")
        db.session.commit()
        return {"end": end, "weeks_left": (campaign.ends_on - end).days // 7}


def parts(message) -> tuple[str, str, list]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html, [p for p in message.iter_attachments()]


def wait_for(mailbox: Mailbox, n: int) -> None:
    for _ in range(100):  # the server hands each message over in its own thread
        if len(mailbox.messages) >= n:
            return
        time.sleep(0.02)


def test_the_weekly_digest_reaches_each_account_with_its_own_figures(app, runner, smtp,
                                                                     province):
    result = runner.invoke(args=["send-digests"])
    assert result.exit_code == 0 and "2 digests sent, 0 sent already" in result.output
    wait_for(smtp, 2)
    mail = {rcpt[0]: message for rcpt, message in smtp.messages}
    text, html, attached = parts(mail["sonoivu@example.vn"])
    # E = 80 + 20 + 10 = 110, R = 40 + 11 + 2 = 53: 48,18 %. Satisfaction: A's two batches,
    # 40 + 5 of 51 = 88,24 %; B's 2 answers are not a batch yet: hidden, as on the dashboard.
    assert "Tỉnh Thử: tỷ lệ phản hồi 48,18% / chỉ tiêu 30,00%, Đạt; hài lòng 88,24%" in text
    assert ("UBND xã Thử: tỷ lệ phản hồi 20,00% / chỉ tiêu 30,00%, Chưa đạt, cần thêm 1 "
            "phiếu; hài lòng < 5 phiếu") in text
    # The last four weeks (5 of 11 satisfied) against the four before (40 of 40): lower,
    # beyond chance, for the center; the province has a day pending review: not compared.
    assert "- Trung tâm Phục vụ: thấp hơn (45,45%)" in text and "- Tỉnh Thử: thấp" not in text
    assert "- Quầy C (UBND xã Ba): 1 ngày" in text  # pending review
    assert "Phản ánh của người dân chưa xử lý xong: 1" in text
    assert "https://khaosat.example.vn/reports/" in text and "<table" in html
    assert "48,18%" in html
    [pdf] = attached
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content()[:5] == b"%PDF-"
    assert mail["sonoivu@example.vn"]["From"] == "khaosat <khaosat@sonoivu.test>"
    # The commune's manager: the commune only, in English, no PDF, no pressure reports.
    text, _html, attached = parts(mail["xa@example.vn"])
    assert "UBND xã Thử: response rate 20.00% / target 30.00%, Below target" in text
    assert "Tỉnh Thử" not in text and "Quầy A" not in text and "reports of pressure" not in text
    assert attached == []
    for _rcpt, message in smtp.messages:  # no comment, nothing a citizen wrote
        everything = message.as_string()
        assert "BÍ MẬT" not in everything and "LỜI" not in everything
    again = runner.invoke(args=["send-digests"])
    assert "0 digests sent, 2 sent already this week" in again.output
    time.sleep(0.2)
    assert len(smtp.messages) == 2


def test_alerts_at_most_one_of_each_kind_a_day_naming_what_is_new(app, runner, smtp,
                                                                  province):
    result = runner.invoke(args=["send-alerts"])
    assert result.exit_code == 0 and "4 alerts sent" in result.output
    wait_for(smtp, 4)
    texts = {message["Subject"]: parts(message)[0] for _rcpt, message in smtp.messages}
    # Subjects arrive whole (a long Vietnamese subject once lost the space where it folded).
    assert "Cảnh báo: 1 đơn vị có thể không đạt chỉ tiêu khi kết thúc đợt" in texts
    pace = next(t for s, t in texts.items() if "không đạt chỉ tiêu" in s)
    # The commune: 2 of 10 so far and in its last four weeks: 20,00 % projected.
    assert (f"UBND xã Thử (Đợt thử): hiện 20,00%, dự tính 20,00%, chỉ tiêu 30,00%, còn "
            f"{province['weeks_left']} tuần") in pace
    assert "Tỉnh Thử (Đợt thử)" not in pace  # a day pending review: Home Affairs decides first
    fell = next(t for s, t in texts.items() if "hài lòng" in s and "giảm" in s)
    assert "Trung tâm Phục vụ (Đợt thử): 45,45%" in fell and "← 100,00%" in fell
    review = next(t for s, t in texts.items() if "chờ xem xét" in s)
    assert f"Quầy C (UBND xã Ba): {province['end'] - timedelta(days=2):%d/%m/%Y}" in review
    pressure = next(t for s, t in texts.items() if "phản ánh mới" in s)
    assert "Có 1 phản ánh mới" in pressure and "LỜI" not in pressure
    assert runner.invoke(args=["send-alerts"]).output.startswith("0 alerts sent, 4 sent")
    with app.app_context():  # another day: only what is new is named, else nothing is sent
        from app.models import SentMessage

        for sent in db.session.scalars(select(SentMessage)):
            sent.key = "2000-01-01"
        db.session.commit()
    later = runner.invoke(args=["send-alerts"])
    assert later.output.startswith("2 alerts sent")  # pace and satisfaction still hold
    wait_for(smtp, 6)
    assert len(smtp.messages) == 6


def test_without_a_mail_server_messages_are_printed_and_not_lost(app, runner, province):
    app.config.update(MAIL_SERVER="")
    result = runner.invoke(args=["send-digests"])
    assert "[mail, not sent: MAIL_SERVER is not set]" in result.output
    assert "2 digests sent" in result.output


def test_an_account_chooses_its_messages_and_an_admin_sees_who_gets_what(app, province):
    manager = login(app, "manager")
    page = manager.get("/account/notifications")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="xa@example.vn"' in html
    assert "alert_pressure" not in html  # Home Affairs only
    bad = manager.post("/account/notifications", data={
        "csrf_token": csrf_token_of(page), "email": "xa at example", "digest": "y",
        "alert_pace": "y"})
    # The manager reads English (its account's language).
    assert bad.status_code == 200 and "Invalid email address" in bad.get_data(as_text=True)
    assert 'value="xa at example"' in bad.get_data(as_text=True)  # what was typed stays
    done = manager.post("/account/notifications", data={
        "csrf_token": csrf_token_of(page), "email": "lan@xa.example.vn", "alert_pace": "y",
        "alert_pressure": "y"})
    assert done.status_code == 303
    with app.app_context():
        from app.domain.accounts import subscriptions_of

        user = db.session.scalar(select(User).where(User.username == "manager"))
        assert (user.email, subscriptions_of(user)) == ("lan@xa.example.vn", {"alert_pace"})
    admin = login(app, "admin")
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "lan@xa.example.vn: nhịp chỉ tiêu" in listing
    row = next(r for r in listing.split("<tr>") if "sonoivu@example.vn: " in r)
    assert "báo cáo tuần" in row and "kèm PDF" in row and "phản ánh" in row
