"""The lean path (app/survey/lean.py): a fresh phone's scan answered below Flask's request
handling gets what the survey's view would have sent, and is counted the same."""

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import IntegrityDay
from tests.conftest import BASE_CONFIG, empty
from tests.factories import make_surveyed_counter, ref
from tests.helpers import GOOD_ANSWERS, count_responses, funnel, hidden_fields


@pytest.fixture
def counter(app):
    with app.app_context():
        return ref(make_surveyed_counter())


@pytest.fixture
def views(app, monkeypatch):
    """The survey view's calls, by method (the lean path does not call it)."""
    calls = []
    entry = app.view_functions["survey.entry"]

    def counted(**kwargs):
        from flask import request

        calls.append(request.method)
        return entry(**kwargs)

    monkeypatch.setitem(app.view_functions, "survey.entry", counted)
    return calls


def without(headers, *names: str) -> dict:
    return {k: v for k, v in headers.items() if k not in names}


def test_a_fresh_phone_gets_from_the_lean_path_what_the_view_sends(app, counter, views):
    first = app.test_client().get(f"/q/{counter.code}")  # renders the blank page: the view
    assert views == ["GET"]
    phone = app.test_client()
    lean = phone.get(f"/q/{counter.code}")
    assert views == ["GET"]  # not called again
    assert lean.status_code == first.status_code == 200
    assert without(lean.headers, "Set-Cookie", "Content-Length") == without(
        first.headers, "Set-Cookie", "Content-Length")
    # The same cookie but for its value: name, path, HttpOnly, SameSite, no expiry.
    cookie = lean.headers["Set-Cookie"].split(";", 1)
    assert cookie[0].startswith("session=") and cookie[1] == first.headers[
        "Set-Cookie"].split(";", 1)[1]
    # The same page but for its own token and ticket.
    ours, theirs = lean.get_data(as_text=True), first.get_data(as_text=True)
    hidden = hidden_fields(ours)
    assert hidden.keys() == {"csrf_token", "ticket"} and hidden != hidden_fields(theirs)
    for name, value in hidden.items():
        ours = ours.replace(value, hidden_fields(theirs)[name])
    assert ours == theirs
    # And the form it carries is taken: token, ticket and session cookie hold.
    done = phone.post(f"/q/{counter.code}", data={**hidden, **GOOD_ANSWERS, "submit": "1"})
    assert "đã được ghi nhận" in done.get_data(as_text=True)
    assert count_responses(app) == 1 and funnel(app, counter.id)["opened"] == 2


def test_a_counter_never_scanned_before_is_answered_lean_with_its_own_words(app, counter,
                                                                            views):
    """Real scans come to a different counter nearly every time: once one page of the
    questionnaire is rendered, a new counter's page is that skeleton with its own words
    (escaped), from the lean path, the same page the view would render for it."""
    from app.models import Unit
    from tests.factories import make_counter

    app.test_client().get(f"/q/{counter.code}")
    with app.app_context():
        unit = db.session.scalars(select(Unit).where(Unit.code == "STP")).one()
        other = ref(make_counter(unit, "Quầy <b>2</b> & \"A\"", operator="Bưu điện <i>"))
        plain = ref(make_counter(unit, "Quầy 3"))
    assert views == ["GET"]
    for new in (other, plain):
        app.test_client().get(f"/q/{new.code}")  # the operator's skeleton: the view, once
    lean = app.test_client().get(f"/q/{other.code.lower()}")
    assert views == ["GET", "GET"]  # one more skeleton (a counter with an operator), no more
    html = lean.get_data(as_text=True)
    assert "Quầy &lt;b&gt;2&lt;/b&gt; &amp; &#34;A&#34;" in html
    assert "do Bưu điện &lt;i&gt; phụ trách" in html and "Sở Tư pháp" in html
    assert f'action="/q/{other.code}"' in html and "KHAOSATCODEMARK" not in html
    assert "\x00" not in html
    # The view renders the same page for it (bar its token and ticket).
    app.extensions.pop("khaosat.skeletons")
    app.extensions.pop("khaosat.lookup")
    viewed = app.test_client().get(f"/q/{other.code}?lang=vi").get_data(as_text=True)
    for name, value in hidden_fields(html).items():
        html = html.replace(value, hidden_fields(viewed)[name])
    assert html == viewed


def test_the_view_still_answers_what_the_lean_path_leaves(app, counter, views):
    app.test_client().get(f"/q/{counter.code}")
    phone = app.test_client()
    phone.get(f"/q/{counter.code}")
    phone.get(f"/q/{counter.code}")  # holds a session cookie now
    app.test_client().get(f"/q/{counter.code}?lang=en")
    app.test_client().head(f"/q/{counter.code}")
    assert app.test_client().get("/q/NOSUCHCODE").status_code == 404
    assert views == ["GET", "GET", "GET", "HEAD", "GET"]
    assert funnel(app, counter.id)["opened"] == 4  # HEAD opens nothing


def test_a_cookieless_flood_is_stopped_and_counted_once(migrated_database):
    """The first scan goes on to the view (no page rendered yet) and the sixth is refused
    there: neither is counted twice against the limit."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated_database,
                      "SURVEY_OPEN_LIMIT": "5 per 10 minutes"})
    try:
        with app.app_context():
            counter = ref(make_surveyed_counter())
        statuses = [app.test_client().get(f"/q/{counter.code}").status_code for _ in range(8)]
        assert statuses == [200] * 5 + [429] * 3
        assert funnel(app, counter.id)["opened"] == 5
        with app.app_context():
            assert db.session.scalar(select(IntegrityDay.refused_limit)) == 3
    finally:
        empty(app)
