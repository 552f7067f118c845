"""What a scan needs to know about its code, kept in this process for a short while.

Why: a scan needs the counter, its unit, opening hours and campaign, and the form's page
(~45 inputs). They are read in one statement (_card_query), and the page is rendered once per
questionnaire version and language as a skeleton each counter's words are put into (below):
real scans come to a different counter nearly every time, so a counter never scanned before
costs one round trip, not a render (bench/survey.py). A code's entry holds plain values (no
ORM objects, which expire with their session) and its pages, with markers where each scan's
CSRF token and ticket go; it helps a counter scanned again within SURVEY_LOOKUP_SECONDS.

How long a change takes to show: this process forgets every entry as soon as it commits a
change to a counter, unit, campaign, questionnaire or code (the session event below). Other
app servers keep theirs for at most SURVEY_LOOKUP_SECONDS (30 by default): a re-issued or
retired code, a deactivated counter or a closed campaign stops showing the form everywhere
within that time. A form sent meanwhile is not stored: the POST checks the live state in its
write (domain/responses.record_outcome).
"""

import re
import time
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from flask import current_app, has_app_context
from markupsafe import escape
from sqlalchemy import Date, bindparam, event, func, select
from sqlalchemy.orm import Session, aliased

from app.domain.codes import normalise_code
from app.domain.invitations import answer_ticket, token_hash, valid_token
from app.domain.responses import outcome_sql, ticket_digest
from app.extensions import db
from app.models import Campaign, Counter, Invitation, Questionnaire, RetiredCode, Unit
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


# Why a code found no live counter, for the page to say what is true (None: no such code).
REPLACED = "replaced"  # the counter has a new code: the old sticker was replaced
CLOSED = "closed"  # the counter, or its unit, was closed


def entry(code: str, day: date) -> tuple[CodeEntry | None, str | None]:
    """(the code's entry, None) for a live counter, else (None, REPLACED / CLOSED / None for
    no such code) as find_by_public_code says. Read from the database at most every
    SURVEY_LOOKUP_SECONDS."""
    code = normalise_code(code)
    if code is None:
        return None, None
    now, entries = time.monotonic(), _entries()
    hit = entries.get(code)
    if hit is not None and hit.day == day and hit.expires > now:
        return hit, None
    with db.engine.connect() as conn:  # Core on a pooled connection: no ORM session to run
        row = conn.execute(_card_query(), {"code": code, "day": day}).first()
        if row is not None and not row.live:
            return None, CLOSED
        if row is None:
            replaced = conn.execute(select(RetiredCode.code).where(
                RetiredCode.code == code)).first() is not None
            return None, REPLACED if replaced else None
    card = CounterCard(id=row.id, code=row.code, name=row.name, operator=row.operator,
                       unit=UnitCard(row.unit_name),
                       hours=row.hours or current_app.config["OFFICE_HOURS"])
    campaign_card = None if row.campaign_id is None else CampaignCard(
        id=row.campaign_id, questionnaire_id=row.questionnaire_id,
        questionnaire=QuestionnaireCard(_definition(row.questionnaire_id)))
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    seconds = current_app.config["SURVEY_LOOKUP_SECONDS"]
    found = CodeEntry(counter=card, campaign=campaign_card, day=day, expires=now + seconds)
    if seconds > 0:
        entries[code] = found
    return found, None


