"""Campaigns, questionnaires, anonymous responses and the per-day funnel counts.

What a response row may hold is decided in app/domain/responses.py; keep this schema to that list.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    and_,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import figures
from app.extensions import db
from app.models.org import Counter, Unit


class Questionnaire(db.Model):
    """One version of a questionnaire, loaded from app/questionnaires/*.toml; never edited."""

    __tablename__ = "questionnaire"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_questionnaire_code_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<Questionnaire {self.code} v{self.version}>"


class Campaign(db.Model):
    """A survey period (đợt khảo sát) over a unit's subtree, with a default target rate."""

    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'active', 'closed')", name="status"),
        CheckConstraint("starts_on <= ends_on", name="period"),
        CheckConstraint("target_rate >= 0 AND target_rate <= 100", name="target_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Required response rate, in percent of eligible returns.
    target_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    # Invitations by SMS: at most this many texts (None: no budget set), and those sent.
    sms_budget: Mapped[int | None] = mapped_column(Integer)
    sms_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Its results shown without a login at /ket-qua/<id> (app/public/), with the counters
    # below each unit too if `publish_counters`.
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    publish_counters: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())

    unit: Mapped[Unit] = relationship()
    questionnaire: Mapped[Questionnaire] = relationship()
    targets: Mapped[list["CampaignTarget"]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )

    @classmethod
    def runs_on(cls, day, statuses: tuple[str, ...] = ("active",)) -> ColumnElement[bool]:
        """SQL condition: the campaign is in one of these statuses and its period holds `day`
        (for a survey's answer: active; for a tally: active or closed). The one definition;
        the survey's ticket SQL is compiled from it (domain/responses.py)."""
        return and_(cls.status.in_(statuses), cls.starts_on <= day, cls.ends_on >= day)


class CampaignTarget(db.Model):
    """A unit's own target rate in a campaign, overriding the campaign's default for its subtree."""

    __tablename__ = "campaign_target"
    __table_args__ = (
        CheckConstraint("target_rate >= 0 AND target_rate <= 100", name="target_rate"),
    )

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    target_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))

    campaign: Mapped[Campaign] = relationship(back_populates="targets")
    unit: Mapped[Unit] = relationship()


class Tally(db.Model):
    """The denominator: results returned at a counter on a day, and the cases not surveyed."""

    __tablename__ = "tally"
    __table_args__ = (
        CheckConstraint(
            "returned >= 0 AND immediate >= 0 AND online >= 0 AND postal >= 0", name="positive"
        ),
        CheckConstraint("immediate + online + postal <= returned", name="parts"),
    )

    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    returned: Mapped[int] = mapped_column(Integer)
    immediate: Mapped[int] = mapped_column(Integer, default=0)
    online: Mapped[int] = mapped_column(Integer, default=0)
    postal: Mapped[int] = mapped_column(Integer, default=0)

    counter: Mapped[Counter] = relationship()

    @property
    def eligible(self) -> int:
        """Results returned at the counter that the survey is for (app/figures.py)."""
        return figures.eligible(self.returned, self.immediate, self.online, self.postal)


class Response(db.Model):
    """One completed survey. Deliberately no time of day, address, agent or browser id."""

    __tablename__ = "response"
    # SQLite would keep a hidden rowid in insertion order; without it the rows are stored in
    # the order of their random ids, so not even the file tells who answered after whom.
    __table_args__ = ({"sqlite_with_rowid": False},)

    # Random, so neither the id nor its order tells when or in what sequence people answered.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))
    submitted_on: Mapped[date] = mapped_column(Date, index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    # Came through an SMS invitation's link, not the sticker: the reports show satisfaction by
    # channel from batches whose parts are none or K or more (app/domain/weeks.py).
    invited: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    counter: Mapped[Counter] = relationship()
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(db.Model):
    """One answered question of a response: a scale point (1–5) or yes/no (1/0)."""

    __tablename__ = "answer"
    __table_args__ = ({"sqlite_with_rowid": False},)  # see Response

    response_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    question_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)

    response: Mapped[Response] = relationship(back_populates="answers")


class FunnelCounts:
    """How many people opened the form, declined, were screened out by reason or completed.
    Shared by the daily funnel and the weekly sums."""

    opened: Mapped[int] = mapped_column(Integer, default=0)
    declined: Mapped[int] = mapped_column(Integer, default=0)
    screened_online: Mapped[int] = mapped_column(Integer, default=0)
    screened_postal: Mapped[int] = mapped_column(Integer, default=0)
    screened_immediate: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)


class DailyFunnel(FunnelCounts, db.Model):
    """The funnel per counter and day."""

    __tablename__ = "daily_funnel"
    # Reports read a week not summed yet across all counters: by day.
    __table_args__ = (Index("ix_daily_funnel_day", "day"),)

    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class IntegrityDay(db.Model):
    """What the survey refused or found odd at a counter on a day, as counts only
    (app/domain/integrity.py): never a time, an address or a device."""

    __tablename__ = "integrity_day"

    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    refused_ticket: Mapped[int] = mapped_column(Integer, default=0)  # not a ticket we issued
    refused_fast: Mapped[int] = mapped_column(Integer, default=0)  # sent too soon after opening
    refused_limit: Mapped[int] = mapped_column(Integer, default=0)  # one client, too many
    refused_repeat: Mapped[int] = mapped_column(Integer, default=0)  # this phone answered today
    bursts: Mapped[int] = mapped_column(Integer, default=0)  # answers beyond the burst limit
    identical_runs: Mapped[int] = mapped_column(Integer, default=0)  # same answers in a row
    outside_hours: Mapped[int] = mapped_column(Integer, default=0)  # answers out of hours
    from_one_place: Mapped[int] = mapped_column(Integer, default=0)  # many from one address


class QuarantinedDay(db.Model):
    """A counter's answers of one day kept out of every figure and export: "pending" (its
    integrity flags put it there; Home Affairs has not decided yet) or "held" (Home Affairs set
    it aside), until accepted or released (app/domain/quarantine.py)."""

    __tablename__ = "quarantined_day"

    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    responses: Mapped[int] = mapped_column(Integer, default=0)  # how many it set aside
    reason: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="held")  # or "pending"


class AcceptedDay(db.Model):
    """A flagged counter-day Home Affairs reviewed and accepted: its answers count, and new
    flags of that day do not hold it again (app/domain/quarantine.py)."""

    __tablename__ = "accepted_day"

    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(500))


class PressureReport(db.Model):
    """A citizen's anonymous report of pressure or interference at a counter, for Home Affairs
    only: the counter, the ISO week (its Monday; not even the day), what happened. Random id,
    no rowid: nothing stored tells the order reports came in."""

    __tablename__ = "pressure_report"
    __table_args__ = (Index("ix_pressure_report_week", "week"), {"sqlite_with_rowid": False})

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), index=True)
    week: Mapped[date] = mapped_column(Date)
    kinds: Mapped[str] = mapped_column(String(200))  # e.g. "pressured,told_what_to_answer"
    text: Mapped[str | None] = mapped_column(Text)
    # Home Affairs' follow-up (app/domain/pressure.py): new, in_progress, done, and a note.
    status: Mapped[str] = mapped_column(String(12), default="new")
    note: Mapped[str | None] = mapped_column(String(1000))


class InboxResponse(db.Model):
    """A completed survey waiting to be moved into `response` with the others of its batch
    (app/domain/inbox.py): the same fields, its answers as JSON, and what the move writes
    for it besides (its ticket's use, its odd-answer flags), so that the transaction that
    stores a form writes this row and nothing else. Rows leave in one transaction, in random
    order."""

    __tablename__ = "response_inbox"
    __table_args__ = ({"sqlite_with_rowid": False},)  # see Response

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))
    submitted_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    # The form's one-time ticket (hashed): used_ticket gets it when the form moves.
    ticket_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    flags: Mapped[str | None] = mapped_column(String(200))  # integrity counts, comma-separated


class InboxMove(db.Model):
    """When the inbox was last emptied (one row): the time of a batch, never of an answer."""

    __tablename__ = "inbox_move"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moved_at: Mapped[datetime] = mapped_column(DateTime)  # UTC


class UsedTicket(db.Model):
    """A survey form already answered, so a double tap or a refresh cannot count twice.

    Holds a hash of the one-time ticket printed in the form and what came of it; it is not
    linked to the response, and rows older than a few days are purged.
    """

    __tablename__ = "used_ticket"
    __table_args__ = ({"sqlite_with_rowid": False},)  # stored in hash order, not arrival

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))
    used_on: Mapped[date] = mapped_column(Date, index=True)


class LevelCounts:
    """Completed responses, and how many answered the overall question at each level:
    1 (Rất không hài lòng) … 5 (Rất hài lòng). Shared by the daily and weekly roll-ups."""

    responses: Mapped[int] = mapped_column(Integer, default=0)
    overall_1: Mapped[int] = mapped_column(Integer, default=0)
    overall_2: Mapped[int] = mapped_column(Integer, default=0)
    overall_3: Mapped[int] = mapped_column(Integer, default=0)
    overall_4: Mapped[int] = mapped_column(Integer, default=0)
    overall_5: Mapped[int] = mapped_column(Integer, default=0)
    # Of them, those that came through an SMS invitation's link, and their overall levels.
    invited: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    invited_1: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    invited_2: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    invited_3: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    invited_4: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    invited_5: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ResponseDay(LevelCounts, db.Model):
    """Roll-up: completed responses per campaign, counter and day, with the overall levels.

    Bumped in the same transaction as the response (app/domain/rollups.py), so reports read a
    few rows per counter and day instead of millions of answers; it holds nothing the response
    rows do not already hold. `rebuild_rollups` recounts it from the raw rows.
    """

    __tablename__ = "response_day"
    __table_args__ = (Index("ix_response_day_campaign_day", "campaign_id", "day"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class AnswerDay(db.Model):
    """Roll-up: how many responses gave each value to each question, per campaign, counter, day."""

    __tablename__ = "answer_day"
    __table_args__ = (Index("ix_answer_day_campaign_day", "campaign_id", "day"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    question_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    responses: Mapped[int] = mapped_column(Integer, default=0)


# --- weekly roll-ups: what the reports read for every whole week (app/domain/weeks.py) -----
# Reports show whole weeks that are over, so each week of a campaign is summed once, after it
# ends, from the daily tables above; a tally changed later in a summed week re-sums that
# counter's week, and a change of the campaign's dates drops its sums.

class RolledWeek(db.Model):
    """A week (its Monday) of a campaign whose weekly sums hold every counter, and the K its
    answer batches were made with (other K: the campaign's sums are made again)."""

    __tablename__ = "rolled_week"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    batch_k: Mapped[int | None] = mapped_column(Integer)


class CampaignWeek(FunnelCounts, LevelCounts, db.Model):
    """Per campaign, counter and week (the campaign's days of it): tallies, funnel, responses
    with their overall levels, and days with responses but no tally (and those responses,
    which no rate counts). `batch_week` is the week
    whose batch of K or more answers of this counter holds this week's (None: still
    gathering; app/domain/weeks.py)."""

    __tablename__ = "campaign_week"
    __table_args__ = (Index("ix_campaign_week_campaign_week", "campaign_id", "week"),
                      Index("ix_campaign_week_batch", "campaign_id", "batch_week"))

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    immediate: Mapped[int] = mapped_column(Integer, default=0)
    online: Mapped[int] = mapped_column(Integer, default=0)
    postal: Mapped[int] = mapped_column(Integer, default=0)
    untallied_days: Mapped[int] = mapped_column(Integer, default=0)
    untallied_responses: Mapped[int] = mapped_column(Integer, default=0)
    batch_week: Mapped[date | None] = mapped_column(Date)
    # The batch's answers are shown by channel too: each channel holds none or K or more.
    batch_apart: Mapped[bool | None] = mapped_column(Boolean)


class AnswerWeek(db.Model):
    """Per campaign, counter and week: how many gave each value to each question."""

    __tablename__ = "answer_week"
    __table_args__ = (Index("ix_answer_week_campaign_week", "campaign_id", "week"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    question_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    responses: Mapped[int] = mapped_column(Integer, default=0)
