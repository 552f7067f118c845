"""Random and hostile values in every field of every public form: never a 500, nothing stored
from invalid input, and a page that says what is wrong."""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import GOOD_ANSWERS, PASSWORD, make_surveyed_counter, make_user, ref
from tests.helpers import count_responses, csrf_token_of, open_survey

HOSTILE = st.one_of(
    st.text(max_size=600),
    st.sampled_from(["", "0", "-1", "9223372036854775808", "1e309", "NaN", "\x00", "5\x00",
                     "' OR 1=1 --", "<script>alert(1)</script>", "=1+1", "../../etc/passwd",
                     "\r\nSet-Cookie: x=1", "𝟓", "５", "yes", "in_person", "online"]),
    st.text(alphabet=string.printable, max_size=40),
)
SURVEY_FIELDS = [*GOOD_ANSWERS, "decline", "submit"]
EXAMPLES = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
ALLOWED = {200, 303, 400, 401, 404, 413, 415, 422, 429}


@pytest.fixture
def counter(app):
    with app.app_context():
        counter = make_surveyed_counter()
        make_user("clerk", "clerk", counter.unit)
        return ref(counter)


@EXAMPLES
@given(values=st.dictionaries(st.sampled_from(SURVEY_FIELDS), HOSTILE, max_size=12))
def test_the_survey_takes_any_values_without_a_500(app, counter, values):
    client = app.test_client()
    before = count_responses(app)
    _, hidden = open_survey(client, counter.code)
    page = client.post(f"/q/{counter.code}", data={**hidden, **values})
    html = page.get_data(as_text=True)
    assert page.status_code in ALLOWED
    stored = count_responses(app) - before
    if stored:  # only a complete, valid set of answers is stored
        assert "đã được ghi nhận" in html
        for key in ("access", "procedure", "officer", "result", "feedback", "overall"):
            assert values.get(key, GOOD_ANSWERS[key]) in "12345"
    elif page.status_code == 422:
        assert 'class="error"' in html or 'class="summary"' in html


@EXAMPLES
@given(values=st.dictionaries(st.sampled_from(["kinds", "text", "send"]), HOSTILE,
                              max_size=3))
def test_the_report_of_pressure_takes_any_values_without_a_500(app, counter, values):
    client = app.test_client()
    token = csrf_token_of(client.get(f"/q/{counter.code}/phan-anh"))
    page = client.post(f"/q/{counter.code}/phan-anh", data={"csrf_token": token, **values})
    assert page.status_code in ALLOWED
    if page.status_code == 422:
        assert 'class="error"' in page.get_data(as_text=True)


@EXAMPLES
@given(values=st.dictionaries(st.sampled_from(["username", "password"]), HOSTILE,
                              max_size=2))
def test_the_login_takes_any_values_without_a_500(app, counter, values):
    client = app.test_client()
    token = csrf_token_of(client.get("/login"))
    page = client.post("/login", data={"csrf_token": token, **values})
    assert page.status_code in ALLOWED
    assert values.get("password") == PASSWORD or client.get("/staff/").status_code == 302


@EXAMPLES
@given(values=st.dictionaries(st.sampled_from(["t-counter", "t-day", "t-returned",
                                               "t-immediate", "t-online", "t-postal"]),
                              HOSTILE, max_size=6))
def test_the_tally_form_takes_any_values_without_a_500(app, counter, values):
    client = app.test_client()
    token = csrf_token_of(client.get("/login"))
    client.post("/login", data={"csrf_token": token, "username": "clerk",
                                "password": PASSWORD})
    token = csrf_token_of(client.get("/staff/tallies"))
    page = client.post("/staff/tallies", data={"csrf_token": token, **values})
    assert page.status_code in ALLOWED
