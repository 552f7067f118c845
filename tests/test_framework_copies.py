"""Where the survey copies a framework's internals for speed, the copy is compared with the
framework's own behaviour, so an upgrade fails here rather than in a citizen's hands. The
versions are pinned in tests/requirements.lock (and requirements.lock); this file checks the
installed ones are those.

- lean.session_cookie: Flask's SecureCookieSessionInterface.save_session
- tickets.csrf_token: Flask-WTF's generate_csrf, WTF_CSRF_FIELD_NAME included
- limits._hit_all's Lua script: the `limits` library's fixed-window keys and counts
- app._survey_skips_the_limiter_hook: Flask-Limiter's before-request hook
"""

import re
import uuid
from importlib.metadata import version
from pathlib import Path

import pytest
import time_machine
from flask import session
from flask_wtf.csrf import generate_csrf, validate_csrf
from limits import parse

from app import create_app
from app.extensions import limiter
from app.survey import lean, limits, tickets
from tests.conftest import BASE_CONFIG, empty
from tests.factories import make_surveyed_counter, ref
from tests.helpers import (
    GOOD_ANSWERS,
    count_responses,
    csrf_token_of,
    funnel,
    hidden_fields,
    local_redis,
)

LOCK = Path(__file__).resolve().parent / "requirements.lock"
COPIED_FROM = ("flask", "flask-wtf", "flask-limiter", "limits", "werkzeug", "itsdangerous",
               "redis")


@pytest.mark.parametrize("package", COPIED_FROM)
def test_the_frameworks_copied_from_are_the_pinned_versions(package):
    pinned = re.search(rf"^{re.escape(package)}==(\S+)", LOCK.read_text(), re.M | re.I)
    assert pinned is not None, f"{package} is not pinned in {LOCK.name}"
    assert version(package) == pinned.group(1)


def test_every_locked_package_carries_hashes():
    text = LOCK.read_text()
    pins = re.findall(r"^\S+==\S+ \\$", text, re.M)
    assert len(pins) > 40 and len(pins) == len(re.findall(r"^\S+==", text, re.M))
    for requirements in (LOCK.parent.parent / "requirements.txt",
                         LOCK.parent / "requirements.txt"):
        for line in requirements.read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                name, pin = line.split("==")
                name = name.split("[")[0]  # psycopg[binary]: the lock names psycopg
                assert re.search(rf"^{re.escape(name)}=={re.escape(pin)} ", text, re.M | re.I)


@pytest.mark.parametrize("settings", [{}, {"SESSION_COOKIE_SECURE": True,
                                            "SESSION_COOKIE_SAMESITE": "Strict",
                                            "SESSION_COOKIE_PATH": "/q/",
                                            "SESSION_COOKIE_NAME": "phien"}])
def test_the_lean_cookie_is_what_flask_save_session_sends(app, settings):
    app.config.update(settings)
    with time_machine.travel("2026-12-01 03:00:00+00:00", tick=False), \
            app.test_request_context("/q/ABC"):
        own = app.session_interface.open_session(app, __import__("flask").request)
        own["csrf_token"] = "f" * 40
        response = app.response_class()
        app.session_interface.save_session(app, own, response)
        assert response.headers.getlist("Set-Cookie") == [
            lean.session_cookie(app, {"csrf_token": "f" * 40})]


@pytest.mark.parametrize("field_name", ["csrf_token", "khoa_phieu"])
def test_the_survey_csrf_token_is_flask_wtfs(app, field_name):
    app.config["WTF_CSRF_FIELD_NAME"] = field_name
    with time_machine.travel("2026-12-01 03:00:00+00:00", tick=False):
        with app.test_request_context("/q/ABC"):
            ours = tickets.csrf_token()
            secret = dict(session)
            assert list(secret) == [field_name] and len(secret[field_name]) == 40
            validate_csrf(ours)  # Flask-WTF takes it
        with app.test_request_context("/q/ABC"):  # a new request: nothing cached in g
            session.update(secret)
            assert generate_csrf() == ours  # and makes the same from the same session
            assert tickets.signed_csrf(secret[field_name]) == ours


