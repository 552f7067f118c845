"""The local calendar day, in the province's time zone (responses carry a day, not a time)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def local_today() -> date:
    """Today's date where the counters are, not where the server is."""
    return local_now().date()


def local_now() -> datetime:
    """The time of day where the counters are (for staff-side rules, never stored for a citizen)."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"]))
