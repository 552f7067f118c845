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


def install_log_filters() -> None:
    """Attach the filter to werkzeug's logger (the `flask run` access log), once."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropSurveyRequests) for f in logger.filters):
        logger.addFilter(DropSurveyRequests())
