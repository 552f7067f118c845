"""Who may do what, and where: THE place staff pages (and the CLI) get their scoped queries.

Every account covers its unit and the whole subtree below it. Objects outside that subtree
answer 404, as if they did not exist, whether reached by link, by id or by a forged field.
A query that lists or fetches units, counters, users, campaigns, tallies or audit events for
a person comes from here, and so does where a person's report starts; views pass a Scope to
the reports' queries rather than a unit of their own choosing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    ApiKey,
    AuditEvent,
    Campaign,
    Counter,
    InvitationBatch,
    PressureReport,
    Tally,
    Unit,
    User,
)

# What each role may do; a page names the permission it needs.
PERMISSIONS = {
    "reports": {"admin", "manager", "clerk"},
    "comments": {"admin", "manager"},
    "print": {"admin", "manager", "clerk"},
    "tally": {"admin", "manager", "clerk"},
    "counters": {"admin", "manager"},
    "units": {"admin"},
    "users": {"admin"},
    "campaigns": {"admin"},
    "audit": {"admin"},
    "pressure": {"admin"},  # and only at the province: see PROVINCE_ONLY
    "quarantine": {"admin"},  # likewise
    "invite": {"admin", "manager"},  # invitations by SMS, for the returns of their subtree
    "api_keys": {"admin"},  # keys other systems use in the JSON API, for their subtree
}
# Citizens' reports of pressure go to Home Affairs only: never to a unit's own staff, not even
# an admin of that unit; and only Home Affairs sets a unit's answers aside for review.
PROVINCE_ONLY = {"pressure", "quarantine"}


def can(permission: str) -> bool:
    """True when the logged-in account's role grants `permission` (and, for PROVINCE_ONLY
    ones, the account is the province's)."""
    return current_user.is_authenticated and user_can(current_user, permission)


def user_can(user: User, permission: str) -> bool:
    """`can` for a given account (the messages sent to it: app/mail/)."""
    if user.role not in PERMISSIONS[permission]:
        return False
    return permission not in PROVINCE_ONLY or user.unit.parent_id is None


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


@dataclass(frozen=True)
class Scope:
    """The part of the unit tree someone may see: a root unit's subtree, or (root None) the
    whole tree, which only the operator's CLI gets."""

    root: Unit | None

    def holds(self, unit: Unit) -> bool:
        """True when `unit` lies in this scope."""
        return self.root is None or self.root.contains(unit)

    def units(self) -> ColumnElement[bool]:
        """SQL condition on Unit rows: inside this scope."""
        return true() if self.root is None else Unit.subtree_of(self.root)

    def report_root(self, campaign: Campaign) -> Unit:
        """Where this scope's report of a campaign starts: the scope's own unit, or the
        campaign's unit when that lies below it (the operator's: the campaign's)."""
        if self.root is None or self.root.contains(campaign.unit):
            return campaign.unit
        return self.root

    def is_top(self, unit: Unit) -> bool:
        """The unit is the top of the tree or of this scope: it cannot be moved from here."""
        return unit.parent_id is None or (self.root is not None and unit.id == self.root.id)

    @property
    def is_province_wide(self) -> bool:
        """The whole tree: the CLI, or an account on a root unit (a province)."""
        return self.root is None or self.root.parent_id is None


WHOLE_TREE = Scope(None)


def current_scope() -> Scope:
    """The logged-in account's subtree."""
    return Scope(current_user.unit)


def _scope(scope: Scope | None) -> Scope:
    return current_scope() if scope is None else scope


# --- lists ------------------------------------------------------------------------------

def units_in_scope(scope: Scope | None = None, *, active_only: bool = True) -> list[Unit]:
    """Units of the subtree in tree order (the closed ones too when asked)."""
    query = select(Unit).where(_scope(scope).units()).order_by(Unit.path)
    return list(db.session.scalars(query.where(Unit.active) if active_only else query))


def counters_in_scope(scope: Scope | None = None) -> Select:
    """Counters of the subtree, live or not, by unit then name (their unit loaded with them)."""
    return (select(Counter).join(Unit).where(_scope(scope).units())
            .options(joinedload(Counter.unit)).order_by(Unit.path, Counter.name, Counter.id))


def live_counters_in_scope(scope: Scope | None = None) -> Select:
    """Counters whose stickers answer: the counter and its unit both active."""
    return counters_in_scope(scope).where(Counter.live())


def users_in_scope(scope: Scope | None = None) -> Select:
    return (select(User).join(Unit).where(_scope(scope).units())
            .options(joinedload(User.unit)).order_by(User.username))


