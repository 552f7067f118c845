"""What a scan needs to know about its code, kept in this process for a short while.

Why: every scan would otherwise ask the database for the counter, its unit and the campaigns
above it, and render ~45 form inputs again; on a busy morning that was most of a survey GET's
time (bench/survey.py). A code's entry holds plain values (no ORM objects, which expire with
their session) and the pages a scan shows, rendered once, with markers where each scan's CSRF
token and ticket go.

How long a change takes to show: this process forgets every entry as soon as it commits a
change to a counter, unit, campaign, questionnaire or code (the session event below). Other
app servers keep theirs for at most SURVEY_LOOKUP_SECONDS (30 by default): a re-issued or
retired code, a deactivated counter or a closed campaign stops showing the form everywhere
within that time. A form sent meanwhile is not stored: the POST checks the live state in its
write (domain/responses.record_outcome).
"""

import time
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.domain.campaigns import active_campaign_for
from app.domain.codes import normalise_code
from app.domain.integrity import opening_hours
from app.domain.org import find_by_public_code
from app.extensions import db
from app.models import Campaign, Counter, Questionnaire, RetiredCode, Unit
from app.survey.tickets import issue_ticket

# Placeholders in a cached page for what each scan gets afresh: not valid in a token or ticket.
CSRF_MARK, TICKET_MARK = "\x00csrf\x00", "\x00ticket\x00"
MAX_ENTRIES = 20_000  # codes are a province's counters; unknown codes are never kept


@dataclass(frozen=True)
class UnitCard:
    name: str


@dataclass(frozen=True)
class CounterCard:
    """A counter as the survey's pages and writes need it."""

    id: int
    code: str
    name: str
    operator: str | None
    unit: UnitCard
    hours: str  # opening hours, from its unit or the nearest above (domain/integrity.py)


@dataclass(frozen=True)
class QuestionnaireCard:
    definition: dict


@dataclass(frozen=True)
class CampaignCard:
    id: int
    questionnaire_id: int
    questionnaire: QuestionnaireCard


@dataclass
class CodeEntry:
    """A live counter's code on one day: the counter and its active campaign (or None)."""

    counter: CounterCard
    campaign: CampaignCard | None
    day: date
    expires: float
    pages: dict[tuple, str] = field(default_factory=dict)

    def page(self, key: tuple, render) -> str:
        """A page rendered once per key (what it is, the language) by `render()`."""
        if key not in self.pages:
            self.pages[key] = render()
        return self.pages[key]


def _entries() -> dict[str, CodeEntry]:
    """This app's entries, by normalised code: however a code is spelled, one entry per live
    counter (at most MAX_ENTRIES)."""
    return current_app.extensions.setdefault("khaosat.lookup", {})


def entry(code: str, day: date) -> tuple[CodeEntry | None, bool]:
    """(the code's entry, False) for a live counter, else (None, retired?) as
    find_by_public_code says. Read from the database at most every SURVEY_LOOKUP_SECONDS."""
    code = normalise_code(code)
    if code is None:
        return None, False
    now, entries = time.monotonic(), _entries()
    hit = entries.get(code)
    if hit is not None and hit.day == day and hit.expires > now:
        return hit, False
    counter, retired = find_by_public_code(code)
    if counter is None:
        return None, retired
    campaign = active_campaign_for(counter, day)
    card = CounterCard(id=counter.id, code=counter.code, name=counter.name,
                       operator=counter.operator, unit=UnitCard(counter.unit.name),
                       hours=opening_hours(counter.unit))
    campaign_card = None if campaign is None else CampaignCard(
        id=campaign.id, questionnaire_id=campaign.questionnaire_id,
        questionnaire=QuestionnaireCard(campaign.questionnaire.definition))
    db.session.rollback()  # ends the read (nothing was written): writes use their own connection
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    seconds = current_app.config["SURVEY_LOOKUP_SECONDS"]
    found = CodeEntry(counter=card, campaign=campaign_card, day=day, expires=now + seconds)
    if seconds > 0:
        entries[code] = found
    return found, False


def forget(code: str | None = None) -> None:
    """Drop one code's entry (its POST found it no longer live), or all of them."""
    if code is None:
        _entries().clear()
    else:
        _entries().pop(normalise_code(code), None)


def fill(page: str, csrf_token: str, ticket: str) -> str:
    return page.replace(CSRF_MARK, csrf_token).replace(TICKET_MARK, ticket)


def form_page(found: CodeEntry, locale: str, csrf_token: str) -> str | None:
    """The blank form a scan gets, rendered once per code and language, filled with this
    scan's CSRF token and a new ticket; None if not rendered yet. The view (routes.entry) and
    the lean path (lean.py) both serve it, so a phone gets the same page either way."""
    page = found.pages.get(("form", locale))
    if page is None:
        return None
    return fill(page, csrf_token, issue_ticket(found.counter.id))


# A change committed by this process forgets every entry at once (staff pages, CLI, tests).
_WATCHED = (Counter, Unit, Campaign, Questionnaire, RetiredCode)


@event.listens_for(Session, "before_flush")
def _note_changes(session, _context, _instances) -> None:
    if any(isinstance(obj, _WATCHED)
           for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["survey_lookup_stale"] = True


@event.listens_for(Session, "after_commit")
def _forget_on_commit(session) -> None:
    if session.info.pop("survey_lookup_stale", False) and has_app_context():
        forget()
