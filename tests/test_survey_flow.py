"""A citizen scans the sticker, answers or declines, and sees a thank-you."""

import re
from datetime import timedelta

import itsdangerous
import pytest
from sqlalchemy import select

from app import create_app
from app.clock import local_today
from app.extensions import db
from app.models import Counter, Questionnaire, Response, RetiredCode
from tests.conftest import BASE_CONFIG
from tests.factories import (
    GOOD_ANSWERS,
    make_campaign,
    make_counter,
    make_surveyed_counter,
    make_unit,
    ref,
)
from tests.helpers import (
    checked,
    count_answers,
    count_responses,
    funnel,
    hidden_fields,
    open_survey,
    submit,
)

SCREEN_OUTS = ("screened_online", "screened_postal", "screened_immediate")


@pytest.fixture
def counter(app):
    with app.app_context():
        return ref(make_surveyed_counter())


def signed_hours_ago(monkeypatch, hours: int) -> None:
    """Make tokens signed from now on look `hours` old, as if the page had been left open."""
    original = itsdangerous.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp",
                        lambda self: original(self) - hours * 3600)


def test_citizen_sees_agency_counter_promise_and_decline_button(app, client, counter):
    page, hidden = open_survey(client, counter.code)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="vi">' in html
    assert "Sở Tư pháp" in html and "Quầy Sở Tư pháp số 1" in html
    assert "Ẩn danh" in html and "cán bộ không xem được từng phiếu trả lời" in html
    assert "Tự nguyện" in html
    assert 'name="decline"' in html and "Không tham gia" in html
    assert "Trực tuyến" in html and "Qua dịch vụ bưu chính công ích" in html
    assert "Rất không hài lòng" in html and "Rất hài lòng" in html
    assert set(hidden) == {"csrf_token", "ticket"}
    assert funnel(app, counter.id)["opened"] == 1


def test_survey_page_in_english_on_request(client, counter):
    page, _ = open_survey(client, counter.code, "?lang=en")
    html = page.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Anonymous" in html and "Do not take part" in html
    # Version 2's wording: "Neutral", and "dissatisfied" may break after "dis" only.
    assert "Very dis\u00adsatisfied" in html and "Neutral" in html and "Neither" not in html
    assert "How did you submit your dossier?" in html
    assert f'action="/q/{counter.code}?lang=en"' in html
    done = client.post(f"/q/{counter.code}?lang=en",
                       data={**hidden_fields(html), **GOOD_ANSWERS, "submit": "1"})
    assert "Your answers have been recorded anonymously." in done.get_data(as_text=True)


def test_completed_survey_stores_one_response_with_its_answers(app, client, counter):
    page = submit(client, counter.code)
    assert page.status_code == 200
    assert "Ý kiến của Ông/Bà đã được ghi nhận ẩn danh" in page.get_data(as_text=True)
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert response.counter_id == counter.id
        assert response.submitted_on == local_today()
        assert response.comment == "Cán bộ hướng dẫn tận tình."
        assert {a.question_key: a.value for a in response.answers} == {
            "access": 4, "procedure": 5, "officer": 3, "result": 4, "feedback": 2, "overall": 5,
            "on_time": 1, "extra_demand": 0,
        }
        questionnaire = db.session.get(Questionnaire, response.questionnaire_id)
        assert (questionnaire.code, questionnaire.version) == ("sipas-short", 2)
    assert funnel(app, counter.id) == {
        "opened": 1, "declined": 0, "screened_online": 0, "screened_postal": 0,
        "screened_immediate": 0, "completed": 1,
    }


@pytest.mark.parametrize("repeat", ["double tap", "refresh", "back and resubmit"])
def test_same_form_submitted_twice_counts_once(app, client, counter, repeat):
    _, hidden = open_survey(client, counter.code)
    first = submit(client, counter.code, hidden=hidden)
    answers = {**GOOD_ANSWERS, "overall": "1"} if repeat == "back and resubmit" else None
    again = submit(client, counter.code, answers, hidden=hidden)
    assert first.status_code == again.status_code == 200
    assert "đã được ghi nhận" in again.get_data(as_text=True)
    assert count_responses(app) == 1
    assert funnel(app, counter.id)["completed"] == 1
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert [a.value for a in response.answers if a.question_key == "overall"] == [5]


def test_two_citizens_on_one_phone_make_two_responses(app, client, counter):
    submit(client, counter.code)
    submit(client, counter.code)
    assert count_responses(app) == 2
    assert funnel(app, counter.id)["opened"] == 2


