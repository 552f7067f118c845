"""A citizen completes the survey on a phone-sized Chromium, with no JavaScript needed."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Response
from tests.factories import make_invitation, make_surveyed_counter, ref
from tests.helpers import count_responses, funnel

pytestmark = pytest.mark.browser


@pytest.fixture
def counter(app):
    with app.app_context():
        return ref(make_surveyed_counter())


def answer_everything(page, *, screening: bool = True) -> None:
    if screening:
        page.get_by_label("Trực tiếp tại Bộ phận Một cửa").check()
        page.locator("#immediate").get_by_label("Không").check()
    for key, label in (("access", "Hài lòng"), ("procedure", "Rất hài lòng"),
                       ("officer", "Bình thường"), ("result", "Hài lòng"),
                       ("feedback", "Không hài lòng"), ("overall", "Rất hài lòng")):
        page.locator(f"#{key}").get_by_label(label, exact=True).check()
    page.locator("#on_time").get_by_label("Có").check()
    page.locator("#extra_demand").get_by_label("Không").check()
    page.get_by_label("Góp ý thêm").fill("Nhanh gọn.")


def test_citizen_completes_the_survey_on_a_phone(app, live_server, phone, counter, tmp_path):
    phone.goto(f"{live_server}/q/{counter.code}")
    assert phone.get_by_text("Quầy Sở Tư pháp số 1").is_visible()
    assert phone.get_by_role("button", name="Không tham gia").is_visible()
    # Nothing sticks out sideways on a 375 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    answer_everything(phone)
    phone.screenshot(path=tmp_path / "survey-filled.png", full_page=True)
    phone.get_by_role("button", name="Gửi").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("Ý kiến của Ông/Bà đã được ghi nhận ẩn danh.").is_visible()
    phone.screenshot(path=tmp_path / "survey-thanks.png", full_page=True)
    assert (tmp_path / "survey-filled.png").stat().st_size > 10_000
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        answers = {a.question_key: a.value for a in response.answers}
    assert answers["overall"] == 5 and answers["feedback"] == 2 and answers["on_time"] == 1


def test_online_case_hides_the_ratings_without_javascript(app, browser, live_server, counter,
                                                          tmp_path):
    context = browser.new_context(viewport={"width": 320, "height": 640},
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/q/{counter.code}")
    assert page.locator("#overall").is_visible()
    page.get_by_label("Trực tuyến").check()
    assert not page.locator("#overall").is_visible()
    assert page.get_by_text("Khảo sát này chỉ dành cho hồ sơ nộp trực tiếp").is_visible()
    page.screenshot(path=tmp_path / "survey-online-320.png", full_page=True)
    page.get_by_role("button", name="Gửi").click()
    page.wait_for_load_state()
    assert page.get_by_text("không áp dụng cho trường hợp của Ông/Bà").is_visible()
    context.close()
    assert count_responses(app) == 0
    assert funnel(app, counter.id)["screened_online"] == 1


def test_missing_answer_is_shown_next_to_its_question(app, live_server, phone, counter):
    phone.goto(f"{live_server}/q/{counter.code}")
    answer_everything(phone)
    phone.evaluate("document.querySelectorAll('#officer input').forEach(i => i.checked = false)")
    phone.get_by_role("button", name="Gửi").click()
    phone.wait_for_load_state()
    assert phone.locator("#officer .error").inner_text() == "Vui lòng chọn một câu trả lời."
    # The page lands on the summary (#loi), not on the introduction: it is on screen 1.
    summary = phone.locator("#loi .summary").bounding_box()
    assert phone.url.endswith("#loi") and 0 <= summary["y"] < 667 - summary["height"], summary
    assert phone.locator("#overall").get_by_label("Rất hài lòng", exact=True).is_checked()
    assert phone.get_by_label("Góp ý thêm").input_value() == "Nhanh gọn."
    assert count_responses(app) == 0


def test_decline_needs_no_answers(app, live_server, phone, counter):
    phone.goto(f"{live_server}/q/{counter.code}")
    phone.get_by_role("button", name="Không tham gia").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("Ông/Bà đã chọn không tham gia khảo sát.").is_visible()
    assert funnel(app, counter.id)["declined"] == 1


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_first_screen_holds_the_first_question_and_the_page_is_short(
        app, live_server, phone, counter, lang):
    """At 375×667: the promise in a line with the whole of it one tap away, the first
    question's choices on screen 1, the page at most 3.5 screens (README "What a citizen
    sees"), declining a clear button under Gửi, required questions marked."""
    phone.goto(f"{live_server}/q/{counter.code}?lang={lang}")
    choices = phone.locator("#channel label.opt").all()
    assert len(choices) == 3 and choices[-1].bounding_box()["y"] + \
        choices[-1].bounding_box()["height"] <= 667
    assert phone.evaluate("document.documentElement.scrollHeight") <= 3.5 * 667
    full = phone.locator(".promise details")
    assert not full.locator("p").first.is_visible()
    full.locator("summary").click()  # one tap: the whole promise
    assert full.locator("p").nth(1).is_visible()
    assert full.locator("summary").bounding_box()["height"] >= 44
    send = phone.get_by_role("button", name="Gửi" if lang == "vi" else "Send")
    decline = phone.get_by_role("button", name="Không tham gia" if lang == "vi"
                                else "Do not take part")
    assert decline.bounding_box()["y"] > send.bounding_box()["y"]
    assert decline.bounding_box()["height"] >= 44
    # No scale word breaks inside its letters: a line may change only after a space or a
    # soft hyphen (the questionnaire's "dis\u00adsatisfied"), read from each letter's place.
    bad = phone.evaluate(r"""() => [...document.querySelectorAll('.scale label.opt')]
        .flatMap(label => {
            const node = [...label.childNodes].find(n => n.nodeType == 3 && n.textContent.trim());
            const text = node.textContent, range = document.createRange(), wrong = [];
            let last = null, lastAt = -1;
            for (let i = 0; i < text.length; i++) {
                range.setStart(node, i); range.setEnd(node, i + 1);
                const rects = [...range.getClientRects()].filter(r => r.width > 0);
                if (!rects.length) continue;
                const y = rects[rects.length - 1].y;
                if (last !== null && y > last + 1 && !/[\s\u00ad]/.test(text.slice(lastAt, i)))
                    wrong.push(text);
                last = y; lastAt = i;
            }
            return wrong;
        })""")
    assert bad == [], bad
    assert phone.evaluate("""() => [...document.querySelectorAll('.scale label.opt')]
        .filter(l => l.scrollWidth > l.clientWidth).length""") == 0  # nor sticks out
    marked = phone.locator("legend .req").count()
    assert marked == 10 and phone.locator("label.block .req").count() == 0  # not the comment


