"""Staff pages at province scale: server time, SQL statements and size of every list page.

    .venv/bin/python bench/staff_pages.py [--database postgresql://127.0.0.1:5432/test]
                                          [--counters 1000] [--events 100000]

Builds a throwaway database (dropped afterwards): the province tree of bench/reports.py (a
service center and 100 communes) with COUNTERS counters, a campaign, one tally per counter for
each of the last 20 working days, 200 staff accounts and EVENTS audit events spread over a
year. Then, signed in as the province admin through the app (in-process, median of 5 after a
warm-up), each staff page: milliseconds, SQL statements sent and kilobytes. Goal (DESIGN.md):
every staff page < 100 ms server time, with a number of statements that does not grow with
the number of counters or events. The floor printed first is `SELECT count(*) FROM counter`.
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from flask_migrate import upgrade
from reports import build_tree, working_days
from sqlalchemy import event, text
from throwaway import throwaway_database

from app import create_app
from app.clock import local_today
from app.config import normalise_database_url
from app.domain.accounts import create_user
from app.domain.questionnaires import latest, load_all
from app.extensions import db
from app.models import Unit

PAGES = (
    ("staff home", "/staff/"),
    ("counters", "/staff/counters"),
    ("counters, page 10", "/staff/counters?page=10"),
    ("counters, search", "/staff/counters?q=Quầy 77"),
    ("units", "/admin/units"),
    ("users", "/admin/users"),
    ("campaigns", "/admin/campaigns"),
    ("tallies", "/staff/tallies"),
    ("stickers", "/stickers"),
    ("stickers, one commune", "/stickers?unit=XA050"),
    ("audit log", "/admin/audit"),
    ("audit log, half a year back", "/admin/audit?before=50000"),  # keyset: any depth
    ("audit log, one kind, one actor", "/admin/audit?object_type=tally&actor=canbo7"),
)
ACTIONS = (("tally.record", "tally"), ("counter.update", "counter"), ("user.update", "user"),
           ("counter.reissue", "counter"), ("unit.update", "unit"))


def generate(counters: int, events: int) -> None:
    upgrade()
    load_all()
    questionnaire = latest("sipas-short").id
    db.session.commit()
    today = local_today()
    days = working_days(today - timedelta(days=28), today - timedelta(days=1))[-20:]
    rng = random.Random(7)
    with db.engine.begin() as conn:
        build_tree(conn, counters)
        conn.execute(text(
            "INSERT INTO campaign (id, name, unit_id, questionnaire_id, starts_on, ends_on, "
            "target_rate, status) VALUES (1, 'Năm', 1, :q, :start, :end, 30, 'active')"),
            {"q": questionnaire, "start": today - timedelta(days=60),
             "end": today + timedelta(days=300)})
        conn.execute(text("INSERT INTO tally (counter_id, day, returned, immediate, online, "
                          "postal) VALUES (:c, :d, :r, 0, 0, 0)"),
                     [{"c": c, "d": d, "r": rng.randint(5, 40)}
                      for c in range(1, counters + 1) for d in days])
        start = datetime.now(UTC) - timedelta(days=365)
        batch = []
        for n in range(events):
            action, kind = ACTIONS[n % len(ACTIONS)]
            batch.append({"at": start + timedelta(seconds=n * 365 * 86400 // events),
                          "unit": 3 + n % 100, "actor": f"canbo{n % 200}", "action": action,
                          "type": kind, "oid": str(1 + n % counters),
                          "before": json.dumps({"returned": n % 30}),
                          "after": json.dumps({"returned": n % 30 + 1})})
            if len(batch) == 5000:
                _insert_events(conn, batch)
                batch = []
        _insert_events(conn, batch)
    province = db.session.get_one(Unit, 1)
    create_user(username="bench", role="admin", unit=province, password="bench-password",
                actor="bench")
    for n in range(200):
        create_user(username=f"canbo{n}", role="clerk", unit=db.session.get_one(Unit, 3 + n % 100),
                    password="bench-password", actor="bench")
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    db.session.remove()


def _insert_events(conn, batch: list) -> None:
    if batch:
        conn.execute(text("INSERT INTO audit_event (at, unit_id, actor, action, object_type, "
                          "object_id, before, after) VALUES (:at, :unit, :actor, :action, "
                          ":type, :oid, :before, :after)"), batch)


def time_pages(app) -> bool:
    client = app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    client.post("/login", data={"csrf_token": token.split('"')[0], "username": "bench",
                                "password": "bench-password"})
    sent = []
    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", lambda *args: sent.append(1))

        def floor():
            db.session.execute(text("SELECT count(*) FROM counter")).scalar()
            db.session.remove()
        print(f"{'floor: SELECT count(*) FROM counter':34} {median_ms(floor):7.1f} ms")
    within = True
    for label, path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        sent.clear()
        size = len(client.get(path).data)
        statements = len(sent)
        ms = median_ms(lambda path=path: client.get(path))
        within &= ms < 100
        print(f"{label:34} {ms:7.1f} ms  {statements:4d} statements  {size / 1024:6.1f} KB"
              f"{'' if ms < 100 else '  OVER 100 ms'}")
    return within


def median_ms(fn, rounds: int = 5) -> float:
    fn()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--counters", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, throwaway_database(args.database, tmp) as url:
        app = create_app({"KHAOSAT_ENV": "development", "SECRET_KEY": "bench", "TESTING": True,
                          "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
                          "PUBLIC_BASE_URL": "https://khaosat.example.vn"})
        with app.app_context():
            started = time.perf_counter()
            generate(args.counters, args.events)
            print(f"{'PostgreSQL' if args.database else 'SQLite'}: {args.counters:,} "
                  f"counters, {args.events:,} audit events; set-up "
                  f"{time.perf_counter() - started:.0f} s")
        within = time_pages(app)
    if not within:
        sys.exit("some page took 100 ms or more")


if __name__ == "__main__":
    main()
