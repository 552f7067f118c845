"""Two app servers behind one load balancer share one database and one Redis: a citizen's
rate limit, a form's one-time ticket, a re-issued sticker code and an invitation's one-time
link hold across both."""

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.clock import local_today
from app.domain.org import reissue_code
from app.extensions import db
from app.models import Counter, InboxResponse, Response
from tests.factories import GOOD_ANSWERS, make_invitation, make_surveyed_counter, ref
from tests.helpers import count_rows, free_port, local_redis, server_env, start_gunicorn

LOOKUP_SECONDS = 2  # how long a server may keep showing a changed code's form (lookup.py)


def phone():
    """A new phone: its own cookies."""
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def open_form(client, url: str) -> dict:
    html = client.open(url, timeout=10).read().decode()
    return dict(re.findall(r'name="(csrf_token|ticket)"[^>]*value="([^"]*)"', html))


def send(client, url: str, hidden: dict) -> tuple[int, str]:
    body = urllib.parse.urlencode({**hidden, **GOOD_ANSWERS, "submit": "1"}).encode()
    try:
        page = client.open(url, body, timeout=10)
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
    hidden = open_form(citizen, f"{a}/q/{counter.code}")
    assert "đã được ghi nhận" in send(citizen, f"{a}/q/{counter.code}", hidden)[1]
    second = phone()  # the same form from a copy of the page, without the first's cookies
    second.open(f"{b}/q/{counter.code}", timeout=10)  # a session of its own on B
    status, _page = send(second, f"{b}/q/{counter.code}", hidden)
    assert count_rows(app, Response) == 1, status

    # A re-issued code: a form B showed before stores nothing, even while B still knows the
    # old code; after SURVEY_LOOKUP_SECONDS neither server shows the old sticker's form.
    late = phone()
    late_form = open_form(late, f"{b}/q/{counter.code}")
    with app.app_context():
        new_code = reissue_code(db.session.get(Counter, counter.id), actor="test",
                                today=local_today())
        db.session.commit()
    status, page = send(late, f"{b}/q/{counter.code}", late_form)
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
        url = f"{base}/q/{new_code}"
        results.append(send(client, url, open_form(client, url)))
    assert [r[0] for r in results] == [200, 200, 200, 429]
    assert all("đã được ghi nhận" in r[1] for r in results[:3])
    assert count_rows(app, Response) == 4


@pytest.fixture
def invitation_servers(app, migrated_database):
    """An invitation's link for yesterday's return at a surveyed counter, and two servers."""
    with app.test_request_context():
        link = make_invitation(make_surveyed_counter())
    started = [start_gunicorn(server_env(migrated_database), free_port()) for _ in range(2)]
    yield link, [base for _server, base in started]
    for server, _base in started:
        server.terminate()
        server.wait(timeout=10)


def stored_forms(app) -> int:
    """Completed forms stored, whether still in the inbox or moved."""
    return count_rows(app, InboxResponse) + count_rows(app, Response)


def test_an_invitation_answers_once_across_two_servers(app, invitation_servers):
    link, (a, b) = invitation_servers
    # Two copies of the link (forwarded to a relative, say), opened on both servers, sent at
    # the same moment: one answer, and each phone is told the link's answer was recorded.
    phones, forms = [phone(), phone()], []
    for client, base in zip(phones, (a, b), strict=True):
        forms.append(open_form(client, base + link))
    together = threading.Barrier(2)

    def send_at_once(i: int):
        together.wait()
        return send(phones[i], (a, b)[i] + link, forms[i])

    with ThreadPoolExecutor(2) as pool:
        pages = list(pool.map(send_at_once, range(2)))
    assert [status for status, _page in pages] == [200, 200]
    assert all("đã được ghi nhận" in page for _status, page in pages)
    assert stored_forms(app) == 1

    # Opened again later, on either server, the link says it was used; a form sent from a
    # third copy stores nothing.
    for base in (a, b):
        again = phone().open(f"{base}{link}", timeout=10).read().decode()
        assert "Đường dẫn đã được dùng" in again
    assert send(phone(), b + link, forms[0])[0] == 200
    assert stored_forms(app) == 1
