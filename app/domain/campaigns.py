"""Campaigns (đợt khảo sát): which one covers a counter on a day, targets, and their changes.

Rule: at most one active campaign covers a unit on a given day, so every response and every
eligible return belongs to exactly one campaign.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.domain import DomainError
from app.domain.audit import log_change
from app.domain.weeks import forget_campaign
from app.extensions import db
from app.models import Campaign, CampaignTarget, Counter, Questionnaire, Unit, User


class CampaignError(DomainError):
    """A campaign change that breaks a rule; the message says which."""


def active_campaign_for(counter: Counter, day: date) -> Campaign | None:
    """The active campaign whose period holds `day` and whose unit is the counter's or above it.

    Should two overlap (the activation rule forbids it), the one on the nearest unit wins.
    """
    lineage = counter.unit.ancestor_ids()
    campaigns = db.session.scalars(
        _covering(counter, day, ("active",)).options(joinedload(Campaign.questionnaire))
    ).all()
    if not campaigns:
        return None
    return max(campaigns, key=lambda c: lineage.index(c.unit_id))


def campaign_covering(counter: Counter, day: date) -> Campaign | None:
    """An active or closed campaign that covered the counter on `day` (tallies need one)."""
    return db.session.scalar(_covering(counter, day, ("active", "closed")).limit(1))


def _covering(counter: Counter, day: date, statuses: tuple[str, ...]):
    """Campaigns in these statuses whose period holds `day`, on the counter's unit or above."""
    return select(Campaign).where(Campaign.runs_on(day, statuses),
                                  Campaign.unit_id.in_(counter.unit.ancestor_ids()))


def target_for(campaign: Campaign, unit: Unit) -> Decimal:
    """The unit's target rate: the nearest override at or above it, else the campaign default."""
    overrides = {t.unit_id: t.target_rate for t in campaign.targets}
    for unit_id in reversed(unit.ancestor_ids()):
        if unit_id in overrides:
            return overrides[unit_id]
    return campaign.target_rate


def parse_rate(text: str) -> Decimal:
    """A target rate typed as '30', '30.5' or '30,5' (percent), checked to lie in 0–100."""
    try:
        rate = Decimal(str(text).strip().replace(",", ".").rstrip("%").strip())
    except InvalidOperation:
        raise CampaignError(_("Chỉ tiêu phải là một số phần trăm, ví dụ 30 hoặc 30,5.")) from None
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise CampaignError(_("Chỉ tiêu phải từ 0 đến 100%."))
    return rate.quantize(Decimal("0.01"))


def _state(campaign: Campaign) -> dict:
    return {"name": campaign.name, "unit": campaign.unit.code,
            "starts_on": campaign.starts_on.isoformat(), "ends_on": campaign.ends_on.isoformat(),
            "target_rate": str(campaign.target_rate), "status": campaign.status,
            "sms_budget": campaign.sms_budget,
            "questionnaire": f"{campaign.questionnaire.code} v{campaign.questionnaire.version}"}


def _check_period(starts_on: date, ends_on: date) -> None:
    if starts_on > ends_on:
        raise CampaignError(_("Ngày kết thúc phải sau ngày bắt đầu."))


def create_campaign(*, name: str, unit: Unit, questionnaire: Questionnaire, starts_on: date,
                    ends_on: date, target_rate: Decimal, actor: User | str,
                    sms_budget: int | None = None) -> Campaign:
    """A new campaign, in draft until activated; `sms_budget`: texts its invitations may use
    (None: no limit)."""
    _check_period(starts_on, ends_on)
    campaign = Campaign(name=name.strip(), unit=unit, questionnaire=questionnaire,
                        starts_on=starts_on, ends_on=ends_on, target_rate=target_rate,
                        status="draft", sms_budget=sms_budget, sms_sent=0)
    db.session.add(campaign)
    db.session.flush()
    log_change(actor=actor, action="create", object_type="campaign", object_id=campaign.id,
               unit=unit, after=_state(campaign))
    return campaign


