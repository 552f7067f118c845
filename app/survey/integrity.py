"""Keeping the answers honest without learning who gave them.

- A ticket in each form is signed by the server (counter, random nonce, the second it was
  issued) and usable once (UsedTicket keeps its hash): a made-up ticket, another counter's, or
  one sent sooner than SURVEY_MIN_SECONDS after the page opened is refused. The issue time
  lives in the form only; nothing about it is stored.
- One client may open and send only so many forms at one counter (SURVEY_OPEN_LIMIT,
  SURVEY_SUBMIT_LIMIT), counted on Flask-Limiter's storage (memory or Redis; a phone's first
  openings by the app process itself, FirstOpens) under a keyed hash of the address and the
  counter: the address is never stored or logged (ProxyFix, configured by
  TRUSTED_PROXY_HOPS, finds it behind a reverse proxy).
- A signed cookie on the phone says which counters it answered at today; the server stores
  nothing about it.
- What is refused, and what looks odd but is kept (more than SURVEY_BURST answers at a counter,
  SURVEY_IDENTICAL_RUN identical answer sets close together, more than SURVEY_ONE_PLACE
  answers from one address at one counter, answers outside the unit's opening hours), is
  counted per counter and day in integrity_day and shown on the reports.
"""

import hashlib
import hmac
import secrets
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import lru_cache

from flask import current_app, request, session
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from limits import parse_many
from limits.errors import StorageError
from limits.storage import RedisClusterStorage, RedisStorage
from redis.commands.core import Script
from redis.exceptions import RedisError

from app.clock import local_now
from app.db_setup import counting_upsert
from app.domain.org import parse_hours
from app.extensions import db, limiter
from app.models import IntegrityDay, Unit
from app.privacy import SURVEY_PREFIX

TICKET_OK = "ok"
TICKET_FORGED = "forged"  # not signed by us, or for another counter
TICKET_TOO_FAST = "too_fast"
TICKET_EXPIRED = "expired"
TICKET_MAX_AGE = 24 * 3600  # a citizen may leave the page open for hours

REFUSED_TICKET, REFUSED_FAST = "refused_ticket", "refused_fast"
REFUSED_LIMIT, REFUSED_REPEAT = "refused_limit", "refused_repeat"
BURST, IDENTICAL, OUTSIDE_HOURS = "bursts", "identical_runs", "outside_hours"
ONE_PLACE = "from_one_place"
COUNTS = (REFUSED_TICKET, REFUSED_FAST, REFUSED_LIMIT, REFUSED_REPEAT, BURST, IDENTICAL,
          OUTSIDE_HOURS, ONE_PLACE)
PRESSURE = "pressure_reports"  # citizens' reports (pressure_report), shown to Home Affairs only
QUARANTINED = "quarantined"  # answers set aside for review (quarantined_day)
FLAGS = (*COUNTS, PRESSURE, QUARANTINED)

ANSWERED_COOKIE = "khaosat_da_tra_loi"


def now_seconds() -> float:
    return time.time()


def _signer(salt: str) -> URLSafeSerializer:
    return _signer_for(current_app.config["SECRET_KEY"], salt)


@lru_cache(maxsize=16)
def _signer_for(secret: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=salt)  # built once: it runs on every scan


# --- tickets ------------------------------------------------------------------------------

def issue_ticket(counter_id: int) -> str:
    return _signer("survey-ticket").dumps(
        [counter_id, secrets.token_urlsafe(9), int(now_seconds())])


def csrf_token() -> str:
    """The form's CSRF token as flask_wtf.csrf.generate_csrf() makes it (a random value kept in
    the session, signed; Flask-WTF checks it when the form comes back), with the signer built
    once instead of per scan, where it cost ~5 % of the page's CPU time."""
    if "csrf_token" not in session:
        session["csrf_token"] = new_csrf_secret()
    return signed_csrf(session["csrf_token"])


def new_csrf_secret() -> str:
    return secrets.token_hex(20)  # as long as Flask-WTF's own


def signed_csrf(secret_token: str) -> str:
    """The session's CSRF value signed for the form, as Flask-WTF signs it."""
    key = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    return _csrf_signer(key).dumps(secret_token)


@lru_cache(maxsize=4)
def _csrf_signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token")


def check_ticket(ticket: str | None, counter_id: int) -> str:
    """TICKET_OK, or why this ticket cannot carry an answer now."""
    try:
        issued_for, _nonce, issued_at = _signer("survey-ticket").loads(ticket or "")
    except (BadSignature, ValueError, TypeError):
        return TICKET_FORGED
    if issued_for != counter_id:
        return TICKET_FORGED
    age = now_seconds() - issued_at
    if age > TICKET_MAX_AGE:
        return TICKET_EXPIRED
    if age < current_app.config["SURVEY_MIN_SECONDS"]:
        return TICKET_TOO_FAST
    return TICKET_OK


