"""Invitations by SMS: which returned dossiers get a one-time survey link, and why the others
do not. The phone number is used to send and then forgotten: nothing here stores it.

This module decides who is invited (`preview`); the rows come from the one-stop system's
export (app/invitations/dossier_files.py) or its JSON posts.
"""

import hashlib
import hmac
import random
import re
import secrets
import unicodedata
from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, select, update

from app.db_setup import counting_upsert
from app.domain.audit import log_change
from app.domain.campaigns import active_campaign_for
from app.domain.codes import ALPHABET, plain_key
from app.extensions import db
from app.models import (
    Campaign,
    Counter,
    Invitation,
    InvitationBatch,
    InvitationDay,
    InvitedDossier,
    Unit,
    User,
)
from app.privacy import INVITATION_PREFIX

TOKEN_LENGTH = 12  # Crockford base32: 60 random bits, and a link that fits one SMS
SMS_LENGTH = 160  # one GSM-7 message
# Submission channels as the one-stop systems name them (lower-case, without diacritics).
IN_PERSON, ONLINE, POSTAL = "in_person", "online", "postal"
CHANNELS = {
    "truc_tiep": IN_PERSON, "tai_quay": IN_PERSON, "nop_truc_tiep": IN_PERSON,
    "in_person": IN_PERSON, "counter": IN_PERSON,
    "truc_tuyen": ONLINE, "online": ONLINE, "dich_vu_cong": ONLINE, "dvc": ONLINE,
    "nop_truc_tuyen": ONLINE, "qua_mang": ONLINE,
    "buu_chinh": POSTAL, "buu_dien": POSTAL, "qua_buu_chinh": POSTAL, "postal": POSTAL,
    "post": POSTAL, "buu_chinh_cong_ich": POSTAL,
}
YES = {"co", "x", "1", "true", "yes", "tra_ngay", "y"}
NO = {"", "khong", "0", "false", "no", "n"}

# Why a row gets no invitation, in the order the preview lists them.
UNREADABLE = "unreadable"
ONLINE_CASE, POSTAL_CASE, IMMEDIATE_CASE = "online", "postal", "immediate"
NO_PHONE, INVALID_PHONE, DUPLICATE_PHONE = "no_phone", "invalid_phone", "duplicate_phone"
OUT_OF_SCOPE, NO_CAMPAIGN = "out_of_scope", "no_campaign"
NOT_YET, TOO_OLD = "not_yet_returned", "returned_too_long_ago"
ALREADY_INVITED = "already_invited"
REASONS = (UNREADABLE, ONLINE_CASE, POSTAL_CASE, IMMEDIATE_CASE, NO_PHONE, INVALID_PHONE,
           DUPLICATE_PHONE, OUT_OF_SCOPE, NO_CAMPAIGN, NOT_YET, TOO_OLD, ALREADY_INVITED)

# Why a row invites nobody, in words: the preview, a batch's page and the audit log say it.
REASON_TEXTS = {
    UNREADABLE: _l("dòng không đọc được"),
    ONLINE_CASE: _l("nộp trực tuyến"),
    POSTAL_CASE: _l("nộp qua bưu chính"),
    IMMEDIATE_CASE: _l("trả ngay khi nộp"),
    NO_PHONE: _l("không có số điện thoại"),
    INVALID_PHONE: _l("số điện thoại không phải di động Việt Nam"),
    DUPLICATE_PHONE: _l("số điện thoại trùng với dòng trước trong tệp"),
    OUT_OF_SCOPE: _l("quầy không có hoặc ngoài phạm vi của bạn"),
    NO_CAMPAIGN: _l("quầy không trong đợt khảo sát đang chạy"),
    NOT_YET: _l("ngày trả ở tương lai"),
    TOO_OLD: _l("trả quá lâu trước đây"),
    ALREADY_INVITED: _l("đã được mời cho hồ sơ này"),
}

# Vietnamese mobile numbers: 0 or 84 (+84), then 3, 5, 7, 8 or 9 and eight more digits.
_MOBILE = re.compile(r"(?:\+?84|0)([35789]\d{8})")


def normalise_phone(raw: object) -> str | None:
    """A mobile number as 84xxxxxxxxx (what gateways take), or None when it is not one."""
    text = re.sub(r"[\s.\-()]", "", str(raw or ""))
    if isinstance(raw, int | float) and not isinstance(raw, bool):  # a spreadsheet ate the 0
        text = "0" + str(int(raw))
    found = _MOBILE.fullmatch(text)
    return "84" + found[1] if found else None


def channel_of(raw: object) -> str | None:
    """The submission channel a cell names, or None when the cell says nothing we know."""
    key = plain_key(raw)
    return CHANNELS.get(key) if key else None


