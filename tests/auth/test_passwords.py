"""Password rules: long enough, not common, not the user's own name or email address."""

from __future__ import annotations

import pytest

from panel.auth import services
from panel.auth.models import Role, User
from panel.db import db
from panel.errors import DomainError
from tests import factories


@pytest.mark.parametrize("password", [
    "qwerty123456", "QWERTY123456", "1qaz2wsx3edc", "password1234", "Password2024!",
    "iloveyou12345!",
])
def test_common_passwords_are_refused(password):
    with pytest.raises(DomainError) as caught:
        services.check_password_rules(password)
    assert str(caught.value.message) == str(services.COMMON_PASSWORD)


@pytest.mark.parametrize("password", ["short", "elf tekens!", ""])
def test_short_passwords_are_refused(password):
    with pytest.raises(DomainError, match="12"):
        services.check_password_rules(password)


def test_very_long_passwords_are_refused():
    with pytest.raises(DomainError, match="200"):
        services.check_password_rules("x" * 201)


@pytest.mark.parametrize(("password", "email", "name"), [
    ("marieke jansen 1980", "m.jansen@example.org", "Marieke Jansen"),
    ("mjansen-wachtwoord", "mjansen@example.org", ""),
    ("Welkom bij het Wijkpanel", "a@example.org", ""),
])
def test_own_name_and_email_are_refused(password, email, name):
    with pytest.raises(DomainError) as caught:
        services.check_password_rules(password, email, name)
    assert str(caught.value.message) == str(services.PERSONAL_PASSWORD)


@pytest.mark.parametrize("password", [
    "correct horse battery staple", "een lange zin als wachtwoord", "tulpen in de regen 7",
    "438201957364",
])
def test_long_uncommon_passwords_need_no_special_characters(password):
    services.check_password_rules(password, "m.jansen@example.org", "Marieke Jansen")


def test_the_common_list_is_loaded_once():
    assert services._common_passwords() is services._common_passwords()
    assert len(services._common_passwords()) > 20_000


def test_a_common_password_is_refused_through_the_link_and_the_link_keeps_working(session):
    _, token = services.create_user(None, "new@example.org", "clerk")
    with pytest.raises(DomainError):
        services.set_password(token, "qwerty123456")
    assert services.check_password_link(token).email == "new@example.org"


def test_changing_the_password_needs_the_current_one(client, session):
    user = factories.user(Role.CLERK, email="c@example.org")
    session.commit()
    factories.login(client, "c@example.org")
    assert client.get("/beheer/wachtwoord").status_code == 200
    wrong = client.post("/beheer/wachtwoord", data={
        "current": "not my password!", "password": "een nieuwe lange zin",
        "confirm": "een nieuwe lange zin"})
    assert wrong.status_code == 200
    assert db.session.get(User, user.id).failed_logins == 1
    common = client.post("/beheer/wachtwoord", data={
        "current": factories.PASSWORD, "password": "qwerty123456", "confirm": "qwerty123456"})
    assert common.status_code == 200
    assert str(services.COMMON_PASSWORD) in common.get_data(as_text=True).replace("&#39;", "'")
    assert db.session.get(User, user.id).session_version == 0


def test_the_password_pages_ask_for_a_login(client):
    assert client.get("/beheer/wachtwoord").status_code == 302
    assert client.get("/beheer/bevestigen").status_code == 302
    assert client.get("/beheer/tweestaps").status_code == 302
