"""The organisation: a tree of units and the counters (quầy) where results are returned."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

UNIT_KINDS = ("province", "department", "center", "branch", "district", "commune", "other")


class Unit(db.Model):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Materialised path of ids, "/1/4/9/": a subtree is one LIKE '/1/4/%' away.
    path: Mapped[str] = mapped_column(String(400), index=True, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "07:00-11:30,13:30-17:00"; None: as its parent's (the root's None: OFFICE_HOURS).
    opening_hours: Mapped[str | None] = mapped_column(String(100))

    parent: Mapped["Unit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Unit"]] = relationship(back_populates="parent")
    counters: Mapped[list["Counter"]] = relationship(back_populates="unit")

    # --- the tree's vocabulary: every "is it below?" question is asked through these ---

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, read from the path."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def depth(self) -> int:
        """0 for the root (the province), 1 for the units right below it, and so on."""
        return self.path.count("/") - 2

    def contains(self, other: "Unit") -> bool:
        """True when `other` is this unit or lies anywhere below it."""
        return other.path.startswith(self.path)

    def related_to(self, other: "Unit") -> bool:
        """True when one of the two units contains the other (their subtrees overlap)."""
        return self.contains(other) or other.contains(self)

    @classmethod
    def subtree_of(cls, root: "Unit") -> ColumnElement[bool]:
        """SQL condition: the Unit row is `root` or lies below it (one LIKE on the path)."""
        return cls.path.startswith(root.path)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Counter(db.Model):
    __tablename__ = "counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The public code the sticker encodes; replaced (and the old one retired) on re-issue.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # Set when another organisation runs the counter, e.g. the post office's return desk.
    operator: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    unit: Mapped[Unit] = relationship(back_populates="counters")

    # A live counter's sticker answers: the counter and its unit are both active. This is the
    # one definition; the survey's raw ticket SQL is compiled from it (domain/responses.py).
    @property
    def is_live(self) -> bool:
        return self.active and self.unit.active

    @classmethod
    def live(cls) -> ColumnElement[bool]:
        """SQL condition on Counter joined to its Unit: the counter is live."""
        return and_(cls.active, Unit.active)

    def __repr__(self) -> str:
        return f"<Counter {self.code} {self.name!r}>"


class RetiredCode(db.Model):
    """A code that used to be on a sticker, so old stickers get a polite 'no longer in use'."""

    __tablename__ = "retired_code"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counter.id"), index=True)
    retired_on: Mapped[date] = mapped_column(Date)


class QrCode(db.Model):
    """A survey URL's QR code as SVG, encoded once (app/qr.py): it depends only on
    the URL, so prints read it instead of encoding it again."""

    __tablename__ = "qr_code"

    url: Mapped[str] = mapped_column(String(300), primary_key=True)
    svg: Mapped[str] = mapped_column(Text)


class PrintJob(db.Model):
    """A large sticker print run made by a background process (app/printing/jobs.py), kept
    in the database so whichever app server the staff member reaches next can hand it over."""

    __tablename__ = "print_job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    layout: Mapped[str] = mapped_column(String(40))
    unit_code: Mapped[str] = mapped_column(String(40))
    counter_ids: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="queued")  # running, done, failed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    filename: Mapped[str | None] = mapped_column(String(120))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
