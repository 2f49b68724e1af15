"""Staff accounts and their one-time password links."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.areas.models import Area
from panel.db import UTCDateTime, db, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"  # configures the municipality and the accounts
    TEAM = "team"  # member of one or more area teams; sees only those gebieden
    CLERK = "clerk"  # griffie: aggregated figures and reports, never personal data


user_area = Table(
    "user_area",
    db.metadata,
    Column("user_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """A staff member. Residents never have an account."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised whenever the password or two-factor login changes: every session that carries
    # an older number is ended (server-side revocation, not only a cookie).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Encrypted (a Fernet token, panel.auth.secret_box); only panel.auth.two_factor opens it.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column()  # the last code used: no replay
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    areas: Mapped[list[Area]] = relationship(secondary=user_area, order_by=Area.name)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active


class PasswordLink(db.Model):
    """A one-time, expiring link to set a password. Only the token's hash is stored."""

    __tablename__ = "password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A one-time code to sign in when the authenticator app is lost (stored hashed)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffSession(db.Model):
    """A signed-in staff session, kept on the server (``panel/auth/staff_sessions.py``).

    The session cookie carries only an opaque random id; its hash is stored here. A cookie
    is accepted while its row is live: not ended, and within the idle and absolute limits
    counted from ``last_seen_at`` and ``created_at``. ``browser`` and ``system`` are the
    names of the browser and operating system (no versions, no address), enough for the
    staff member to recognise a device in the list of sessions.
    """

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(20), default="", server_default="")
    browser: Mapped[str] = mapped_column(String(40), default="", server_default="")
    system: Mapped[str] = mapped_column(String(40), default="", server_default="")
