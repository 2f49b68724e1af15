"""Helpers for the staff login tests: two-step login and session timestamps."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.test import TestResponse

from panel.auth import secret_box, sessions
from panel.auth.models import StaffSession, User
from panel.db import db, utcnow
from panel.security import hash_token
from tests import factories

STEP = 30  # seconds per TOTP code


def enable_two_factor(user: User) -> pyotp.TOTP:
    """Turn two-step login on for ``user`` directly in the database; returns its TOTP."""
    secret = pyotp.random_base32()
    user.totp_secret = secret_box.seal(secret)
    user.totp_enabled_at = utcnow()
    db.session.flush()
    return pyotp.TOTP(secret)


def code(totp: pyotp.TOTP, steps_from_now: int = 0) -> str:
    """The code for the time step ``steps_from_now`` away (within the accepted window ±1)."""
    return totp.at(time.time() + steps_from_now * STEP)


def login_with_code(client: FlaskClient, email: str, otp: str,
                    password: str = factories.PASSWORD) -> TestResponse:
    """Both steps of signing in; returns the response to the code step."""
    first = factories.login(client, email, password)
    assert first.status_code == 302, first.get_data(as_text=True)
    assert first.headers["Location"] == "/beheer/inloggen/code"
    return client.post("/beheer/inloggen/code", data={"code": otp})


def age_session(client: FlaskClient, **seconds_ago: int) -> None:
    """Move session times into the past, ``… seconds ago``: ``login=…`` and ``seen=…``
    are the start and the last use of the session on the server, ``auth=…`` the time the
    password was typed (in the cookie)."""
    with client.session_transaction() as stored:
        if "auth" in seconds_ago:
            stored[sessions.AUTH_AT] = int(time.time()) - seconds_ago["auth"]
        token = stored.get(sessions.SESSION_ID, "")
    columns = {"login": "created_at", "seen": "last_seen_at"}
    values = {column: utcnow() - timedelta(seconds=seconds_ago[name])
              for name, column in columns.items() if name in seconds_ago}
    if values:
        db.session.execute(update(StaffSession)
                           .where(StaffSession.token_hash == hash_token(token)).values(values))
        db.session.commit()


def error_message(response: TestResponse) -> str:
    """The text of the first error alert on the page."""
    match = re.search(r'utrecht-alert--error">\s*<p[^>]*>(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    assert match, "no error message on the page"
    return match.group(1)


def signed_in(client: FlaskClient) -> bool:
    """True when the client's session opens the staff start page."""
    return client.get("/beheer/").status_code == 200
