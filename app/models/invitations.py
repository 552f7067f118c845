"""Invitations by SMS: a batch of returned dossiers (counts only), each invitation's one-time
token (hashed, with its counter, campaign and return day, never a phone number), a keyed hash
per dossier so that nobody is texted twice for it, and the invitations' funnel per counter and
return day. What may be kept is decided in app/domain/invitations.py."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.org import Counter, Unit


class InvitationBatch(db.Model):
    """One upload (or post) of returned dossiers, confirmed: what it came to, in counts."""

    __tablename__ = "invitation_batch"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # whose scope
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the API
    source: Mapped[str] = mapped_column(String(10))  # upload, api
    filename: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int] = mapped_column(Integer)
    excluded: Mapped[dict] = mapped_column(JSON)  # {reason: rows}
    to_send: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[dict] = mapped_column(JSON, default=dict)  # {reason: messages}
    over_budget: Mapped[int] = mapped_column(Integer, default=0)  # not sent: the budget ran out

    unit: Mapped[Unit] = relationship()

    @property
    def finished(self) -> bool:
        return self.sent + self.failed + self.over_budget >= self.to_send


class Invitation(db.Model):
    """A one-time survey link: the hash of its token, and what the token stands for."""

    __tablename__ = "invitation"
    __table_args__ = (
        # Which weeks may settle: the campaign's links still open (domain/weeks.py).
        Index("ix_invitation_campaign_expires", "campaign_id", "expires_on"),
        {"sqlite_with_rowid": False},  # no insertion order on SQLite
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    returned_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)  # the last day the link answers
    screened: Mapped[bool] = mapped_column(Boolean)  # the export said in person, not immediate
    opened: Mapped[bool] = mapped_column(Boolean, default=False)

    counter: Mapped[Counter] = relationship()


class InvitedDossier(db.Model):
    """A dossier already invited for: a keyed hash (HMAC) of the dossier's number, or of the
    phone and the return when the export has no number. It cannot be turned back into either
    without the server's secret; dropped once no upload could name the return again."""

    __tablename__ = "invited_dossier"
    __table_args__ = ({"sqlite_with_rowid": False},)

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    returned_on: Mapped[date] = mapped_column(Date, index=True)


class InvitationDay(db.Model):
    """The invitations' funnel per counter and return day: texts sent and failed, links
    opened (once each) and answered."""

    __tablename__ = "invitation_day"

    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