def test_decline_is_counted_and_thanked(app, client, counter):
    page = submit(client, counter.code, {}, button="decline")
    assert page.status_code == 200
    assert "không tham gia khảo sát" in page.get_data(as_text=True)
    assert "<header>" in page.get_data(as_text=True) and "Sở Tư pháp" in page.get_data(
        as_text=True)  # the same header as the survey: the agency and the counter
    assert count_responses(app) == 0
    assert funnel(app, counter.id)["declined"] == 1


def test_decline_pressed_twice_counts_once(app, client, counter):
    _, hidden = open_survey(client, counter.code)
    submit(client, counter.code, {}, hidden=hidden, button="decline")
    submit(client, counter.code, {}, hidden=hidden, button="decline")
    assert funnel(app, counter.id)["declined"] == 1


@pytest.mark.parametrize(
    ("channel", "immediate", "reason"),
    [
        ("online", "no", "screened_online"),
        ("postal", "no", "screened_postal"),
        ("in_person", "yes", "screened_immediate"),
        ("online", "yes", "screened_online"),
    ],
)
def test_excluded_cases_are_thanked_and_only_counted(app, client, counter, channel, immediate,
                                                     reason):
    answers = {**GOOD_ANSWERS, "channel": channel, "immediate": immediate}
    page = submit(client, counter.code, answers)
    assert page.status_code == 200
    assert "không áp dụng cho trường hợp của Ông/Bà" in page.get_data(as_text=True)
    assert count_responses(app) == 0 and count_answers(app) == 0
    counts = funnel(app, counter.id)
    assert counts[reason] == 1
    assert counts["completed"] == 0
    assert sum(counts[r] for r in SCREEN_OUTS) == 1


def test_excluded_case_needs_no_ratings(app, client, counter):
    page = submit(client, counter.code, {"channel": "postal", "immediate": "no"})
    assert "không áp dụng" in page.get_data(as_text=True)
    assert funnel(app, counter.id)["screened_postal"] == 1


def test_missing_rating_reshows_form_with_every_answer_kept(app, client, counter):
    answers = {k: v for k, v in GOOD_ANSWERS.items() if k != "officer"}
    page = submit(client, counter.code, answers)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Vui lòng xem lại các câu sau" in html
    # The error sits inside the officer question's fieldset, tied to it for screen readers.
    officer = html[html.index('<fieldset id="officer"'):]
    officer = officer[: officer.index("</fieldset>")]
    assert 'aria-describedby="officer-error"' in officer
    assert "Vui lòng chọn một câu trả lời." in officer
    for key in ("channel", "immediate", "access", "procedure", "result", "feedback", "overall",
                "on_time", "extra_demand"):
        assert checked(html, key, GOOD_ANSWERS[key]), key
    assert "Cán bộ hướng dẫn tận tình." in html
    assert count_responses(app) == 0
    assert funnel(app, counter.id)["completed"] == 0


def test_missing_screening_answer_is_asked_again(app, client, counter):
    answers = {k: v for k, v in GOOD_ANSWERS.items() if k != "channel"}
    page = submit(client, counter.code, answers)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Vui lòng chọn cách Ông/Bà đã nộp hồ sơ." in html
    assert checked(html, "overall", "5")
    assert count_responses(app) == 0
    assert sum(funnel(app, counter.id)[r] for r in SCREEN_OUTS) == 0


def test_overlong_comment_is_refused_and_kept(app, client, counter):
    blank = client.get(f"/q/{counter.code}").get_data(as_text=True)
    # The limit is said before typing, and tied to the box for screen readers.
    assert "Tối đa 500 ký tự." in blank
    assert re.search(r'<textarea[^>]*aria-describedby="comment-limit"[^>]*maxlength="500"', blank)
    long_comment = "Góp ý " * 100  # 600 characters
    page = submit(client, counter.code, {**GOOD_ANSWERS, "comment": long_comment})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Góp ý dài tối đa 500 ký tự." in html
    assert 'aria-describedby="comment-limit comment-error"' in html
    assert long_comment.strip() in html
    assert count_responses(app) == 0


def test_tampered_scale_value_is_refused(app, client, counter):
    page = submit(client, counter.code, {**GOOD_ANSWERS, "overall": "9"})
    assert page.status_code == 422
    assert count_responses(app) == 0


@pytest.mark.parametrize("how", ["token expired", "cookie lost"])
def test_stale_page_keeps_answers_and_asks_to_press_again(app, client, counter, monkeypatch,
                                                          how):
    if how == "token expired":
        signed_hours_ago(monkeypatch, 25)  # older than the survey token's 24-hour lifetime
        _, hidden = open_survey(client, counter.code)
        monkeypatch.undo()
    else:
        _, hidden = open_survey(client, counter.code)
        client.delete_cookie("session")
    page = submit(client, counter.code, hidden=hidden)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "vui lòng bấm nút một lần nữa" in html
    assert checked(html, "overall", "5") and "Cán bộ hướng dẫn tận tình." in html
    assert count_responses(app) == 0
    # Pressing Gửi on the re-shown page goes through.
    again = submit(client, counter.code, hidden=hidden_fields(html))
    assert "đã được ghi nhận" in again.get_data(as_text=True)
    assert count_responses(app) == 1


