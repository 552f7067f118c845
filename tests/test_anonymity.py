"""The anonymity promise, checked where it matters: in the stored rows and in the logs."""

import io
import logging
import os
import uuid
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import Response
from app.privacy import DropSurveyRequests
from tests.factories import GOOD_ANSWERS, make_surveyed_counter, ref
from tests.helpers import open_survey, submit

CITIZEN_IP = "203.0.113.77"
CITIZEN_AGENT = "CheapPhone/1.0 (Android 8; tracking-marker-UA)"


@pytest.fixture
def counter(app):
    with app.app_context():
        return ref(make_surveyed_counter())


def all_stored_text(app) -> str:
    """Every value of every row of every table, as one text to search."""
    chunks = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def test_nothing_about_the_citizens_device_is_stored(app, counter):
    client = app.test_client()
    environ = {"REMOTE_ADDR": CITIZEN_IP, "HTTP_USER_AGENT": CITIZEN_AGENT,
               "HTTP_X_FORWARDED_FOR": CITIZEN_IP}
    client.environ_base.update(environ)
    _, hidden = open_survey(client, counter.code)
    session_cookie = client.get_cookie("session").value
    done = submit(client, counter.code, hidden=hidden)
    assert "đã được ghi nhận" in done.get_data(as_text=True)
    # And a decline and a screen-out from the same phone.
    submit(client, counter.code, {}, button="decline")
    submit(client, counter.code, {"channel": "online"})

    stored = all_stored_text(app)
    for secret in (CITIZEN_IP, CITIZEN_AGENT, "tracking-marker-UA", session_cookie,
                   hidden["csrf_token"], hidden["ticket"]):
        assert secret not in stored


def test_response_rows_hold_only_the_allowed_columns(app, counter):
    submit(app.test_client(), counter.code)
    with app.app_context():
        columns = {c["name"]: c["type"] for c in inspect(db.engine).get_columns("response")}
        answer_columns = {c["name"] for c in inspect(db.engine).get_columns("answer")}
        funnel_columns = {c["name"] for c in inspect(db.engine).get_columns("daily_funnel")}
        response = db.session.scalars(select(Response)).one()
    # Adding a column to these tables is a decision about anonymity: make it here, on purpose.
    # `invited`: whether it came by an SMS link, for satisfaction by channel (docs/figures.md,
    # "By channel"): no link, token or number, only the channel.
    assert set(columns) == {"id", "counter_id", "campaign_id", "questionnaire_id",
                            "submitted_on", "comment", "invited"}
    assert answer_columns == {"response_id", "question_key", "value"}
    assert funnel_columns == {"counter_id", "day", "opened", "declined", "screened_online",
                              "screened_postal", "screened_immediate", "completed"}
    with app.app_context():
        integrity_columns = {c["name"] for c in inspect(db.engine).get_columns("integrity_day")}
        pressure_columns = {c["name"] for c in inspect(db.engine).get_columns("pressure_report")}
    # What the survey refused or found odd: counts per counter and day, nothing finer.
    assert integrity_columns == {"counter_id", "day", "refused_ticket", "refused_fast",
                                 "refused_limit", "refused_repeat", "bursts", "identical_runs",
                                 "outside_hours", "from_one_place"}
    # A citizen's report of pressure: the counter and the ISO week, never the day.
    # The citizen's: counter, week, kinds, text; Home Affairs' follow-up: status and note.
    assert pressure_columns == {"id", "counter_id", "week", "kinds", "text", "status", "note"}
    with app.app_context():
        inbox_columns = {c["name"] for c in inspect(db.engine).get_columns("response_inbox")}
    # A form waiting for its batch (app/domain/inbox.py): what `response` + `answer` hold,
    # and what the move writes for it: its ticket's hash and its integrity flags' names.
    assert inbox_columns == {"id", "counter_id", "campaign_id", "questionnaire_id",
                             "submitted_on", "answers", "comment", "ticket_hash", "flags"}
    # A calendar day, not a moment.
    assert type(response.submitted_on) is date


def test_response_ids_are_random_not_sequential(app, counter):
    client = app.test_client()
    for _ in range(5):
        submit(client, counter.code)
    with app.app_context():
        ids = [r.id for r in db.session.scalars(select(Response))]
    # Random version-4 UUIDs: neither the id nor its sort order tells who answered first.
    assert len(set(ids)) == 5
    assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in ids)


