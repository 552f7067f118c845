"""The floor for bench/survey.py: a bare Flask app doing exactly khaosat's database work.

It replays the statements bench/statements.py read from khaosat's own statement log for a
survey GET and POST, in the same transactions (or, for PostgreSQL's "opened" count, none),
with each request's values put in: its counter's code and id, a new random id, its ticket's
hash. GET answers the page khaosat sent (BENCH_PAGE) with a session cookie; POST a short
thank-you. No lookups in Python, forms, CSRF, limits or templates.

An invitation's link (/i/<token>) likewise: the statements logged for a link, with this
link's hashes (of the token, of its one answer) and its counter (which the bench names in an
X-Bench-Code header, since only the database knows a token's counter).
"""

import hashlib
import os
import pickle
import uuid

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
INVITATION_PAGE = open(os.environ["BENCH_INVITATION_PAGE"], "rb").read()  # noqa: SIM115
THANKS = b"<!doctype html><p>Cam on</p>"
# The log bench/statements.py wrote for this very run (never data from elsewhere).
LOG = pickle.loads(open(os.environ["BENCH_STATEMENTS"], "rb").read())  # noqa: S301, SIM115
with engine.connect() as _conn:
    IDS = dict(_conn.execute(text("SELECT code, id FROM counter")).all())
engine.dispose()  # no connection opened at import is shared by forked workers
LOGGED = {method: code for method, code in zip(("GET", "POST"), LOG["codes"], strict=False)}
COOKIE = "session=eyJjc3JmX3Rva2VuIjoiYmFyZSJ9.bare.bare; HttpOnly; Path=/; SameSite=Lax"

app = Flask(__name__)


def _value(value, swap: dict, ticket_hash: str | None):
    """A logged value as this request has it."""
    if isinstance(value, str | int) and value in swap:
        return swap[value]
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    if isinstance(value, str) and len(value) == 32 and value.isalnum() and value.islower():
        return uuid.uuid4().hex  # SQLite's form of a random id
    if isinstance(value, str) and len(value) == 64 and ticket_hash:
        return ticket_hash
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "json":
        from psycopg.types.json import Json

        return Json(value[1])
    return value


def _params(params, swap: dict, ticket_hash: str | None):
    if isinstance(params, dict):
        return {k: _value(v, swap, ticket_hash) for k, v in params.items()}
    if isinstance(params, list | tuple):
        return type(params)(_value(v, swap, ticket_hash) for v in params)
    return params


def replay(method: str, code: str, ticket_hash: str | None = None, *,
           logged: str | None = None, swap: dict | None = None) -> None:
    logged = logged or LOGGED[method]
    # Its rows carry the comment "bare": bench/survey.py counts khaosat's stored forms apart.
    swap = {logged: code, IDS[logged]: IDS[code], "Tốt": "bare", **(swap or {})}
    for autocommit, ending, statements in LOG[method]:
        if autocommit:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for sql, params, _many in statements:
                    conn.exec_driver_sql(sql, _params(params, swap, ticket_hash))
            continue
        conn = engine.connect()
        try:
            for sql, params, _many in statements:
                conn.exec_driver_sql(sql, _params(params, swap, ticket_hash))
            conn.commit() if ending == "commit" else conn.rollback()
        finally:
            conn.close()


@app.get("/q/<code>")
def page(code):
    replay("GET", code)
    return PAGE, 200, {"Set-Cookie": COOKIE}


@app.post("/q/<code>")
def submit(code):
    replay("POST", code, hashlib.sha256(request.form["ticket"].encode()).hexdigest())
    return THANKS


def _link_hashes(token: str) -> tuple[str, str]:
    """What khaosat keeps of a link's token and of its one answer's ticket
    (app/domain/invitations.token_hash, answer_ticket; responses.ticket_digest)."""
    return (hashlib.sha256(f"invitation|{token}".encode()).hexdigest(),
            hashlib.sha256(f"invitation:{token}".encode()).hexdigest())


def replay_link(method: str, token: str) -> None:
    code, logged_token = LOG["invited"][method]
    swap = dict(zip(_link_hashes(logged_token), _link_hashes(token), strict=True))
    replay(f"invited {method}", request.headers["X-Bench-Code"], logged=code, swap=swap)


@app.get("/i/<token>")
def invitation_page(token):
    replay_link("GET", token)
    return INVITATION_PAGE, 200, {"Set-Cookie": COOKIE}


@app.post("/i/<token>")
def invitation_submit(token):
    replay_link("POST", token)
    return THANKS
