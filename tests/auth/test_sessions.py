"""Staff sessions: time limits, ending other sessions, asking the password again, lockout."""

from __future__ import annotations

from datetime import timedelta

from panel.auth import services, sessions
from panel.auth.models import Role, User
from panel.db import db, utcnow
from tests import factories
from tests.auth.helpers import age_session, code, enable_two_factor, error_message, signed_in


def _admin(session, email: str = "a@example.org") -> User:
    user = factories.user(Role.ADMIN, email=email)
    session.commit()
    return user


def test_logout_ends_the_session(client, session):
    _admin(session)
    factories.login(client, "a@example.org")
    assert signed_in(client)
    client.post("/beheer/uitloggen")
    assert not signed_in(client)
    with client.session_transaction() as stored:
        assert "_user_id" not in stored and sessions.SESSION_ID not in stored


def test_the_session_ends_after_30_minutes_without_activity(client, session):
    _admin(session)
    factories.login(client, "a@example.org")
    age_session(client, seen=29 * 60)
    assert signed_in(client)  # activity moves the idle limit on
    age_session(client, seen=31 * 60)
    response = client.get("/beheer/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/beheer/inloggen")
    assert not signed_in(client)


def test_the_session_ends_after_12_hours_even_when_active(client, session):
    _admin(session)
    factories.login(client, "a@example.org")
    age_session(client, login=11 * 3600, seen=60)
    assert signed_in(client)
    age_session(client, login=12 * 3600 + 1, seen=60)
    assert not signed_in(client)


def test_the_limits_come_from_the_configuration(app, client, session):
    _admin(session)
    factories.login(client, "a@example.org")
    app.config["PANEL_SESSION_IDLE_MINUTES"] = 5
    try:
        age_session(client, seen=6 * 60)
        assert not signed_in(client)
    finally:
        app.config["PANEL_SESSION_IDLE_MINUTES"] = 30


def test_a_session_without_its_id_is_ended(client, session):
    _admin(session)
    factories.login(client, "a@example.org")
    with client.session_transaction() as stored:
        del stored[sessions.SESSION_ID]
    assert not signed_in(client)


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app, client, session):
    user = _admin(session)
    other = app.test_client()
    factories.login(client, "a@example.org")
    factories.login(other, "a@example.org")
    assert signed_in(client) and signed_in(other)
    response = client.post("/beheer/wachtwoord", data={
        "current": factories.PASSWORD, "password": "een nieuwe lange zin",
        "confirm": "een nieuwe lange zin"})
    assert response.status_code == 302 and response.headers["Location"] == "/beheer/"
    assert signed_in(client)
    assert not signed_in(other)
    changed = db.session.get(User, user.id)
    assert changed.session_version == 1 and changed.password_changed_at is not None
    client.post("/beheer/uitloggen")
    assert factories.login(client, "a@example.org").status_code == 200  # old password
    assert factories.login(client, "a@example.org", "een nieuwe lange zin").status_code == 302


def test_turning_two_step_login_on_ends_other_sessions(app, client, session):
    import re

    import pyotp

    _admin(session)
    other = app.test_client()
    factories.login(client, "a@example.org")
    factories.login(other, "a@example.org")
    page = client.get("/beheer/tweestaps").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    client.post("/beheer/tweestaps", data={"code": pyotp.TOTP(secret).now()})
    assert signed_in(client)
    assert not signed_in(other)


def test_a_password_link_ends_every_session(client, session):
    user = _admin(session)
    factories.login(client, "a@example.org")
    token = services.issue_password_link(db.session.get(User, user.id))
    services.set_password(token, "een heel ander wachtwoord")
    session.commit()
    assert not signed_in(client)


def test_blocking_an_account_ends_its_sessions(client, session):
    user = _admin(session)
    factories.login(client, "a@example.org")
    db.session.get(User, user.id).active = False
    session.commit()
    assert not signed_in(client)


def test_sensitive_pages_ask_for_the_password_when_the_login_is_not_fresh(client, session):
    _admin(session)
    factories.login(client, "a@example.org")
    assert client.get("/beheer/accounts/nieuw").status_code == 200  # just signed in
    age_session(client, auth=11 * 60)
    response = client.get("/beheer/accounts/nieuw")
    assert response.status_code == 302
    assert response.headers["Location"] == "/beheer/bevestigen?next=/beheer/accounts/nieuw"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and 'autocomplete="current-password"' in \
        page.get_data(as_text=True)
    wrong = client.post(response.headers["Location"], data={"password": "not my password!"})
    assert wrong.status_code == 200 and error_message(wrong)
    right = client.post(response.headers["Location"], data={"password": factories.PASSWORD})
    assert right.status_code == 302 and right.headers["Location"] == "/beheer/accounts/nieuw"
    assert client.get("/beheer/accounts/nieuw").status_code == 200
    assert db.session.get(User, _id(session, "a@example.org")).failed_logins == 0


