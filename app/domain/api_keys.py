"""API keys: another system's login (`Authorization: Bearer <key>`), for one purpose within
one unit's subtree. The key is shown once, when it is made; only its SHA-256 is kept (a key
is 256 random bits, so a plain hash cannot be searched back). Made and revoked by an admin of
the unit, audited."""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.domain import DomainError
from app.domain.audit import log_change
from app.extensions import db
from app.models import ApiKey, Unit, User

# What a key may do. Each endpoint names the purpose it needs (app/api/).
PURPOSES = {
    "invitations": _l("Mời qua SMS: gửi hồ sơ đã trả"),
    "reports": _l("Báo cáo: đọc số liệu (chỉ đọc)"),
}
KEY_PREFIX = "khs_"  # so a key pasted somewhere by mistake can be recognised and revoked
SHOWN_PREFIX = 12  # characters of the key kept in clear, to tell keys apart in the list
TOUCH_EVERY = timedelta(minutes=5)  # last_used_at is written at most this often


class ApiKeyError(DomainError):
    """A key that cannot be made as asked; the message is for the admin."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(*, name: str, purpose: str, unit: Unit, actor: User) -> tuple[ApiKey, str]:
    """A new key and its secret (to show once). Flushes; the caller commits."""
    name = name.strip()
    if not name:
        raise ApiKeyError(_("Đặt tên cho khoá (hệ thống nào dùng nó)."))
    if purpose not in PURPOSES:
        raise ApiKeyError(_("Không có quyền “%(purpose)s” cho khoá.", purpose=purpose))
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name[:120], purpose=purpose, unit=unit, prefix=secret[:SHOWN_PREFIX],
                 key_hash=_hash(secret), created_by_id=actor.id,
                 created_at=datetime.now(UTC))
    db.session.add(key)
    db.session.flush()
    log_change(actor=actor, action="create", object_type="api_key", object_id=key.id,
               unit=unit, after={"name": key.name, "purpose": purpose, "prefix": key.prefix})
    return key, secret


def revoke_key(key: ApiKey, *, actor: User) -> None:
    """The key answers 401 from now on. Flushes; the caller commits."""
    if key.revoked_at is not None:
        return
    key.revoked_at = datetime.now(UTC)
    log_change(actor=actor, action="revoke", object_type="api_key", object_id=key.id,
               unit=key.unit, before={"name": key.name, "purpose": key.purpose,
                                      "prefix": key.prefix})
    db.session.flush()


def key_for(secret: str, purpose: str) -> ApiKey | None:
    """The live key with this secret and purpose, on an active unit; None otherwise (an
    unknown, revoked or other-purpose key: the caller answers 401 alike)."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(secret)))
    if key is None or not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    if key.revoked_at is not None or key.purpose != purpose or not key.unit.active:
        return None
    return key


def touch(key: ApiKey) -> None:
    """Note that the key was used (shown in the list); at most every TOUCH_EVERY."""
    now = datetime.now(UTC)
    last = key.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite gives naive datetimes back
        last = last.replace(tzinfo=UTC)
    if last is None or now - last >= TOUCH_EVERY:
        key.last_used_at = now
