"""Staff accounts: create, change, reset; the CLI and the admin pages call these.

The password rule (MIN_PASSWORD_LENGTH) lives here and only here; forms only cap the length.
"""

import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain import DomainError
from app.domain.audit import log_change
from app.extensions import db
from app.models import Subscription, Unit, User
from app.models.staff import MESSAGE_KINDS, ROLES

MIN_PASSWORD_LENGTH = 10
# Letters without diacritics, digits and . _ - (stored in lower case): a name that reads the
# same in every log, CSV and spreadsheet, and never starts a formula.
USERNAME = re.compile(r"[a-z0-9._-]{3,64}")


LANGUAGES = ("vi", "en")
# One address, as a mail server takes it: no spaces, one @, a dot in the domain.
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")


class AccountError(DomainError):
    """An account request that cannot be carried out; the message says why."""


def hash_password(password: str) -> str:
    """The stored form of a password: scrypt (Werkzeug's default), a memory-hard KDF.

    PASSWORD_HASH_METHOD exists for the test suite, which would spend minutes on scrypt.
    """
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_strength(password: str) -> None:
    """Refuse a password shorter than MIN_PASSWORD_LENGTH characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH))


def unit_by_code(unit_code: str) -> Unit:
    """The unit with this code, or an AccountError naming the code."""
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise AccountError(_("Không có đơn vị mã %(code)s.", code=unit_code))
    return unit


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(_("Vai trò phải là một trong: %(roles)s.", roles=", ".join(ROLES)))


def create_user(*, username: str, role: str, unit: Unit, password: str,
                actor: User | str) -> User:
    """Create an active account scoped to a unit's subtree."""
    username = username.strip().lower()
    if not username:
        raise AccountError(_("Tên đăng nhập không được để trống."))
    if not USERNAME.fullmatch(username):
        raise AccountError(_("Tên đăng nhập dài 3–64 ký tự, chỉ gồm chữ cái không dấu, chữ số "
                             "và các dấu . _ - (ví dụ: nguyen.van.an)."))
    _check_role(role)
    check_password_strength(password)
    taken = db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken:
        raise AccountError(_("Tên đăng nhập %(name)s đã có.", name=username))
    user = User(username=username, role=role, unit=unit, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    log_change(actor=actor, action="create", object_type="user", object_id=user.id, unit=unit,
               after={"username": username, "role": role, "unit": unit.code})
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session of the account (logout, disable, password change)."""
    user.session_version += 1
    db.session.flush()


def change_password(user: User, *, current: str, new: str) -> None:
    """The user's own change: needs the current password; ends the account's other sessions."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError(_("Mật khẩu hiện tại không đúng."))
    _set_password(user, new, actor=user, action="change-password")


def update_user(user: User, *, role: str, unit: Unit, active: bool, actor: User | str) -> None:
    """An admin's change of role, unit or status; any change ends the account's sessions.

    An admin may not disable or demote their own account: the province would lose its last
    way in as easily as a slip of the mouse.
    """
    _check_role(role)
    if isinstance(actor, User) and actor.id == user.id and (not active or role != "admin"):
        raise AccountError(_("Không thể tự khoá hay tự hạ quyền tài khoản của mình."))
    before = {"role": user.role, "unit": user.unit.code, "active": user.active}
    user.role, user.unit, user.active = role, unit, active
    after = {"role": user.role, "unit": user.unit.code, "active": user.active}
    if after != before:
        end_sessions(user)  # new rights or none: start from a fresh login
        log_change(actor=actor, action="update", object_type="user", object_id=user.id,
                   unit=unit, before=before, after=after)
    db.session.flush()


def reset_password(user: User, *, new: str, actor: User | str) -> None:
    """An admin sets a new password (to hand over in person); the account's sessions end."""
    _set_password(user, new, actor=actor, action="reset-password")


def _set_password(user: User, new: str, *, actor: User | str, action: str) -> None:
    """Store a new password if it is strong enough; every session of the account ends."""
    check_password_strength(new)
    user.password_hash = hash_password(new)
    end_sessions(user)
    log_change(actor=actor, action=action, object_type="user", object_id=user.id,
               unit=user.unit)


def set_language(user: User, language: str) -> None:
    """The language of the person's own pages: a preference, not audited."""
    if language not in LANGUAGES:
        raise AccountError(_("Ngôn ngữ không hợp lệ."))
    user.language = language
    db.session.flush()


def subscriptions_of(user: User) -> set[str]:
    """The messages (MESSAGE_KINDS) the account chose to receive."""
    return set(db.session.scalars(select(Subscription.kind).where(
        Subscription.user_id == user.id)))


def set_notifications(user: User, email: str | None, kinds: set[str], *,
                      actor: User | str) -> None:
    """The account's address and the digests and alerts it receives there (audited)."""
    email = (email or "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL.fullmatch(email)):
        raise AccountError(_("Địa chỉ email không hợp lệ (ví dụ: ten@sonoivu.gov.vn)."))
    if kinds - set(MESSAGE_KINDS):
        raise AccountError(_("Không có loại thư này."))
    if kinds and email is None:
        raise AccountError(_("Nhập địa chỉ email để nhận thư."))
    before = {"email": user.email, "messages": sorted(subscriptions_of(user))}
    user.email = email
    db.session.execute(Subscription.__table__.delete().where(
        Subscription.__table__.c.user_id == user.id))
    db.session.add_all(Subscription(user_id=user.id, kind=kind) for kind in sorted(kinds))
    after = {"email": email, "messages": sorted(kinds)}
    if after != before:
        log_change(actor=actor, action="notifications", object_type="user", object_id=user.id,
                   unit=user.unit, before=before, after=after)
    db.session.flush()

