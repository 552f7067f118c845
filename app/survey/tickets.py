"""A form's one-time ticket, its CSRF token, and the phone's memory of where it answered.

- A ticket in each form is signed by the server (counter, random nonce, the second it was
  issued) and usable once (UsedTicket keeps its hash, domain/responses.py): a made-up ticket,
  another counter's, or one sent sooner than SURVEY_MIN_SECONDS after the page opened is
  refused. The issue time lives in the form only; nothing about it is stored.
- The CSRF token is Flask-WTF's, made with a signer built once (tests/test_framework_copies.py
  compares it with Flask-WTF's own).
- A signed cookie on the phone says which counters it answered at today; the server stores
  nothing about it.
"""

import math
import secrets
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import lru_cache

from flask import current_app, g, request, session
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from app.clock import local_now
from app.privacy import SURVEY_PREFIX

TICKET_OK = "ok"
TICKET_FORGED = "forged"  # not signed by us, or for another counter
TICKET_TOO_FAST = "too_fast"
TICKET_EXPIRED = "expired"
TICKET_MAX_AGE = 24 * 3600  # a citizen may leave the page open for hours

ANSWERED_COOKIE = "khaosat_da_tra_loi"


def now_seconds() -> float:
    return time.time()


def _signer(salt: str) -> URLSafeSerializer:
    return _signer_for(current_app.config["SECRET_KEY"], salt)


@lru_cache(maxsize=16)
def _signer_for(secret: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=salt)  # built once: it runs on every scan


def issue_ticket(counter_id: int) -> str:
    return _signer("survey-ticket").dumps(
        [counter_id, secrets.token_urlsafe(9), int(now_seconds())])


def csrf_token() -> str:
    """The form's CSRF token as flask_wtf.csrf.generate_csrf() makes it (a random value kept in
    the session under WTF_CSRF_FIELD_NAME, signed; Flask-WTF checks it when the form comes
    back), with the signer built once instead of per scan, where it cost ~5 % of the page's
    CPU time. Copied from Flask-WTF 1.3.0 (pinned); tests/test_framework_copies.py compares."""
    name = csrf_session_key()
    if name not in g:
        if name not in session:
            session[name] = new_csrf_secret()
        setattr(g, name, signed_csrf(session[name]))
    return g.get(name)


def csrf_session_key() -> str:
    """Where Flask-WTF keeps the CSRF value in the session (and names the form's field)."""
    return current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"


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


def seconds_to_wait(ticket: str | None) -> int:
    """How many more seconds a form sent too fast must wait before its ticket carries it
    (at least 1), for the page to say so."""
    try:
        issued_at = _signer("survey-ticket").loads(ticket or "")[2]
    except (BadSignature, ValueError, TypeError, IndexError):
        return current_app.config["SURVEY_MIN_SECONDS"]
    left = current_app.config["SURVEY_MIN_SECONDS"] - (now_seconds() - issued_at)
    return max(1, math.ceil(left))


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
