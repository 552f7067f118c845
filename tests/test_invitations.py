"""Invitations by SMS: who of the day's returned dossiers is invited, and why the others are
not (app/domain/invitations.py), from the one-stop system's export."""

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook

from app.clock import local_today
from app.domain import RowsRejected
from app.domain.invitations import (
    DUPLICATE_PHONE,
    IMMEDIATE_CASE,
    INVALID_PHONE,
    NO_CAMPAIGN,
    NO_PHONE,
    NOT_YET,
    ONLINE_CASE,
    OUT_OF_SCOPE,
    POSTAL_CASE,
    REASONS,
    TOO_OLD,
    UNREADABLE,
    normalise_phone,
    preview,
)
from app.extensions import db
from app.invitations.dossier_files import read_returned_file
from app.models import Counter
from tests.factories import make_campaign, make_counter, make_unit, make_user
from tests.helpers import AuthActions, csrf_token_of, hidden_fields


@pytest.mark.parametrize(("typed", "expected"), [
    ("0912345678", "84912345678"),
    ("091 234 5678", "84912345678"),
    ("+84 912.345.678", "84912345678"),
    ("84912345678", "84912345678"),
    ("(035) 123-4567", "84351234567"),
    (912345678, "84912345678"),  # a spreadsheet that read the number as a number
    ("0212345678", None),  # a landline cannot take a text
    ("091234567", None),  # a digit short
    ("09123456789", None),  # a digit too many
    ("không có", None),
    ("", None),
])
def test_a_phone_is_a_vietnamese_mobile_number_or_none(typed, expected):
    assert normalise_phone(typed) == expected


@pytest.fixture
def place(app):
    """A commune with two counters in a running campaign, and a counter of another commune
    whose campaign has not begun."""
    with app.app_context():
        today = local_today()
        province = make_unit()
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        one, two = make_counter(commune, "Quầy 1"), make_counter(commune, "Quầy 2")
        later = make_unit("XB", "UBND xã Sau", "commune", parent=province)
        waiting = make_counter(later, "Quầy chờ")
        make_campaign(commune, starts_on=today - timedelta(days=20),
                      ends_on=today + timedelta(days=30))
        make_campaign(later, starts_on=today + timedelta(days=3),
                      ends_on=today + timedelta(days=30), name="Đợt sau")
        make_user("manager", "manager", commune)
        make_user("manager2", "manager", commune)
        make_user("clerk", "clerk", commune)
        return {"one": one.code, "two": two.code, "waiting": waiting.code, "today": today}


def _export(place, rows: list[list]) -> bytes:
    """An XLSX as a one-stop system exports it, with its Vietnamese headers."""
    book = Workbook()
    book.active.append(["Ngày trả", "Mã quầy", "Số điện thoại", "Hình thức nộp", "Trả ngay",
                        "Mã hồ sơ"])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_preview_says_who_is_invited_and_why_each_other_row_is_not(app, place):
    today = place["today"]
    yesterday = (today - timedelta(days=1)).strftime("%d/%m/%Y")
    one, two = place["one"], place["two"]
    data = _export(place, [
        [yesterday, one, "0912345678", "Trực tiếp", "Không", "HS-1"],  # invited, known channel
        [yesterday, two.lower(), "035 123 4567", "", "", "HS-2"],  # invited; code typed small
        [yesterday, one, "0987654321", "Trực tuyến", "Không", "HS-3"],  # online
        [yesterday, one, "0987654322", "Bưu chính", "Không", "HS-4"],  # postal
        [yesterday, one, "0987654323", "Trực tiếp", "Có", "HS-5"],  # returned on submission
        [yesterday, one, "", "Trực tiếp", "Không", "HS-6"],  # no phone
        [yesterday, one, "0212345678", "Trực tiếp", "Không", "HS-7"],  # a landline
        [yesterday, two, "+84 912 345 678", "Trực tiếp", "Không", "HS-8"],  # row 2's phone
        [yesterday, "ZZZZZZZZ", "0987654324", "Trực tiếp", "Không", "HS-9"],  # no such counter
        [yesterday, place["waiting"], "0987654325", "Trực tiếp", "Không", "HS-10"],  # no campaign
        [(today + timedelta(days=1)).isoformat(), one, "0987654326", "", "", "HS-11"],
        [(today - timedelta(days=9)).isoformat(), one, "0987654327", "", "", "HS-12"],
        ["hôm qua", one, "0987654328", "", "", "HS-13"],  # a date that cannot be read
        [yesterday, one, "0987654329", "Gửi bằng chim", "", "HS-14"],  # unknown channel
    ])
    with app.test_request_context():
        rows = read_returned_file(data, "ho-so-tra.xlsx")
        counters = {c.code: c for c in db.session.scalars(db.select(Counter))
                    if c.unit.code == "XA" or c.code == place["waiting"]}
        result = preview(rows, counters=counters, today=today, within_days=7)
        assert result.rows == 14
        assert [(i.counter.code, i.phone, i.channel_known) for i in result.invitees] == [
            (one, "84912345678", True), (two, "84351234567", False)]
        assert {r: n for r, n in result.excluded.items() if n} == {
            ONLINE_CASE: 1, POSTAL_CASE: 1, IMMEDIATE_CASE: 1, NO_PHONE: 1, INVALID_PHONE: 1,
            DUPLICATE_PHONE: 1, OUT_OF_SCOPE: 1, NO_CAMPAIGN: 1, NOT_YET: 1, TOO_OLD: 1,
            UNREADABLE: 2}
        assert sum(result.excluded.values()) + len(result.invitees) == result.rows
        assert result.examples[DUPLICATE_PHONE] == [9]  # rows as the spreadsheet numbers them
        assert [n for n, _p in result.problems] == [14, 15]
        assert "hôm qua" in result.problems[0][1] and "chim" in result.problems[1][1]
        assert set(result.excluded) == set(REASONS)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("ho-so.txt", b"x", "Chỉ nhận tệp .csv hoặc .xlsx."),
    ("ho-so.csv", "Ngày trả,Mã quầy\n2026-11-02,ABC\n".encode(), "thiếu cột phone"),
    ("ho-so.csv", "Ngày trả,Mã quầy,SĐT\n".encode(), "không có dòng số liệu"),
])
def test_a_file_that_is_not_an_export_of_returned_dossiers_is_refused(app, name, data,
                                                                      message):
    with app.test_request_context(), pytest.raises(RowsRejected) as refused:
        read_returned_file(data, name)
    assert message in str(refused.value)


