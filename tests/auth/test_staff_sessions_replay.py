"""A copy of a staff member's session cookie is worthless as soon as the session ends on
the server: signing out, the idle and absolute limits, a new password, any change of
two-step login, ending it from the list of sessions, and an administrator blocking the
account or changing its role. The copy is replayed on the list of members and on the
export of their personal data, and must be sent to the sign-in page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from panel.auth.models import StaffSession, User
from panel.db import db
from tests import factories
from tests.auth.helpers import age_session, code, enable_two_factor, login_with_code

TEAM = "noord@example.org"
PAGES = ("/beheer/leden", "/beheer/leden/export.csv")
NEW_PASSWORD = "een nieuwe lange zin om te onthouden"


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    factories.member(item.mare, "Anna de Vries", "anna@example.org")
    session.commit()
    return item


def copy_of(client: FlaskClient) -> str:
    """The value of the client's session cookie, as someone who copied it has it."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str, path: str) -> tuple[int, str]:
    """Send ``cookie`` from a browser of its own; the status and where it is sent."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get(path)
    return response.status_code, response.headers.get("Location", "")


def assert_refused(app: Flask, cookie: str) -> None:
    for path in PAGES:
        status, location = replay(app, cookie, path)
        assert (status, location.split("?")[0]) == (302, "/beheer/inloggen"), path


def assert_accepted(app: Flask, cookie: str) -> None:
    for path in PAGES:
        status, _location = replay(app, cookie, path)
        assert status == 200, path


def _user_id(email: str) -> int:
    return db.session.scalars(select(User.id).where(User.email == email)).one()


def _signed_in_with_copy(app: Flask, login_as) -> tuple[FlaskClient, str]:  # type: ignore[no-untyped-def]
    client = login_as(TEAM)
    cookie = copy_of(client)
    assert_accepted(app, cookie)  # the copy works until the session ends
    return client, cookie


def _sign_out(app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/beheer/uitloggen").status_code == 302


def _idle(app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    age_session(client, seen=31 * 60)


def _too_old(app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    age_session(client, login=12 * 3600 + 1, seen=60)


def _new_password(app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/beheer/wachtwoord", data={
        "current": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/beheer/leden").status_code == 200  # this browser goes on


def _password_link(app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    admin = login_as("admin@example.org")
    link = admin.post(f"/beheer/accounts/{_user_id(TEAM)}/link").get_data(as_text=True)
    token = re.search(r"/beheer/wachtwoord/([\w-]+)", link).group(1)
    response = app.test_client().post(f"/beheer/wachtwoord/{token}", data={
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302


def _two_step_on(app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/beheer/tweestaps").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post("/beheer/tweestaps", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200 and "herstelcodes" in response.get_data(as_text=True)
    assert client.get("/beheer/leden").status_code == 200  # this browser goes on


def _admin_changes(**fields: object) -> Callable[..., None]:
    def change(app: Flask, client: FlaskClient, login_as) -> None:  # type: ignore[no-untyped-def]
        admin = login_as("admin@example.org")
        data = {"name": "Test", "role": "team", "areas": ["noord"], "active": "y", **fields}
        data = {key: value for key, value in data.items() if value is not None}
        response = admin.post(f"/beheer/accounts/{_user_id(TEAM)}", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)

    return change


EVENTS = {
    "signing out": _sign_out,
    "the idle limit": _idle,
    "the absolute limit": _too_old,
    "a new password": _new_password,
    "a password set through a link": _password_link,
    "turning two-step login on": _two_step_on,
    "an administrator blocking the account": _admin_changes(active=None),
    "an administrator changing the role": _admin_changes(role="clerk", areas=None),
}


@pytest.mark.parametrize("event", EVENTS)
def test_a_copied_cookie_is_refused_after(app, world, login_as, event):
    client, cookie = _signed_in_with_copy(app, login_as)
    EVENTS[event](app, client, login_as)
    assert_refused(app, cookie)


def test_a_copied_cookie_still_works_after_an_administrator_changes_only_the_gebieden(
        app, world, login_as):
    client, cookie = _signed_in_with_copy(app, login_as)
    _admin_changes(areas=["noord", "zuid"])(app, client, login_as)
    assert_accepted(app, cookie)  # gebieden are read on every request


def test_a_copied_cookie_is_refused_after_ending_the_session_from_another_browser(
        app, world, login_as):
    client, cookie = _signed_in_with_copy(app, login_as)
    other = login_as(TEAM)
    session_id = db.session.scalars(select(StaffSession.id).order_by(StaffSession.id)).first()
    assert other.post(f"/beheer/sessies/{session_id}/beeindigen").status_code == 302
    assert_refused(app, cookie)
    assert other.get("/beheer/leden").status_code == 200


def test_a_copied_cookie_is_refused_after_ending_all_other_sessions(app, world, login_as):
    client, cookie = _signed_in_with_copy(app, login_as)
    other = login_as(TEAM)
    assert other.post("/beheer/sessies/andere-beeindigen").status_code == 302
    assert_refused(app, cookie)
    assert other.get("/beheer/leden").status_code == 200


def _with_two_step(app: Flask, login_as) -> tuple[FlaskClient, str]:  # type: ignore[no-untyped-def]
    user = db.session.get(User, _user_id(TEAM))
    totp = enable_two_factor(user)
    db.session.commit()
    client = app.test_client()
    assert login_with_code(client, TEAM, code(totp)).status_code == 302
    cookie = copy_of(client)
    assert_accepted(app, cookie)
    return client, cookie


def test_a_copied_cookie_is_refused_after_turning_two_step_login_off(app, world, login_as):
    client, cookie = _with_two_step(app, login_as)
    response = client.post("/beheer/tweestaps/uitzetten", data={"password": factories.PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/beheer/"
    assert client.get("/beheer/leden").status_code == 200
    assert_refused(app, cookie)


def test_a_copied_cookie_is_refused_after_new_recovery_codes(app, world, login_as):
    client, cookie = _with_two_step(app, login_as)
    response = client.post("/beheer/tweestaps/herstelcodes")
    assert response.status_code == 200 and "herstelcodes" in response.get_data(as_text=True)
    assert client.get("/beheer/leden").status_code == 200
    assert_refused(app, cookie)


def test_a_copied_cookie_is_refused_after_an_administrator_turns_two_step_login_off(
        app, world, login_as):
    client, cookie = _with_two_step(app, login_as)
    admin = login_as("admin@example.org")
    response = admin.post(f"/beheer/accounts/{_user_id(TEAM)}/tweestaps-uit")
    assert response.status_code == 302
    assert_refused(app, cookie)
    assert client.get("/beheer/leden").status_code == 302


def test_the_renewed_session_keeps_its_start_for_the_absolute_limit(app, world, login_as):
    client, _cookie = _signed_in_with_copy(app, login_as)
    age_session(client, login=11 * 3600, seen=60)
    _new_password(app, client, login_as)
    age_session(client, login=12 * 3600 + 1, seen=60)
    assert client.get("/beheer/leden").status_code == 302

