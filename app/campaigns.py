"""Which campaign (đợt khảo sát) covers a counter on a given day."""

from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import Campaign, Counter


def active_campaign_for(counter: Counter, day: date) -> Campaign | None:
    """The active campaign whose period holds `day` and whose unit is the counter's or above it.

    Should two overlap (the campaign rules forbid it), the one on the nearest unit wins.
    """
    lineage = counter.unit.ancestor_ids()
    campaigns = db.session.scalars(
        select(Campaign).where(
            Campaign.status == "active",
            Campaign.starts_on <= day,
            Campaign.ends_on >= day,
            Campaign.unit_id.in_(lineage),
        )
    ).all()
    if not campaigns:
        return None
    return max(campaigns, key=lambda c: lineage.index(c.unit_id))
