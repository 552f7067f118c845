"""khaosat's own statements for a survey GET and POST, read from its statement log.

    python bench/statements.py OUT.pickle CODE_A CODE_B CODE_C   (with the app's environment)

bench/survey.py runs this before each measurement and bench/bare_app.py replays what it
wrote, so the floor does exactly the database work khaosat does and cannot drift from it: the
same SQL, in the same transactions (or none: PostgreSQL's autocommit "opened" count), with
the request's own values put in. Runs khaosat in-process (Flask's test client, production
settings from the environment): warms up on CODE_A (a scan and a sent form, so that the
questionnaire's page and the inbox's next move are known, as in a running worker), then logs
a fresh phone's scan of CODE_B and a form sent at CODE_C, each a counter it has not seen.
Also logs the same form sent outside opening hours (its flag rides in the inbox row: the
statements must be the same). Then the same for an invitation's link (/i/<token>): a first
opening at CODE_B and an answer at CODE_C, each of a link made here for the purpose (warmed up
on one at CODE_A).
"""

import pickle
import re
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.clock import local_today
from app.domain.invitations import INVITATION_PREFIX, new_token, token_hash
from app.extensions import db
from app.models import Campaign, Counter, Invitation

HIDDEN = re.compile(r'name="(csrf_token|ticket)"[^>]*value="([^"]*)"')
ANSWERS = {"channel": "in_person", "immediate": "no", "access": "4", "procedure": "5",
           "officer": "3", "result": "4", "feedback": "2", "overall": "5", "on_time": "yes",
           "extra_demand": "no", "comment": "Tốt", "submit": "1"}


class Log:
    """Statements by transaction: [(autocommit?, ending, [(sql, params, many)])]."""

    def __init__(self, engine):
        self.engine, self.groups, self.open, self.on = engine, [], {}, False
        for name in ("begin", "commit", "rollback", "before_cursor_execute"):
            event.listen(engine, name, getattr(self, f"_{name}"))

    def _begin(self, conn):
        if self.on:
            self.open[id(conn)] = []

    def _end(self, conn, how):
        statements = self.open.pop(id(conn), None)
        if self.on and statements:
            self.groups.append((False, how, statements))

    def _commit(self, conn):
        self._end(conn, "commit")

    def _rollback(self, conn):
        self._end(conn, "rollback")

    def _before_cursor_execute(self, conn, _cursor, sql, params, _context, many):
        if not self.on:
            return
        params = _plain(params)
        if id(conn) in self.open:
            self.open[id(conn)].append((sql, params, many))
        else:  # no transaction of ours: autocommit (PostgreSQL's "opened" count)
            self.groups.append((True, None, [(sql, params, many)]))

    def take(self):
        groups, self.groups = self.groups, []
        return groups


def _plain(params):
    """Parameters as pickle can keep them: psycopg's JSON wrapper as ("json", value)."""
    def one(value):
        if type(value).__name__ in ("Json", "Jsonb"):
            return ("json", value.obj)
        return value
    if isinstance(params, dict):
        return {k: one(v) for k, v in params.items()}
    if isinstance(params, list | tuple):
        return type(params)(one(v) for v in params)
    return params


def main() -> None:
    out, code_a, code_b, code_c = sys.argv[1:5]
    app = create_app({"SURVEY_MIN_SECONDS": 0})  # the log is of a form read in time
    with app.app_context():
        log = Log(db.engine)
    def phone(n: int):
        c = app.test_client()
        c.environ_base["HTTP_X_FORWARDED_FOR"] = f"10.200.0.{n}"
        return c

    def send(c, code: str, path: str | None = None):
        path = path or f"/q/{code}"
        html = c.get(path).get_data(as_text=True)
        log.on = True
        answer = c.post(path, data={**dict(HIDDEN.findall(html)), **ANSWERS})
        log.on = False
        assert answer.status_code == 200 and "đã được ghi nhận" in answer.get_data(
            as_text=True), answer.status_code
        return log.take()

    send(phone(1), code_a)  # warm: the page, the first move's claim
    log.take()
    log.on = True
    scan = phone(2).get(f"/q/{code_b}")
    log.on = False
    assert scan.status_code == 200 and 'name="ticket"' in scan.get_data(as_text=True)
    get = log.take()
    post = send(phone(3), code_c)
    hours, app.config["OFFICE_HOURS"] = app.config["OFFICE_HOURS"], "00:00-00:01"  # at night
    night = send(phone(4), code_b)
    app.config["OFFICE_HOURS"] = hours

    warm, link_b, link_c = (invitation(app, code) for code in (code_a, code_b, code_c))
    send(phone(5), code_a, INVITATION_PREFIX + warm)
    log.take()
    log.on = True
    scan = phone(6).get(INVITATION_PREFIX + link_b)
    log.on = False
    assert scan.status_code == 200 and 'name="ticket"' in scan.get_data(as_text=True)
    invited_get = log.take()
    invited_post = send(phone(7), code_c, INVITATION_PREFIX + link_c)
    Path(out).write_bytes(pickle.dumps({
        "GET": get, "POST": post, "POST at night": night, "codes": (code_b, code_c, code_b),
        "invited GET": invited_get, "invited POST": invited_post,
        "invited": {"GET": (code_b, link_b), "POST": (code_c, link_c)}}))


def invitation(app, code: str) -> str:
    """A live link of yesterday's return at the counter `code`, as an upload makes one (the
    export said in person, not immediate)."""
    token = new_token()
    with app.app_context():
        counter = db.session.query(Counter).filter_by(code=code).one()
        campaign = db.session.query(Campaign).filter_by(status="active").first()
        today = local_today()
        db.session.add(Invitation(
            token_hash=token_hash(token), counter_id=counter.id, campaign_id=campaign.id,
            returned_on=today - timedelta(days=1), expires_on=today + timedelta(days=6),
            screened=True, opened=False))
        db.session.commit()
    return token


if __name__ == "__main__":
    main()
