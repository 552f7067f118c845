"""Staff accounts: create, authenticate, change; the CLI and the admin pages call these."""

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit import log_change
from app.extensions import db, login
from app.models import Unit, User
from app.models.staff import ROLES

MIN_PASSWORD_LENGTH = 10
# Checked when the username does not exist, so both cases cost the same time.
_DUMMY_HASH = generate_password_hash("no such user, no such password")


class AccountError(ValueError):
    """An account request that cannot be carried out; the message says why."""


@login.user_loader
def load_user(session_id: str) -> User | None:
    """The session's user, unless disabled or the session predates a logout or reset."""
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH))


def _unit(unit_code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise AccountError(_("Không có đơn vị mã %(code)s.", code=unit_code))
    return unit


def create_user(
    *, username: str, role: str, unit_code: str, password: str, actor: User | str
) -> User:
    """Create an active account scoped to a unit's subtree, and audit it."""
    username = username.strip()
    if not username:
        raise AccountError(_("Tên đăng nhập không được để trống."))
    if role not in ROLES:
        raise AccountError(_("Vai trò phải là một trong: %(roles)s.", roles=", ".join(ROLES)))
    unit = _unit(unit_code)
    check_password_strength(password)
    taken = db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken:
        raise AccountError(_("Tên đăng nhập %(name)s đã có.", name=username))
    # Werkzeug's default is scrypt, a memory-hard KDF.
    user = User(
        username=username, role=role, unit=unit, password_hash=generate_password_hash(password)
    )
    db.session.add(user)
    db.session.flush()
    log_change(
        actor=actor, action="create", object_type="user", object_id=user.id,
        after={"username": username, "role": role, "unit": unit.code},
    )
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active account with this username and password, or None (same cost either way)."""
    user = db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower())
    )
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session of the account (logout, disable, password change)."""
    user.session_version += 1
    db.session.commit()


def change_password(user: User, *, current: str, new: str) -> None:
    """The user's own change: needs the current password; ends the account's other sessions."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError(_("Mật khẩu hiện tại không đúng."))
    check_password_strength(new)
    user.password_hash = generate_password_hash(new)
    user.session_version += 1
    log_change(actor=user, action="change-password", object_type="user", object_id=user.id)
    db.session.commit()


def update_user(user: User, *, role: str, unit_code: str, active: bool,
                actor: User | str) -> None:
    """An admin's change of role, unit or status; disabling ends the account's sessions."""
    before = {"role": user.role, "unit": user.unit.code, "active": user.active}
    if role not in ROLES:
        raise AccountError(_("Vai trò phải là một trong: %(roles)s.", roles=", ".join(ROLES)))
    user.role, user.unit, user.active = role, _unit(unit_code), active
    after = {"role": user.role, "unit": user.unit.code, "active": user.active}
    if after != before:
        user.session_version += 1  # new rights or none: start from a fresh login
        log_change(actor=actor, action="update", object_type="user", object_id=user.id,
                   before=before, after=after)
    db.session.commit()


def reset_password(user: User, *, new: str, actor: User | str) -> None:
    """An admin sets a new password (to hand over in person); the account's sessions end."""
    check_password_strength(new)
    user.password_hash = generate_password_hash(new)
    user.session_version += 1
    log_change(actor=actor, action="reset-password", object_type="user", object_id=user.id)
    db.session.commit()
