"""The audit log: who viewed, exported or changed personal data, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from panel.db import UTCDateTime, db, utcnow


class AuditEvent(db.Model):
    """One event. It names objects by type and id, never by their personal data."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(40), default="")  # "staff", "resident", "system"
    action: Mapped[str] = mapped_column(String(40), index=True)  # view, export, change, erase…
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(40), default="")
    result: Mapped[str] = mapped_column(String(12), default="ok")  # ok, denied, failed
    address: Mapped[str] = mapped_column(String(45), default="")  # the client's IP address
    detail: Mapped[str] = mapped_column(String(200), default="")