def immediate_of(raw: object) -> bool | None:
    """Whether a cell says the result was returned on submission (None: unreadable)."""
    key = plain_key(raw)
    return True if key in YES else False if key in NO else None


@dataclass(frozen=True)
class ReturnedDossier:
    """One returned dossier as the export gives it; `problem` when its row cannot be read."""

    number: int  # the row number in the file (or the position in a JSON post)
    returned_on: date | None = None
    counter_code: str = ""  # as normalise_code() spells it, when it can be a code
    phone: str | None = None  # normalised; never stored
    phone_given: bool = False
    channel: str | None = None
    immediate: bool | None = None
    dossier: str = ""  # the one-stop system's dossier number, when the export has it
    problem: str | None = None


@dataclass(frozen=True)
class Invitee:
    """A citizen to invite: where and when the result was returned, and the number to text."""

    counter: Counter
    campaign: Campaign
    returned_on: date
    phone: str
    dossier: str
    channel_known: bool  # the export said in person and not immediate: no screening needed

    @property
    def key_hash(self) -> str:
        """What InvitedDossier keeps of this invitation (see there)."""
        what = self.dossier or self.phone
        return _keyed("invited-dossier", f"{self.counter.id}|{self.returned_on}|{what}")


@dataclass
class Preview:
    """What a batch comes to before anything is sent: rows read, rows left out by reason
    (with the first few row numbers of each), and who is invited, per counter."""

    rows: int = 0
    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    examples: dict[str, list[int]] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)  # rows that cannot be read
    invitees: list[Invitee] = field(default_factory=list)

    @property
    def per_counter(self) -> list[tuple[Counter, int]]:
        counts = Tally(i.counter.id for i in self.invitees)
        seen: dict[int, Counter] = {i.counter.id: i.counter for i in self.invitees}
        return sorted(((seen[cid], n) for cid, n in counts.items()),
                      key=lambda pair: (pair[0].unit.path, pair[0].name))

    def leave_out(self, row: ReturnedDossier, reason: str) -> None:
        self.excluded[reason] += 1
        if reason == UNREADABLE and len(self.problems) < 20:
            self.problems.append((row.number, row.problem))
        examples = self.examples.setdefault(reason, [])
        if len(examples) < 5:
            examples.append(row.number)


def preview(rows: list[ReturnedDossier], *, counters: dict[str, Counter], today: date,
            within_days: int) -> Preview:
    """Who of these returned dossiers is invited, and why the others are not.

    `counters`: code → live counter the uploader may invite for; a result returned more than
    `within_days` ago (or not yet) is left out. A phone appears once per batch; online,
    postal and immediate cases are screened out as the survey's own questions would."""
    result = Preview(rows=len(rows))
    phones: set[str] = set()
    campaigns: dict[tuple[int, date], Campaign | None] = {}
    invited = _already_invited(rows, counters)
    for row in rows:
        reason = _reason(row, counters, today, within_days)
        counter = counters.get(row.counter_code)
        if reason is None:
            key = (counter.id, row.returned_on)
            if key not in campaigns:
                campaigns[key] = active_campaign_for(counter, row.returned_on)
            campaign = campaigns[key]
            if campaign is None or not (campaign.status == "active"
                                        and campaign.starts_on <= today <= campaign.ends_on):
                reason = NO_CAMPAIGN  # a link must lead to a survey that still runs
        if reason is None and row.phone in phones:
            reason = DUPLICATE_PHONE
        invitee = None if reason else Invitee(
            counter=counter, campaign=campaigns[counter.id, row.returned_on],
            returned_on=row.returned_on, phone=row.phone, dossier=row.dossier,
            channel_known=row.channel == IN_PERSON and row.immediate is False)
        if invitee is not None and invitee.key_hash in invited:
            reason = ALREADY_INVITED
        if reason is not None:
            result.leave_out(row, reason)
            continue
        phones.add(row.phone)
        result.invitees.append(invitee)
    return result


def _keyed(purpose: str, text: str) -> str:
    """A keyed hash: without the server's secret it cannot be made, nor turned back."""
    key = hashlib.sha256(f"{purpose}|{current_app.config['SECRET_KEY']}".encode()).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _already_invited(rows: list[ReturnedDossier], counters: dict[str, Counter]) -> set[str]:
    """The key hashes of these rows that an earlier batch invited for."""
    keys = set()
    for row in rows:
        counter = counters.get(row.counter_code)
        if counter is not None and row.problem is None and row.phone:
            what = row.dossier or row.phone
            keys.add(_keyed("invited-dossier", f"{counter.id}|{row.returned_on}|{what}"))
    found: set[str] = set()
    listed = sorted(keys)
    for start in range(0, len(listed), 500):
        found.update(db.session.scalars(select(InvitedDossier.key_hash).where(
            InvitedDossier.key_hash.in_(listed[start:start + 500]))))
    return found


