"""Staff sessions: when they start, how long they last, and when they must be renewed.

Everything about a signed-in staff session on the request's side is decided here; the
session itself is kept on the server (``panel/auth/staff_sessions.py``), and the cookie
carries only its opaque id (``SESSION_ID``), so that a session ends on the server:

- ``start`` signs a user in after every step has passed: a new server-side session, its
  id in the cookie, and the time the password was typed;
- ``load_user`` (Flask-Login's user loader) accepts the cookie only while its session is
  live: not ended (signed out, ended from the list of sessions, a new password or two-step
  login, a blocked account), used in the last ``PANEL_SESSION_IDLE_MINUTES`` and started
  in the last ``PANEL_SESSION_MAX_HOURS``. It is one statement, the one that loads the user;
- ``check_session`` (run before every request) signs a refused cookie out, ends, where
  two-step login is required, a session of an account without it, and writes the last use
  (at most once a minute);
- ``end`` signs out and ends the session on the server; ``keep_current`` renews this
  session after a change that ended every session of the account;
- ``fresh_login_required`` asks for the password again before a sensitive action when it
  was typed longer ago than ``PANEL_FRESH_LOGIN_MINUTES``;
- between the password and the second step, the user is *not* signed in: the pending
  login lives in the session under ``PENDING`` (``begin_pending`` / ``pending_user``).

``start``, ``keep_current`` and ``end`` commit their own change: the session must exist,
or be over, whatever the view does next.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from panel.auth import staff_sessions
from panel.auth.models import User
from panel.auth.two_factor import has_two_factor
from panel.db import db
from panel.extensions import login_manager
from panel.outcome import say
from panel.security import is_safe_redirect

__all__ = [
    "begin_pending", "clear_pending", "current_session_id", "end", "forget",
    "fresh_login_required", "is_fresh", "keep_current", "load_user", "mark_fresh",
    "pending_next", "pending_user", "reauthenticate", "register", "start",
    "two_factor_required",
]

SESSION_ID = "staff_session"  # the opaque id of this session's row on the server
AUTH_AT = "staff_auth_at"  # when the password was last typed (for fresh_login_required)
PENDING = "staff_pending"  # a login waiting for its second step, or for enrolment
PENDING_CODE = "code"  # the password was right; the code from the app is next
PENDING_ENROL = "enrol"  # the password was right; two-step login must be set up first
PENDING_SECONDS = 10 * 60  # time to finish the second step (or to set up the app)
_FLASK_LOGIN_KEY = "_user_id"
_FOUND = "staff_session"  # in ``g``: what the loader found for this request's cookie

F = TypeVar("F", bound=Callable[..., Any])


def _now() -> int:
    return int(time.time())


def two_factor_required() -> bool:
    """Two-step login is required for every staff account in production only."""
    return bool(current_app.config["PANEL_ENV"] == "production")


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the account, while the session the cookie names is live
    and the account is not blocked (see ``staff_sessions.find``). What it found is kept in
    ``g`` for the rest of the request."""
    token = session.get(SESSION_ID)
    try:
        account = int(user_id)
    except (TypeError, ValueError):
        return None
    if not isinstance(token, str) or not token:
        return None
    found = staff_sessions.find(account, token)
    setattr(g, _FOUND, found)
    return found.user if found is not None and found.live else None


def _found() -> staff_sessions.Found | None:
    """What the loader found for this request's cookie (it runs here if it has not yet)."""
    if _FOUND not in g and _FLASK_LOGIN_KEY in session:
        current_user._get_current_object()  # type: ignore[attr-defined]
    return cast(staff_sessions.Found | None, g.get(_FOUND))


def current_session_id() -> int | None:
    """The id of the live session this request belongs to, or None."""
    found = _found()
    return found.row.id if found is not None and found.live else None


def _user_agent() -> str:
    return request.user_agent.string if request else ""


def start(user: User) -> None:
    """Sign ``user`` in. Call only after every step (password and, if on, the code) passed."""
    session.clear()
    token = staff_sessions.open_session(user, _user_agent())
    db.session.commit()
    login_user(user)
    session.permanent = True
    session[SESSION_ID] = token
    session[AUTH_AT] = _now()


def forget() -> None:
    """Sign out in this browser only: forget everything in the cookie. For a cookie the
    server refused already."""
    logout_user()
    session.clear()
    setattr(g, _FOUND, None)


def end() -> None:
    """Sign out: end this session on the server and forget everything in the cookie."""
    found = _found()
    token = session.get(SESSION_ID)
    if found is not None and isinstance(token, str):
        staff_sessions.end(found.user, token, actor=found.user)
        db.session.commit()
    forget()