@cache
def _card_query():
    """One statement for what a scan needs of its code: the counter and its unit, whether it
    is live (Counter.live()), the opening hours of the nearest unit above that has them
    (integrity.opening_hours), and the active campaign of the nearest unit above whose
    period holds the day (campaigns.active_campaign_for). tests/test_survey_lookup.py
    compares it with those functions."""
    above, covering = aliased(Unit), aliased(Unit)
    hours = (select(above.opening_hours)
             .where(Unit.path.startswith(above.path), above.opening_hours.is_not(None))
             .order_by(func.length(above.path).desc()).limit(1).scalar_subquery())
    campaign_id = (select(Campaign.id).join(covering, covering.id == Campaign.unit_id)
                   .where(Unit.path.startswith(covering.path),
                          Campaign.runs_on(bindparam("day", type_=Date)))
                   .order_by(func.length(covering.path).desc()).limit(1).scalar_subquery())
    campaign = aliased(Campaign)
    return (select(Counter.id, Counter.code, Counter.name, Counter.operator,
                   Counter.live().label("live"), Unit.name.label("unit_name"),
                   hours.label("hours"), campaign.id.label("campaign_id"),
                   campaign.questionnaire_id)
            .join(Unit, Unit.id == Counter.unit_id)
            .outerjoin(campaign, campaign.id == campaign_id)
            .where(Counter.code == bindparam("code")))


def _definition(questionnaire_id: int) -> dict:
    """A questionnaire version's definition, read once per process (versions never change)."""
    held = current_app.extensions.setdefault("khaosat.questionnaires", {})
    if questionnaire_id not in held:
        held[questionnaire_id] = db.session.get(Questionnaire, questionnaire_id).definition
        db.session.rollback()  # ends the read: the survey's writes use their own connections
    return held[questionnaire_id]


# --- an invitation's link ---------------------------------------------------------------------
# Why: an SMS reaches every citizen whose result was returned, so links are opened about as
# often as stickers are scanned, each a different link; the ORM read them in 13 statements
# (lazy loads, reloads after the "opened" commit) and rendered the whole form each time.


@dataclass(frozen=True)
class LinkEntry:
    """An invitation's link as its pages need it, read in one statement (never kept: each
    link is opened by one citizen, and its state changes with the answer)."""

    token_hash: str
    counter_id: int
    counter: CounterCard
    campaign: CampaignCard
    returned_on: date
    expires_on: date
    screened: bool  # the export said in person, not immediate: no screening questions
    live: bool  # the counter and its unit are live and the campaign runs today
    used: str | None  # what its one answer came to, if it has been answered


def link_entry(token: str, day: date) -> LinkEntry | None:
    """The link a token stands for, or None (a made-up or mistyped token)."""
    token = token.upper()
    if not valid_token(token):
        return None
    with db.engine.connect() as conn:  # Core on a pooled connection, as entry() reads
        row = conn.execute(_link_query(), {
            "token_hash": token_hash(token), "answer": ticket_digest(answer_ticket(token)),
            "day": day}).first()
    if row is None:
        return None
    counter = CounterCard(id=row.counter_id, code=row.code, name=row.name,
                          operator=row.operator, unit=UnitCard(row.unit_name), hours="")
    campaign = CampaignCard(id=row.campaign_id, questionnaire_id=row.questionnaire_id,
                            questionnaire=QuestionnaireCard(_definition(row.questionnaire_id)))
    return LinkEntry(token_hash=row.token_hash, counter_id=row.counter_id, counter=counter,
                     campaign=campaign, returned_on=row.returned_on,
                     expires_on=row.expires_on, screened=row.screened,
                     live=bool(row.live and row.running), used=row.used)


@cache
def _link_query():
    """The invitation, its counter and unit, whether they are live and its campaign runs on
    the day, and what its answer came to (responses.previous_outcome), in one statement."""
    return (select(Invitation.token_hash, Invitation.counter_id, Invitation.campaign_id,
                   Invitation.returned_on, Invitation.expires_on, Invitation.screened,
                   Counter.code, Counter.name, Counter.operator, Counter.live().label("live"),
                   Unit.name.label("unit_name"), Campaign.questionnaire_id,
                   Campaign.runs_on(bindparam("day", type_=Date)).label("running"),
                   outcome_sql(bindparam("answer")).label("used"))
            .join(Counter, Counter.id == Invitation.counter_id)
            .join(Unit, Unit.id == Counter.unit_id)
            .join(Campaign, Campaign.id == Invitation.campaign_id)
            .where(Invitation.token_hash == bindparam("token_hash")))


