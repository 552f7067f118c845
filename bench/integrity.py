"""Box-stuffing scripts and an honest day, against the production integrity settings.

    .venv/bin/python bench/integrity.py [--seed 2026]

Runs the app in-process (Flask's test client, a throwaway SQLite database, limits in memory)
on a simulated clock (time-machine), so a working day takes seconds. Every setting is the
production default of app/config.py. For each attack, prints the attempts, how many were
refused, how many were stored, and how many of those landed on a counter and day held for
review (app/domain/holds.py; the dashboard reads "Cần xem xét"): "blocked or flagged"
should be ≥ 95 %. The honest day must have none refused and none flagged.

  naive      300 answers with made-up tickets, as fast as the script can go
  replay     one real form (cookie, token, ticket) sent 100 times
  one-phone  a clerk's phone, cookies cleared each time, waiting out the minimum, 50 answers
  five-phones  five phones, 40 answers in ten minutes, every answer a little different
  patient    one phone, cookies cleared, one varied answer every 3 minutes for 8 hours
  honest     300 citizens over 8 hours at 10 counters: 60 % on the office Wi-Fi, 30 % behind
             three carrier addresses, the rest their own; 10–60 s reading; real answer mixes
"""

import argparse
import random
import re
import sys
import tempfile
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.clock import local_today
from app.domain.campaigns import create_campaign, set_status
from app.domain.org import add_counter, add_unit
from app.domain.questionnaires import latest, load_all
from app.extensions import db, limiter
from app.models import QuarantinedDay, Response
from app.survey.tickets import ANSWERED_COOKIE

TICKET = re.compile(r'name="ticket"[^>]*value="([^"]*)"')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"')
RATINGS = ("access", "procedure", "officer", "result", "feedback")
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def make_app(folder: str):
    app = create_app({"KHAOSAT_ENV": "development", "SECRET_KEY": "bench-integrity",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                      "RATELIMIT_STORAGE_URI": "memory://", "TESTING": True})
    with app.app_context():
        upgrade()
        load_all()
        province = add_unit(code="TINH", name="Tỉnh Thử", kind="province", parent=None,
                            actor="bench")
        center = add_unit(code="TT", name="Trung tâm", kind="center", parent=province,
                          actor="bench")
        codes = [add_counter(unit=center, name=f"Quầy {n}", actor="bench").code
                 for n in range(1, 13)]
        campaign = create_campaign(unit=province, name="Đợt thử",
                                   questionnaire=latest("sipas-short"),
                                   starts_on=local_today() - timedelta(days=30),
                                   ends_on=local_today() + timedelta(days=60),
                                   target_rate=Decimal(30), actor="bench")
        set_status(campaign, "active", actor="bench")
        db.session.commit()
    return app, codes


def answers(rng: random.Random, *, happy: bool = False) -> dict:
    if happy:
        levels = dict.fromkeys((*RATINGS, "overall"), "5")
    else:
        levels = {k: rng.choices("12345", weights=(2, 4, 14, 40, 40))[0] for k in RATINGS}
        levels["overall"] = rng.choices("12345", weights=(2, 3, 10, 40, 45))[0]
    return {"channel": "in_person", "immediate": "no", **levels,
            "on_time": rng.choice(("yes", "yes", "yes", "no")), "extra_demand": "no",
            "comment": "", "submit": "1"}


def citizen(client, code: str, data: dict, traveller, reading: float,
            keep_cookie: bool = False) -> str:
    """Open the form, read for `reading` seconds, send: "stored", "refused" or "no-form"."""
    if not keep_cookie:
        client.delete_cookie(ANSWERED_COOKIE, path="/q/")
    page = client.get(f"/q/{code}")
    html = page.get_data(as_text=True)
    ticket = TICKET.search(html)
    if page.status_code != 200 or ticket is None:
        return "no-form"
    traveller.shift(reading)
    done = client.post(f"/q/{code}", data={"csrf_token": CSRF.search(html).group(1),
                                            "ticket": ticket.group(1), **data})
    return "stored" if "đã được ghi nhận" in done.get_data(as_text=True) else "refused"


def flagged_days(app) -> set[tuple[str, object]]:
    """Counter-days held for review (app/domain/holds.py): out of the figures, "Cần xem xét"."""
    with app.app_context():
        return set(db.session.execute(select(QuarantinedDay.counter_id, QuarantinedDay.day)))