def test_survey_requests_leave_no_trace_in_the_app_logs(app, counter, caplog):
    caplog.set_level(logging.DEBUG)
    app.config["SURVEY_OPEN_LIMIT"] = "2 per minute"  # a limit hit is logged by Flask-Limiter
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": CITIZEN_IP, "HTTP_USER_AGENT": CITIZEN_AGENT})
    submit(client, counter.code)
    client.get("/q/NOTACODE")
    assert client.get(f"/q/{counter.code}").status_code == 200
    assert client.get(f"/q/{counter.code}").status_code == 429
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert CITIZEN_IP not in logged and "CheapPhone" not in logged
    assert counter.code not in logged and "survey:" not in logged
    assert "exceeded" not in logged  # the limiter's own line is dropped for the survey


def test_server_error_on_a_survey_page_is_logged_without_its_code(app, counter, caplog,
                                                                  monkeypatch):
    import app.survey.lookup as lookup

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(lookup, "_definition", broken)  # a fault past the lookup's read
    app.config["PROPAGATE_EXCEPTIONS"] = False
    caplog.set_level(logging.ERROR)
    page = app.test_client().get(f"/q/{counter.code}")
    assert page.status_code == 500
    assert "Traceback" not in page.get_data(as_text=True)
    messages = [r.getMessage() for r in caplog.records]
    assert "Exception on a survey page [GET]" in messages
    assert not any(counter.code in m for m in messages)


def test_a_failed_insert_writes_no_comment_into_the_log(app, counter, caplog, monkeypatch):
    """SQLAlchemy puts a failed statement's parameters into its error; not ours."""
    from sqlalchemy import text

    import app.survey.routes as routes

    def failing(**kwargs):
        db.session.execute(text("INSERT INTO response (id, comment) VALUES (:id, :comment)"),
                           {"id": "x", "comment": kwargs["comment"]})

    monkeypatch.setattr(routes, "record_outcome", failing)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    caplog.set_level(logging.DEBUG)
    secret = "Góp ý riêng tư 4711"
    page = submit(app.test_client(), counter.code, {**GOOD_ANSWERS, "comment": secret})
    assert page.status_code == 503  # the form back, to send again (test_survey_flow.py)
    assert "parameters hidden" in caplog.text and secret not in caplog.text


def test_control_characters_are_dropped_before_storing(app, counter):
    """A NUL byte made PostgreSQL refuse the insert (and log the comment); it is dropped."""
    submit(app.test_client(), counter.code, {**GOOD_ANSWERS, "comment": "Tốt\x00 lắm\x07\nCảm ơn"})
    with app.app_context():
        assert db.session.scalars(select(Response.comment)).one() == "Tốt lắm\nCảm ơn"


def test_the_form_still_shows_when_its_opening_cannot_be_counted(app, counter, monkeypatch,
                                                                 caplog):
    import app.survey.routes as routes

    def broken(*args, **kwargs):
        raise OperationalError("UPDATE daily_funnel", {}, Exception("database is locked"))

    monkeypatch.setattr(routes, "record_opened", broken)
    page = app.test_client().get(f"/q/{counter.code}")
    assert page.status_code == 200 and 'name="ticket"' in page.get_data(as_text=True)
    assert counter.code not in caplog.text


def test_development_server_access_log_drops_survey_lines():
    survey = logging.LogRecord("werkzeug", logging.INFO, "", 0,
                               '%s - - [%s] "%s" 200 -', (CITIZEN_IP, "22/Nov/2026 10:00:00",
                                                          "POST /q/ABCDEFGH HTTP/1.1"), None)
    staff = logging.LogRecord("werkzeug", logging.INFO, "", 0,
                              '%s - - [%s] "%s" 200 -', ("10.0.0.1", "22/Nov/2026 10:00:00",
                                                         "GET /static/survey.css HTTP/1.1"), None)
    keep = DropSurveyRequests()
    assert keep.filter(survey) is False
    assert keep.filter(staff) is True


def test_create_app_installs_the_filter_on_werkzeugs_logger(app):
    assert any(isinstance(f, DropSurveyRequests) for f in logging.getLogger("werkzeug").filters)


