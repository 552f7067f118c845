"""Keeping survey requests out of logs: no address, time or counter code of a citizen's visit.

Used by create_app() for Flask and the development server, and by gunicorn.conf.py.
"""

import json
import logging

SURVEY_PREFIX = "/q/"
INVITATION_PREFIX = "/i/"  # an invitation's one-time link: a logged link could be answered
CITIZEN_PREFIXES = (SURVEY_PREFIX, INVITATION_PREFIX)


def is_survey_path(path: str) -> bool:
    """True for the citizen-facing survey URLs (a sticker's or an invitation's)."""
    return path.startswith(CITIZEN_PREFIXES)


def is_quiet(path: str, status: int) -> bool:
    """A successful health check: the load balancer's every few seconds, not worth a line."""
    return path == "/health" and status < 400


class DropSurveyRequests(logging.Filter):
    """Drops the development server's access-log lines for survey paths (and for successful
    health checks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return (not any(f" {prefix}" in message for prefix in CITIZEN_PREFIXES)
                and '"GET /health HTTP/1.1" 200' not in message)


class DropSurveyLimits(logging.Filter):
    """Drops Flask-Limiter's "limit exceeded" lines for the survey (they name the key)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "survey." not in record.getMessage()


def install_log_filters() -> None:
    """Attach the filters to werkzeug's logger (the `flask run` access log) and to
    Flask-Limiter's, once."""
    for name, kind in (("werkzeug", DropSurveyRequests), ("flask-limiter", DropSurveyLimits)):
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())


class JsonFormatter(logging.Formatter):
    """One JSON object a line (LOG_FORMAT=json), for a log collector. It writes what the
    text log writes, nothing more: the filters above still keep survey visits out."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
