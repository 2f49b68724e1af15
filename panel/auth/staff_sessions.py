"""Staff sessions kept on the server, so that they end on the server.

A signed-in staff member's cookie carries an opaque random id; the database keeps its
hash in a ``staff_session`` row with the account, when it started, when it was last used
and when it ended. The cookie is accepted only while that row is live:

- not ended: signing out, ending it from the list of sessions, a new password, a change
  of two-step login or new recovery codes, and an administrator blocking the account or
  changing its role end rows (``end``, ``end_all``), so a copy of the cookie is worthless
  at once, on every app process;
- used in the last ``PANEL_SESSION_IDLE_MINUTES`` (``last_seen_at``, written at most once
  a minute, ``SEEN_EVERY``) and started in the last ``PANEL_SESSION_MAX_HOURS``.

The check costs no statement of its own: ``find`` loads the account and its session row
in the one statement that loads the signed-in user. Rows that ended or ran out are
deleted when their user signs in again and by ``purge`` (``flask purge-expired``).

Every row that is ended on purpose is announced on ``sessions_ended`` (the audit log
records it; auth does not import the privacy domain). A row that runs out needs no
writing: it is no longer live, and ``purge`` removes it.

These functions take plain arguments and never touch the request; the cookie side is in
``panel/auth/sessions.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from blinker import Namespace
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from ua_parser import parse as parse_user_agent

from panel.auth.models import StaffSession, User
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.security import hash_token, new_token

__all__ = [
    "Found", "Reason", "SEEN_EVERY", "State", "active_sessions", "device", "end", "end_all",
    "end_one_of_mine", "end_others", "find", "open_session", "purge", "sessions_ended",
    "state_of", "touch",
]

# The last use is written at most once a minute: the idle limit counts in minutes, and a
# write on every request would cost a statement on every page.
SEEN_EVERY = timedelta(seconds=60)
# ``sessions_ended.send(actor, user=…, ids=[…], reason=Reason…)``: rows ended on purpose.
# ``actor`` is the staff member who ended them, or None (the signed-in user in a request,
# the system elsewhere).
sessions_ended = Namespace().signal("staff-sessions-ended")


class Reason(StrEnum):
    """Why a session was ended; stored in ``end_reason`` and said in the audit log."""

    SIGNED_OUT = "signed_out"
    ENDED = "ended"  # from the list of sessions, by its own staff member
    PASSWORD = "password"  # noqa: S105 - a reason, not a password
    TWO_STEP = "two_step"
    RECOVERY_CODES = "recovery_codes"
    BLOCKED = "blocked"
    ROLE = "role"


# The audit log's note for each reason: short English, as panel/privacy/details.py knows.
NOTES = {
    Reason.SIGNED_OUT: "signed out",
    Reason.ENDED: "ended from the list of sessions",
    Reason.PASSWORD: "password changed",
    Reason.TWO_STEP: "two-step login changed",
    Reason.RECOVERY_CODES: "new recovery codes",
    Reason.BLOCKED: "account blocked",
    Reason.ROLE: "role changed",
}


class State(StrEnum):
    LIVE = "live"
    ENDED = "ended"
    IDLE = "idle"  # not used for longer than the idle limit
    TOO_OLD = "too_old"  # started longer ago than the absolute limit


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    total: timedelta


@dataclass(frozen=True)
class Found:
    """The account of a session cookie, its session row and the row's state."""

    user: User
    row: StaffSession
    state: State

    @property
    def live(self) -> bool:
        return self.state is State.LIVE and self.user.active


def limits() -> Limits:
    """The idle and absolute limits, read from the configuration at every use."""
    config = current_app.config
    return Limits(idle=timedelta(minutes=config["PANEL_SESSION_IDLE_MINUTES"]),
                  total=timedelta(hours=config["PANEL_SESSION_MAX_HOURS"]))


def _live_clause(now: datetime, limit: Limits) -> ColumnElement[bool]:
    return and_(StaffSession.ended_at.is_(None),
                StaffSession.last_seen_at > now - limit.idle,
                StaffSession.created_at > now - limit.total)


def _dead_clause(now: datetime, limit: Limits) -> ColumnElement[bool]:
    return or_(StaffSession.ended_at.is_not(None),
               StaffSession.last_seen_at <= now - limit.idle,
               StaffSession.created_at <= now - limit.total)


def device(user_agent: str | None) -> tuple[str, str]:
    """``(browser, system)``: the names of the browser and operating system in a
    User-Agent header, without versions (``("Firefox", "Windows")``); empty when unknown.

    ua-parser (the Browserscope rules) reads the header; it runs once per sign-in."""
    result = parse_user_agent((user_agent or "")[:1000])
    browser = result.user_agent.family if result.user_agent else ""
    system = result.os.family if result.os else ""
    return ("" if browser == "Other" else browser[:40]), ("" if system == "Other" else system[:40])


