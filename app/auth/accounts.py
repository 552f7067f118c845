"""Creating staff accounts (the CLI now, the admin pages later call the same function)."""

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.audit import log_change
from app.extensions import db
from app.models import Unit, User
from app.models.staff import ROLES

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """An account request that cannot be carried out; the message says why."""


def create_user(
    *, username: str, role: str, unit_code: str, password: str, actor: User | str
) -> User:
    """Create an active account scoped to a unit's subtree, and audit it."""
    username = username.strip()
    if not username:
        raise AccountError(_("Tên đăng nhập không được để trống."))
    if role not in ROLES:
        raise AccountError(_("Vai trò phải là một trong: %(roles)s.", roles=", ".join(ROLES)))
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise AccountError(_("Không có đơn vị mã %(code)s.", code=unit_code))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH)
        )
    if db.session.scalar(select(User.id).where(User.username == username)):
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
