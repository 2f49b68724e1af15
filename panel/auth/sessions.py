"""Staff sessions: when they start, how long they last, and when they must be renewed.

Everything about a signed-in staff session is decided here, in one place:

- ``start`` signs a user in after every step has passed and stamps the session with the
  login time, the last activity and the account's ``session_version``;
- ``load_user`` (Flask-Login's user loader) refuses a session whose version is older than
  the account's, so changing the password or two-step login ends every other session;
- ``check_session`` (run before every request) ends a session after
  ``PANEL_SESSION_IDLE_MINUTES`` without activity (to the minute) or
  ``PANEL_SESSION_MAX_HOURS`` in total, and, where two-step login is required, a session
  of an account without it;
- ``fresh_login_required`` asks for the password again before a sensitive action when it
  was typed longer ago than ``PANEL_FRESH_LOGIN_MINUTES``;
- between the password and the second step, the user is *not* signed in: the pending
  login lives in the session under ``PENDING`` (``begin_pending`` / ``pending_user``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from panel.auth.models import User
from panel.auth.two_factor import has_two_factor
from panel.db import db
from panel.extensions import login_manager
from panel.outcome import say
from panel.security import is_safe_redirect

__all__ = [
    "begin_pending", "clear_pending", "end", "fresh_login_required", "is_fresh",
    "keep_current", "load_user", "mark_fresh", "pending_next", "pending_user",
    "reauthenticate", "register", "start", "two_factor_required",
]

LOGIN_AT = "staff_login_at"  # when the user signed in (the absolute limit counts from here)
AUTH_AT = "staff_auth_at"  # when the password was last typed (for fresh_login_required)
SEEN_AT = "staff_seen_at"  # the last request (for the idle limit), to the minute
# The last request is written into the session at most once a minute: the session cookie
# then only needs to be signed and sent again when it changed (``SESSION_REFRESH_EACH_
# REQUEST`` is off), not on every request. The idle limit is counted from that minute.
SEEN_EVERY = 60
VERSION = "staff_version"  # the account's session_version when this session was made
PENDING = "staff_pending"  # a login waiting for its second step, or for enrolment
PENDING_CODE = "code"  # the password was right; the code from the app is next
PENDING_ENROL = "enrol"  # the password was right; two-step login must be set up first
PENDING_SECONDS = 10 * 60  # time to finish the second step (or to set up the app)
_FLASK_LOGIN_KEY = "_user_id"

F = TypeVar("F", bound=Callable[..., Any])


def _now() -> int:
    return int(time.time())


def two_factor_required() -> bool:
    """Two-step login is required for every staff account in production only."""
    return bool(current_app.config["PANEL_ENV"] == "production")


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the account, unless the session is older than the last
    change of password or two-step login, or the account is blocked."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active:
        return None
    if session.get(VERSION) != user.session_version:
        return None
    return user


def start(user: User) -> None:
    """Sign ``user`` in. Call only after every step (password and, if on, the code) passed."""
    session.clear()
    login_user(user)
    session.permanent = True
    now = _now()
    session[LOGIN_AT] = session[AUTH_AT] = session[SEEN_AT] = now
    session[VERSION] = user.session_version


def end() -> None:
    """Sign out and forget everything in the session."""
    logout_user()
    session.clear()


def keep_current(user: User) -> None:
    """After a change that ended every session of ``user`` (new password, two-step login
    on or off): keep this one. The user just proved who they are, so it is fresh too."""
    session[VERSION] = user.session_version
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
    """Before every request: end a staff session that is too old, idle too long, refused by
    the loader, or (where required) of an account without two-step login. The request then
    goes on as a visitor's, so staff pages send it to the sign-in page."""
    if request.endpoint == "static" or _FLASK_LOGIN_KEY not in session:
        return
    if not current_user.is_authenticated:
        end()
        say(_("You are signed out. Please sign in again."), "info")
        return
    config = current_app.config
    now = _now()
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if (not isinstance(login_at, int) or not isinstance(seen_at, int)
            or now - login_at > config["PANEL_SESSION_MAX_HOURS"] * 3600
            or now - seen_at > config["PANEL_SESSION_IDLE_MINUTES"] * 60):
        end()
        say(_("You were signed out because you were away for a while, or signed in a long "
              "time ago. Please sign in again."), "info")
        return
    if two_factor_required() and not has_two_factor(cast(User, current_user)):
        end()
        say(_("Sign in again and set up two-step login."), "info")
        return
    if now - seen_at >= SEEN_EVERY:
        session[SEEN_AT] = now


def register(app: Flask) -> None:
    """Install the user loader and the session check on ``app`` (called by the factory)."""
    login_manager.user_loader(load_user)
    app.before_request(check_session)
