"""Report speed at province scale, against the floor of the same run.

    .venv/bin/python bench/reports.py --database postgresql://127.0.0.1:5432/test   # 5 M
    .venv/bin/python bench/reports.py                                              # SQLite, 1 M

Builds a throwaway database (dropped afterwards): a province with a service center and 100
communes, COUNTERS counters, one campaign over the last year, a tally and a funnel row per
counter and working day, RESPONSES responses (one in ten with a comment) with their daily
roll-ups. Answer rows are not generated: no report reads them (reports read the roll-ups),
and at 8 per response they would only make the set-up slower.

First the Monday morning after a week ended: every settled week but that last one summed, as
`flask sum-weeks` left them (its time is printed; see app/domain/weeks.py), the tables
analysed as autovacuum would, and 2,500 of the morning's completed forms waiting in the
inbox. The process is warm (a commune's page was shown), and the province dashboard's first
request is timed: the last week is read from the daily rows, its batches worked out as
sum-weeks would (reports only read). Then that week is summed, and, as a logged-in province
admin through the app (median of 3 after a warm-up): the province dashboard, one commune's
drill-down, the XLSX export; and the floor, a plain `SELECT count(*) FROM response` over the
same rows. Each timed page must be the page meant (200, and the report's table). Prints
milliseconds, each ratio to the floor, and the first request. Goals: dashboard < 300 ms on
PostgreSQL at 5 M responses, also the first after a week; export < 5 s. `--keep` keeps the
PostgreSQL database and prints its URL; `--existing URL` times it again without the set-up.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from flask_migrate import upgrade
from sqlalchemy import text
from throwaway import throwaway_database

from app import create_app
from app.clock import local_now, local_today
from app.config import normalise_database_url
from app.domain.accounts import create_user
from app.domain.questionnaires import latest, load_all
from app.domain.weeks import monday, sum_settled
from app.extensions import db
from app.models import Campaign, Unit

QUESTIONS = ("access", "procedure", "officer", "result", "feedback", "overall")
SHARES = ((1, 0.02), (2, 0.03), (3, 0.10), (4, 0.35), (5, 0.50))  # the rest goes to level 5


def build_tree(conn, counters: int) -> None:
    """Province (1), center (2), communes 3–102; a tenth of the counters at the center."""
    conn.execute(text("INSERT INTO unit (id, parent_id, kind, code, name, path, active) VALUES "
                      "(1, NULL, 'province', 'BINHAN', 'Tỉnh Bình An', '/1/', TRUE), "
                      "(2, 1, 'center', 'TTPVHCC', 'Trung tâm PVHCC', '/1/2/', TRUE)"))
    conn.execute(text("INSERT INTO unit (id, parent_id, kind, code, name, path, active) "
                      "VALUES (:id, 1, 'commune', :code, :name, :path, TRUE)"),
                 [{"id": i, "code": f"XA{i:03d}", "name": f"UBND xã số {i}",
                   "path": f"/1/{i}/"} for i in range(3, 103)])
    center = counters // 10
    conn.execute(text("INSERT INTO counter (id, unit_id, name, code, active) "
                      "VALUES (:id, :unit, :name, :code, TRUE)"),
                 [{"id": i, "unit": 2 if i <= center else 3 + (i - center) % 100,
                   "name": f"Quầy {i}", "code": f"C{i:07d}"} for i in range(1, counters + 1)])


def working_days(first, last) -> list:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def fill_postgres(conn, campaign_id: int, questionnaire_id: int, days: list, counters: int,
                  responses: int) -> None:
    """Server-side generation: a few INSERT … SELECT over generate_series."""
    per_day = responses / (len(days) * counters)
    conn.execute(text("CREATE TEMP TABLE bench_day AS SELECT unnest(CAST(:days AS date[])) d"),
                 {"days": days})
    conn.execute(text(
        "INSERT INTO tally (counter_id, day, returned, immediate, online, postal) "
        "SELECT c.id, d.d, 30 + (random() * 10)::int, 3, 2, 1 "
        "FROM counter c CROSS JOIN bench_day d"))
    conn.execute(text(
        "INSERT INTO response_day (campaign_id, counter_id, day, responses, overall_1, "
        "overall_2, overall_3, overall_4, overall_5) "
        "SELECT :campaign, counter_id, day, r, 0, 0, 0, 0, 0 FROM ("
        "  SELECT c.id counter_id, d.d AS day, (random() * :twice)::int r "
        "  FROM counter c CROSS JOIN bench_day d) x WHERE r > 0"),
        {"campaign": campaign_id, "twice": 2 * per_day})
    conn.execute(text(
        "UPDATE response_day SET overall_1 = (responses * 0.02)::int, "
        "overall_2 = (responses * 0.03)::int, overall_3 = (responses * 0.10)::int, "
        "overall_4 = (responses * 0.35)::int"))
    conn.execute(text("UPDATE response_day SET overall_5 = responses - overall_1 - overall_2 "
                      "- overall_3 - overall_4"))
    shares = " UNION ALL ".join(f"SELECT {v} v, {s} s" for v, s in SHARES)
    keys = " UNION ALL ".join(f"SELECT '{k}' k" for k in QUESTIONS)
    conn.execute(text(
        "INSERT INTO answer_day (campaign_id, counter_id, day, question_key, value, responses) "
        f"SELECT rd.campaign_id, rd.counter_id, rd.day, q.k, s.v, "
        f"greatest(1, (rd.responses * s.s)::int) FROM response_day rd "
        f"CROSS JOIN ({keys}) q CROSS JOIN ({shares}) s"))
    conn.execute(text(
        "INSERT INTO answer_day (campaign_id, counter_id, day, question_key, value, responses) "
        "SELECT rd.campaign_id, rd.counter_id, rd.day, q.k, v.v, rd.responses FROM "
        "response_day rd CROSS JOIN (SELECT 'on_time' k UNION ALL SELECT 'extra_demand') q "
        "CROSS JOIN (SELECT 1 v) v"))
    conn.execute(text(
        "INSERT INTO response (id, counter_id, campaign_id, questionnaire_id, submitted_on, "
        "comment) SELECT gen_random_uuid(), rd.counter_id, rd.campaign_id, :q, rd.day, "
        "CASE WHEN random() < 0.1 THEN 'Góp ý thử nghiệm' END "
        "FROM response_day rd CROSS JOIN LATERAL generate_series(1, rd.responses)"),
        {"q": questionnaire_id})
    conn.execute(text(
        "INSERT INTO daily_funnel (counter_id, day, opened, declined, screened_online, "
        "screened_postal, screened_immediate, completed) "
        "SELECT counter_id, day, responses + 3, 1, 1, 0, 1, responses FROM response_day"))
    conn.execute(text("ANALYZE"))


def fill_sqlite(conn, campaign_id: int, questionnaire_id: int, days: list, counters: int,
                responses: int) -> None:
    """Python-side generation in batches (SQLite has no generate_series)."""
    rng = random.Random(7)
    per_day = responses / (len(days) * counters)
    tallies, rollups, answers, rows, funnel = [], [], [], [], []

    def flush() -> None:
        for table, batch in (("tally", tallies), ("response_day", rollups),
                             ("answer_day", answers), ("response", rows),
                             ("daily_funnel", funnel)):
            if batch:
                columns = ", ".join(batch[0])
                values = ", ".join(f":{k}" for k in batch[0])
                conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"),
                             batch)
                batch.clear()

    for day in days:
        for counter in range(1, counters + 1):
            tallies.append({"counter_id": counter, "day": day, "returned": 30, "immediate": 3,
                            "online": 2, "postal": 1})
            r = int(rng.random() * 2 * per_day + 0.5)
            if not r:
                continue
            levels = [int(r * s) for _v, s in SHARES[:4]]
            levels.append(r - sum(levels))
            rollups.append({"campaign_id": campaign_id, "counter_id": counter, "day": day,
                            "responses": r, **{f"overall_{n + 1}": levels[n] for n in range(5)}})
            for key in QUESTIONS:
                answers.extend({"campaign_id": campaign_id, "counter_id": counter, "day": day,
                                "question_key": key, "value": n + 1, "responses": levels[n]}
                               for n in range(5) if levels[n])
            rows.extend({"id": uuid.uuid4().hex, "counter_id": counter,
                         "campaign_id": campaign_id, "questionnaire_id": questionnaire_id,
                         "submitted_on": day,
                         "comment": "Góp ý thử nghiệm" if rng.random() < 0.1 else None}
                        for _ in range(r))
            funnel.append({"counter_id": counter, "day": day, "opened": r + 3, "declined": 1,
                           "screened_online": 1, "screened_postal": 0, "screened_immediate": 1,
                           "completed": r})
        if len(rows) > 50_000:
            flush()
    flush()


def timed(fn, rounds: int = 3) -> float:
    start = time.perf_counter()
    fn()  # warm-up: caches, plans, and the weekly sums on a new database
    timed.first = (time.perf_counter() - start) * 1000
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--responses", type=int)
    parser.add_argument("--counters", type=int)
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated PostgreSQL database and print its URL")
    parser.add_argument("--existing", help="time a database kept by --keep (no set-up)")
    args = parser.parse_args()
    if args.existing:
        run(args.existing, True, 0, 0, build=False)
        return
    postgres = bool(args.database)
    responses = args.responses or (5_000_000 if postgres else 1_000_000)
    counters = args.counters or (2000 if postgres else 400)
    with (tempfile.TemporaryDirectory() as tmp,
          throwaway_database(args.database, tmp, keep=args.keep) as url):
        run(url, postgres, responses, counters)


def run(url: str, postgres: bool, responses: int, counters: int, build: bool = True) -> None:
    app = create_app({"KHAOSAT_ENV": "development", "SECRET_KEY": "bench", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
                      "PUBLIC_BASE_URL": "https://khaosat.example.vn"})
    with app.app_context():
        if build:
            generate(postgres, responses, counters)
        else:  # a database kept by --keep: back to the Monday morning, last week unsummed
            last = monday(local_today()) - timedelta(days=7)
            for table in ("answer_week", "campaign_week", "rolled_week"):
                db.session.execute(text(f"DELETE FROM {table} WHERE week >= :w"),
                                   {"w": last})
            db.session.execute(text("DELETE FROM response_inbox"))
            db.session.commit()
        # What `flask sum-weeks` did until last week: every settled week but the last summed
        # once (the last ended on Sunday night; the hourly cron has not run since).
        started = time.perf_counter()
        campaign = db.session.get_one(Campaign, 1)
        last_week = monday(local_today()) - timedelta(days=7)
        summed = sum_settled(campaign, last_week - timedelta(days=7), local_now(),
                             app.config["SUPPRESSION_K"])
        print(f"{'sum-weeks (' + str(len(summed)) + ' weeks, once)':42} "
              f"{(time.perf_counter() - started) * 1000:9.0f} ms")
        db.session.execute(text("ANALYZE"))  # as autovacuum would, after a big insert
        db.session.commit()
        waiting = fill_inbox(campaign, INBOX_WAITING)

    client = logged_in(app)
    client.get("/reports/?unit=50")  # the process is warm (templates, plans) …
    first_after_week(client, last_week, waiting)  # … but this is its first dashboard since
    with app.app_context():
        started = time.perf_counter()
        summed = sum_settled(db.session.get_one(Campaign, 1), monday(local_today()),
                             local_now(), app.config["SUPPRESSION_K"])
        print(f"{'sum-weeks, the hour after (' + str(len(summed)) + ' week)':42} "
              f"{(time.perf_counter() - started) * 1000:9.0f} ms")
        db.session.remove()
    _time_pages(app, client)


def generate(postgres: bool, responses: int, counters: int) -> None:
    """Migrate, then fill the database (see the module's docstring)."""
    upgrade()
    load_all()
    questionnaire = latest("sipas-short").id
    db.session.commit()
    today = local_today()
    days = working_days(today - timedelta(days=364), today - timedelta(days=1))
    started = time.perf_counter()
    with db.engine.begin() as conn:
        build_tree(conn, counters)
        conn.execute(text(
            "INSERT INTO campaign (id, name, unit_id, questionnaire_id, starts_on, ends_on, "
            "target_rate, status) VALUES (1, 'Năm', 1, :q, :start, :end, 30, 'active')"),
            {"q": questionnaire, "start": days[0],
             "end": today + timedelta(days=30)})
        fill = fill_postgres if postgres else fill_sqlite
        fill(conn, 1, questionnaire, days, counters, responses)
    stored = db.session.scalar(text("SELECT count(*) FROM response"))
    print(f"{'PostgreSQL' if postgres else 'SQLite'}: {stored:,} responses, {counters:,} "
          f"counters, {len(days)} working days; set-up {time.perf_counter() - started:.0f} s")
    create_user(username="bench", role="admin", unit=db.session.get_one(Unit, 1),
                password="bench-password", actor="bench")
    db.session.commit()
    db.session.remove()


INBOX_WAITING = 2_500  # a busy morning's completed forms, not moved yet


def fill_inbox(campaign, n: int) -> int:
    """n completed forms of today waiting in the survey's inbox (a report only reads)."""
    counters = db.session.scalars(text("SELECT id FROM counter")).all()
    answers = {q: 4 for q in QUESTIONS}
    db.session.execute(text(
        "INSERT INTO response_inbox (id, counter_id, campaign_id, questionnaire_id, "
        "submitted_on, answers) VALUES (:id, :counter, :campaign, :questionnaire, :day, "
        ":answers)").bindparams(db.bindparam("answers", type_=db.JSON),
                                db.bindparam("id", type_=db.Uuid)),
        [{"id": uuid.uuid4(), "counter": random.choice(counters), "campaign": campaign.id,
          "questionnaire": campaign.questionnaire_id, "day": local_today(),
          "answers": answers} for _ in range(n)])
    db.session.commit()
    return n


def logged_in(app):
    client = app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    client.post("/login", data={"csrf_token": token.split('"')[0], "username": "bench",
                                "password": "bench-password"})
    return client


def fetched(client, path: str) -> None:
    """One page, which must be the page meant: 200 and the dashboard's table."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    if not path.endswith(".xlsx"):
        assert "Tỷ lệ phản hồi" in response.get_data(as_text=True), path


def first_after_week(client, week, waiting: int) -> None:
    """The province dashboard's first request after a week ended: that week not summed yet
    (read from the daily rows, batches worked out as sum-weeks would), forms waiting."""
    start = time.perf_counter()
    fetched(client, "/reports/")
    first = (time.perf_counter() - start) * 1000
    again = timed(lambda: fetched(client, "/reports/"))
    print(f"{'dashboard, first after a week ended':42} {first:9.1f} ms  (then {again:.0f} ms; "
          f"week of {week:%d/%m} read from daily rows, {waiting:,} forms in the inbox)")


def _time_pages(app, client) -> None:
    def get(path: str):
        return lambda: fetched(client, path)

    def floor():
        with app.app_context():
            db.session.execute(text("SELECT count(*) FROM response")).scalar()
            db.session.remove()

    base = timed(floor)
    print(f"{'floor: SELECT count(*) FROM response':42} {base:9.1f} ms")
    for label, path in (("province dashboard", "/reports/"),
                        ("one commune's drill-down", "/reports/?unit=50"),
                        ("XLSX export (province)", "/reports/export.xlsx")):
        ms = timed(get(path))
        print(f"{label:42} {ms:9.1f} ms  ratio to floor {ms / base:5.2f}  "
              f"(first request {timed.first:.0f} ms)")


if __name__ == "__main__":
    main()
