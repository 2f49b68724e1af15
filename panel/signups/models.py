"""Panel members, their consent, their personal links, the postcode table and imports."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from panel.areas.models import District, Neighbourhood
from panel.db import UTCDateTime, db, utcnow
from panel.search import member_search_text
from panel.signups.validation import postcode_text


class MemberStatus(enum.StrEnum):
    PENDING = "pending"  # joined online, has not confirmed the email yet
    INVITED = "invited"  # said yes in the survey or was registered by staff; not confirmed
    MEMBER = "member"  # confirmed: a member of the wijkpanel
    LEFT = "left"  # left the panel; personal data erased


class Source(enum.StrEnum):
    SURVEY = "survey"  # said yes in the Veiligheidsmonitor
    ONLINE = "online"  # joined through /aanmelden
    STAFF = "staff"  # registered by staff (paper or phone)


class ConsentChannel(enum.StrEnum):
    SURVEY = "survey"  # confirmed the survey invitation
    ONLINE = "online"  # joined online and confirmed the email
    PAPER = "paper"  # signed form, entered by staff
    PHONE = "phone"  # said yes on the phone, entered by staff


class LinkPurpose(enum.StrEnum):
    CONFIRM = "confirm"  # confirm the place in the panel (single use)
    ACCESS = "access"  # open the resident's own page (until it expires)
    LEAVE = "leave"  # leave the panel from an email (until it expires)


class ConsentStatement(db.Model):
    """A version of the text residents agree to when they join."""

    __tablename__ = "consent_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(20), unique=True)
    text_nl: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def text(self, language: str) -> str:
        return self.text_en if language == "en" else self.text_nl


# The columns a member is found by in the staff search (``panel.search``).
SEARCHED = ("name", "email", "phone", "postcode")


def _search_text_default(context: Any) -> str:
    """The search text of a row inserted without the ORM (the survey import's bulk INSERT,
    the benchmark's generator), from the row's own values."""
    row = context.get_current_parameters()
    return member_search_text(*(row.get(column) for column in SEARCHED))


class PanelMember(db.Model):
    """A resident in (or on the way into, or gone from) the panel of one wijk."""

    __tablename__ = "panel_member"
    __table_args__ = (
        # A team's member list: counts per wijk and status, newest first within a page.
        Index("ix_panel_member_wijk_status_created", "neighbourhood_id", "status",
              "created_at"),
        # Motion reports count members per wijk and source over a period from the index.
        Index("ix_panel_member_wijk_source_period", "neighbourhood_id", "source", "status",
              "confirmed_at", "left_at"),
        # A page of a team's member list, newest first, also when searching: the ids, and
        # the members a search finds, from the index alone (also on PostgreSQL, whose
        # indexes do not hold the primary key by themselves).
        Index("ix_panel_member_wijk_created", "neighbourhood_id", "created_at", "id",
              "search_text"),
        # Who asked to be called, per wijk (the few with a time, from the index alone).
        Index("ix_panel_member_wijk_call", "neighbourhood_id", "call_requested_at"),
        # Who waits for a confirmation by phone or post (invited, without an email
        # address), per wijk, from the index alone (the work list).
        Index("ix_panel_member_wijk_status_email", "neighbourhood_id", "status", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    source: Mapped[str] = mapped_column(String(10))
    respondent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Keyed hash of the respondent id, kept after leaving so a re-import never re-invites.
    respondent_key: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    # Not unique: people of one household may share an address (each has their own links).
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    postcode: Mapped[str] = mapped_column(String(6), default="")
    house_number: Mapped[str] = mapped_column(String(10), default="")
    street: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    language: Mapped[str] = mapped_column(String(2), default="nl")
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[str] = mapped_column(String(200), default="")  # comma-separated slots
    short_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Name, email address, phone number and postcode folded for the staff search
    # (``panel.search``): kept by ``_keep_search_text`` on every ORM write and by the
    # column default on bulk inserts; emptied with the rest when the member leaves. An
    # UPDATE without the ORM that changes those columns must set it too.
    search_text: Mapped[str] = mapped_column(Text, default=_search_text_default,
                                             server_default="")
    # When the resident asked to be called (on the join form or their own page); empty
    # again once staff called them, and when they leave.
    call_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    neighbourhood: Mapped[Neighbourhood] = relationship()
    consents: Mapped[list[Consent]] = relationship(back_populates="member",
                                                   order_by="Consent.given_at")

    @property
    def availability_slots(self) -> list[str]:
        return [slot for slot in self.availability.split(",") if slot]

    @property
    def address_line(self) -> str:
        """The address as Dutch letters write it: ``Laat 12, 1811 AB Alkmaar`` (the
        postcode is kept without its space)."""
        street = " ".join(part for part in (self.street, self.house_number) if part)
        place = " ".join(part for part in (postcode_text(self.postcode or ""), self.city)
                         if part)
        return ", ".join(part for part in (street, place) if part)


@event.listens_for(PanelMember, "before_insert")
@event.listens_for(PanelMember, "before_update")
def _keep_search_text(mapper: Mapper[PanelMember], connection: Connection,
                      member: PanelMember) -> None:
    """Write the search text again whenever the ORM writes a member whose name, email
    address, phone number or postcode changed (every new member included)."""
    state = inspect(member)
    if state.has_identity and not any(state.attrs[column].history.has_changes()
                                       for column in SEARCHED):
        return
    member.search_text = member_search_text(*(getattr(member, column) for column in SEARCHED))


class Consent(db.Model):
    """Proof of consent: which statement, when, through which channel, entered by whom."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_member.id", ondelete="CASCADE"),
                                           index=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("consent_statement.id"))
    channel: Mapped[str] = mapped_column(String(10))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[PanelMember] = relationship(back_populates="consents")
    statement: Mapped[ConsentStatement] = relationship()


class MemberLink(db.Model):
    """A personal link for a resident. Only the token's hash is stored."""

    __tablename__ = "member_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("panel_member.id", ondelete="CASCADE"),
                                           index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[PanelMember] = relationship()


class Postcode(db.Model):
    """The municipality's postcode table: a PC6 postcode lies in one buurt."""

    __tablename__ = "postcode"

    id: Mapped[int] = mapped_column(primary_key=True)
    postcode: Mapped[str] = mapped_column(String(6), unique=True)
    street: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)

    district: Mapped[District] = relationship()


class ImportRecord(db.Model):
    """One upload of a survey export: kept as a record; the file itself only until it is
    imported."""

    __tablename__ = "import_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mapping: Mapped[str] = mapped_column(Text, default="{}")  # JSON field -> header
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    summary: Mapped[str] = mapped_column(Text, default="{}")  # JSON status -> count
    row_count: Mapped[int] = mapped_column(Integer, default=0)
