"""Keeping survey requests out of logs: no address, time or counter code of a citizen's visit.

Used by create_app() for Flask and the development server, and by gunicorn.conf.py.
"""

import logging

SURVEY_PREFIX = "/q/"


def is_survey_path(path: str) -> bool:
    """True for the citizen-facing survey URLs."""
    return path.startswith(SURVEY_PREFIX)


class DropSurveyRequests(logging.Filter):
    """Drops the development server's access-log lines for survey paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        return f" {SURVEY_PREFIX}" not in record.getMessage()


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