def outcome(app, name: str, attempts: int, stored_counts: dict) -> tuple[int, int, int]:
    with app.app_context():
        stored = db.session.execute(select(Response.counter_id, Response.submitted_on)).all()
        flagged = flagged_days(app)
        on_flagged = sum(1 for key in stored if key in flagged)
    blocked = attempts - len(stored)
    share = (blocked + on_flagged) / attempts * 100 if attempts else 0
    print(f"{name:12} attempts {attempts:4}  refused {blocked:4}  stored {len(stored):4}  "
          f"stored on a flagged counter-day {on_flagged:4}  blocked or flagged {share:6.1f} %")
    return blocked, len(stored), on_flagged


def scenario(name: str, run) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app, codes = make_app(folder)
        morning = datetime.combine(local_today_of(app), time(8), ZONE)
        with time_machine.travel(morning, tick=False) as traveller:
            attempts = run(app, codes, traveller)
            outcome(app, name, attempts, {})
        with app.app_context():
            limiter.reset()
            db.engine.dispose()


def local_today_of(app):
    with app.app_context():
        return local_today()


def naive(app, codes, traveller):
    client = app.test_client()
    page = client.get(f"/q/{codes[0]}").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    rng = random.Random(1)
    for n in range(300):
        client.post(f"/q/{codes[0]}", data={"csrf_token": token, "ticket": f"{n:022d}",
                                            **answers(rng, happy=True)})
    return 300


def replay(app, codes, traveller):
    client = app.test_client()
    page = client.get(f"/q/{codes[0]}").get_data(as_text=True)
    form = {"csrf_token": CSRF.search(page).group(1), "ticket": TICKET.search(page).group(1),
            **answers(random.Random(2), happy=True)}
    traveller.shift(20)
    for _ in range(100):
        client.delete_cookie(ANSWERED_COOKIE, path="/q/")
        client.post(f"/q/{codes[0]}", data=form)
    return 100


def one_phone(app, codes, traveller):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    rng = random.Random(3)
    for _ in range(50):
        citizen(client, codes[0], answers(rng, happy=True), traveller, 9)
    return 50


def five_phones(app, codes, traveller):
    phones = []
    for n in range(5):
        phone = app.test_client()
        phone.environ_base["REMOTE_ADDR"] = f"198.51.100.{20 + n}"
        phones.append(phone)
    rng = random.Random(4)
    for i in range(40):
        data = {**answers(rng, happy=True),
                **{k: rng.choice("45") for k in RATINGS}, "comment": f"Tốt {i}"}
        citizen(phones[i % 5], codes[0], data, traveller, 9)
        traveller.shift(15 - 9)  # 40 answers in ten minutes
    return 40


def patient(app, codes, traveller):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    rng = random.Random(5)
    for _ in range(160):
        data = {**answers(rng, happy=True), **{k: rng.choice("45") for k in RATINGS}}
        citizen(client, codes[0], data, traveller, 9)
        traveller.shift(180 - 9)
    return 160


def honest(app, codes, traveller, seed: int = 2026):
    rng = random.Random(seed)
    start = datetime.combine(local_today_of(app), time(7, 30), ZONE)
    arrivals = sorted(rng.uniform(0, 8 * 3600) for _ in range(300))
    carriers = ["100.64.0.1", "100.64.0.2", "100.64.0.3"]
    results = {"stored": 0, "refused": 0, "no-form": 0}
    for n, offset in enumerate(arrivals):
        phone = app.test_client()
        draw = rng.random()
        phone.environ_base["REMOTE_ADDR"] = ("192.0.2.10" if draw < 0.6 else
                                             rng.choice(carriers) if draw < 0.9 else
                                             f"203.0.113.{n % 250}")
        traveller.move_to(start + timedelta(seconds=offset))
        results[citizen(phone, codes[n % 10], answers(rng), traveller,
                        rng.uniform(10, 60))] += 1
    return 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    for name, run in (("naive", naive), ("replay", replay), ("one-phone", one_phone),
                      ("five-phones", five_phones), ("patient", patient),
                      ("honest", lambda a, c, t: honest(a, c, t, args.seed))):
        scenario(name, run)
    print("Attacks: 'blocked or flagged' is the share of attempts refused or stored on a "
          "flagged counter-day. Honest: every refusal and every stored-on-flagged is a miss.")


if __name__ == "__main__":
    main()
