"""Invitations by SMS: which returned dossiers get a one-time survey link, and why the others
do not. The phone number is used to send and then forgotten: nothing here stores it.

This module decides who is invited (`preview`); the rows come from the one-stop system's
export (app/invitations/dossier_files.py) or its JSON posts.
"""

import re
from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.domain.campaigns import active_campaign_for
from app.domain.codes import plain_key
from app.models import Campaign, Counter

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
REASONS = (UNREADABLE, ONLINE_CASE, POSTAL_CASE, IMMEDIATE_CASE, NO_PHONE, INVALID_PHONE,
           DUPLICATE_PHONE, OUT_OF_SCOPE, NO_CAMPAIGN, NOT_YET, TOO_OLD)

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
        if reason is not None:
            result.leave_out(row, reason)
            continue
        phones.add(row.phone)
        result.invitees.append(Invitee(
            counter=counter, campaign=campaigns[counter.id, row.returned_on],
            returned_on=row.returned_on, phone=row.phone, dossier=row.dossier,
            channel_known=row.channel == IN_PERSON and row.immediate is False))
    return result


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