def test_each_scale_is_one_row_of_five_legible_targets(app, live_server, phone, counter):
    """Measured at 375×667: 4,051 px (6.1 screens) when each choice took a row, 2,726 px
    (4.1) with a scale on one row; with the promise in a line, 2,227 px (3.3)."""
    phone.goto(f"{live_server}/q/{counter.code}")
    for key in ("access", "procedure", "officer", "result", "feedback", "overall"):
        boxes = [o.bounding_box() for o in phone.locator(f"#{key} label.opt").all()]
        assert len(boxes) == 5
        assert len({round(b["y"]) for b in boxes}) == 1  # one row
        assert all(b["width"] >= 44 and b["height"] >= 44 for b in boxes)  # a finger's target
    sizes = phone.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => [...e.childNodes].some(n => n.nodeType == 3 && n.textContent.trim()))
        .map(e => [e.closest('.scale') ? 'scale' : 'text',
                   parseFloat(getComputedStyle(e).fontSize)])""")
    assert min(size for kind, size in sizes if kind == "scale") >= 13
    assert min(size for kind, size in sizes if kind == "text") >= 16
    # Every choice's words are on the page, not a colour or a face alone.
    assert phone.locator("#overall label.opt").nth(0).inner_text().strip() == "Rất không hài lòng"
    height = phone.evaluate("document.documentElement.scrollHeight")
    assert height < 0.75 * 4051  # at least a quarter shorter than one choice per row


def test_the_survey_can_be_answered_with_the_keyboard_alone(app, browser, live_server,
                                                           counter):
    """Tab to each question, arrows to choose within it (a radio group is one tab stop),
    Space to tick, Enter to send; the focused control always shows a ring."""
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/q/{counter.code}")
    unseen = []

    def tab(times: int = 1) -> None:
        for _ in range(times):
            page.keyboard.press("Tab")
            ring = page.evaluate("""() => { const e = document.activeElement;
                const own = getComputedStyle(e), box = getComputedStyle(e.closest('.opt') || e);
                return own.outlineStyle !== 'none' || box.outlineStyle !== 'none'; }""")
            if not ring:
                unseen.append(page.evaluate("document.activeElement.outerHTML")[:80])

    def focused(name: str) -> None:
        assert page.evaluate("document.activeElement.name") == name

    tab(3)  # the language switch, the full promise (a summary), then the first question
    focused("channel")
    page.keyboard.press("Space")  # in person (the first choice)
    tab()
    focused("immediate")
    page.keyboard.press("ArrowRight")  # "Không": not on the spot
    # The five factors and overall: move right to the wanted level (arrows tick as they go).
    for key, steps in (("access", 3), ("procedure", 4), ("officer", 2), ("result", 3),
                       ("feedback", 1), ("overall", 4)):
        tab()
        focused(key)
        page.keyboard.press("Space")
        for _ in range(steps):
            page.keyboard.press("ArrowRight")
    tab()
    focused("on_time")
    page.keyboard.press("Space")  # "Có"
    tab()
    focused("extra_demand")
    page.keyboard.press("ArrowRight")  # "Không"
    tab()
    focused("comment")
    page.keyboard.type("Nhanh gọn.")
    tab()
    assert page.evaluate("document.activeElement.textContent").strip() == "Gửi"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Ý kiến của Ông/Bà đã được ghi nhận ẩn danh.").is_visible()
    assert unseen == []
    context.close()
    with app.app_context():
        from app.models import Answer

        stored = dict(db.session.execute(select(Answer.question_key, Answer.value)).all())
    assert stored == {"access": 4, "procedure": 5, "officer": 3, "result": 4, "feedback": 2,
                      "overall": 5, "on_time": 1, "extra_demand": 0}


def test_at_200_percent_zoom_the_survey_reflows_without_sideways_scrolling(browser,
                                                                           live_server,
                                                                           counter):
    """A 640 px window at 200 %: 320 CSS px (WCAG 1.4.10)."""
    context = browser.new_context(viewport={"width": 320, "height": 568},
                                  device_scale_factor=2)
    page = context.new_page()
    for path in (f"/q/{counter.code}", f"/q/{counter.code}/phan-anh", "/q/ZZZZZZZZ"):
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    context.close()


def test_an_invited_citizen_answers_once_from_the_link_in_the_text(app, live_server, phone,
                                                                   tmp_path):
    """The link of an SMS: the export said "in person, not immediate", so the form starts at
    the ratings; it answers once, and the second visit says so."""
    with app.test_request_context():
        link = make_invitation(make_surveyed_counter())
    phone.goto(live_server + link)
    assert phone.get_by_text("Quầy Sở Tư pháp số 1").is_visible()
    assert phone.get_by_text("Ông/Bà đã nộp hồ sơ bằng cách nào?").count() == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=tmp_path / "invitation-open.png")
    answer_everything(phone, screening=False)
    phone.get_by_role("button", name="Gửi").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("Ý kiến của Ông/Bà đã được ghi nhận ẩn danh.").is_visible()
    phone.goto(live_server + link)
    assert phone.get_by_role("heading", name="Đường dẫn đã được dùng").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=tmp_path / "invitation-used.png", full_page=True)
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        answers = {a.question_key: a.value for a in response.answers}
    assert answers["overall"] == 5 and answers["procedure"] == 5 and answers["officer"] == 3


def test_the_language_switch_is_a_full_size_target_at_the_top(app, live_server, phone,
                                                               counter):
    phone.goto(f"{live_server}/q/{counter.code}")
    switch = phone.get_by_role("link", name="English")
    box = switch.bounding_box()
    assert box["y"] < 60 and box["height"] >= 44 and box["width"] >= 44, box
    switch.click()
    phone.wait_for_load_state()
    assert phone.get_by_role("link", name="Tiếng Việt").bounding_box()["y"] < 60
    assert phone.get_by_role("button", name="Send").is_visible()
