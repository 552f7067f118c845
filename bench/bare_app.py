"""The baseline for bench/survey.py: a bare Flask app doing the survey's database work.

GET: the "opened" count upsert and the same page bytes; POST: the ticket, the response, its
eight answers, the funnel upsert and the two daily roll-up upserts (response_day, answer_day)
in one transaction. No lookups, forms, CSRF or templates.
"""

import hashlib
import os
import uuid
from datetime import date

from flask import Flask, request
from sqlalchemy import create_engine, event, text

URL = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
engine = create_engine(URL)
if engine.dialect.name == "sqlite":
    @event.listens_for(engine, "connect")
    def _pragmas(conn, _record):
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
            conn.execute(f"PRAGMA {pragma}")

PAGE = open(os.environ["BENCH_PAGE"], "rb").read()  # noqa: SIM115 (read once at start)
THANKS = b"<!doctype html><p>Cam on</p>"
BARE = "bare"  # its responses' comment and tickets' outcome: bench/survey.py counts apart
COUNTER, CAMPAIGN, QUESTIONNAIRE = (int(x) for x in os.environ["BENCH_IDS"].split(","))
KEYS = ("access", "procedure", "officer", "result", "feedback", "overall", "on_time",
        "extra_demand")
UPSERT = ("INSERT INTO daily_funnel (counter_id, day, opened, declined, screened_online, "
          "screened_postal, screened_immediate, completed) VALUES (:c, :d, {o}, 0, 0, 0, 0, {k}) "
          "ON CONFLICT (counter_id, day) DO UPDATE SET {col} = daily_funnel.{col} + 1")
OPENED = text(UPSERT.format(o=1, k=0, col="opened"))
COMPLETED = text(UPSERT.format(o=0, k=1, col="completed"))
RESPONSE_DAY = text(
    "INSERT INTO response_day (campaign_id, counter_id, day, responses, overall_1, overall_2, "
    "overall_3, overall_4, overall_5) VALUES (:k, :c, :d, 1, 0, 0, 0, 0, 1) "
    "ON CONFLICT (campaign_id, counter_id, day) DO UPDATE SET "
    "responses = response_day.responses + 1, overall_5 = response_day.overall_5 + 1")
ANSWER_DAY = ("INSERT INTO answer_day (campaign_id, counter_id, day, question_key, value, "
              "responses) VALUES {rows} ON CONFLICT (campaign_id, counter_id, day, question_key, "
              "value) DO UPDATE SET responses = answer_day.responses + 1")

app = Flask(__name__)


@app.get("/q/<code>")
def page(code):
    with engine.begin() as conn:
        conn.execute(OPENED, {"c": COUNTER, "d": date.today()})
    return PAGE


@app.post("/q/<code>")
def submit(code):
    form = request.form
    rid = uuid.uuid4()
    rid = rid.hex if engine.dialect.name == "sqlite" else rid
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO used_ticket VALUES (:t, :o, :d)"),
                     {"t": hashlib.sha256(form["ticket"].encode()).hexdigest(), "o": BARE,
                      "d": date.today()})
        conn.execute(text("INSERT INTO response (id, counter_id, campaign_id, questionnaire_id, "
                          "submitted_on, comment) VALUES (:i, :c, :k, :q, :d, :m)"),
                     {"i": rid, "c": COUNTER, "k": CAMPAIGN, "q": QUESTIONNAIRE,
                      "d": date.today(), "m": BARE})
        conn.execute(text("INSERT INTO answer VALUES (:i, :k, :v)"),
                     [{"i": rid, "k": k, "v": 1 if form[k] == "yes" else 0 if form[k] == "no"
                       else int(form[k])} for k in KEYS])
        conn.execute(COMPLETED, {"c": COUNTER, "d": date.today()})
        conn.execute(RESPONSE_DAY, {"k": CAMPAIGN, "c": COUNTER, "d": date.today()})
        values = {f"v{i}": 1 if form[k] == "yes" else 0 if form[k] == "no" else int(form[k])
                  for i, k in enumerate(KEYS)}
        rows = ", ".join(f"(:k, :c, :d, '{k}', :v{i}, 1)" for i, k in enumerate(KEYS))
        conn.execute(text(ANSWER_DAY.format(rows=rows)),
                     {"k": CAMPAIGN, "c": COUNTER, "d": date.today(), **values})
    return THANKS