def campaigns_in_scope(scope: Scope | None = None) -> Select:
    return (select(Campaign).join(Unit).where(_scope(scope).units())
            .options(joinedload(Campaign.unit)).order_by(Campaign.starts_on.desc()))


def campaigns_to_report(scope: Scope | None = None) -> Select:
    """Started campaigns that cover some of the scope: on a unit above it (the province's
    campaign, seen by a commune) or inside it. Newest first."""
    scope = _scope(scope)
    query = select(Campaign).join(Unit).where(Campaign.status.in_(("active", "closed")))
    if scope.root is not None:
        query = query.where(or_(Campaign.unit_id.in_(scope.root.ancestor_ids()),
                                Unit.subtree_of(scope.root)))
    return query.options(joinedload(Campaign.unit)).order_by(Campaign.starts_on.desc(),
                                                              Campaign.id.desc())


def tallies_in_scope(scope: Scope | None = None) -> Select:
    """(Tally, Counter) rows of the subtree, newest day first."""
    return (select(Tally, Counter).join(Counter).join(Unit)
            .where(_scope(scope).units())
            .order_by(Tally.day.desc(), Unit.path, Counter.name))


def audit_events_in_scope(scope: Scope | None = None) -> Select:
    """Audit events about objects of the subtree, newest first; province-wide events (no unit)
    only for province-wide scopes."""
    scope = _scope(scope)
    query = select(AuditEvent).outerjoin(Unit, AuditEvent.unit_id == Unit.id)
    if scope.is_province_wide:
        condition = or_(AuditEvent.unit_id.is_(None), scope.units())
    else:
        condition = scope.units()
    return query.where(condition).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


# --- single objects ---------------------------------------------------------------------

def unit_or_404(unit_id: int, scope: Scope | None = None) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not _scope(scope).holds(unit):
        abort(404)
    return unit


def counter_or_404(counter_id: int) -> Counter:
    return _owned_or_404(Counter, counter_id)


def user_or_404(user_id: int) -> User:
    return _owned_or_404(User, user_id)


def campaign_or_404(campaign_id: int) -> Campaign:
    return _owned_or_404(Campaign, campaign_id)


def api_key_or_404(key_id: int) -> ApiKey:
    return _owned_or_404(ApiKey, key_id)


def api_keys_in_scope(scope: Scope | None = None) -> Select:
    """API keys for units of the subtree, live ones first, newest first."""
    return (select(ApiKey).join(Unit).where(_scope(scope).units())
            .options(joinedload(ApiKey.unit))
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc()))


def invitation_batch_or_404(batch_id: str) -> InvitationBatch:
    return _owned_or_404(InvitationBatch, batch_id)


def invitation_batches_in_scope(scope: Scope | None = None) -> Select:
    """Invitation batches made for units of the subtree, newest first."""
    return (select(InvitationBatch).join(Unit).where(_scope(scope).units())
            .order_by(InvitationBatch.created_at.desc()))


def _owned_or_404(model, object_id: int):
    """An object that belongs to a unit, if that unit is in the account's subtree."""
    found = db.session.get(model, object_id)
    if found is None or not current_scope().holds(found.unit):
        abort(404)
    return found


def report_units(campaign: Campaign, unit: str | None,
                 scope: Scope | None = None) -> tuple[Unit, Unit]:
    """(where the report starts, the unit it shows) for a campaign and an optional unit id
    (as typed in ?unit=); a unit outside the report's root answers 404."""
    root = _scope(scope).report_root(campaign)
    if not unit:
        return root, root
    if not unit.isdigit():
        abort(404)
    return root, unit_or_404(int(unit), Scope(root))


def report_counter(root: Unit, counter: str | None) -> Counter | None:
    """The counter a report shows on its own page (?counter= as typed), if it lies in the
    account's subtree and under the report's root; else 404. None when none is asked for."""
    if not counter:
        return None
    if not counter.isdigit():
        abort(404)
    found = counter_or_404(int(counter))
    if not root.contains(found.unit):
        abort(404)
    return found


def pressure_report_or_404(report_id) -> PressureReport:
    """A citizen's report of pressure about a counter in the account's subtree."""
    found = db.session.get(PressureReport, report_id)
    if found is None or not current_scope().holds(db.session.get(Counter,
                                                                 found.counter_id).unit):
        abort(404)
    return found


def unit_by_code(code: str, scope: Scope | None = None) -> Unit | None:
    """The unit with this code if it lies in the scope, else None."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    return unit if unit is not None and _scope(scope).holds(unit) else None