def test_a_csv_export_with_semicolons_and_a_bom_is_read(app, place):
    yesterday = (place["today"] - timedelta(days=1)).strftime("%d/%m/%Y")
    data = ("\ufeffNgày trả kết quả;Mã quầy;Điện thoại;Trả ngay\n"
            f"{yesterday};{place['one']};0912 345 678;không\n").encode()
    with app.test_request_context():
        [row] = read_returned_file(data, "ho-so.csv")
    assert (row.counter_code, row.phone, row.immediate, row.channel) == (
        place["one"], "84912345678", False, None)


def test_a_confirmed_batch_keeps_counts_and_hashed_tokens_never_a_phone(app, place):
    """Confirming makes a batch (counts), one invitation per invitee (its token hashed, with
    counter, campaign and return day), and the texts to send; uploading the same file again
    invites nobody twice."""
    from sqlalchemy import select

    from app.domain.invitations import (
        ALREADY_INVITED,
        INVITATION_PREFIX,
        SMS_LENGTH,
        confirm_batch,
        token_hash,
    )
    from app.models import AuditEvent, Invitation, InvitationBatch, InvitedDossier, Unit

    yesterday = place["today"] - timedelta(days=1)
    data = _export(place, [
        [yesterday.isoformat(), place["one"], "0912345678", "Trực tiếp", "Không", "HS-1"],
        [yesterday.isoformat(), place["two"], "0351234567", "", "", ""],
        [yesterday.isoformat(), place["two"], "0987654321", "Trực tuyến", "", "HS-3"],
    ])
    with app.test_request_context():
        counters = {c.code: c for c in db.session.scalars(select(Counter))}
        unit = db.session.scalars(select(Unit).where(Unit.code == "XA")).one()
        first = preview(read_returned_file(data, "a.xlsx"), counters=counters,
                        today=place["today"], within_days=7)
        batch, texts = confirm_batch(first, unit=unit, actor="cli", source="upload",
                                     filename="a.xlsx", today=place["today"])
        db.session.commit()
        assert (batch.rows, batch.to_send, batch.excluded) == (3, 2, {ONLINE_CASE: 1})
        assert sorted(t.phone for t in texts) == ["84351234567", "84912345678"]
        invitations = db.session.scalars(select(Invitation)).all()
        for text in texts:
            assert len(text.text) <= SMS_LENGTH and "UBND xa Thu" in text.text
            token = text.text.split(INVITATION_PREFIX)[1].split()[0]
            [match] = [i for i in invitations if i.token_hash == token_hash(token)]
            assert (match.counter_id, match.returned_on) == (text.counter_id, yesterday)
            assert match.expires_on == place["today"] + timedelta(days=6)  # 7 days in all
        assert [i.screened for i in sorted(invitations, key=lambda i: i.counter.name)] == [
            True, False]  # the export said "in person, not immediate" for the first only
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "invitation_batch")).one()
        stored = repr([(r.__dict__) for r in (batch, event, *invitations,
                                               *db.session.scalars(select(InvitedDossier)))])
        for digits in ("912345678", "351234567", "987654321"):
            assert digits not in stored
        assert db.session.get(InvitationBatch, batch.id).to_send == 2

        again = preview(read_returned_file(data, "a.xlsx"), counters=counters,
                        today=place["today"], within_days=7)
        assert again.invitees == [] and again.excluded[ALREADY_INVITED] == 2


