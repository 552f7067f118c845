"""The database goes away for a while (PostgreSQL refusing and dropping connections as in a
restart, or SQLite locked by another writer): a citizen's sent form comes back with every
answer and "please try again", pressing again once it is back stores it once, /health says
503 meanwhile, and the app recovers without a restart."""

import http.cookiejar
import os
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import normalise_database_url
from app.extensions import db
from tests.factories import GOOD_ANSWERS, make_surveyed_counter, ref
from tests.helpers import checked, count_responses, free_port, server_env, start_gunicorn

COMMENT = "Cán bộ tận tình, chờ hơi lâu"


@pytest.fixture
def server(app, migrated_database, tmp_path):
    with app.app_context():
        counter = ref(make_surveyed_counter())
    master, base = start_gunicorn(server_env(migrated_database), free_port(),
                                  stderr=(tmp_path / "gunicorn.log").open("w"))
    yield counter, base, migrated_database
    master.terminate()
    master.wait(timeout=20)


@contextmanager
def database_down(url: str):
    """PostgreSQL: the app's database refuses new connections and its open ones are cut (what
    a restart does to the app). SQLite: another process holds the write lock."""
    if url.startswith("sqlite"):
        holder = sqlite3.connect(make_url(url).database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    name = make_url(url).database
    server = create_engine(make_url(normalise_database_url(os.environ["TEST_DATABASE_URL"])),
                           isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :name"), {"name": name})
        try:
            yield
        finally:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    server.dispose()


def fetch(opener, url: str, body: bytes | None = None) -> tuple[int, str]:
    try:
        page = opener.open(url, body, timeout=60)
        return page.status, page.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def hidden_of(html: str) -> dict:
    return dict(re.findall(r'name="(csrf_token|ticket)"[^>]*value="([^"]*)"', html))


def test_a_database_outage_loses_no_answer_and_heals_by_itself(app, server):
    counter, base, url = server
    phone = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _status, form = fetch(phone, f"{base}/q/{counter.code}")
    answers = {**GOOD_ANSWERS, "comment": COMMENT, "submit": "1"}
    with database_down(url):
        status, page = fetch(phone, f"{base}/q/{counter.code}",
                             urllib.parse.urlencode({**hidden_of(form), **answers}).encode())
        assert status == 503
        assert "Hệ thống đang bận" in page and COMMENT in page  # the answers, still there
        for name in ("access", "procedure", "officer", "overall"):
            assert checked(page, name, GOOD_ANSWERS[name]), name
        if url.startswith("postgresql"):  # SQLite locked still reads: not "down" for /health
            assert fetch(phone, f"{base}/health")[0] == 503
            # A page that must read the database (a code no counter has is never cached).
            other = fetch(phone, f"{base}/q/{'Z' * len(counter.code)}")
            assert other[0] == 503 and "Vui lòng thử lại sau ít phút." in other[1]
    with app.app_context():
        db.engine.dispose()  # this test's own connections were cut too
    assert count_responses(app) == 0
    # Back: the same page's button, pressed again, stores the answer once.
    status, page = fetch(phone, f"{base}/q/{counter.code}",
                         urllib.parse.urlencode({**hidden_of(page), **answers}).encode())
    assert status == 200 and "đã được ghi nhận" in page
    assert fetch(phone, f"{base}/health")[0] == 200
    assert count_responses(app) == 1