def keep_current(user: User) -> None:
    """After a change that ended every session of ``user`` (new password, two-step login
    on or off, new recovery codes): go on in this one, renewed with a new id (the old one
    stays ended, so a copy of the old cookie is worthless). It keeps its start, from which
    the absolute limit counts. The user just proved who they are, so it is fresh too."""
    found = _found()
    started_at = found.row.created_at if found is not None else None
    token = staff_sessions.open_session(user, _user_agent(), started_at=started_at)
    db.session.commit()
    session[SESSION_ID] = token
    setattr(g, _FOUND, None)
    mark_fresh()


def mark_fresh() -> None:
    """The user typed the password just now."""
    session[AUTH_AT] = _now()


def is_fresh() -> bool:
    """True when the password was typed in the last ``PANEL_FRESH_LOGIN_MINUTES``."""
    typed_at = session.get(AUTH_AT)
    limit = current_app.config["PANEL_FRESH_LOGIN_MINUTES"] * 60
    return isinstance(typed_at, int) and 0 <= _now() - typed_at <= limit


def _return_path() -> str:
    """Where to come back to after confirming the password: this page for GET, otherwise
    the page the form was on (a POST cannot be repeated by a redirect)."""
    if request.method == "GET":
        target = request.full_path.rstrip("?")
    else:
        parts = urlsplit(request.referrer or "")
        same_site = not parts.netloc or parts.netloc == request.host
        target = parts.path + (f"?{parts.query}" if parts.query else "") if same_site else ""
    return target if is_safe_redirect(target) else url_for("auth.dashboard")


def reauthenticate() -> Response:
    """Send the user to confirm the password, and back here afterwards."""
    return redirect(url_for("auth.confirm", next=_return_path()))


def fresh_login_required(view: F) -> F:
    """Decorate a staff view that changes accounts or exports personal data: it needs a
    signed-in user who typed the password in the last ``PANEL_FRESH_LOGIN_MINUTES``;
    otherwise the password is asked again first. Implies ``login_required``."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        if not is_fresh():
            return reauthenticate()
        return view(*args, **kwargs)

    return cast(F, wrapper)


def begin_pending(user: User, purpose: str, target: str | None) -> None:
    """Remember that ``user`` typed the right password and must now pass ``purpose``
    (PENDING_CODE or PENDING_ENROL). The user is not signed in yet."""
    session.clear()
    session[PENDING] = {"user": user.id, "purpose": purpose, "at": _now(),
                        "version": user.session_version,
                        "next": target if is_safe_redirect(target) else None}


def _pending() -> dict[str, Any] | None:
    data = session.get(PENDING)
    if not isinstance(data, dict) or not isinstance(data.get("at"), int):
        return None
    if not 0 <= _now() - data["at"] <= PENDING_SECONDS:
        return None
    return data


def pending_user(purpose: str) -> User | None:
    """The account waiting for ``purpose``, or None when there is none or it took too long
    (or the account changed or was blocked in the meantime)."""
    data = _pending()
    if data is None or data.get("purpose") != purpose:
        return None
    user = db.session.get(User, data.get("user"))
    if user is None or not user.active or user.session_version != data.get("version"):
        return None
    return user


def pending_next() -> str | None:
    """The page asked for before signing in, if it is a safe one."""
    data = _pending() or {}
    target = data.get("next")
    return target if is_safe_redirect(target) else None


def clear_pending() -> bool:
    """Forget a pending login. Returns True when there was one."""
    return session.pop(PENDING, None) is not None


def check_session() -> None:
    """Before every request: sign out a cookie whose session the loader refused (ended on
    the server, idle too long, too old, or of a blocked account) and, where required, a
    session of an account without two-step login; write the last use of a live session
    at most once a minute. A refused request goes on as a visitor's, so staff pages send
    it to the sign-in page."""
    if request.endpoint == "static" or _FLASK_LOGIN_KEY not in session:
        return
    if not current_user.is_authenticated:
        found = _found()
        ran_out = found is not None and found.user.active and found.state in (
            staff_sessions.State.IDLE, staff_sessions.State.TOO_OLD)
        forget()
        if ran_out:
            say(_("You were signed out because you were away for a while, or signed in a "
                  "long time ago. Please sign in again."), "info")
        else:
            say(_("You are signed out. Please sign in again."), "info")
        return
    if two_factor_required() and not has_two_factor(cast(User, current_user)):
        forget()
        say(_("Sign in again and set up two-step login."), "info")
        return
    found = _found()
    if found is not None:
        staff_sessions.touch(found.row)


def register(app: Flask) -> None:
    """Install the user loader and the session check on ``app`` (called by the factory)."""
    login_manager.user_loader(load_user)
    app.before_request(check_session)
