"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

The access log leaves out survey requests (a citizen's address and the time of their visit
to a counter are never written); only their server errors are noted, without address or path.
"""

import os
import re

from gunicorn.glogging import Logger

# gunicorn's own error lines name the client ("Invalid request from ip=…") and the path
# ("Error handling request POST /q/…"): neither reaches the log.
_ADDRESS = re.compile(r"ip=\S+")
_SURVEY_PATH = re.compile(r"/q/\S*")


def _scrub(msg, args) -> str:
    text = str(msg) % args if args else str(msg)
    return _SURVEY_PATH.sub("/q/…", _ADDRESS.sub("ip=…", text))

# Importing wsgi under gunicorn means production unless said otherwise.
os.environ.setdefault("KHAOSAT_ENV", "production")

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# SQLite is CPU-bound (2 workers beat 4 on 2 cores); PostgreSQL waits on round trips.
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# A province-wide sticker PDF takes ~12 s on 2 cores; leave room for larger ones.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
# No %(h)s (client address) and no %(q)s (query string) even for staff pages.
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# The master builds the app once and the workers share its pages (GUNICORN_PRELOAD=0: not)
# (bench/memory.py measures both); each worker then opens its own database connections.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# LOG_FORMAT=json: one JSON object a line in both logs, with the same fields as the text.
LOG_JSON = os.environ.get("LOG_FORMAT", "text") == "json"


def _status_of(resp) -> int:
    """The response's status as a number. Read from `status` ("500 Internal Server Error"),
    as gunicorn's own atoms do: the Response gunicorn builds for an error page (a worker
    timeout, a bad request) has no `status_code`."""
    status = str(resp.status or "0").split(None, 1)[0]
    return int(status) if status.isdigit() else 0


class SurveyPrivateLogger(Logger):
    """Skips access-log lines for survey paths; notes their server errors without details."""

    def access(self, resp, req, environ, request_time):
        from app.privacy import is_quiet, is_survey_path

        path, status = environ.get("PATH_INFO", ""), _status_of(resp)
        if is_quiet(path, status):
            return
        if is_survey_path(path):
            if status >= 500:
                self.error_log.error("a survey request failed with %s", status)
            return
        if LOG_JSON:
            import json

            self.access_log.info(json.dumps({
                "method": environ.get("REQUEST_METHOD"), "path": path, "status": status,
                "bytes": getattr(resp, "sent", None),
                "ms": round(request_time.total_seconds() * 1000)}, ensure_ascii=False))
            return
        super().access(resp, req, environ, request_time)

    def setup(self, cfg):
        super().setup(cfg)
        if LOG_JSON:
            from app.privacy import JsonFormatter

            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())

    def warning(self, msg, *args, **kwargs):
        super().warning(_scrub(msg, args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        super().exception(_scrub(msg, args), **kwargs)


logger_class = SurveyPrivateLogger


def on_starting(server):
    """Limits kept in memory count per worker: with several, a guesser or a stuffing script
    gets that many times the allowance. Production with more than one worker needs Redis."""
    memory = os.environ.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory")
    if os.environ["KHAOSAT_ENV"] == "production" and workers > 1 and memory:
        raise RuntimeError("With more than one gunicorn worker, set RATELIMIT_STORAGE_URI="
                           "redis://host:6379/0 (limits in memory count per worker), or run "
                           "GUNICORN_WORKERS=1.")


def pre_fork(server, worker):
    """With preload_app, move what the master built out of the garbage collector's sight: its
    passes would otherwise write to every shared object and copy the pages into each worker."""
    if preload_app:
        import gc

        gc.freeze()


def post_fork(server, worker):
    """With preload_app, drop the connections the master's app may hold: a connection must
    never be shared by two processes."""
    if preload_app:
        from app.extensions import db
        from wsgi import app

        with app.app_context():
            db.engine.dispose(close=False)
