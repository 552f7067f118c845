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
from app.models import Counter, Unit

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


def units_in_scope() -> Select:
    """Active and inactive units of the account's subtree, in tree order."""
    return select(Unit).where(Unit.path.startswith(scope_path())).order_by(Unit.path)


def counters_in_scope() -> Select:
    """Counters of the account's subtree, by unit then name."""
    return (select(Counter).join(Unit).where(Unit.path.startswith(scope_path()))
            .order_by(Unit.path, Counter.name))


def unit_or_404(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not in_scope(unit):
        abort(404)
    return unit


def counter_or_404(counter_id: int) -> Counter:
    counter = db.session.get(Counter, counter_id)
    if counter is None or not in_scope(counter.unit):
        abort(404)
    return counter