def _reason(row: ReturnedDossier, counters: dict[str, Counter], today: date,
            within_days: int) -> str | None:
    """Why the row is left out, campaign and duplicates aside; None if it is not."""
    if row.problem is not None:
        return UNREADABLE
    if row.channel == ONLINE:
        return ONLINE_CASE
    if row.channel == POSTAL:
        return POSTAL_CASE
    if row.immediate:
        return IMMEDIATE_CASE
    if not row.phone_given:
        return NO_PHONE
    if row.phone is None:
        return INVALID_PHONE
    if row.counter_code not in counters:
        return OUT_OF_SCOPE
    if row.returned_on > today:
        return NOT_YET
    if row.returned_on < today - timedelta(days=within_days):
        return TOO_OLD
    return None


@dataclass(frozen=True)
class Outgoing:
    """One text to send: the number and the message. Lives only in the request and in the
    queue's job until it is sent (or given up); `counter_id` and `day` count it."""

    phone: str
    text: str
    counter_id: int
    campaign_id: int
    day: date


def new_token() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LENGTH))


def token_hash(token: str) -> str:
    """What the invitation row keeps of a token (the link itself is never stored)."""
    return hashlib.sha256(f"invitation|{token}".encode()).hexdigest()


def invitation_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}{INVITATION_PREFIX}{token}"


def sms_text(unit_name: str, returned_on: date, url: str, expires_on: date) -> str:
    """The invitation as one GSM-7 message (Vietnamese without diacritics, as brandname SMS
    are): the name of the unit that returned the result is shortened until the whole fits
    SMS_LENGTH."""
    template = current_app.config["INVITATION_SMS_TEXT"]
    unit = gsm_plain(unit_name)
    while True:
        text = gsm_plain(template.format(unit=unit, day=f"{returned_on:%d/%m}", link=url,
                                         expires=f"{expires_on:%d/%m}"))
        if len(text) <= SMS_LENGTH or not unit:  # (never cut the link: two parts, then)
            return text
        unit = unit[:-1].rstrip()


def gsm_plain(text: str) -> str:
    """Text without diacritics ("đ" as "d"), in the characters every phone shows."""
    plain = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return "".join(ch if ch.isascii() and ch.isprintable() else " " for ch in plain)


def confirm_batch(result: Preview, *, unit: Unit, actor: User | str, source: str,
                  filename: str, today: date) -> tuple[InvitationBatch, list[Outgoing]]:
    """Make the previewed invitations: a batch row (counts only), a token per invitee (kept
    hashed, in random order: nothing follows the file's order), the dossiers' keyed hashes,
    an audit event; and the texts to queue once the caller has committed. Flushes."""
    config = current_app.config
    expires_on = today + timedelta(days=config["INVITATION_VALID_DAYS"] - 1)
    batch = InvitationBatch(
        id=secrets.token_hex(16), unit=unit, user_id=actor.id if isinstance(actor, User)
        else None, source=source, filename=filename[:200], created_at=datetime.now(UTC),
        rows=result.rows, excluded={r: n for r, n in result.excluded.items() if n},
        to_send=len(result.invitees), sent=0, failed=0, failures={}, over_budget=0)
    db.session.add(batch)
    invitees = list(result.invitees)
    random.SystemRandom().shuffle(invitees)
    outgoing = []
    for invitee in invitees:
        token = new_token()
        db.session.add(Invitation(
            token_hash=token_hash(token), counter_id=invitee.counter.id,
            campaign_id=invitee.campaign.id, returned_on=invitee.returned_on,
            expires_on=expires_on, screened=invitee.channel_known, opened=False))
        db.session.add(InvitedDossier(key_hash=invitee.key_hash,
                                      returned_on=invitee.returned_on))
        outgoing.append(Outgoing(
            phone=invitee.phone, counter_id=invitee.counter.id,
            campaign_id=invitee.campaign.id, day=invitee.returned_on,
            text=sms_text(invitee.counter.unit.name, invitee.returned_on,
                          invitation_url(token), expires_on)))
    log_change(actor=actor, action="invite", object_type="invitation_batch",
               object_id=batch.id, unit=unit,
               after={"file": filename[:200], "rows": result.rows, "to_send": batch.to_send,
                      "excluded": batch.excluded})
    db.session.flush()
    return batch, outgoing


# What became of each text, counted (never which number): on the batch, and on the counter's
# return day for the funnel.
SENT, FAILED, OVER_BUDGET = "sent", "failed", "over_budget"