def _id(session, email: str) -> int:
    from sqlalchemy import select

    return session.scalars(select(User.id).where(User.email == email)).one()


def test_a_post_that_needs_a_fresh_login_returns_to_the_form_page(client, session):
    _admin(session)
    clerk = factories.user(Role.CLERK, email="clerk@example.org")
    session.commit()
    clerk_id = clerk.id
    factories.login(client, "a@example.org")
    age_session(client, auth=11 * 60)
    response = client.post(f"/beheer/accounts/{clerk_id}/link",
                           headers={"Referer": f"http://localhost/beheer/accounts/{clerk_id}"})
    assert response.status_code == 302
    assert response.headers["Location"] == \
        f"/beheer/bevestigen?next=/beheer/accounts/{clerk_id}"
    outside = client.post(f"/beheer/accounts/{clerk_id}/link",
                          headers={"Referer": "https://evil.example/beheer/accounts"})
    assert outside.headers["Location"] == "/beheer/bevestigen?next=/beheer/"


def test_the_confirm_page_only_returns_to_local_pages(client, session):
    _admin(session)
    factories.login(client, "a@example.org")
    response = client.post("/beheer/bevestigen?next=https://evil.example/",
                           data={"password": factories.PASSWORD})
    assert response.headers["Location"] == "/beheer/"
    response = client.post("/beheer/bevestigen?next=//evil.example/",
                           data={"password": factories.PASSWORD})
    assert response.headers["Location"] == "/beheer/"


def test_fresh_login_required_is_available_for_other_views(app):
    from flask import Flask

    from panel.auth.sessions import fresh_login_required

    @fresh_login_required
    def export() -> str:
        """A personal-data export."""
        return "data"

    assert export.__name__ == "export" and isinstance(app, Flask)


def test_the_account_is_locked_after_five_wrong_passwords(client, session):
    user = _admin(session)
    for _ in range(services.MAX_FAILED_LOGINS - 1):
        factories.login(client, "a@example.org", "wrong password!")
    assert db.session.get(User, user.id).failed_logins == services.MAX_FAILED_LOGINS - 1
    factories.login(client, "a@example.org", "wrong password!")
    locked_user = db.session.get(User, user.id)
    assert services.is_locked(locked_user)
    locked = factories.login(client, "a@example.org")  # the right password
    wrong = factories.login(client, "a@example.org", "wrong password!")
    unknown = factories.login(client, "nobody@example.org")
    assert locked.status_code == wrong.status_code == unknown.status_code == 200
    assert error_message(locked) == error_message(wrong) == error_message(unknown)
    assert "klopt niet" in error_message(locked)
    assert not signed_in(client)


def test_the_lock_ends_after_15_minutes_and_a_good_login_resets_the_count(client, session):
    user = _admin(session)
    for _ in range(services.MAX_FAILED_LOGINS):
        factories.login(client, "a@example.org", "wrong password!")
    locked = db.session.get(User, user.id)
    assert locked.locked_until - utcnow() <= timedelta(minutes=services.LOCK_MINUTES)
    locked.locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    factories.login(client, "a@example.org", "wrong password!")
    assert factories.login(client, "a@example.org").status_code == 302
    user = db.session.get(User, user.id)
    assert user.failed_logins == 0 and user.locked_until is None


def test_wrong_passwords_on_the_confirm_page_lock_and_sign_out(client, session):
    _admin(session)
    factories.login(client, "a@example.org")
    for _ in range(services.MAX_FAILED_LOGINS - 1):
        assert client.post("/beheer/bevestigen", data={"password": "nope nope"}).status_code \
            == 200
    last = client.post("/beheer/bevestigen", data={"password": "nope nope"})
    assert last.status_code == 302 and last.headers["Location"] == "/beheer/inloggen"
    assert not signed_in(client)


def test_two_step_login_is_optional_in_development(app, client, session):
    assert app.config["PANEL_ENV"] == "development"
    _admin(session)
    assert factories.login(client, "a@example.org").headers["Location"] == "/beheer/"


def test_a_session_with_two_step_login_also_expires(client, session):
    user = _admin(session)
    totp = enable_two_factor(user)
    session.commit()
    from tests.auth.helpers import login_with_code

    login_with_code(client, "a@example.org", code(totp))
    assert signed_in(client)
    age_session(client, seen=31 * 60)
    assert not signed_in(client)
