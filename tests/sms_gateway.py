"""A fake brandname-SMS gateway (a real HTTP server on 127.0.0.1) and the app sending through
it on a job queue of the test's own: fixtures `gateway` and `sending`, registered for every
test by tests/conftest.py."""

import json
import random
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis

from app.clock import local_today
from app.extensions import db
from app.jobs import run_worker
from app.models import InvitationBatch
from tests.factories import make_campaign, make_counter, make_unit
from tests.helpers import local_redis


class Gateway:
    """A brandname-SMS gateway on 127.0.0.1: answers each request with the next of `script`
    ("ok", a status such as 500 or 429, or "hang" for longer than the client waits), then
    "ok"; keeps what it received and when."""

    def __init__(self):
        self.script: list = []
        self.received: list[tuple[float, dict]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.received.append((time.monotonic(), body,
                                         self.headers.get("Authorization")))
                step = gateway.script.pop(0) if gateway.script else "ok"
                if step == "hang":
                    time.sleep(1.5)
                    step = "ok"  # too late: the client has given up
                status = 200 if step == "ok" else step
                answer = json.dumps({"code": "100" if status == 200 else "99"}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def phones(self) -> list[str]:
        return [body["to"] for _t, body, _a in self.received]


@pytest.fixture
def gateway():
    found = Gateway()
    yield found
    found.server.shutdown()


@pytest.fixture
def sending(app, gateway):
    """The app sending through the fake gateway, on a queue of this test's own."""
    url, name = local_redis("the invitations' job queue"), f"khaosat-test-{uuid.uuid4().hex}"
    app.config.update(
        JOB_QUEUE_URL=url, JOB_QUEUE_NAME=name,
        SMS_BACKEND="http", SMS_GATEWAY_URL=gateway.url, SMS_GATEWAY_TIMEOUT=0.5,
        SMS_GATEWAY_AUTHORIZATION="Bearer test-key", SMS_GATEWAY_BRANDNAME="BINHAN",
        SMS_GATEWAY_OK_FIELD="code", SMS_GATEWAY_OK_VALUE="100",
        SMS_RETRIES=3, SMS_RETRY_SECONDS="0", SMS_HOURS="00:00-23:59:59",
        SMS_RATE_LIMIT="100 per second")
    with app.app_context():
        today = local_today()
        province = make_unit()
        commune = make_unit("XA", "UBND xã Thử", "commune", parent=province)
        counters = [make_counter(commune, f"Quầy {n}") for n in (1, 2)]
        make_campaign(commune, starts_on=today - timedelta(days=20),
                      ends_on=today + timedelta(days=30))
        codes = [c.code for c in counters]
    store = redis.Redis.from_url(url)
    yield {"redis": store, "codes": codes, "today": today}
    for key in store.scan_iter(f"*{name}*"):
        store.delete(key)


def phones(n: int) -> list[str]:
    """n numbers no other test or run uses."""
    return [f"09{random.randrange(10**8):08d}" for _ in range(n)]


def work(app) -> None:
    with app.app_context():
        run_worker(burst=True)


def batch_counts(app, batch_id: str) -> tuple:
    with app.app_context():
        batch = db.session.get(InvitationBatch, batch_id)
        return batch.sent, batch.failed, batch.over_budget, batch.failures