def test_page_left_open_for_three_hours_still_submits(app, client, counter, monkeypatch):
    signed_hours_ago(monkeypatch, 3)
    _, hidden = open_survey(client, counter.code)
    monkeypatch.undo()
    page = submit(client, counter.code, hidden=hidden)
    assert "đã được ghi nhận" in page.get_data(as_text=True)
    assert count_responses(app) == 1


def test_post_without_csrf_token_stores_nothing(app, client, counter):
    _, hidden = open_survey(client, counter.code)
    page = client.post(f"/q/{counter.code}",
                       data={"ticket": hidden["ticket"], **GOOD_ANSWERS, "submit": "1"})
    assert page.status_code == 200
    assert "vui lòng bấm nút một lần nữa" in page.get_data(as_text=True)
    assert count_responses(app) == 0


def test_session_cookie_is_dropped_after_submit(client, counter):
    open_survey(client, counter.code)
    assert client.get_cookie("session") is not None
    page = submit(client, counter.code)
    cookies = page.headers.getlist("Set-Cookie")
    assert any(c.startswith("session=;") and "Max-Age=0" in c for c in cookies)
    assert client.get_cookie("session") is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_survey_pages_are_not_cached_nor_leak_referrer(client, counter, method):
    page = open_survey(client, counter.code)[0] if method == "get" else submit(client,
                                                                                 counter.code)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in page.headers  # development: plain HTTP


def test_production_survey_pages_insist_on_https(migrated_database, counter):
    production = create_app({**BASE_CONFIG, "KHAOSAT_ENV": "production",
                             "SQLALCHEMY_DATABASE_URI": migrated_database,
                             "SECRET_KEY": "p" * 64})
    for _phone in range(2):  # the view, then the lean path (app/survey/lean.py)
        page = production.test_client().get(f"/q/{counter.code}")
        assert page.status_code == 200
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert page.headers["Referrer-Policy"] == "no-referrer"  # the survey's, not staff's


def test_typed_code_with_lookalike_letters_still_finds_the_counter(client, counter):
    typed = counter.code.lower().replace("0", "o").replace("1", "l")
    page = client.get(f"/q/{typed}")
    assert page.status_code == 200
    assert counter.name in page.get_data(as_text=True)


@pytest.mark.parametrize("code", ["ZZZZZZZZ", "short", "not-a-code-at-all"])
def test_unknown_code_gets_a_clear_404(client, counter, code):
    page = client.get(f"/q/{code}")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "Không tìm thấy mã" in html and "Traceback" not in html
    # The survey's header, saying what this is, and a way to read it in English.
    assert "<header>" in html and "Khảo sát mức độ hài lòng" in html
    assert 'href="?lang=en"' in html
    assert "Code not found" in client.get(f"/q/{code}?lang=en").get_data(as_text=True)


def test_the_comment_says_it_is_optional_once(client, counter):
    for lang, word in (("vi", "không bắt buộc"), ("en", "optional")):
        html = client.get(f"/q/{counter.code}?lang={lang}").get_data(as_text=True)
        comment = html.split('for="comment"')[1].split("</fieldset>")[0]
        assert comment.lower().count(word) == 1, (lang, comment)


def test_an_unknown_page_has_the_header_a_way_home_and_english(client):
    page = client.get("/khong-co-trang-nay")
    html = page.get_data(as_text=True)
    assert page.status_code == 404 and "Không tìm thấy trang" in html
    assert "<header>" in html and "Khảo sát mức độ hài lòng" in html
    assert '<a href="/">Về trang đầu</a>' in html and 'href="?lang=en"' in html
    english = client.get("/khong-co-trang-nay?lang=en").get_data(as_text=True)
    assert "Page not found" in english and "Back to the start page" in english


