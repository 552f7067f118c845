"""The integrity vocabulary: what the survey refuses or finds odd (counted per counter and day
in integrity_day, shown on the reports), what a citizen may report as pressure, and a unit's
opening hours. The survey's web side decides when each applies (survey/limits.py,
survey/tickets.py); reports read the same names.
"""

from datetime import date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.db_setup import counting_upsert
from app.domain.org import parse_hours
from app.extensions import db
from app.models import IntegrityDay, Unit

# Refused (nothing stored, the refusal counted) …
REFUSED_TICKET, REFUSED_FAST = "refused_ticket", "refused_fast"
REFUSED_LIMIT, REFUSED_REPEAT = "refused_limit", "refused_repeat"
# … and odd but kept.
BURST, IDENTICAL, OUTSIDE_HOURS = "bursts", "identical_runs", "outside_hours"
ONE_PLACE = "from_one_place"
COUNTS = (REFUSED_TICKET, REFUSED_FAST, REFUSED_LIMIT, REFUSED_REPEAT, BURST, IDENTICAL,
          OUTSIDE_HOURS, ONE_PLACE)
PRESSURE = "pressure_reports"  # citizens' reports (pressure_report), shown to Home Affairs only
QUARANTINED = "quarantined"  # answers set aside for review (quarantined_day)
FLAGS = (*COUNTS, PRESSURE, QUARANTINED)

# A counter-day with this many of a kind is pending review (domain/quarantine.py): out of the
# figures until Home Affairs accepts it or sets it aside. bench/integrity.py's honest day (300
# citizens, 10 counters, 8 hours) reaches none of them; every stuffing script reaches one.
REVIEW_AT = {BURST: 1, IDENTICAL: 1, ONE_PLACE: 1, OUTSIDE_HOURS: 1}
# Early presses ("Gửi quá nhanh") are refused and counted, but warn against the counter only
# as this share of its openings or more: a quick reader presses early now and then, a script
# does so again and again (the honest day gives 0 %).
FAST_SHARE_WARNS = 0.10


def needs_review(counts: dict[str, int]) -> bool:
    """A counter-day's integrity counts (by name) call for review."""
    return any(counts.get(name, 0) >= at for name, at in REVIEW_AT.items())


def fast_presses_warn(refused_fast: int, opened: int) -> bool:
    """Early presses are an unusual share of the openings (see FAST_SHARE_WARNS)."""
    return refused_fast > 0 and refused_fast >= FAST_SHARE_WARNS * max(opened, 1)


# What a citizen may report about a counter (the survey's form and Home Affairs' list).
PRESSURE_KINDS = (
    ("pressured", _l("Bị ép phải tham gia khảo sát")),
    ("told_what_to_answer", _l("Bị bảo phải chọn câu trả lời nào")),
    ("watched", _l("Bị theo dõi, nhìn vào khi đang trả lời")),
    ("asked_for_favours", _l("Bị đòi tiền hoặc lợi ích khác")),
    ("other", _l("Việc khác")),
)


def count(counter_id: int, day: date, *names: str, conn=None, by: int = 1) -> None:
    """Add one (or `by`) to each named count of the counter's day (in the caller's
    transaction: on `conn`, else the session's)."""
    for name in names:
        if name not in COUNTS:
            raise ValueError(f"unknown integrity count {name!r}")
        (conn or db.session).execute(
            counting_upsert(db.engine.dialect.name, IntegrityDay, ("counter_id", "day"), (name,)),
            {"counter_id": counter_id, "day": day, name: by})


def opening_hours(unit: Unit) -> str:
    """The unit's hours, as set on it or the nearest unit above, else OFFICE_HOURS."""
    while unit is not None:
        if unit.opening_hours:
            return unit.opening_hours
        unit = unit.parent
    return current_app.config["OFFICE_HOURS"]


def is_open(hours: str, moment: datetime) -> bool:
    """Whether `moment` falls within opening hours written as opening_hours() returns them."""
    try:
        spans = parse_hours(hours)
    except ValueError:
        return True  # a broken setting flags nothing (the unit form refuses one)
    now = moment.time()
    return any(start <= now <= end for start, end in spans)
