"""What tests do as a person would: log in through the form, post forms with their CSRF token,
open and fill the survey; and count what the database holds. One module, imported by all."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from html import unescape as html_unescape
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer, AnswerDay, DailyFunnel, Response, ResponseDay
from app.survey.tickets import ANSWERED_COOKIE
from tests.factories import GOOD_ANSWERS, PASSWORD

_CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
_HIDDEN = re.compile(r'<input[^>]*name="([^"]+)" type="hidden" value="([^"]*)"')


# --- staff ------------------------------------------------------------------------------

def csrf_token_of(page) -> str:
    """The CSRF token a page's form carries."""
    return _CSRF.search(page.get_data(as_text=True)).group(1)


class AuthActions:
    """Log a test client in and out through the real login form, CSRF included."""

    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = PASSWORD, **environ):
        token = csrf_token_of(self._client.get("/login"))
        data = {"csrf_token": token, "username": username, "password": password}
        return self._client.post("/login", data=data, environ_base=environ or {})

    def logout(self):
        token = csrf_token_of(self._client.get("/staff/"))
        return self._client.post("/logout", data={"csrf_token": token})


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Fill and send the login form a Playwright page shows; the caller waits for what follows."""
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def login(app, username: str, password: str = PASSWORD):
    """A fresh client of `app`, logged in as `username`."""
    client = app.test_client()
    AuthActions(client).login(username, password)
    return client


def post(client, url: str, data: dict, page: str | None = None, **kwargs):
    """Open the form's page (url, or `page`) for its CSRF token, then post `data` to url."""
    token = csrf_token_of(client.get(page or url))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def count_rows(app, model) -> int:
    """How many rows a table holds, read in a context of its own as another process would."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- the citizen's phone ----------------------------------------------------------------

def checked(html: str, name: str, value: str) -> bool:
    """True when the radio button name=value is rendered checked."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return " checked" in tag
    return False


def hidden_fields(html: str) -> dict[str, str]:
    """The CSRF token and the one-time ticket a survey page carries."""
    return dict(_HIDDEN.findall(html))


def open_survey(client, code: str, query: str = ""):
    """GET the survey; return the response and the hidden fields the form carries."""
    page = client.get(f"/q/{code}{query}")
    return page, hidden_fields(page.get_data(as_text=True))


def submit(client, code: str, answers: dict | None = None, *, hidden: dict | None = None,
           button: str = "submit", same_phone: bool = False):
    """Open the survey (unless hidden fields are given) and press Gửi or Không tham gia: a
    new citizen each time (the phone's "answered here today" cookie is not carried over)
    unless `same_phone`."""
    if not same_phone:
        client.delete_cookie(ANSWERED_COOKIE, path="/q/")
    if hidden is None:
        _, hidden = open_survey(client, code)
    data = {**hidden, **(GOOD_ANSWERS if answers is None else answers), button: "1"}
    return client.post(f"/q/{code}", data=data)


def stored_rollups() -> tuple[dict, dict]:
    """The daily roll-ups as stored, in the shape domain/rollups.recount_rollups() returns."""
    levels = [getattr(ResponseDay, f"{name}_{n}") for name in ("overall", "invited")
              for n in range(1, 6)]
    levels.insert(5, ResponseDay.invited)
    days = {(r.campaign_id, r.counter_id, r.day): tuple(r[3:])
            for r in db.session.execute(select(ResponseDay.campaign_id, ResponseDay.counter_id,
                                               ResponseDay.day, ResponseDay.responses, *levels))}
    answers = {(r.campaign_id, r.counter_id, r.day, r.question_key, r.value): r.responses
               for r in db.session.scalars(select(AnswerDay))}
    return days, answers


def sum_weeks(app) -> None:
    """What the `flask sum-weeks` cron does: sum every settled week for the reports."""
    result = app.test_cli_runner().invoke(args=["sum-weeks"])
    assert result.exit_code == 0, result.output


def count_responses(app) -> int:
    return count_rows(app, Response)


def count_answers(app) -> int:
    return count_rows(app, Answer)


def funnel(app, counter_id: int) -> dict[str, int]:
    """The counter's funnel counts, summed over days."""
    steps = ("opened", "declined", "screened_online", "screened_postal", "screened_immediate",
             "completed")
    totals = dict.fromkeys(steps, 0)
    with app.app_context():
        rows = db.session.scalars(select(DailyFunnel).where(DailyFunnel.counter_id == counter_id))
        for row in rows:
            for step in steps:
                totals[step] += getattr(row, step)
    return totals


_FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)" class="buttons">')
_HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def confirm(client, page):
    """Press the confirm button of an "are you sure?" page (app/confirm.py), which carries
    the first submission's fields; return the response."""
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="confirmed" value="1"' in html, html[:500]
    action = html_unescape(_FORM_ACTION.search(html).group(1))
    data: dict[str, list[str]] = {}
    for name, value in _HIDDEN_INPUT.findall(html):
        data.setdefault(html_unescape(name), []).append(html_unescape(value))
    return client.post(action, data=data)


_SIGNED_FIELD = re.compile(r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)">')


def confirm_upload(client, page, action: str):
    """Press the button of a page that shows what an upload would do and carries the file back
    signed (app/confirm.py: sign_upload); return the response."""
    html = page.get_data(as_text=True)
    fields = {html_unescape(k): html_unescape(v) for k, v in _SIGNED_FIELD.findall(html)}
    assert page.status_code == 200 and {"csrf_token", "content", "filename", "signed"} <= set(
        fields), html[:500]
    return client.post(action, data=fields)


# --- servers ------------------------------------------------------------------------------

def local_redis(purpose: str) -> str:
    """The Redis a test shares limits through: the run's own (the PostgreSQL pass sets
    RATELIMIT_STORAGE_URI), else the local one the Makefile names, so the SQLite pass plays it
    too. Skips without one, except in CI, where it fails."""
    import pytest
    import redis

    url = os.environ.get("RATELIMIT_STORAGE_URI", "")
    if not url.startswith("redis"):
        url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Redis at {url} for {purpose}")
        pytest.skip(f"{purpose} needs Redis: none answers at {url}")
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, **settings: str) -> dict:
    """The environment of a gunicorn a test starts on the run's database: development mode
    only so that cookies go over plain HTTP (production marks them Secure), answers taken at
    any hour and at once, no access log; `settings` on top."""
    return {**os.environ, "KHAOSAT_ENV": "development", "SECRET_KEY": "t" * 64,
            "DATABASE_URL": database_url, "PUBLIC_BASE_URL": "https://khaosat.example.vn",
            "SURVEY_MIN_SECONDS": "0", "OFFICE_HOURS": "00:00-23:59:59",
            "GUNICORN_ACCESSLOG": "/dev/null", **settings}


def start_gunicorn(env: dict, port: int, workers: int = 1,
                   **popen) -> tuple[subprocess.Popen, str]:
    """gunicorn with gunicorn.conf.py on 127.0.0.1:port (one worker unless told); returns it
    once it answers, with its base URL."""
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(
        [Path(sys.executable).parent / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=root,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)},
        **popen)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/health", timeout=1)
            return server, base
        except urllib.error.HTTPError:
            return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"gunicorn did not start on {base}")