def test_retired_code_says_no_longer_in_use(app, client, counter):
    with app.app_context():
        db.session.add(RetiredCode(code="ABCDEFGH", counter_id=counter.id,
                                   retired_on=local_today()))
        db.session.commit()
    page = client.get("/q/ABCDEFGH")
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "Mã này không còn sử dụng" in html and "đã được thay bằng tem mới" in html
    assert "replaced by a new one" in client.get("/q/ABCDEFGH?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("closed", ["counter", "unit"])
def test_a_closed_counters_sticker_says_it_was_closed_not_replaced(app, client, counter, closed):
    with app.app_context():
        found = db.session.get(Counter, counter.id)
        (found if closed == "counter" else found.unit).active = False
        db.session.commit()
    for path in (f"/q/{counter.code}", f"/q/{counter.code}/phan-anh"):
        page = client.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 410, path
        assert "Quầy đã ngừng khảo sát" in html and "thay bằng tem mới" not in html, path
    english = client.get(f"/q/{counter.code}?lang=en").get_data(as_text=True)
    assert "This counter no longer takes part" in english


@pytest.mark.parametrize("situation", ["no campaign", "draft", "closed", "ended", "other unit"])
def test_outside_an_active_campaign_the_page_says_so(app, client, situation):
    with app.app_context():
        province = make_unit()
        counter = ref(make_counter(make_unit("XA", "UBND xã Thử", "commune", parent=province)))
        today = local_today()
        if situation in ("draft", "closed"):
            make_campaign(province, status=situation)
        elif situation == "ended":
            make_campaign(province, starts_on=today - timedelta(days=30),
                          ends_on=today - timedelta(days=1))
        elif situation == "other unit":
            make_campaign(make_unit("SO", "Sở khác", "department", parent=province))
    page, hidden = open_survey(client, counter.code)
    assert page.status_code == 200
    assert "Hiện không có đợt khảo sát" in page.get_data(as_text=True)
    assert "ticket" not in hidden
    assert funnel(app, counter.id)["opened"] == 0


def test_nearest_campaign_wins_for_a_counter(ctx):
    from app.domain.campaigns import active_campaign_for

    province = make_unit()
    commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
    counter = make_counter(commune)
    make_campaign(province)
    local = make_campaign(commune)
    assert active_campaign_for(counter, local_today()).id == local.id


def test_head_request_does_not_count_as_opened(app, client, counter):
    assert client.head(f"/q/{counter.code}").status_code == 200
    assert funnel(app, counter.id)["opened"] == 0


def test_post_office_counter_shows_its_operator(app, client):
    with app.app_context():
        province = make_unit()
        counter = ref(make_counter(province, "Quầy trả kết quả", operator="Bưu điện tỉnh"))
        make_campaign(province)
    html = client.get(f"/q/{counter.code}").get_data(as_text=True)
    assert "do Bưu điện tỉnh phụ trách" in html


def test_survey_page_fits_the_size_budget(client, counter):
    """HTML with its inlined CSS is all a phone downloads: it must stay under 15 KB."""
    page, _ = open_survey(client, counter.code)
    html = page.get_data(as_text=True)
    assert len(page.data) <= 15 * 1024
    assert "<script" not in html and "<link" not in html and "<img" not in html


def test_double_tap_arriving_before_the_first_answer_counts_once(app, client, counter):
    """Both taps leave with the same live cookie and token: the ticket's key stops the second."""
    _, hidden = open_survey(client, counter.code)
    cookie = client.get_cookie("session").value
    first = submit(client, counter.code, hidden=hidden)
    client.set_cookie("session", cookie)  # as if the first answer had not arrived yet
    second = submit(client, counter.code, hidden=hidden)
    assert "đã được ghi nhận" in first.get_data(as_text=True)
    assert "đã được ghi nhận" in second.get_data(as_text=True)
    assert count_responses(app) == 1 and count_answers(app) == 8
    assert funnel(app, counter.id)["completed"] == 1


def test_a_database_failure_while_storing_keeps_the_answers_for_a_second_press(
        app, client, counter, monkeypatch):
    """The database is busy or restarting when Gửi is pressed: the form comes back with every
    answer and a "please press again" notice (503, not a bare error page); pressing again once
    it is back stores the answer once."""
    from sqlalchemy.exc import OperationalError

    from app.survey import routes

    real = routes.record_outcome

    def down(**_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(routes, "record_outcome", down)
    _, hidden = open_survey(client, counter.code)
    answers = {**GOOD_ANSWERS, "comment": "Nhanh gọn."}
    page = submit(client, counter.code, answers, hidden=hidden)
    html = page.get_data(as_text=True)
    assert page.status_code == 503 and "vui lòng bấm Gửi lại sau ít phút" in html
    assert "Nhanh gọn." in html and re.search(r'value="5"[^>]*checked|checked[^>]*value="5"',
                                               html)
    assert count_responses(app) == 0
    monkeypatch.setattr(routes, "record_outcome", real)
    again = client.post(f"/q/{counter.code}", data={**hidden_fields(html), **answers,
                                                    "submit": "1"})
    assert "đã được ghi nhận" in again.get_data(as_text=True) and count_responses(app) == 1