def update_campaign(campaign: Campaign, *, name: str, starts_on: date, ends_on: date,
                    target_rate: Decimal, actor: User | str,
                    sms_budget: int | None = None) -> None:
    """Change name, period, default target or SMS budget; an active campaign keeps to the
    overlap rule."""
    _check_period(starts_on, ends_on)
    before = _state(campaign)
    if (starts_on, ends_on) != (campaign.starts_on, campaign.ends_on):
        forget_campaign(campaign.id)  # its weekly sums cover its old days
    campaign.name, campaign.starts_on, campaign.ends_on = name.strip(), starts_on, ends_on
    campaign.target_rate, campaign.sms_budget = target_rate, sms_budget
    if campaign.status == "active":
        _refuse_overlap(campaign)
    log_change(actor=actor, action="update", object_type="campaign", object_id=campaign.id,
               unit=campaign.unit, before=before, after=_state(campaign))


def _refuse_overlap(campaign: Campaign) -> None:
    """Another active campaign over an overlapping period and a related unit breaks the rule."""
    others = db.session.scalars(
        select(Campaign).join(Unit).where(
            Campaign.status == "active", Campaign.id != campaign.id,
            Campaign.starts_on <= campaign.ends_on, Campaign.ends_on >= campaign.starts_on,
        )
    )
    for other in others:
        if other.unit.related_to(campaign.unit):
            raise CampaignError(_(
                "Đợt “%(other)s” đang diễn ra cho cùng đơn vị trong khoảng thời gian này; "
                "mỗi đơn vị chỉ có một đợt khảo sát đang diễn ra mỗi ngày.", other=other.name))


def set_status(campaign: Campaign, status: str, *, actor: User | str) -> None:
    """Activate a draft (if no overlap) or close an active campaign."""
    allowed = {("draft", "active"), ("active", "closed")}
    if (campaign.status, status) not in allowed:
        raise CampaignError(_("Không thể chuyển đợt khảo sát sang trạng thái này."))
    before = _state(campaign)
    campaign.status = status
    if status == "active":
        _refuse_overlap(campaign)
    log_change(actor=actor, action="activate" if status == "active" else "close",
               object_type="campaign", object_id=campaign.id, unit=campaign.unit,
               before=before, after=_state(campaign))


def set_target(campaign: Campaign, unit: Unit, target_rate: Decimal | None, *,
               actor: User | str) -> None:
    """Give a unit (and its subtree) its own target, or remove it with None."""
    if not campaign.unit.contains(unit):
        raise CampaignError(_("Đơn vị này không thuộc phạm vi của đợt khảo sát."))
    existing = db.session.get(CampaignTarget, (campaign.id, unit.id))
    before = {"unit": unit.code, "target_rate": str(existing.target_rate)} if existing else None
    if target_rate is None:
        if existing:
            campaign.targets.remove(existing)  # delete-orphan: the row goes at the flush
    elif existing:
        existing.target_rate = target_rate
    else:
        db.session.add(CampaignTarget(campaign=campaign, unit=unit, target_rate=target_rate))
    after = None if target_rate is None else {"unit": unit.code, "target_rate": str(target_rate)}
    log_change(actor=actor, action="set-target", object_type="campaign", object_id=campaign.id,
               unit=unit, before=before, after=after)


def set_published(campaign: Campaign, published: bool, *, counters: bool = False,
                  actor: User | str) -> None:
    """Show the campaign's results to anyone at /ket-qua/<id> (with its counters below each
    unit if `counters`), or stop at once."""
    before = {"published": campaign.published, "publish_counters": campaign.publish_counters}
    campaign.published, campaign.publish_counters = published, published and counters
    after = {"published": campaign.published, "publish_counters": campaign.publish_counters}
    if after != before:
        log_change(actor=actor, action="publish" if published else "unpublish",
                   object_type="campaign", object_id=campaign.id, unit=campaign.unit,
                   before=before, after=after)