def open_session(user: User, user_agent: str | None = None,
                 started_at: datetime | None = None, now: datetime | None = None) -> str:
    """Start a session row for ``user``; returns the opaque id for the cookie (only its
    hash is stored). ``started_at`` keeps the start of a session that is renewed (the
    absolute limit counts from the sign-in). The user's rows that ended or ran out are
    deleted here, so the table holds about one row per device in use."""
    now = now or utcnow()
    db.session.execute(delete(StaffSession).where(StaffSession.user_id == user.id,
                                                  _dead_clause(now, limits())))
    token, token_hash = new_token()
    browser, system = device(user_agent)
    db.session.add(StaffSession(token_hash=token_hash, user_id=user.id,
                                created_at=started_at or now, last_seen_at=now,
                                browser=browser, system=system))
    db.session.flush()
    return token


def state_of(row: StaffSession, now: datetime | None = None,
             limit: Limits | None = None) -> State:
    """Whether ``row`` is live, ended, idle too long or too old."""
    now = now or utcnow()
    limit = limit or limits()
    if row.ended_at is not None:
        return State.ENDED
    if now - row.created_at >= limit.total:
        return State.TOO_OLD
    if now - row.last_seen_at >= limit.idle:
        return State.IDLE
    return State.LIVE


def find(user_id: int, token: str, now: datetime | None = None) -> Found | None:
    """The account ``user_id`` with the session whose opaque id is ``token``, in one
    statement (the one that loads the signed-in user); None when there is no such row for
    that account. ``Found.live`` says whether the cookie may be used."""
    loaded = db.session.execute(
        select(User, StaffSession)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(User.id == user_id, StaffSession.token_hash == hash_token(token))
    ).first()
    if loaded is None:
        return None
    user, row = loaded
    return Found(user=user, row=row, state=state_of(row, now))


def touch(row: StaffSession, now: datetime | None = None) -> bool:
    """Write the last use of a live session, at most once every ``SEEN_EVERY``. Written
    on a connection of its own and committed at once, so the request's own outcome (a
    page that reads only, an error) does not undo it. Returns True when it wrote."""
    now = now or utcnow()
    if now - row.last_seen_at < SEEN_EVERY:
        return False
    with db.engine.begin() as connection:
        connection.execute(update(StaffSession)
                           .where(StaffSession.id == row.id, StaffSession.ended_at.is_(None))
                           .values(last_seen_at=now))
    set_committed_value(row, "last_seen_at", now)  # written: nothing left to flush
    return True


def _end(where: Iterable[ColumnElement[bool]], user: User, reason: Reason,
         actor: User | None) -> list[int]:
    """End the live rows matched by ``where``; announce them. Returns their ids."""
    ended = list(db.session.scalars(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None), *where)
        .values(ended_at=utcnow(), end_reason=reason.value)
        .returning(StaffSession.id)
        .execution_options(synchronize_session=False)))
    if ended:
        sessions_ended.send(actor, user=user, ids=sorted(ended), reason=reason)
    return sorted(ended)


def end(user: User, token: str, reason: Reason = Reason.SIGNED_OUT,
        actor: User | None = None) -> list[int]:
    """End the session of ``user`` whose opaque id is ``token`` (signing out)."""
    return _end([StaffSession.token_hash == hash_token(token)], user, reason, actor)


def end_all(user: User, reason: Reason, actor: User | None = None) -> list[int]:
    """End every session of ``user`` (a new password, another two-step login, a blocked
    account). The session the change was made in is renewed by the caller, if it goes
    on (``panel.auth.sessions.keep_current``)."""
    return _end([], user, reason, actor)


def active_sessions(user: User, now: datetime | None = None) -> list[StaffSession]:
    """The live sessions of ``user``, the most recently used first."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(StaffSession)
        .where(StaffSession.user_id == user.id, _live_clause(now, limits()))
        .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())))


def end_one_of_mine(user: User, session_id: int, current_id: int | None) -> None:
    """``user`` ends one of their own other sessions. Raises NotFound for a session that
    is not theirs, DomainError for the one they are using or one that is over already."""
    if session_id == current_id:
        raise DomainError(_l("This is the session you are using now. Use Sign out to end "
                             "it."))
    if db.session.scalar(select(StaffSession.id).where(
            StaffSession.id == session_id, StaffSession.user_id == user.id)) is None:
        raise NotFound()
    if not _end([StaffSession.id == session_id, _live_clause(utcnow(), limits())],
                user, Reason.ENDED, user):
        raise DomainError(_l("This session has ended already."))


def end_others(user: User, current_id: int | None) -> list[int]:
    """``user`` ends all their sessions but the one they are using. Returns the ids."""
    where = [_live_clause(utcnow(), limits())]
    if current_id is not None:
        where.append(StaffSession.id != current_id)
    return _end(where, user, Reason.ENDED, user)


def purge(now: datetime | None = None) -> int:
    """Delete every session row that ended or ran out. Returns how many."""
    now = now or utcnow()
    return db.session.execute(
        delete(StaffSession).where(_dead_clause(now, limits()))).rowcount or 0
