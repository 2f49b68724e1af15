"""Meetings, their date polls, invitations and replies."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    literal_column,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.areas.models import Area, Neighbourhood
from panel.auth.models import User
from panel.db import UTCDateTime, db, utcnow
from panel.signups.models import PanelMember


class MeetingKind(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class MeetingStatus(enum.StrEnum):
    POLL = "poll"  # the date is being chosen with a poll among the panel members
    DRAFT = "draft"  # planned, not yet open for replies
    OPEN = "open"  # open for replies; shown publicly
    CANCELLED = "cancelled"


# Shown instead of "open" once an open meeting has started (not stored: a derived state).
PAST = "past"


class ReplyStatus(enum.StrEnum):
    ATTENDING = "attending"  # said yes and has a place
    WAITING = "waiting"  # said yes, on the waitlist
    DECLINED = "declined"  # said no (or withdrew)
    WALK_IN = "walk_in"  # came without replying (entered at attendance)


meeting_neighbourhood = Table(
    "meeting_neighbourhood",
    db.metadata,
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("neighbourhood_id", ForeignKey("neighbourhood.id", ondelete="CASCADE"),
           primary_key=True),
)

meeting_staff = Table(
    "meeting_staff",
    db.metadata,
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
)


def _new_uid() -> str:
    return f"{uuid.uuid4()}@wijkpanel"


# A meeting without attendance or a short report, as the partial index
# ``ix_meeting_unrecorded`` states it. A database uses that index only for a query that
# states the same condition, with the same constant (see ``unrecorded``).
UNRECORDED_SQL = "closed_at IS NULL OR report = ''"


class Meeting(db.Model):
    """A bijeenkomst of a gebied's panel, for one or more of its wijken."""

    __tablename__ = "meeting"
    __table_args__ = (
        # The open and planned meetings of the coming days (the work list), by status and
        # start.
        Index("ix_meeting_status_starts", "status", "starts_at"),
        # The few meetings without attendance or a short report (``unrecorded``): the
        # work list counts those that ended from this index alone, instead of reading
        # every meeting a gebied ever had.
        Index("ix_meeting_unrecorded", "status", "area_id", "ends_at",
              sqlite_where=text(UNRECORDED_SQL), postgresql_where=text(UNRECORDED_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default=MeetingKind.IN_PERSON.value)
    venue: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    accessibility: Mapped[str] = mapped_column(Text, default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=30)
    # Places taken, changed only by a conditional UPDATE so two replies can never both take
    # the last place (see services.reply).
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    # Waitlist numbers handed out so far, raised by an unconditional UPDATE … RETURNING for
    # each person joining the waitlist: that UPDATE locks the meeting's row, so people who
    # join at the same moment get their numbers one after the other (see services.reply).
    waitlist_counter: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(10), default=MeetingStatus.DRAFT.value, index=True)
    uid: Mapped[str] = mapped_column(String(100), unique=True, default=_new_uid)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE
    report: Mapped[str] = mapped_column(Text, default="")
    extra_attendees: Mapped[int] = mapped_column(Integer, default=0)  # present, not on the list
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    area: Mapped[Area] = relationship()
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=meeting_neighbourhood, order_by=Neighbourhood.name)
    team: Mapped[list[User]] = relationship(secondary=meeting_staff, order_by=User.name)
    slots: Mapped[list[PollSlot]] = relationship(back_populates="meeting",
                                                 order_by="PollSlot.starts_at",
                                                 cascade="all, delete-orphan")

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)

    def has_started(self, now: datetime | None = None) -> bool:
        """Open and its start has come: from then on it takes no replies and no invitations
        and is shown as past. Derived from the time, nothing is stored."""
        return self.status == MeetingStatus.OPEN and self.starts_at is not None \
            and self.starts_at <= (now or utcnow())

    def has_ended(self, now: datetime | None = None) -> bool:
        """Open and its end has come: time to keep attendance and write the report."""
        end = self.ends_at or self.starts_at
        return self.status == MeetingStatus.OPEN and end is not None and end <= (now or utcnow())

    def is_past(self, now: datetime | None = None) -> bool:
        """Its start has come, whatever its status (also cancelled or never opened)."""
        return self.starts_at is not None and self.starts_at <= (now or utcnow())

    def shown_status(self, now: datetime | None = None) -> str:
        """The status to show: ``past`` once an open meeting has started (see
        ``forms.STATUS_LABELS``), otherwise the stored status."""
        return PAST if self.has_started(now) else self.status


def unrecorded() -> ColumnElement[bool]:
    """Open, without attendance or a short report (whether it ended is up to the caller):
    the condition of the index ``ix_meeting_unrecorded``, with its constant written into
    the statement, so that both databases use the index (also in a plan made once for
    every run)."""
    return and_(Meeting.status == MeetingStatus.OPEN.value,
                or_(Meeting.closed_at.is_(None), Meeting.report == literal_column("''")))


class PollSlot(db.Model):
    """A candidate date and time in a meeting's date poll."""

    __tablename__ = "poll_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"),
                                            index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="slots")


class PollVote(db.Model):
    """A panel member says a candidate slot suits them."""

    __tablename__ = "poll_vote"
    __table_args__ = (UniqueConstraint("slot_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("poll_slot.id", ondelete="CASCADE"),
                                         index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_member.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(db.Model):
    """A panel member was invited to a meeting (or to its date poll)."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"),
                                            index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_member.id", ondelete="CASCADE"),
                                           index=True)
    channel: Mapped[str] = mapped_column(String(10), default="email")  # email or letter
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the reply link
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    poll_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the letter (channel "letter") was last printed: letters still to print are the
    # letter invitations of an upcoming meeting where this is empty.
    letter_printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship()
    member: Mapped[PanelMember] = relationship()


class Reply(db.Model):
    """A member's answer to a meeting, with the place or waitlist spot it gives them."""

    __tablename__ = "reply"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"),
                                            index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_member.id", ondelete="CASCADE"),
                                           index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    replied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The moment the member asked for a place (kept for the record; not the order).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Waitlist order: the meeting's waitlist_counter when the member joined the waitlist.
    waiting_number: Mapped[int | None] = mapped_column(Integer)
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))  # reply taken by phone or post
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended: Mapped[bool | None] = mapped_column(Boolean)

    meeting: Mapped[Meeting] = relationship()
    member: Mapped[PanelMember] = relationship()