def _gunicorn_logger():
    """gunicorn's logger as gunicorn.conf.py configures it, writing to a string."""
    import runpy

    from gunicorn.config import Config

    before = os.environ.get("KHAOSAT_ENV")
    try:
        settings = runpy.run_path("gunicorn.conf.py")
    finally:  # it sets KHAOSAT_ENV=production in os.environ: not for later tests' children
        if before is None:
            os.environ.pop("KHAOSAT_ENV", None)
        else:
            os.environ["KHAOSAT_ENV"] = before
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", settings["access_log_format"])
    logger = settings["logger_class"](cfg)
    stream = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(stream)
    return logger, stream


@pytest.mark.parametrize(
    ("path", "query", "logged", "status"),
    [("/q/ABCDEFGH", "lang=en", False, 200), ("/q/ABCDEFGH", "", False, 200),
     ("/healthz", "x=1", True, 200),
     ("/health", "", False, 200), ("/health", "", True, 503)],  # a failing check is news
)
def test_gunicorn_access_log_keeps_survey_visits_out(path, query, logged, status):
    logger, stream = _gunicorn_logger()
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": "POST",
               "REMOTE_ADDR": CITIZEN_IP, "HTTP_USER_AGENT": CITIZEN_AGENT,
               "SERVER_PROTOCOL": "HTTP/1.1", "RAW_URI": f"{path}?{query}"}
    resp = SimpleNamespace(status=f"{status} X", status_code=status, sent=1234, headers=[],
                           response_length=1234)
    req = SimpleNamespace(headers=[], method="POST", path=path, query=query,
                          version=(1, 1), uri=f"{path}?{query}")
    from datetime import timedelta

    logger.access(resp, req, environ, timedelta(milliseconds=5))
    line = stream.getvalue()
    assert CITIZEN_IP not in line and "CheapPhone" not in line
    assert (path in line) is logged
    assert query not in line or not query


@pytest.mark.parametrize(("path", "logged"), [("/staff/", True), ("/q/ABCDEFGH", False)])
def test_gunicorn_access_log_takes_the_response_of_its_own_error_page(path, logged):
    """After a worker timeout or a bad request gunicorn logs the error page it wrote itself,
    a Response with `status` set and no `status_code` (workers/base.py: handle_error)."""
    from datetime import timedelta

    from gunicorn.http.wsgi import Response

    logger, stream = _gunicorn_logger()
    errors = io.StringIO()
    for handler in logger.error_log.handlers:
        handler.setStream(errors)
    req = SimpleNamespace(headers=[], method="GET", path=path, query="", version=(1, 1),
                          uri=path, should_close=lambda: True)
    resp = Response(req, None, logger.cfg)
    resp.status = "500 Internal Server Error"
    resp.response_length = 0
    environ = {"PATH_INFO": path, "QUERY_STRING": "", "REQUEST_METHOD": "GET",
               "REMOTE_ADDR": CITIZEN_IP, "SERVER_PROTOCOL": "HTTP/1.1", "RAW_URI": path}
    logger.access(resp, req, environ, timedelta(seconds=120))
    assert (f"{path}\" 500" in stream.getvalue()) is logged
    assert ("a survey request failed with 500" in errors.getvalue()) is not logged
    assert CITIZEN_IP not in stream.getvalue() + errors.getvalue()


def test_gunicorn_error_log_names_no_client_and_no_survey_path():
    logger, _stream = _gunicorn_logger()
    stream = io.StringIO()
    for handler in logger.error_log.handlers:
        handler.setStream(stream)
    logger.warning(f"Invalid request from ip={CITIZEN_IP}: Invalid HTTP method")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("Error handling request %s %s", "POST", "/q/ABCDEFGH?lang=en")
    text = stream.getvalue()
    assert "Invalid request from ip=…" in text and "Error handling request POST /q/…" in text
    assert CITIZEN_IP not in text and "ABCDEFGH" not in text


def test_sqlite_keeps_no_hidden_insertion_order_of_responses(app):
    """A table keyed by a random id still has a rowid in insertion order on SQLite, unless
    it is WITHOUT ROWID (migration 0004). PostgreSQL has no such column."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("only SQLite keeps a hidden rowid")
        for table in ("response", "answer", "pressure_report", "used_ticket", "response_inbox"):
            with pytest.raises(OperationalError, match="rowid"):
                db.session.execute(text(f"SELECT rowid FROM {table}"))  # noqa: S608
            db.session.rollback()