LINK_MARK = "\x00link\x00"


def link_skeleton_key(link: LinkEntry, locale: str) -> tuple:
    return ("link", link.campaign.questionnaire_id, locale, bool(link.counter.operator),
            link.screened)


def link_page(link: LinkEntry, locale: str, action: str, csrf_token: str) -> str | None:
    """The blank form a link's citizen gets, sent to `action`; None if its skeleton is not
    rendered yet in this process (keep_skeleton with link_skeleton_key, LINK_MARK where the
    form's action goes)."""
    skeleton = _skeletons().get(link_skeleton_key(link, locale))
    if skeleton is None:
        return None
    page = _with_counter(skeleton, link.counter).replace(LINK_MARK, escape(action))
    return fill(page, csrf_token, issue_ticket(link.counter_id))


def forget(code: str | None = None) -> None:
    """Drop one code's entry (its POST found it no longer live), or all of them."""
    if code is None:
        _entries().clear()
    else:
        _entries().pop(normalise_code(code), None)


def fill(page: str, csrf_token: str, ticket: str) -> str:
    return page.replace(CSRF_MARK, csrf_token).replace(TICKET_MARK, ticket)


def form_page(found: CodeEntry, locale: str, csrf_token: str) -> str | None:
    """The blank form a scan gets, filled with this scan's CSRF token and a new ticket; None
    if its skeleton is not rendered yet in this process. The view (routes.entry) and the
    lean path (lean.py) both serve it, so a phone gets the same page either way."""
    page = found.pages.get(("form", locale))
    if page is None:
        skeleton = _skeletons().get(skeleton_key(found, locale))
        if skeleton is None:
            return None
        page = found.pages[("form", locale)] = _with_counter(skeleton, found.counter)
    return fill(page, csrf_token, issue_ticket(found.counter.id))


# --- one blank page per questionnaire and language, for every counter ----------------------
# Why: rendering the form (~45 inputs) was most of a scan's CPU time, and real scans come to
# a different counter nearly every time (2,000 counters, a few scans each a day), so a page
# kept per code was rarely there. The page is rendered once per questionnaire version,
# language and "has an operator" with markers where the counter's words go; each code's page
# is that skeleton with its counter's words put in (escaped).
SKELETON_COUNTER = CounterCard(id=0, code="KHAOSATCODEMARK", name="\x00name\x00",
                               operator="\x00operator\x00", unit=UnitCard("\x00unit\x00"),
                               hours="")
_MARKS = re.compile("KHAOSATCODEMARK|\x00(name|operator|unit)\x00")


def skeleton_key(found: CodeEntry, locale: str) -> tuple:
    return (found.campaign.questionnaire_id, locale, bool(found.counter.operator))


def skeleton_counter(counter: CounterCard) -> CounterCard:
    """The marker counter a skeleton is rendered with (no operator if `counter` has none)."""
    if counter.operator:
        return SKELETON_COUNTER
    return CounterCard(id=0, code=SKELETON_COUNTER.code, name=SKELETON_COUNTER.name,
                       operator=None, unit=SKELETON_COUNTER.unit, hours="")


def keep_skeleton(key: tuple, render) -> None:
    """Render a skeleton once per process (`render()` runs in the view's request)."""
    held = _skeletons()
    if key not in held:
        held[key] = render()


def _skeletons() -> dict[tuple, str]:
    return current_app.extensions.setdefault("khaosat.skeletons", {})


def _with_counter(skeleton: str, counter: CounterCard) -> str:
    words = {"name": escape(counter.name), "unit": escape(counter.unit.name),
             "operator": escape(counter.operator or "")}
    return _MARKS.sub(lambda m: words[m.group(1)] if m.group(1) else counter.code, skeleton)


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
        forget()  # skeletons stay: a questionnaire version never changes
