"""Who may do what, and where: THE place staff pages check role and unit scope.

Every account covers its unit and the whole subtree below it. Objects outside that subtree
answer 404, as if they did not exist, whether reached by link, by id or by a forged field.
"""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from app.extensions import db
from app.models import Campaign, Counter, Tally, Unit, User

# What each role may do; a page names the permission it needs.
PERMISSIONS = {
    "print": {"admin", "manager", "clerk"},
    "tally": {"admin", "manager", "clerk"},
    "counters": {"admin", "manager"},
    "units": {"admin"},
    "users": {"admin"},
    "campaigns": {"admin"},
    "audit": {"admin"},
}


def can(permission: str) -> bool:
    """True when the logged-in account's role grants `permission`."""
    return current_user.is_authenticated and current_user.role in PERMISSIONS[permission]


def requires(permission: str) -> Callable:
    """View decorator: logged in, and a role that grants `permission` (else 403)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def checked(*args, **kwargs):
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        return checked

    return decorate


def scope_path() -> str:
    """The materialised path prefix of everything the account may see."""
    return current_user.unit.path


def in_scope(unit: Unit) -> bool:
    return unit.path.startswith(scope_path())


def units_in_scope(*, active_only: bool = True) -> list[Unit]:
    """Units of the account's subtree in tree order (the closed ones too when asked)."""
    query = select(Unit).where(Unit.path.startswith(scope_path())).order_by(Unit.path)
    return list(db.session.scalars(query.where(Unit.active) if active_only else query))


def counters_in_scope() -> Select:
    """Counters of the account's subtree, by unit then name."""
    return (select(Counter).join(Unit).where(Unit.path.startswith(scope_path()))
            .order_by(Unit.path, Counter.name))


def users_in_scope() -> Select:
    return select(User).join(Unit).where(Unit.path.startswith(scope_path())).order_by(
        User.username)


def campaigns_in_scope() -> Select:
    return select(Campaign).join(Unit).where(Unit.path.startswith(scope_path())).order_by(
        Campaign.starts_on.desc())


def tallies_in_scope() -> Select:
    """(Tally, Counter) rows of the account's subtree, newest day first."""
    return (select(Tally, Counter).join(Counter).join(Unit)
            .where(Unit.path.startswith(scope_path()))
            .order_by(Tally.day.desc(), Unit.path, Counter.name))


def unit_or_404(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not in_scope(unit):
        abort(404)
    return unit


def counter_or_404(counter_id: int) -> Counter:
    return _owned_or_404(Counter, counter_id)


def user_or_404(user_id: int) -> User:
    return _owned_or_404(User, user_id)


def campaign_or_404(campaign_id: int) -> Campaign:
    return _owned_or_404(Campaign, campaign_id)


def _owned_or_404(model, object_id: int):
    """An object that belongs to a unit, if that unit is in the account's subtree."""
    found = db.session.get(model, object_id)
    if found is None or not in_scope(found.unit):
        abort(404)
    return found
