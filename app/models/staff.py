"""Staff accounts: a role and the unit whose subtree the account may see."""

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.org import Unit

ROLES = ("admin", "manager", "clerk")


def _now() -> datetime:
    return datetime.now(UTC)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("role IN ('admin', 'manager', 'clerk')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The language of their pages (app/__init__.py select_locale), kept across sessions.
    language: Mapped[str] = mapped_column(String(5), default="vi", server_default="vi")
    # Bumped on logout, disable or password reset: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # Where the digests and alerts it subscribes to go (app/mail/); None: no message.
    email: Mapped[str | None] = mapped_column(String(254))

    unit: Mapped[Unit] = relationship()

    def get_id(self) -> str:
        """What the session keeps: the id and the session version it was issued under."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


# --- digests and alerts by email (app/mail/) --------------------------------------------

MESSAGE_KINDS = ("digest", "digest_pdf", "alert_pace", "alert_review", "alert_pressure",
                 "alert_satisfaction")


class Subscription(db.Model):
    """A message an account chose to receive (its own account page)."""

    __tablename__ = "subscription"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)


class SentMessage(db.Model):
    """A digest (key: its week) or a day's alert of one kind (key: the day) sent to an
    account: a command run twice sends it once."""

    __tablename__ = "sent_message"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AlertedItem(db.Model):
    """Something an alert already named to an account (a counter's day pending review, a
    pressure report): a later alert names only what is new."""

    __tablename__ = "alerted_item"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         primary_key=True)
    item: Mapped[str] = mapped_column(String(80), primary_key=True)


class ApiKey(db.Model):
    """A key another system uses instead of a login (`Authorization: Bearer <key>`): for one
    purpose, within one unit's subtree. Only a hash of the key is kept; the key itself is
    shown once, when it is made (app/domain/api_keys.py)."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))  # whose system, in the admin's words
    purpose: Mapped[str] = mapped_column(String(20))  # what it may do: see api_keys.PURPOSES
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # its subtree
    prefix: Mapped[str] = mapped_column(String(12))  # the key's first characters, to tell it
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the whole key
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
