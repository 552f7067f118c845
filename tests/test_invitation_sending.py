"""Sending invitations: RQ jobs on the local Redis, worked by a real worker, speaking to a
fake SMS gateway that is a real HTTP server started here (its timeouts, 5xx and "slow down"
answers included). After a batch, no table, no Redis key and no log holds a number."""

import pickle
import zlib
from datetime import timedelta

from sqlalchemy import select

from app.domain.invitations import confirm_batch, preview
from app.extensions import db
from app.invitations.dossier_files import parsed
from app.invitations.sending import queue_texts
from app.jobs import queue
from app.models import Campaign, Counter, InvitationDay, Unit
from tests.sms_gateway import batch_counts, phones, work


def send_batch(app, setup, numbers: list[str]) -> str:
    """Upload-and-confirm as a page would (rows, preview, confirm, commit, queue); return the
    batch id."""
    yesterday = (setup["today"] - timedelta(days=1)).isoformat()
    raw = [(n + 2, {"returned_on": yesterday, "counter_code": setup["codes"][n % 2],
                    "phone": phone}) for n, phone in enumerate(numbers)]
    with app.test_request_context():
        counters = {c.code: c for c in db.session.scalars(select(Counter))}
        unit = db.session.scalars(select(Unit).where(Unit.code == "XA")).one()
        result = preview(parsed(raw), counters=counters, today=setup["today"], within_days=7)
        batch, texts = confirm_batch(result, unit=unit, actor="cli", source="upload",
                                     filename="t.csv", today=setup["today"])
        db.session.commit()
        queue_texts(batch, texts)
        return batch.id


def redis_dump(store) -> list[str]:
    """Every key and value of the Redis, as text; a job's data (RQ keeps it pickled and
    compressed) unpacked, so that a number inside it shows."""
    lines = []
    for key in store.scan_iter("*"):
        kind = store.type(key)
        value = {b"string": store.get, b"hash": store.hgetall, b"list":
                 lambda k: store.lrange(k, 0, -1), b"zset": lambda k: store.zrange(k, 0, -1),
                 b"set": store.smembers}.get(kind, lambda k: b"")(key)
        if kind == b"hash" and b"data" in value:
            value[b"data"] = pickle.loads(zlib.decompress(value[b"data"]))  # noqa: S301 (ours)
        lines.append(f"{key!r} {value!r}")
    return lines


def test_a_batch_is_sent_through_the_gateway_and_no_number_is_left_anywhere(
        app, runner, sending, gateway, capfd):
    numbers = phones(3)
    batch_id = send_batch(app, sending, numbers)
    assert gateway.received == []  # queued, not sent in the request
    result = runner.invoke(args=["run-jobs", "--burst"])  # the worker, as cron or systemd runs it
    assert result.exit_code == 0, result.output
    assert sorted(gateway.phones()) == sorted("84" + n[1:] for n in numbers)
    assert all(auth == "Bearer test-key" and body["from"] == "BINHAN"
               and "/i/" in body["text"] for _t, body, auth in gateway.received)
    assert batch_counts(app, batch_id) == (3, 0, 0, {})
    with app.app_context():
        days = db.session.scalars(select(InvitationDay)).all()
        assert sorted(d.sent for d in days) == [1, 2] and {d.failed for d in days} == {0}
        # Every table's every row, as text; every key and value of the queue's Redis.
        dump = []
        for table in db.metadata.sorted_tables:
            dump.extend(map(str, db.session.execute(table.select())))
    dump.extend(redis_dump(sending["redis"]))
    out, err = capfd.readouterr()
    dump.append(out + err)
    for number in numbers:
        assert not any(number[1:] in line for line in dump), number


def test_timeouts_5xx_and_slow_down_are_tried_again_and_a_refusal_is_not(
        app, sending, gateway):
    gateway.script = [500, 429, "hang"]  # the first text: three failures, then sent
    first = send_batch(app, sending, phones(1))
    work(app)
    assert len(gateway.received) == 4
    assert batch_counts(app, first) == (1, 0, 0, {})
    gateway.received.clear()
    gateway.script = [400]  # a number the gateway refuses: not tried again
    second = send_batch(app, sending, phones(1))
    work(app)
    assert len(gateway.received) == 1
    assert batch_counts(app, second) == (0, 1, 0, {"http_400": 1})
    gateway.received.clear()
    gateway.script = [503, 503, 503, 503]  # 1 + SMS_RETRIES tries, then given up
    [number] = phones(1)
    third = send_batch(app, sending, [number])
    work(app)
    assert len(gateway.received) == 4
    assert batch_counts(app, third) == (0, 1, 0, {"http_503": 1})
    # Given up is forgotten too: not kept in RQ's failed list with its number.
    assert not any(number[1:] in line for line in redis_dump(sending["redis"]))


def test_an_answer_of_200_with_an_error_code_is_a_failure(app, sending, gateway):
    app.config["SMS_GATEWAY_OK_VALUE"] = "101"  # this gateway's 200s carry "100": refused
    batch_id = send_batch(app, sending, phones(1))
    work(app)
    assert batch_counts(app, batch_id) == (0, 1, 0, {"refused_100": 1})


def test_the_campaigns_budget_stops_sending_and_says_how_many_were_left_out(
        app, sending, gateway):
    with app.app_context():
        db.session.scalars(select(Campaign)).one().sms_budget = 2
        db.session.commit()
    batch_id = send_batch(app, sending, phones(3))
    work(app)
    assert len(gateway.received) == 2
    assert batch_counts(app, batch_id) == (2, 0, 1, {})
    with app.app_context():
        assert db.session.scalars(select(Campaign)).one().sms_sent == 2


def test_the_gateways_rate_is_kept_across_the_batch(app, sending, gateway):
    app.config["SMS_RATE_LIMIT"] = "2 per second"
    send_batch(app, sending, phones(5))
    work(app)
    times = sorted(t for t, _b, _a in gateway.received)
    assert len(times) == 5
    assert all(later - earlier >= 0.9 for earlier, later in zip(times, times[2:], strict=False))


def test_texts_wait_for_the_sending_hours(app, sending, gateway):
    from app.clock import local_now

    with app.app_context():
        now = local_now()
    start = (now + timedelta(hours=2)).strftime("%H:%M")
    end = (now + timedelta(hours=3)).strftime("%H:%M")
    if not start < end:  # after 21:00 the window would cross midnight: take the small hours
        start, end = "00:00", "01:00"
    app.config["SMS_HOURS"] = f"{start}-{end}"
    batch_id = send_batch(app, sending, phones(2))
    work(app)
    assert gateway.received == []
    with app.app_context():
        found = queue()
        assert found.scheduled_job_registry.count == 2
        [first] = [found.fetch_job(i) for i in found.scheduled_job_registry.get_job_ids()[:1]]
        assert first.description == "invitation text"  # what RQ logs: no number, no link
    assert batch_counts(app, batch_id) == (0, 0, 0, {})


def test_without_a_queue_development_sends_in_the_request_and_prints_a_masked_number(
        app, runner, sending, capfd):
    app.config.update(JOB_QUEUE_URL="", SMS_BACKEND="console")
    assert "without a queue" in runner.invoke(args=["run-jobs", "--burst"]).output
    [number] = phones(1)
    batch_id = send_batch(app, sending, [number])
    assert batch_counts(app, batch_id) == (1, 0, 0, {})
    err = capfd.readouterr().err
    assert "/i/" in err and number[-3:] in err and number[1:] not in err
