"""Box-stuffing played as an attacker would, against the production defaults: forged tickets,
answers sent before anyone could read the questions, one phone answering again and again,
five phones in a burst. Each attempt is refused (and counted) or lands on a counter and day
that carries a flag; an honest day of citizens at realistic pace is neither."""

import random
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app import config as config_module
from app import create_app
from app.clock import local_today
from app.domain import integrity
from app.domain.org import parse_hours
from app.extensions import db, limiter
from app.models import IntegrityDay, QuarantinedDay, ResponseDay, Unit
from app.survey import limits, tickets
from tests.conftest import BASE_CONFIG, empty
from tests.factories import GOOD_ANSWERS, make_counter, make_surveyed_counter, ref
from tests.helpers import count_responses, hidden_fields, local_redis, open_survey, submit

INTEGRITY = ("SURVEY_MIN_SECONDS", "SURVEY_SUBMIT_LIMIT", "SURVEY_OPEN_LIMIT", "SURVEY_BURST",
             "SURVEY_IDENTICAL_RUN", "SURVEY_ONE_PLACE", "OFFICE_HOURS")
HAPPY = {**GOOD_ANSWERS, **{k: "5" for k in ("access", "procedure", "officer", "result",
                                            "feedback", "overall")}, "comment": ""}


def strict_app(database: str, tmp_path, **settings):
    """An app with the production integrity settings (app/config.py defaults)."""
    defaults = config_module.from_environment(str(tmp_path))
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database,
                       **{key: defaults[key] for key in INTEGRITY}, **settings})


@pytest.fixture
def strict(migrated_database, request, tmp_path):
    app = strict_app(migrated_database, tmp_path, **getattr(request, "param", {}))
    yield app
    empty(app)


@pytest.fixture
def counter(strict):
    with strict.app_context():
        return ref(make_surveyed_counter())


def counts(app, counter_id: int) -> dict[str, int]:
    with app.app_context():
        row = db.session.get(IntegrityDay, (counter_id, local_today()))
        return {name: getattr(row, name) if row else 0 for name in integrity.COUNTS}


class Clock:
    """The ticket's clock, moved by hand (the limiter keeps real time)."""

    def __init__(self, monkeypatch):
        self.now = 1_800_000_000.0
        monkeypatch.setattr(tickets, "now_seconds", lambda: self.now)

    def wait(self, seconds: float) -> None:
        self.now += seconds