def count_outcome(batch_id: str, counter_id: int, day: date, outcome: str,
                  reason: str = "") -> None:
    """Count one text's outcome on its batch (and, sent or failed, on the funnel). Flushes."""
    column = {SENT: InvitationBatch.sent, FAILED: InvitationBatch.failed,
              OVER_BUDGET: InvitationBatch.over_budget}[outcome]
    db.session.execute(update(InvitationBatch).where(InvitationBatch.id == batch_id)
                       .values({column: column + 1}))
    if outcome == FAILED:
        batch = db.session.get(InvitationBatch, batch_id, with_for_update=True)
        batch.failures = {**batch.failures, reason: batch.failures.get(reason, 0) + 1}
    if outcome in (SENT, FAILED):
        count_funnel(counter_id, day, **{outcome: 1})
    db.session.flush()


def count_funnel(counter_id: int, day: date, **counts: int) -> None:
    """Add to a counter's invitation funnel of a return day (one statement, the row made if
    missing): a text sent or failed, or the demo's made-up history at once. Flushes."""
    stmt = counting_upsert(db.engine.dialect.name, InvitationDay, ("counter_id", "day"),
                           tuple(counts))
    db.session.execute(stmt, {"counter_id": counter_id, "day": day, **counts})
    db.session.flush()


def take_from_budget(campaign_id: int) -> bool:
    """One text's worth of the campaign's SMS budget, if any is left (no budget: always).
    One statement, so two workers never both take the last one. Flushes."""
    taken = db.session.execute(
        update(Campaign).where(Campaign.id == campaign_id,
                               (Campaign.sms_budget.is_(None))
                               | (Campaign.sms_sent < Campaign.sms_budget))
        .values(sms_sent=Campaign.sms_sent + 1).returning(Campaign.id)).first()
    return taken is not None


def give_back_to_budget(campaign_id: int) -> None:
    """A text taken from the budget but not sent."""
    db.session.execute(update(Campaign).where(Campaign.id == campaign_id)
                       .values(sms_sent=Campaign.sms_sent - 1))


# --- the citizen's side -------------------------------------------------------------------

# The inbox's mark on a completed form that came through an invitation: the move counts it
# as answered on the invitation's counter and day (domain/inbox.py), not as an oddity.
INVITED = "invitation"
LIVE, EXPIRED = "live", "expired"
_TOKEN = re.compile(f"[{ALPHABET}]{{{TOKEN_LENGTH}}}")


def valid_token(token: str) -> bool:
    """Whether `token` (upper case) is spelled as new_token() spells them."""
    return _TOKEN.fullmatch(token) is not None


def state_of(invitation: Invitation, today: date) -> str:
    """LIVE while the link answers (through its expires_on), else EXPIRED."""
    return LIVE if today <= invitation.expires_on else EXPIRED


def answer_ticket(token: str) -> str:
    """What an invitation's one answer is recorded under (as a sticker's form's ticket is):
    one answer per link, across every app server (the inbox's and used_ticket's unique key)."""
    return f"invitation:{token.upper()}"


def mark_opened(invitation) -> None:
    """Count the link's first opening on its counter and return day (later ones are not
    counted: the funnel counts people). One statement decides which opening is the first. A
    transaction of its own, in Core on a pooled connection: a link's page is as hot a path as
    a sticker's."""
    with db.engine.begin() as conn:
        first = conn.execute(_first_opening(), {"link": invitation.token_hash}).first()
        if first is not None:
            conn.execute(counting_upsert(conn.dialect.name, InvitationDay, ("counter_id", "day"),
                                         ("opened",)),
                         {"counter_id": invitation.counter_id, "day": invitation.returned_on,
                          "opened": 1})


@cache
def _first_opening():
    table = Invitation.__table__
    return (update(table).where(table.c.token_hash == bindparam("link"),
                                table.c.opened.is_(False))
            .values(opened=True).returning(table.c.token_hash))


def count_answered(conn, counts: dict[tuple[int, date], int]) -> None:
    """Add answered invitations per (counter, return day), on the inbox move's connection."""
    stmt = counting_upsert(conn.dialect.name, InvitationDay, ("counter_id", "day"),
                           ("answered",))
    for (counter_id, day), n in counts.items():
        conn.execute(stmt, {"counter_id": counter_id, "day": day, "answered": n})


LINKS_KEPT_DAYS = 30  # an expired link still says "expired" (not "unknown") this long


def purge_old(today: date) -> tuple[int, int]:
    """Drop links expired more than LINKS_KEPT_DAYS ago, and the dossier keys of returns no
    upload may name any more (older than INVITATION_RETURNED_WITHIN_DAYS). Flushes."""
    links = db.session.execute(delete(Invitation).where(
        Invitation.expires_on < today - timedelta(days=LINKS_KEPT_DAYS))).rowcount
    within = current_app.config["INVITATION_RETURNED_WITHIN_DAYS"]
    keys = db.session.execute(delete(InvitedDossier).where(
        InvitedDossier.returned_on < today - timedelta(days=within))).rowcount
    return links, keys
