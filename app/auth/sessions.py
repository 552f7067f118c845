"""Who is logged in: checking a password at login and loading the session's account."""

import time
from functools import cache

from flask import current_app, session
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from app.domain.accounts import hash_password
from app.extensions import db, login
from app.models import User


@cache
def _dummy_hash(method: str) -> str:
    """Checked when the username does not exist, so both cases cost the same time."""
    return hash_password("no such user, no such password")


def start_session() -> None:
    """Note when this login began and was last used (the staff cookie; never a citizen's)."""
    session["_since"] = session["_seen"] = int(time.time())


def _expired() -> bool:
    """Unused for STAFF_IDLE_MINUTES, or older than STAFF_SESSION_HOURS: log in again."""
    now, config = int(time.time()), current_app.config
    since, seen = session.get("_since", 0), session.get("_seen", 0)
    if (now - seen > config["STAFF_IDLE_MINUTES"] * 60
            or now - since > config["STAFF_SESSION_HOURS"] * 3600):
        return True
    session["_seen"] = now
    return False


@login.user_loader
def load_user(session_id: str) -> User | None:
    """The session's user, unless disabled, the session predates a logout or reset, or it
    has gone unused or lived too long."""
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit() or _expired():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active account with this username and password, or None (same cost either way)."""
    user = db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower())
    )
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user