# --- per client, per counter --------------------------------------------------------------

def client_at_counter(address: str | None = None, code: str | None = None) -> str:
    """The limiter's key: a keyed hash of the client's address and the counter's code (this
    request's unless given), so not even the limiter's storage holds an address."""
    if address is None:
        address, code = request.remote_addr, (request.view_args or {}).get("code", "")
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"{address}|{code}".encode(),
                      hashlib.sha256)
    return "survey:" + digest.hexdigest()[:24]


def submit_limit() -> str:
    return current_app.config["SURVEY_SUBMIT_LIMIT"]


def within_limit(setting: str, address: str | None = None, code: str | None = None) -> bool:
    """Count one more survey page opened ("SURVEY_OPEN_LIMIT") or form sent
    ("SURVEY_SUBMIT_LIMIT") by this client at this counter (this request's unless given);
    False once over the limit. The survey counts on the limiter's storage itself:
    Flask-Limiter's decorator spent a quarter of a scan's CPU time resolving the same limit
    (bench/survey.py)."""
    if not limiter.enabled:
        return True
    hits = _per_client(setting, client_at_counter(address, code))
    if setting == "SURVEY_OPEN_LIMIT" and isinstance(limiter.limiter.storage, RedisStorage):
        hits = _first_opens_at_hand().pass_on(hits)
    return all(_hit_all(hits))


def _per_client(setting: str, client: str) -> list[tuple]:
    """One more against each window of a per-client limit: (limit, identifiers, cost)."""
    return [(item, (setting, client), 1) for item in _limits(current_app.config[setting])]


class FirstOpens:
    """The first FIRST_OPENS openings of a form by one client at one counter, counted by this
    process alone; only a client who opens it more often reaches the shared count (Redis),
    with the openings counted here added on. An honest phone opens a counter's form once or
    twice, so a scan costs no Redis round trip (~0.15 ms of CPU, a fifth of a scan); a
    client flooding the page is still stopped at SURVEY_OPEN_LIMIT, give or take
    FIRST_OPENS per app process it reaches. Sent forms are always counted in Redis exactly."""

    FIRST_OPENS = 2
    MAX_KEYS = 50_000  # ~10 MB at most; more clients than that in one window: start afresh

    def __init__(self):
        self._seen: dict[str, list] = {}  # limit key -> [window end, openings in it]
        self._lock = threading.Lock()

    def pass_on(self, hits: list[tuple]) -> list[tuple]:
        """Of one opening's (limit, identifiers, 1) hits, those for the shared count."""
        now = time.monotonic()
        shared = []
        with self._lock:
            if len(self._seen) > self.MAX_KEYS:
                self._seen = {k: v for k, v in self._seen.items() if v[0] > now}
                if len(self._seen) > self.MAX_KEYS:
                    self._seen.clear()
            for item, ids, _cost in hits:
                entry = self._seen.get(key := item.key_for(*ids))
                if entry is None or entry[0] <= now:  # a new window
                    entry = self._seen[key] = [now + item.get_expiry(), 0]
                entry[1] += 1
                at_hand = min(self.FIRST_OPENS, item.amount)
                if entry[1] > at_hand:  # shared from now on; the first time, with those before
                    shared.append((item, ids, entry[1] if entry[1] == at_hand + 1 else 1))
        return shared


def _first_opens_at_hand() -> FirstOpens:
    return current_app.extensions.setdefault("khaosat.first_opens", FirstOpens())


# limits' fixed window (its incr_expire.lua) for several keys at once: KEYS are the windows'
# keys, ARGV each window's expiry and amount in turn; returns each window's count.
_COUNT_ALL = """
local counts = {}
for i, key in ipairs(KEYS) do
  local amount = tonumber(ARGV[2 * i])
  local current = redis.call("incrby", key, amount)
  if current == amount then redis.call("expire", key, ARGV[2 * i - 1]) end
  counts[i] = current
end
return counts
"""


def _count_all_on(client) -> Script:
    """The script, registered with this app's Redis client once (redis-py loads it into Redis
    on first use, and again if Redis forgot it)."""
    held = current_app.extensions.get("khaosat.count_all")
    if held is None or held.registered_client is not client:
        held = current_app.extensions["khaosat.count_all"] = client.register_script(_COUNT_ALL)
    return held


