"""Who gets the work list by email every week (off unless the staff member turns it on)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from panel.db import UTCDateTime, db, utcnow


class WeeklyWorkList(db.Model):
    """A staff member chose to get their work list by email once a week."""

    __tablename__ = "weekly_work_list"

    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