def test_a_made_up_ticket_stores_nothing_and_keeps_the_answers(strict, counter, monkeypatch):
    clock = Clock(monkeypatch)
    client = strict.test_client()
    _, hidden = open_survey(client, counter.code)
    clock.wait(30)
    page = client.post(f"/q/{counter.code}", data={**hidden, "ticket": "A" * 22, **HAPPY,
                                                   "submit": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "bấm nút một lần nữa" in html
    assert re.search(r'value="5"[^>]*checked|checked[^>]*value="5"', html)  # answers kept
    assert count_responses(strict) == 0 and counts(strict, counter.id)["refused_ticket"] == 1
    # The page now carries a real ticket: pressing again (after reading) stores the answer.
    clock.wait(10)
    again = client.post(f"/q/{counter.code}", data={**hidden_fields(html), **HAPPY,
                                                    "submit": "1"})
    assert "đã được ghi nhận" in again.get_data(as_text=True) and count_responses(strict) == 1


def test_another_counters_ticket_is_refused(strict, counter, monkeypatch):
    clock = Clock(monkeypatch)
    with strict.app_context():
        other = ref(make_counter(db.session.scalar(select(Unit).where(Unit.code == "STP")),
                                 "Quầy khác"))
    client = strict.test_client()
    _, hidden = open_survey(client, other.code)
    clock.wait(30)
    client.post(f"/q/{counter.code}", data={**hidden, **HAPPY, "submit": "1"})
    assert count_responses(strict) == 0 and counts(strict, counter.id)["refused_ticket"] == 1


def test_an_answer_sent_before_anyone_could_read_is_refused_then_taken(strict, counter,
                                                                      monkeypatch):
    clock = Clock(monkeypatch)
    client = strict.test_client()
    _, hidden = open_survey(client, counter.code)
    clock.wait(2)
    page = client.post(f"/q/{counter.code}", data={**hidden, **HAPPY, "submit": "1"})
    html = page.get_data(as_text=True)
    # It says every answer is kept and how long is left of the 8 s, where the page lands.
    wait = strict.config["SURVEY_MIN_SECONDS"] - 2
    notice = html.split('<div id="loi">')[1].split("</div>")[0]
    assert "vẫn được giữ nguyên" in notice and f"bấm Gửi sau khoảng {wait} giây nữa" in notice
    assert f'action="/q/{counter.code}#loi"' in html
    assert count_responses(strict) == 0 and counts(strict, counter.id)["refused_fast"] == 1
    clock.wait(8)  # the citizen reads, and presses Gửi again
    done = client.post(f"/q/{counter.code}",
                       data={**hidden_fields(page.get_data(as_text=True)), **HAPPY,
                             "submit": "1"})
    assert "đã được ghi nhận" in done.get_data(as_text=True) and count_responses(strict) == 1
    # Declining needs no reading time.
    _, hidden = open_survey(client, counter.code)
    client.delete_cookie(tickets.ANSWERED_COOKIE, path="/q/")
    declined = client.post(f"/q/{counter.code}", data={**hidden, "decline": "1"})
    assert "không tham gia" in declined.get_data(as_text=True)


def test_one_phone_answers_once_a_day_at_a_counter(strict, counter, monkeypatch):
    clock = Clock(monkeypatch)
    client = strict.test_client()
    _, second_tab = open_survey(client, counter.code)
    _, hidden = open_survey(client, counter.code)
    clock.wait(30)
    first = client.post(f"/q/{counter.code}", data={**hidden, **HAPPY, "submit": "1"})
    assert "đã được ghi nhận" in first.get_data(as_text=True)
    cookie = client.get_cookie(tickets.ANSWERED_COOKIE, path="/q/")
    with strict.test_request_context():  # it says which counters, which day; nothing else
        assert tickets._signer("answered-today").loads(cookie.value) == {
            "d": local_today().isoformat(), "c": [counter.id]}
    # A refresh of the thank-you is not a second answer: it shows the thank-you again.
    refresh = client.post(f"/q/{counter.code}", data={**hidden, **HAPPY, "submit": "1"})
    assert "đã được ghi nhận" in refresh.get_data(as_text=True)
    # Scanning again shows no form; a second tab opened before is asked to confirm (its
    # token left with the thank-you), then refused and counted.
    assert "đã trả lời tại quầy này hôm nay" in client.get(f"/q/{counter.code}").get_data(
        as_text=True)
    confirm = submit(client, counter.code, HAPPY, hidden=second_tab, same_phone=True)
    assert "bấm nút một lần nữa" in confirm.get_data(as_text=True)
    again = submit(client, counter.code, HAPPY, same_phone=True,
                   hidden=hidden_fields(confirm.get_data(as_text=True)))
    assert "đã trả lời tại quầy này hôm nay" in again.get_data(as_text=True)
    assert count_responses(strict) == 1 and counts(strict, counter.id)["refused_repeat"] == 1
    # Another counter is another result: the same phone may answer there.
    with strict.app_context():
        other = ref(make_counter(db.session.scalar(select(Unit).where(Unit.code == "STP")),
                                 "Quầy khác"))
    assert attempt(client, other.code, clock, HAPPY, keep_cookie=True)


def attempt(client, code: str, clock: Clock, answers: dict, keep_cookie: bool = False) -> bool:
    """One scripted answer from a phone with its cookies cleared, waiting out the minimum
    time; True when it was stored."""
    if not keep_cookie:
        client.delete_cookie(tickets.ANSWERED_COOKIE, path="/q/")
    page, hidden = open_survey(client, code)
    if page.status_code != 200 or "ticket" not in hidden:
        return False
    clock.wait(9)
    done = client.post(f"/q/{code}", data={**hidden, **answers, "submit": "1"})
    return "đã được ghi nhận" in done.get_data(as_text=True)


def test_one_phone_stuffing_fifty_answers_is_stopped_and_flagged(strict, counter, monkeypatch):
    clock = Clock(monkeypatch)
    client = strict.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    results = [attempt(client, counter.code, clock, HAPPY) for _ in range(50)]
    c = counts(strict, counter.id)
    # 30 forms opened in ten minutes, 6 sent: every other attempt is refused and counted.
    assert sum(results) == 6 and count_responses(strict) == 6
    assert c["refused_limit"] == 44
    # The six that got through are five identical answers and more: the day is flagged.
    assert c["identical_runs"] >= 1
    refused_page = client.get(f"/q/{counter.code}")
    assert refused_page.status_code == 429
    assert "thử lại sau khoảng 10 phút" in refused_page.get_data(as_text=True)


def spellings(code: str, n: int) -> list[str]:
    """n ways to type one code that the survey reads as the same counter: a dash at one of
    seven places or none, lower or upper case, O for 0 and I for 1."""
    ways = []
    for i in range(n):
        typed = code.lower() if (i // 8) % 2 else code
        if (i // 16) % 2:
            typed = typed.replace("0", "O").replace("1", "I")
        cut = i % 8
        ways.append(f"{typed[:cut]}-{typed[cut:]}" if cut else typed)
    return ways


def test_spelling_a_code_differently_dodges_no_limit(strict, counter, monkeypatch):
    """One phone types the counter's code thirty ways: one counter, one limit (6 sent forms)
    and one place (the "from one place" flag), and one cached entry for all spellings."""
    from app.survey import lookup

    clock = Clock(monkeypatch)
    client = strict.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.8"
    ways = spellings(counter.code, 30)
    assert len(set(ways)) >= 16
    results = [attempt(client, way, clock, {**HAPPY, "comment": f"Ý kiến {n}"})
               for n, way in enumerate(ways)]
    assert sum(results) == 6 and count_responses(strict) == 6
    assert counts(strict, counter.id)["refused_limit"] == 24
    with strict.app_context():
        assert list(lookup._entries()) == [counter.code]


def test_five_phones_in_a_burst_are_flagged(strict, counter, monkeypatch):
    """Five phones, 40 answers in ten minutes, each varied so no two are alike."""
    clock = Clock(monkeypatch)
    rng = random.Random(7)
    phones = [strict.test_client() for _ in range(5)]
    for n, phone in enumerate(phones):
        phone.environ_base["REMOTE_ADDR"] = f"198.51.100.{20 + n}"
    got = 0
    for i in range(40):
        answers = {**HAPPY, **{k: rng.choice("45") for k in ("access", "procedure", "officer",
                                                              "result", "feedback")},
                   "comment": f"Tốt {i}"}
        got += attempt(phones[i % 5], counter.code, clock, answers)
    c = counts(strict, counter.id)
    assert got == 30 and c["refused_limit"] == 10  # six per phone
    assert c["bursts"] == got - 8  # every answer beyond eight in ten minutes
    with strict.app_context():  # the day waits for review, all 30 answers out of the figures
        held = db.session.get(QuarantinedDay, (counter.id, local_today()))
        assert held.status == "pending" and held.responses == got
        assert db.session.scalar(select(ResponseDay.responses)) is None


@pytest.mark.parametrize("strict", [{"RATELIMIT_STORAGE_URI": "memory://"}], indirect=True)
def test_a_patient_script_under_every_limit_is_still_flagged(strict, counter):
    """One varied answer every three minutes from one address: under the per-client limits,
    but over the counter's hourly burst limit (16) within the hour. Simulated clock."""
    rng = random.Random(11)
    client = strict.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    start = datetime.combine(local_today_in(strict), datetime.min.time(),
                             ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=8)
    stored_now = 0
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(20):
            client.delete_cookie(tickets.ANSWERED_COOKIE, path="/q/")
            _, hidden = open_survey(client, counter.code)
            traveller.shift(9)
            answers = {**HAPPY, **{k: rng.choice("45") for k in ("access", "procedure",
                                                                  "officer", "result")}}
            page = client.post(f"/q/{counter.code}", data={**hidden, **answers, "submit": "1"})
            stored_now += "đã được ghi nhận" in page.get_data(as_text=True)
            traveller.shift(180 - 9)
    c = counts(strict, counter.id)
    assert stored_now == 20 and c["refused_limit"] == 0 and c["identical_runs"] == 0
    assert c["bursts"] == 4  # answers 17 to 20 of the hour


def test_answers_outside_opening_hours_are_flagged(strict, counter, monkeypatch):
    clock = Clock(monkeypatch)
    with strict.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "STP"))
        unit.opening_hours = "07:00-11:30,13:30-17:00"
        db.session.commit()
    night = datetime(2026, 11, 23, 21, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    monkeypatch.setattr(limits, "local_now", lambda: night)
    assert attempt(strict.test_client(), counter.code, clock, HAPPY)
    assert counts(strict, counter.id)["outside_hours"] == 1
    monkeypatch.setattr(limits, "local_now", lambda: night.replace(hour=8))
    assert attempt(strict.test_client(), counter.code, clock, HAPPY)
    assert counts(strict, counter.id)["outside_hours"] == 1


def test_opening_hours_are_read_strictly():
    assert parse_hours("07:00-11:30, 13:30-17:00")[1][0].hour == 13
    for bad in ("7h-11h", "11:30-07:00", "07:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


@pytest.mark.parametrize("strict", [{"RATELIMIT_STORAGE_URI": "memory://"}], indirect=True)
def test_an_honest_day_is_neither_refused_nor_flagged(strict, monkeypatch):
    """60 citizens over eight hours at two counters, on the office Wi-Fi or a carrier's
    shared address, 10–60 s reading, answers as real people give them. The clock is
    simulated (time-machine), limits kept in memory, so eight hours take seconds."""
    with strict.app_context():
        first = make_surveyed_counter("Quầy 1")
        counters = [ref(first), ref(make_counter(first.unit, "Quầy 2"))]
    rng = random.Random(2026)
    start = datetime.combine(local_today_in(strict), datetime.min.time(),
                             ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=7, minutes=30)
    arrivals = sorted(rng.uniform(0, 8 * 3600) for _ in range(60))
    addresses = ["192.0.2.10"] * 6 + ["100.64.0.1", "100.64.0.2"] * 2 + ["203.0.113.5"]
    done = 0
    for n, offset in enumerate(arrivals):
        code = counters[n % 2].code
        phone = strict.test_client()
        phone.environ_base["REMOTE_ADDR"] = rng.choice(addresses)
        with time_machine.travel(start + timedelta(seconds=offset), tick=False) as traveller:
            _, hidden = open_survey(phone, code)
            traveller.shift(rng.uniform(10, 60))
            level = rng.choices("12345", weights=(2, 3, 10, 40, 45))[0]
            answers = {**GOOD_ANSWERS, "overall": level,
                       **{k: rng.choices("2345", weights=(5, 15, 40, 40))[0]
                          for k in ("access", "procedure", "officer", "result", "feedback")}}
            page = phone.post(f"/q/{code}", data={**hidden, **answers, "submit": "1"})
            done += "đã được ghi nhận" in page.get_data(as_text=True)
    assert done == 60
    for c in counters:
        assert counts(strict, c.id) == dict.fromkeys(integrity.COUNTS, 0)


def local_today_in(app):
    with app.app_context():
        return local_today()


@pytest.mark.parametrize(("strict", "separate"), [({"TRUSTED_PROXY_HOPS": 1}, True),
                                                  ({"TRUSTED_PROXY_HOPS": 0}, False)],
                         indirect=["strict"])
def test_behind_a_proxy_each_citizen_is_counted_apart_and_no_hop_is_forged(strict, counter,
                                                                           monkeypatch,
                                                                           separate):
    """Behind one nginx (TRUSTED_PROXY_HOPS=1) two citizens on different addresses each get
    their own limit; without a trusted proxy, a made-up X-Forwarded-For changes nothing."""
    clock = Clock(monkeypatch)
    got = 0
    for n in range(12):  # six each from two addresses, through the same proxy
        phone = strict.test_client()
        phone.environ_base.update({"REMOTE_ADDR": "10.0.0.2",
                                   "HTTP_X_FORWARDED_FOR": f"198.51.100.{1 + n % 2}"})
        got += attempt(phone, counter.code, clock, {**HAPPY, "comment": f"Ý kiến {n}"})
    assert got == (12 if separate else 6)


def test_limits_on_redis_hold_after_redis_forgets_its_scripts(migrated_database, tmp_path):
    """Production counts the survey's limits on Redis, several in one round trip; a Redis
    restarted (or SCRIPT FLUSH) has forgotten the counting script: the count goes on."""
    import redis

    url = local_redis("counting the survey's limits on Redis")
    app = strict_app(migrated_database, tmp_path, RATELIMIT_STORAGE_URI=url,
                     RATELIMIT_STORAGE_OPTIONS={"key_prefix": f"integrity-{uuid.uuid4().hex}"})
    try:
        with app.app_context():
            code = ref(make_surveyed_counter()).code
        client = app.test_client()
        opened = [client.get(f"/q/{code}").status_code for _ in range(15)]
        redis.Redis.from_url(url).script_flush()
        opened += [client.get(f"/q/{code}").status_code for _ in range(15)]
        assert opened == [200] * 30  # SURVEY_OPEN_LIMIT: 30 per 10 minutes
        assert client.get(f"/q/{code}").status_code == 429
    finally:
        empty(app)


def test_two_deployments_on_one_redis_keep_their_counts_apart(migrated_database, tmp_path,
                                                              monkeypatch):
    """Every key the survey counts on carries RATELIMIT_KEY_PREFIX, as the login's do: a
    phone that used up its six forms on one deployment is a stranger to the other."""
    import redis

    url = local_redis("counting the survey's limits on Redis")
    storage = f"integrity-{uuid.uuid4().hex}"
    apps = [strict_app(migrated_database, tmp_path, RATELIMIT_STORAGE_URI=url,
                       RATELIMIT_STORAGE_OPTIONS={"key_prefix": storage},
                       RATELIMIT_KEY_PREFIX=name) for name in ("tinh-a", "tinh-b")]
    store = redis.Redis.from_url(url)
    try:
        with apps[0].app_context():
            code = ref(make_surveyed_counter()).code
        clock = Clock(monkeypatch)
        phones = [app.test_client() for app in apps]
        for phone in phones:
            phone.environ_base["REMOTE_ADDR"] = "198.51.100.9"
        first = [attempt(phones[0], code, clock, {**HAPPY, "comment": f"A {n}"})
                 for n in range(7)]
        assert first == [True] * 6 + [False]
        assert attempt(phones[1], code, clock, {**HAPPY, "comment": "B"})
        keys = [key.decode() for key in store.keys(f"{storage}:*")]
        assert keys and all(key.startswith((f"{storage}:LIMITER/tinh-a/",
                                            f"{storage}:LIMITER/tinh-b/")) for key in keys)
        assert any("/tinh-b/survey-burst/" in key for key in keys)
    finally:
        store.delete(*store.keys(f"{storage}:*") or ["none"])
        empty(apps[0])


def test_the_survey_goes_on_when_the_limit_storage_is_down(migrated_database, tmp_path,
                                                           monkeypatch, caplog):
    """Nothing answers where the limits are kept: the citizen still answers, uncounted, and
    the log says so (not a 500 with the answers lost)."""
    app = strict_app(migrated_database, tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    try:
        with app.app_context():
            code = ref(make_surveyed_counter()).code
        clock = Clock(monkeypatch)
        assert attempt(app.test_client(), code, clock, HAPPY)
        assert count_responses(app) == 1
        assert "limits could not be counted" in caplog.text
    finally:
        empty(strict_app(migrated_database, tmp_path))  # the rows; no limits were kept


def test_an_honest_phone_costs_redis_nothing_and_a_flood_is_still_stopped(migrated_database,
                                                                         tmp_path, monkeypatch):
    """Two app processes share the limits in Redis. A phone opening a counter's form once or
    twice is counted by the process it reached, not in Redis (survey/limits.py: FirstOpens); one
    that keeps opening it, on either, is stopped at SURVEY_OPEN_LIMIT all the same."""
    import redis

    url = local_redis("counting the survey's limits on Redis")
    prefix = f"integrity-{uuid.uuid4().hex}"
    apps = [strict_app(migrated_database, tmp_path, RATELIMIT_STORAGE_URI=url,
                       RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix},
                       SURVEY_OPEN_LIMIT="10 per 10 minutes") for _ in range(2)]
    store = redis.Redis.from_url(url)
    try:
        with apps[0].app_context():
            code = ref(make_surveyed_counter()).code
        honest = apps[0].test_client()
        honest.environ_base["REMOTE_ADDR"] = "198.51.100.40"
        honest.get(f"/q/{code}")  # renders the page once; the lean path serves the rest
        honest.delete_cookie("session")
        client = limiter.limiter.storage.get_connection()
        sent = []
        monkeypatch.setattr(client, "execute_command",
                            lambda *args, **kw: sent.append(args) or 0)
        assert honest.get(f"/q/{code}").status_code == 200
        assert sent == [] and store.keys(f"{prefix}:*") == []  # not one Redis command
        monkeypatch.undo()
        flood = [app.test_client() for app in apps]
        for client in flood:
            client.environ_base["REMOTE_ADDR"] = "198.51.100.41"
        opened = [flood[n % 2].get(f"/q/{code}").status_code for n in range(16)]
        assert opened == [200] * 10 + [429] * 6
        (key,) = store.keys(f"{prefix}:*")
        assert int(store.get(key)) == 16 and 590 <= store.ttl(key) <= 600  # a 10-minute window
    finally:
        store.delete(*store.keys(f"{prefix}:*") or ["none"])
        empty(apps[0])
