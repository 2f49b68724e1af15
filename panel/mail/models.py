"""Messages waiting in, or delivered from, the outbox."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from panel.db import UTCDateTime, db, utcnow


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for (another) delivery attempt
    SENDING = "sending"  # claimed by one send-mail run (``claimed_by``)
    SENT = "sent"
    FAILED = "failed"  # permanent failure or too many attempts


class OutboxMessage(db.Model):
    """One email, fully rendered when queued, delivered by ``flask send-mail``."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The state of mail on the administrator's start page: the newest settings check,
        # and the messages waiting or failed, counted from the index alone.
        Index("ix_outbox_message_check_id", "is_check", "id"),
        Index("ix_outbox_message_status_check_to", "status", "is_check", "to_address"),
        # Why queued messages wait (an error in the settings), among those tried before.
        Index("ix_outbox_message_status_attempts", "status", "attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    headers: Mapped[str] = mapped_column(Text, default="{}")  # JSON object of extra headers
    # JSON list of {"filename", "content_type", "data" (base64)}: e.g. a calendar invitation
    attachments: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    language: Mapped[str] = mapped_column(String(5), default="nl")
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.QUEUED.value, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    # The send-mail run holding the message while ``sending`` (``panel.mail.runs``): when
    # that run is gone, the next run knows the claim is abandoned.
    claimed_by: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Set (and committed) just before the end of the message's DATA goes to the server:
    # from then on the server may have accepted it, so it is never sent again.
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The row of a check of the mail settings (``mail.services.check_settings``): its test
    # message, or the outcome when no message could be made. Not a message to a resident.
    is_check: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
