"""Two app servers behind one load balancer share one database and one Redis: a citizen's
rate limit, a form's one-time ticket and a re-issued sticker code hold across both."""

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from app.clock import local_today
from app.domain.org import reissue_code
from app.extensions import db
from app.models import Counter, Response
from tests.factories import GOOD_ANSWERS, make_surveyed_counter, ref
from tests.helpers import count_rows, free_port, local_redis, server_env, start_gunicorn

LOOKUP_SECONDS = 2  # how long a server may keep showing a changed code's form (lookup.py)


def phone():
    """A new phone: its own cookies."""
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def open_form(client, base: str, code: str) -> dict:
    html = client.open(f"{base}/q/{code}", timeout=10).read().decode()
    return dict(re.findall(r'name="(csrf_token|ticket)"[^>]*value="([^"]*)"', html))


def send(client, base: str, code: str, hidden: dict) -> tuple[int, str]:
    body = urllib.parse.urlencode({**hidden, **GOOD_ANSWERS, "submit": "1"}).encode()
    try:
        page = client.open(f"{base}/q/{code}", body, timeout=10)
        return page.status, page.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def servers(app, migrated_database):
    redis_url = local_redis("the two-server test")
    with app.app_context():
        counter = ref(make_surveyed_counter())
    env = server_env(migrated_database, RATELIMIT_STORAGE_URI=redis_url,
                     RATELIMIT_KEY_PREFIX=f"two-{uuid.uuid4().hex}",
                     SURVEY_SUBMIT_LIMIT="3 per 10 minutes",
                     SURVEY_LOOKUP_SECONDS=str(LOOKUP_SECONDS))
    started = [start_gunicorn(env, free_port()) for _ in range(2)]
    yield counter, [base for _server, base in started]
    for server, _base in started:
        server.terminate()
        server.wait(timeout=10)


def test_a_limit_a_ticket_and_a_new_code_hold_across_two_servers(app, servers):
    counter, (a, b) = servers
    # One form, sent to A and then again to B (a double tap split by the balancer): one answer.
    citizen = phone()
    hidden = open_form(citizen, a, counter.code)
    assert "đã được ghi nhận" in send(citizen, a, counter.code, hidden)[1]
    second = phone()  # the same form from a copy of the page, without the first's cookies
    second.open(f"{b}/q/{counter.code}", timeout=10)  # a session of its own on B
    status, _page = send(second, b, counter.code, hidden)
    assert count_rows(app, Response) == 1, status

    # A re-issued code: a form B showed before stores nothing, even while B still knows the
    # old code; after SURVEY_LOOKUP_SECONDS neither server shows the old sticker's form.
    late = phone()
    late_form = open_form(late, b, counter.code)
    with app.app_context():
        new_code = reissue_code(db.session.get(Counter, counter.id), actor="test",
                                today=local_today())
        db.session.commit()
    status, page = send(late, b, counter.code, late_form)
    assert status == 410 and "không còn sử dụng" in page
    assert count_rows(app, Response) == 1
    time.sleep(LOOKUP_SECONDS + 0.5)
    for base in (a, b):
        with pytest.raises(urllib.error.HTTPError) as gone:
            phone().open(f"{base}/q/{counter.code}", timeout=10)
        assert gone.value.code == 410

    # Three forms per address and counter in ten minutes, on both servers together.
    results = []
    for base in (b, a, b, a):
        client = phone()
        results.append(send(client, base, new_code, open_form(client, base, new_code)))
    assert [r[0] for r in results] == [200, 200, 200, 429]
    assert all("đã được ghi nhận" in r[1] for r in results[:3])
    assert count_rows(app, Response) == 4