def _hit_all(hits: list[tuple]) -> list[bool]:
    """Count each (limit, identifiers, cost) and say for each whether it is still within its
    limit. On Redis one script counts them all in one command (a round trip through limits
    and redis-py costs ~0.15 ms of CPU: five of them were a third of a sent form); the keys
    and the counting are limits' own fixed window, so Flask-Limiter and limiter.reset() see
    the same counts. If the storage cannot be reached the survey goes on uncounted: a
    citizen's answer matters more than a limit for a few minutes."""
    if not hits:  # a phone's first openings (FirstOpens): nothing to send
        return []
    strategy = limiter.limiter
    storage = strategy.storage
    try:
        # A cluster would refuse keys of several slots in one script: counted one by one.
        if not isinstance(storage, RedisStorage) or isinstance(storage, RedisClusterStorage):
            return [strategy.hit(item, *ids, cost=cost) for item, ids, cost in hits]
        counts = _count_all_on(storage.get_connection())(
            keys=[storage.prefixed_key(item.key_for(*ids)) for item, ids, _cost in hits],
            args=[value for item, _ids, cost in hits for value in (item.get_expiry(), cost)])
        return [int(count) <= item.amount
                for count, (item, _ids, _cost) in zip(counts, hits, strict=True)]
    except (StorageError, RedisError):
        current_app.logger.warning("The survey's limits could not be counted (limit storage "
                                   "unreachable); the page was served uncounted.")
        return [True] * len(hits)


# --- the phone's own memory ---------------------------------------------------------------

def answered_here_today(counter_id: int, day: date) -> bool:
    cookie = request.cookies.get(ANSWERED_COOKIE)
    if not cookie:  # most scans: a phone that has not answered here today
        return False
    try:
        data = _signer("answered-today").loads(cookie)
    except BadSignature:
        return False
    return data.get("d") == day.isoformat() and counter_id in data.get("c", [])


def remember_answer(response, counter_id: int, day: date) -> None:
    """Tell the phone (only the phone) that it answered at this counter today."""
    counters = [counter_id]
    try:
        data = _signer("answered-today").loads(request.cookies.get(ANSWERED_COOKIE, ""))
        if data.get("d") == day.isoformat():
            counters = sorted(set(data.get("c", [])) | {counter_id})
    except BadSignature:
        pass
    midnight = datetime.combine(day + timedelta(days=1), clock_time(), local_now().tzinfo)
    response.set_cookie(
        ANSWERED_COOKIE, _signer("answered-today").dumps({"d": day.isoformat(), "c": counters}),
        max_age=max(60, int((midnight - local_now()).total_seconds())),
        path=SURVEY_PREFIX, httponly=True, samesite="Lax",
        secure=current_app.config["KHAOSAT_ENV"] == "production")


# --- odd but kept -------------------------------------------------------------------------

def count_sent(counter, answers: dict[str, int] | None) -> tuple[bool, list[str]]:
    """Count one more form sent by this client at this counter (SURVEY_SUBMIT_LIMIT) and,
    for a completed answer about to be stored (`answers`), what is odd about it (it is kept
    anyway): one round trip to the limits' storage for both. Returns (within the limit?,
    flags). `counter` has the counter's id and opening hours (lookup.CounterCard)."""
    flags = []
    if answers is not None and not is_open(counter.hours, local_now()):
        flags.append(OUTSIDE_HOURS)
    if not limiter.enabled:  # RATELIMIT_ENABLED=False: no counting storage to read
        return True, flags
    config, client = current_app.config, client_at_counter()
    sent = _per_client("SURVEY_SUBMIT_LIMIT", client)
    checks = []
    if answers is not None:
        same = hashlib.sha256(repr(sorted(answers.items())).encode()).hexdigest()[:16]
        checks = [(BURST, item, ("survey-burst", str(counter.id)))
                  for item in _limits(config["SURVEY_BURST"])]
        checks.append((IDENTICAL,
                       _limits(f"{config['SURVEY_IDENTICAL_RUN'] - 1} per 10 minutes")[0],
                       ("survey-same", str(counter.id), same)))
        checks += [(ONE_PLACE, item, ("survey-place", client))
                   for item in _limits(config["SURVEY_ONE_PLACE"])]
    within = _hit_all(sent + [(item, ids, 1) for _flag, item, ids in checks])
    # Every window counts the answer; one past its limit raises its flag.
    past = {flag for (flag, _item, _ids), ok in zip(checks, within[len(sent):], strict=True)
            if not ok}
    return all(within[:len(sent)]), flags + [f for f in (BURST, IDENTICAL, ONE_PLACE)
                                             if f in past]


@lru_cache(maxsize=32)
def _limits(text: str) -> list:
    return parse_many(text)


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


# --- counting -----------------------------------------------------------------------------

def count(counter_id: int, day: date, *names: str, conn=None) -> None:
    """Add one to each named count of the counter's day (in the caller's transaction: on
    `conn`, else the session's)."""
    for name in names:
        if name not in COUNTS:
            raise ValueError(f"unknown integrity count {name!r}")
        (conn or db.session).execute(
            counting_upsert(db.engine.dialect.name, IntegrityDay, ("counter_id", "day"), (name,)),
            {"counter_id": counter_id, "day": day, name: 1})
