"""Motions with their requests, and follow-up reports (drafts and frozen versions)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.areas.models import Area, Neighbourhood
from panel.db import UTCDateTime, db, utcnow
from panel.feedback.models import Theme


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    DROPPED = "dropped"


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    FINAL = "final"  # frozen: its snapshot never changes


motion_area = Table(
    "motion_area", db.metadata,
    Column("motion_id", ForeignKey("motion.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)
motion_neighbourhood = Table(
    "motion_neighbourhood", db.metadata,
    Column("motion_id", ForeignKey("motion.id", ondelete="CASCADE"), primary_key=True),
    Column("neighbourhood_id", ForeignKey("neighbourhood.id", ondelete="CASCADE"),
           primary_key=True),
)
motion_theme = Table(
    "motion_theme", db.metadata,
    Column("motion_id", ForeignKey("motion.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
)


class Motion(db.Model):
    """A council motion (motie) and what it asks of the executive."""

    __tablename__ = "motion"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    adopted_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    ori_id: Mapped[str] = mapped_column(String(200), default="")  # Open Raadsinformatie
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    requests: Mapped[list[MotionRequest]] = relationship(
        back_populates="motion", order_by="MotionRequest.position",
        cascade="all, delete-orphan")
    areas: Mapped[list[Area]] = relationship(secondary=motion_area, order_by=Area.name)
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=motion_neighbourhood, order_by=Neighbourhood.name)
    themes: Mapped[list[Theme]] = relationship(secondary=motion_theme, order_by=Theme.position)
    reports: Mapped[list[FollowUpReport]] = relationship(
        back_populates="motion", order_by="FollowUpReport.version",
        cascade="all, delete-orphan")


class MotionRequest(db.Model):
    """One thing a motion asks for, with a deadline."""

    __tablename__ = "motion_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id", ondelete="CASCADE"),
                                           index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=RequestStatus.OPEN.value)
    completed_on: Mapped[date | None] = mapped_column(Date)

    motion: Mapped[Motion] = relationship(back_populates="requests")


class FollowUpReport(db.Model):
    """A report back to the council on a motion, over a period. A final version keeps a
    frozen snapshot of its figures; later changes to the data never alter it."""

    __tablename__ = "follow_up_report"
    __table_args__ = (UniqueConstraint("motion_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(ForeignKey("motion.id", ondelete="CASCADE"),
                                           index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=ReportStatus.DRAFT.value)
    narrative: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {title, body}
    snapshot: Mapped[str] = mapped_column(Text, default="")  # JSON, set when finalised
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))

    motion: Mapped[Motion] = relationship(back_populates="reports")

    @property
    def is_final(self) -> bool:
        """Finalised: its figures are frozen and its text can no longer change."""
        return self.status == ReportStatus.FINAL