def test_the_survey_works_with_another_csrf_field_name(migrated_database):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated_database,
                      "WTF_CSRF_FIELD_NAME": "khoa_phieu"})
    try:
        with app.app_context():
            code = ref(make_surveyed_counter()).code
        for _first_and_lean in range(2):  # the view's page, then the lean path's
            phone = app.test_client()
            page = phone.get(f"/q/{code}")
            hidden = hidden_fields(page.get_data(as_text=True))
            assert page.status_code == 200 and hidden.keys() == {"khoa_phieu", "ticket"}
            done = phone.post(f"/q/{code}", data={**hidden, **GOOD_ANSWERS, "submit": "1"})
            assert "đã được ghi nhận" in done.get_data(as_text=True)
        assert count_responses(app) == 2
    finally:
        empty(app)


def test_the_lua_script_counts_in_limits_own_keys(migrated_database):
    """A window counted by the script is read back by limits' own strategy, and one counted
    by limits is carried on by the script: same keys, same counts, same expiry."""
    import redis

    url = local_redis("comparing the survey's Lua counting with limits'")
    prefix = f"copies-{uuid.uuid4().hex}"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated_database,
                      "RATELIMIT_STORAGE_URI": url,
                      "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix}})
    store = redis.Redis.from_url(url)
    try:
        with app.test_request_context("/q/ABC"):
            item = parse("3 per 10 minutes")
            ids = ("SURVEY_SUBMIT_LIMIT", "survey:someone")
            assert limits._hit_all([(item, ids, 1), (item, ids, 1)]) == [True, True]
            stats = limiter.limiter.get_window_stats(item, *ids)
            assert stats.remaining == 1  # limits reads the script's two hits
            assert limiter.limiter.hit(item, *ids)  # limits' own third hit …
            assert limits._hit_all([(item, ids, 1)]) == [False]  # … the script's fourth is over
            (key,) = store.keys(f"{prefix}:*")
            assert key.decode() == limiter.limiter.storage.prefixed_key(item.key_for(*ids))
            assert int(store.get(key)) == 4 and 590 <= store.ttl(key) <= 600
    finally:
        for key in store.keys(f"{prefix}:*"):
            store.delete(key)
        empty(app)


def test_only_the_survey_form_skips_flask_limiters_hook(app):
    """The hook Flask-Limiter installs is found and wrapped (a changed Flask-Limiter fails at
    start-up); every other page still goes through it: the login's limit holds."""
    hooks = app.before_request_funcs[None]
    assert limiter._check_request_limit not in hooks  # replaced by the wrapper …
    assert any(getattr(h, "__name__", "") == "check_unless_survey" for h in hooks)
    client = app.test_client()
    token = csrf_token_of(client.get("/login"))
    statuses = [client.post("/login", data={"csrf_token": token, "username": "x",
                                            "password": "y"}).status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2  # … and the login's own limit is still checked


def test_the_lean_paths_error_branch_hands_the_scan_to_the_view(app, monkeypatch, caplog):
    """Anything failing in the lean path (here the cookie) sends the scan on to the view,
    which serves the same form with Flask's own cookie, counted once, and logs no traceback
    (its parameters would name the counter)."""
    with app.app_context():
        counter = ref(make_surveyed_counter())
    app.test_client().get(f"/q/{counter.code}")  # the page is rendered and cached

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(lean, "session_cookie", broken)
    phone = app.test_client()
    page = phone.get(f"/q/{counter.code}")
    assert page.status_code == 200 and page.headers["Set-Cookie"].startswith("session=")
    assert "went on to the full path (RuntimeError)" in caplog.text
    assert "Traceback" not in caplog.text and counter.code not in caplog.text
    assert funnel(app, counter.id)["opened"] == 2  # the lean path's count was not lost nor doubled
    hidden = hidden_fields(page.get_data(as_text=True))
    done = phone.post(f"/q/{counter.code}", data={**hidden, **GOOD_ANSWERS, "submit": "1"})
    assert "đã được ghi nhận" in done.get_data(as_text=True)
