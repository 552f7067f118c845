"""How many forms one client may open and send at one counter, and what looks odd.

One client may open and send only so many forms at one counter (SURVEY_OPEN_LIMIT,
SURVEY_SUBMIT_LIMIT), counted on Flask-Limiter's storage (memory or Redis; a phone's first
openings by the app process itself, FirstOpens) under a keyed hash of the address and the
counter: the address is never stored or logged (ProxyFix, configured by TRUSTED_PROXY_HOPS,
finds it behind a reverse proxy). What looks odd but is kept (more than SURVEY_BURST answers
at a counter, SURVEY_IDENTICAL_RUN identical answer sets close together, more than
SURVEY_ONE_PLACE answers from one address at one counter, answers outside the unit's opening
hours) is counted with the answer (domain/integrity.py names the counts).
"""

import hashlib
import hmac
import threading
import time
from functools import lru_cache

from flask import current_app, request
from limits import parse_many
from limits.errors import StorageError
from limits.storage import RedisClusterStorage, RedisStorage
from redis.commands.core import Script
from redis.exceptions import RedisError

from app.clock import local_now
from app.domain.codes import normalise_code
from app.domain.integrity import BURST, IDENTICAL, ONE_PLACE, OUTSIDE_HOURS, is_open
from app.extensions import limiter

# --- per client, per counter --------------------------------------------------------------

def client_at_counter(address: str | None = None, code: str | None = None) -> str:
    """The limiter's key: a keyed hash of the client's address and the counter's code (this
    request's unless given), so not even the limiter's storage holds an address. The code as
    the lookup reads it (codes.normalise_code): `/q/x-bnb3kx6` and `/q/XBNB3KX6` are one
    counter and share its limits; anything that cannot be a code shares one key."""
    if address is None:
        address, code = request.remote_addr, (request.view_args or {}).get("code", "")
    counter = normalise_code(code or "") or "-"
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(),
                      f"{address}|{counter}".encode(), hashlib.sha256)
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
    ids = _under_prefix(setting, client)
    return [(item, ids, 1) for item in _limits(current_app.config[setting])]


def _under_prefix(*parts: str) -> tuple[str, ...]:
    """A limit's identifiers under this deployment's RATELIMIT_KEY_PREFIX, as Flask-Limiter
    prefixes the login's: two deployments sharing one Redis keep their counts apart."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    return (prefix, *parts) if prefix else parts


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


# --- odd but kept -------------------------------------------------------------------------

def count_sent(counter, answers: dict[str, int] | None, *,
               invited: bool = False) -> tuple[bool, list[str]]:
    """Count one more form sent by this client at this counter (SURVEY_SUBMIT_LIMIT) and,
    for a completed answer about to be stored (`answers`), what is odd about it (it is kept
    anyway): one round trip to the limits' storage for both. Returns (within the limit?,
    flags). `counter` has the counter's id and opening hours (lookup.CounterCard).

    An invitation's form (`invited`) answers once by its link, from home, at any hour: no
    per-address limit or "from one place" count holds it against a household with several
    invitations, and no opening hours; bursts and identical runs at the counter still count."""
    flags = []
    if answers is not None and not invited and not is_open(counter.hours, local_now()):
        flags.append(OUTSIDE_HOURS)
    if not limiter.enabled:  # RATELIMIT_ENABLED=False: no counting storage to read
        return True, flags
    config, client = current_app.config, client_at_counter()
    sent = [] if invited else _per_client("SURVEY_SUBMIT_LIMIT", client)
    checks = []
    if answers is not None:
        same = hashlib.sha256(repr(sorted(answers.items())).encode()).hexdigest()[:16]
        checks = [(BURST, item, _under_prefix("survey-burst", str(counter.id)))
                  for item in _limits(config["SURVEY_BURST"])]
        checks.append((IDENTICAL,
                       _limits(f"{config['SURVEY_IDENTICAL_RUN'] - 1} per 10 minutes")[0],
                       _under_prefix("survey-same", str(counter.id), same)))
        if not invited:
            checks += [(ONE_PLACE, item, _under_prefix("survey-place", client))
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