def test_a_manager_uploads_previews_and_confirms_and_sees_the_batch_sent(app, place, capfd):
    """The page as a unit's manager uses it (development: no queue, the console backend):
    the preview sends nothing and keeps nothing; the confirmation sends what was previewed."""
    from sqlalchemy import func, select

    from app.models import AuditEvent, InvitationBatch

    client = app.test_client()
    AuthActions(client).login("manager")
    page = client.get("/staff/invitations/")
    assert page.status_code == 200 and "Chế độ phát triển" in page.get_data(as_text=True)
    yesterday = (place["today"] - timedelta(days=1)).isoformat()
    data = _export(place, [[yesterday, place["one"], "0912345678", "Trực tiếp", "Không", "A"],
                           [yesterday, place["two"], "0351234567", "", "", "B"],
                           [yesterday, place["two"], "0987654321", "Trực tuyến", "", "C"]])
    page = client.post("/staff/invitations/preview", data={
        "csrf_token": csrf_token_of(page), "file": (io.BytesIO(data), "ho-so.xlsx")},
        content_type="multipart/form-data")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "3 dòng đọc được; 2 người sẽ nhận tin nhắn mời." in body
    assert "nộp trực tuyến" in body and "Gửi 2 tin nhắn" in body
    assert "UBND xa Thu: Moi Ong/Ba danh gia" in body  # the text as it will go
    assert "********678" in body and "0912345678" not in body and "912345678<" not in body
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InvitationBatch)) == 0
        assert db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "invitation_batch")).all() == ["preview"]
    with app.test_request_context():  # as the audit log says it: in words, counts only
        from app.admin.audit_view import lines

        [line] = lines(db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "invitation_batch")).all())
        assert line.sentence == ("Xem trước tệp hồ sơ đã trả “ho-so.xlsx”: 3 dòng, 2 tin nhắn "
                                 "sẽ gửi (chưa gửi gì)")
        assert ("", "nộp trực tuyến: 1") in [(before, after) for _f, before, after
                                                 in line.changes]
    fields = hidden_fields(body)

    tampered = {**fields, "content": fields["content"][:-8] + "AAAAAAA="}
    page = client.post("/staff/invitations/confirm", data=tampered)
    assert page.status_code == 422 and "chưa gửi gì" in page.get_data(as_text=True)
    other = app.test_client()
    AuthActions(other).login("manager2")  # someone else's preview is not theirs to send
    own_token = csrf_token_of(other.get("/staff/invitations/"))
    assert other.post("/staff/invitations/confirm",
                      data={**fields, "csrf_token": own_token}).status_code == 422

    page = client.post("/staff/invitations/confirm", data=fields)
    assert page.status_code == 303
    batch_page = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "Đã xong." in batch_page
    with app.app_context():
        batch = db.session.scalars(select(InvitationBatch)).one()
        assert (batch.to_send, batch.sent, batch.failed) == (2, 2, 0)
    err = capfd.readouterr().err
    assert err.count("[SMS to ") == 2 and "/i/" in err
    # Sent again, the same file invites nobody twice.
    page = client.post("/staff/invitations/confirm", data=fields, follow_redirects=True)
    assert "Không có ai để mời" in page.get_data(as_text=True)


def test_the_example_file_invites_nobody_as_it_is(app, place):
    client = app.test_client()
    AuthActions(client).login("manager")
    example = client.get("/staff/invitations/example.csv")
    assert example.status_code == 200
    page = client.post("/staff/invitations/preview", data={
        "csrf_token": csrf_token_of(client.get("/staff/invitations/")),
        "file": (io.BytesIO(example.data), "mau.csv")}, content_type="multipart/form-data")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "người sẽ nhận tin nhắn mời" in body
    assert "0 người sẽ nhận" in body and "số điện thoại không phải di động Việt Nam" in body


def test_a_clerk_cannot_send_invitations(app, place):
    client = app.test_client()
    AuthActions(client).login("clerk")
    assert client.get("/staff/invitations/").status_code == 403
    assert "Mời qua SMS" not in client.get("/staff/").get_data(as_text=True)
