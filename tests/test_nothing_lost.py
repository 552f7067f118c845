"""Nothing lost: a gunicorn worker killed with SIGKILL while citizens send their forms costs
no answer that was thanked for, stores none twice, and thanks nobody falsely.

CI sends NOTHING_LOST_FORMS (default 240) forms from NOTHING_LOST_CLIENTS (8) threads; the
full run of the issue is `NOTHING_LOST_FORMS=2000 NOTHING_LOST_CLIENTS=16 make test` (or
make test-postgres) with `-k nothing_lost`. Runs on the suite's database: SQLite (WAL) or
PostgreSQL."""

import http.client
import http.cookiejar
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.factories import GOOD_ANSWERS, make_surveyed_counter, ref
from tests.helpers import free_port, server_env, start_gunicorn

FORMS = int(os.environ.get("NOTHING_LOST_FORMS", "240"))
CLIENTS = int(os.environ.get("NOTHING_LOST_CLIENTS", "8"))
THANKS = "đã được ghi nhận"


@pytest.fixture
def server(app, migrated_database, tmp_path):
    with app.app_context():
        counter = ref(make_surveyed_counter())
    # One test client is many citizens here: the per-address limits are out of its reach.
    gates = {name: "1000000 per minute" for name in (
        "SURVEY_OPEN_LIMIT", "SURVEY_SUBMIT_LIMIT", "SURVEY_BURST", "SURVEY_ONE_PLACE")}
    env = server_env(migrated_database, SURVEY_IDENTICAL_RUN="1000000", **gates)
    master, base = start_gunicorn(env, free_port(), workers=2,
                                  stderr=(tmp_path / "gunicorn.log").open("w"))
    yield counter, master, base
    master.terminate()
    master.wait(timeout=20)


def workers_of(master) -> list[int]:
    return [int(pid) for pid in
            Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()]


def one_citizen(base: str, code: str, mark: str) -> tuple[str, str]:
    """Open the form, answer, send; if the connection breaks, send the same form once more,
    as a citizen pressing again would. Returns (mark, what the phone finally showed)."""
    phone = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        html = phone.open(f"{base}/q/{code}", timeout=30).read().decode()
    except (OSError, http.client.HTTPException):
        return mark, "no page"  # the form never reached the phone: nothing to send
    hidden = dict(re.findall(r'name="(csrf_token|ticket)"[^>]*value="([^"]*)"', html))
    body = urllib.parse.urlencode({**hidden, **GOOD_ANSWERS, "comment": mark,
                                   "submit": "1"}).encode()
    shown = "nothing"
    for attempt in range(2):
        again = " (sent again)" if attempt else ""
        try:
            page = phone.open(f"{base}/q/{code}", body, timeout=30).read().decode()
            return mark, ("thanks" if THANKS in page else "other page") + again
        except urllib.error.HTTPError as error:
            shown = f"error {error.code}"
        except (OSError, http.client.HTTPException):
            shown = "connection lost"
    return mark, shown


def stored_marks(app) -> list[str]:
    with app.app_context():
        return [row[0] for row in db.session.execute(text(
            "SELECT comment FROM response WHERE comment LIKE 'nl-%' "
            "UNION ALL SELECT comment FROM response_inbox WHERE comment LIKE 'nl-%'"))]


def test_nothing_lost_when_a_worker_is_killed_under_load(app, server):
    counter, master, base = server
    run = uuid.uuid4().hex[:6]
    marks = [f"nl-{run}-{n}" for n in range(FORMS)]
    done = []
    killed = threading.Event()

    def kill_one_worker_midway():
        while len(done) < FORMS // 3:
            time.sleep(0.01)
        os.kill(workers_of(master)[0], signal.SIGKILL)
        killed.set()

    killer = threading.Thread(target=kill_one_worker_midway)
    killer.start()
    with ThreadPoolExecutor(CLIENTS) as pool:
        for result in pool.map(lambda m: one_citizen(base, counter.code, m), marks):
            done.append(result)
    killer.join(timeout=30)
    assert killed.is_set()

    thanked = {mark for mark, shown in done if shown.startswith("thanks")}
    stored = stored_marks(app)
    assert len(stored) == len(set(stored)), "an answer was stored twice"
    assert thanked <= set(stored), f"thanked but lost: {sorted(thanked - set(stored))[:5]}"
    outcomes = {shown for _mark, shown in done}
    assert outcomes <= {"thanks", "thanks (sent again)", "error 500", "error 502",
                        "error 503", "connection lost", "no page"}, outcomes
    assert len(thanked) >= FORMS * 0.8  # the other worker and the respawned one kept going
    again = sum(shown == "thanks (sent again)" for _mark, shown in done)
    print(f"\n{FORMS} forms, {CLIENTS} clients, one worker killed: {len(thanked)} thanked "
          f"({again} after sending again), {len(stored)} stored, {FORMS - len(thanked)} "
          f"shown an error or no page")
