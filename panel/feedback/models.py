"""Themes, feedback items, actions with their log, meeting evaluations and notifications."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.areas.models import Area, Neighbourhood
from panel.db import UTCDateTime, db, utcnow
from panel.meetings.models import Meeting


class ItemStatus(enum.StrEnum):
    NEW = "new"
    HANDLING = "handling"  # being handled by the team
    PASSED_ON = "passed_on"  # passed to a partner
    DONE = "done"
    DECLINED = "declined"  # not taken up, with a reason residents can read


class Review(enum.StrEnum):
    PENDING = "pending"  # not checked: the words are never published
    APPROVED = "approved"  # checked (and perhaps edited): the published text may be shown
    HIDDEN = "hidden"  # checked: not to be quoted (still counted)


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    STOPPED = "stopped"


class Source(enum.StrEnum):
    RESIDENT = "resident"  # a panel member, through their own page
    MEETING = "meeting"  # recorded by the team for the group at a meeting


class Theme(db.Model):
    """A safety theme residents can choose; managed by the municipality."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_nl: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_nl


action_item = Table(
    "action_item",
    db.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    # Indexed on its own too: the primary key serves lookups by action, this one lookups by
    # item (the actions taken on a wijk's feedback).
    Column("item_id", ForeignKey("feedback_item.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

action_meeting = Table(
    "action_meeting",
    db.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
)


class FeedbackItem(db.Model):
    """Something residents raised: a theme, a wijk, perhaps a place, and their words."""

    __tablename__ = "feedback_item"
    # Motion reports count a wijk's items per theme over a period from the index.
    __table_args__ = (Index("ix_feedback_item_wijk_created_theme", "neighbourhood_id",
                            "created_at", "theme_id"),
                      # The work list counts a wijk's items waiting for a check, by age.
                      Index("ix_feedback_item_wijk_review_created", "neighbourhood_id",
                            "review", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"), index=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    public_text: Mapped[str] = mapped_column(Text, default="")  # checked words for quoting
    source: Mapped[str] = mapped_column(String(10))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("panel_member.id", ondelete="SET NULL"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=ItemStatus.NEW.value, index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    partner: Mapped[str] = mapped_column(String(120), default="")
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # may contain personal data
    review: Mapped[str] = mapped_column(String(10), default=Review.PENDING.value)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    neighbourhood: Mapped[Neighbourhood] = relationship()
    theme: Mapped[Theme] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    actions: Mapped[list[Action]] = relationship(secondary=action_item,
                                                 back_populates="items")


def _created_at(context: Any) -> datetime:
    """A new action's last progress: its creation."""
    return cast(datetime, context.get_current_parameters()["created_at"])


class Action(db.Model):
    """What the team (or a partner) does about what residents raised."""

    __tablename__ = "action"
    __table_args__ = (
        # The work list counts a gebied's open actions by due date from the index.
        Index("ix_action_area_status_due", "area_id", "status", "due_date", "created_at"),
        # ... and those without progress for a while, by their last entry in the log.
        Index("ix_action_area_status_progress", "area_id", "status", "last_progress_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(120), default="")  # the team or a partner
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=ActionStatus.PLANNED.value,
                                        index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When the log last got an entry: its creation, or the latest ``ActionUpdate`` (kept by
    # ``services.update_action``), so that "no progress for 30 days" is read from an index
    # instead of looking through the log of every open action.
    last_progress_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_created_at)

    area: Mapped[Area] = relationship()
    items: Mapped[list[FeedbackItem]] = relationship(secondary=action_item,
                                                     back_populates="actions")
    meetings: Mapped[list[Meeting]] = relationship(secondary=action_meeting)
    updates: Mapped[list[ActionUpdate]] = relationship(back_populates="action",
                                                      order_by="ActionUpdate.created_at",
                                                      cascade="all, delete-orphan")


class ActionUpdate(db.Model):
    """One entry in an action's log: a status change, progress, or a note."""

    __tablename__ = "action_update"
    # An action's log in order (``Action.updates``).
    __table_args__ = (Index("ix_action_update_action_created", "action_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"),
                                           index=True)
    status_from: Mapped[str] = mapped_column(String(12), default="")
    status_to: Mapped[str] = mapped_column(String(12), default="")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[Action] = relationship(back_populates="updates")


class Notification(db.Model):
    """A resident was told about one status change of an action (never twice)."""

    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("update_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("action_update.id", ondelete="CASCADE"),
                                           index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_member.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Evaluation(db.Model):
    """An attendee's rating of a meeting, with optional comments."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"),
                                            index=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("panel_member.id", ondelete="SET NULL"), index=True)
    rating: Mapped[int | None] = mapped_column(Integer)  # 1 to 5
    comments: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship()
