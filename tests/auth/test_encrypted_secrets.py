"""Two-step login secrets are stored encrypted (Fernet): the column never holds the secret,
keys rotate with a command, plain values from before are encrypted, and a missing key
gives a clear error instead of a crash."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest
from alembic import command
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from sqlalchemy import text

from panel import create_app
from panel.auth import secret_box, two_factor
from panel.auth.models import Role, User
from panel.config import ConfigurationError, load_settings
from panel.db import db, utcnow
from panel.migrations import alembic_config, upgrade
from tests import factories
from tests.auth.helpers import code, enable_two_factor, login_with_code, signed_in

PRODUCTION = {"PANEL_ENV": "production", "PANEL_SECRET_KEY": "k" * 40,
              "PANEL_SMTP_HOST": "smtp.example.org"}
BEFORE = "e18a1a000001"  # the revision before the secrets were encrypted
ENCRYPTED = "e18a1a000002"  # the revision that encrypts them


def _stored(user_id: int) -> str:
    """The column as the database holds it, past the ORM."""
    return db.session.execute(text("SELECT totp_secret FROM staff_user WHERE id = :id"),
                              {"id": user_id}).scalar_one()


def _store(user_id: int, value: str) -> None:
    db.session.execute(text("UPDATE staff_user SET totp_secret = :value WHERE id = :id"),
                       {"value": value, "id": user_id})
    db.session.commit()
    db.session.expire_all()


@pytest.fixture
def use_keys(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set the app's keys for this test, as PANEL_ENCRYPTION_KEY would."""

    def use(*keys: str) -> None:
        monkeypatch.setitem(app.config, "PANEL_ENCRYPTION_KEYS", keys)

    return use


def _user_with_two_factor(email: str) -> tuple[int, pyotp.TOTP]:
    user = factories.user(Role.ADMIN, email=email)
    totp = enable_two_factor(user)
    db.session.commit()
    return user.id, totp


# --- at rest ------------------------------------------------------------------------------

def test_the_column_never_holds_the_secret_and_login_still_works(client, session):
    user = factories.user(Role.ADMIN, email="a@example.org")
    session.commit()
    client.post("/beheer/inloggen", data={"email": "a@example.org",
                                          "password": factories.PASSWORD})
    html = client.get("/beheer/tweestaps").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    stored = _stored(user.id)
    assert secret not in stored and stored.startswith(secret_box.TOKEN_PREFIX)
    assert len(stored) <= 255
    totp = pyotp.TOTP(secret)
    assert client.post("/beheer/tweestaps", data={"code": totp.now()}).status_code == 200
    assert db.session.get(User, user.id).totp_enabled_at is not None

    client.post("/beheer/uitloggen")
    assert not signed_in(client)
    response = login_with_code(client, "a@example.org", code(totp, 1))
    assert response.status_code == 302 and response.headers["Location"] == "/beheer/"
    assert secret not in _stored(user.id)


def test_a_new_enrolment_is_encrypted_with_the_first_key(session, use_keys):
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(first, second)
    user = factories.user(Role.ADMIN)
    secret = two_factor.start_enrolment(user)
    stored = _stored(user.id)
    assert Fernet(first).decrypt(stored.encode()).decode() == secret
    with pytest.raises(InvalidToken):
        Fernet(second).decrypt(stored.encode())


# --- rotation -----------------------------------------------------------------------------

def test_rotation_moves_every_secret_to_the_new_key(client, session, runner, use_keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(old)
    first_id, first = _user_with_two_factor("first@example.org")
    second_id, second = _user_with_two_factor("second@example.org")
    before = {first_id: _stored(first_id), second_id: _stored(second_id)}

    use_keys(new, old)  # the new key first: it encrypts, both decrypt
    result = runner.invoke(args=["rotate-encryption-key"])
    assert result.exit_code == 0, result.output
    assert "2 versleuteld met de nieuwe sleutel" in result.output
    db.session.expire_all()
    for user_id in before:
        stored = _stored(user_id)
        assert stored != before[user_id]
        with pytest.raises(InvalidToken):
            Fernet(old).decrypt(stored.encode())
    assert two_factor.reseal_secrets() == two_factor.Resealing(current=2)  # nothing left
    session.rollback()

    use_keys(new)  # the old key removed: everything still opens
    for email, totp in (("first@example.org", first), ("second@example.org", second)):
        fresh = client.application.test_client()
        response = login_with_code(fresh, email, code(totp, 1))
        assert response.status_code == 302 and response.headers["Location"] == "/beheer/"


def test_a_dry_run_counts_and_changes_nothing(session, runner, use_keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(old)
    user_id, _ = _user_with_two_factor("t@example.org")
    before = _stored(user_id)
    use_keys(new, old)
    result = runner.invoke(args=["rotate-encryption-key", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "er is niets veranderd" in result.output
    db.session.expire_all()
    assert _stored(user_id) == before
    assert two_factor.reseal_secrets().rotated == 1


def test_a_secret_stored_in_plain_text_is_encrypted_by_the_command(client, session, runner,
                                                                  caplog):
    user_id, totp = _user_with_two_factor("t@example.org")
    _store(user_id, totp.secret)  # as stored before secrets were encrypted

    with caplog.at_level(logging.WARNING, logger="panel.auth.secret_box"):
        assert two_factor.provisioning_uri(db.session.get(User, user_id))  # still read
    assert "without encryption" in caplog.text and totp.secret not in caplog.text

    result = runner.invoke(args=["rotate-encryption-key"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    stored = _stored(user_id)
    assert totp.secret not in stored and stored.startswith(secret_box.TOKEN_PREFIX)
    assert two_factor.reseal_secrets() == two_factor.Resealing(current=1)
    session.rollback()
    response = login_with_code(client, "t@example.org", code(totp, 1))
    assert response.status_code == 302 and response.headers["Location"] == "/beheer/"


def test_rotation_names_the_accounts_no_key_opens(session, runner, use_keys):
    use_keys(Fernet.generate_key().decode())
    lost_id, _ = _user_with_two_factor("lost@example.org")
    use_keys(Fernet.generate_key().decode())
    kept_id, _ = _user_with_two_factor("kept@example.org")
    result = runner.invoke(args=["rotate-encryption-key"])
    assert result.exit_code == 1
    assert f"(account-id {lost_id})" in result.output
    assert "1 al met de eerste sleutel" in result.output  # the other one
    assert "lost@example.org" not in result.output
    db.session.expire_all()
    assert two_factor.reseal_secrets().current == 1 and kept_id != lost_id


# --- a key that is missing ----------------------------------------------------------------

def test_a_missing_key_gives_a_clear_error_not_a_crash(client, session, use_keys, caplog):
    use_keys(Fernet.generate_key().decode())
    user_id, totp = _user_with_two_factor("t@example.org")
    stored = _stored(user_id)
    use_keys(Fernet.generate_key().decode())  # the key it was encrypted with is gone

    factories.login(client, "t@example.org")
    with caplog.at_level(logging.INFO):
        response = client.post("/beheer/inloggen/code", data={"code": code(totp)})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Traceback" not in page and stored not in page and totp.secret not in page
    assert f"staff account {user_id} cannot be decrypted" in caplog.text
    assert "PANEL_ENCRYPTION_KEY" in caplog.text
    assert stored not in caplog.text and totp.secret not in caplog.text
    assert "Traceback" not in caplog.text
    assert not signed_in(client)
    assert db.session.get(User, user_id).failed_logins == 0  # not the staff member's fault

    with pytest.raises(secret_box.SecretUnreadable) as raised:
        two_factor.provisioning_uri(db.session.get(User, user_id))
    assert raised.value.message == "Inloggen in twee stappen werkt nu niet. Meld dit bij de " \
        "beheerder."


def test_a_damaged_value_is_not_taken_for_a_secret(session):
    user_id, _ = _user_with_two_factor("t@example.org")
    _store(user_id, "not a secret at all")
    with pytest.raises(secret_box.SecretUnreadable):
        two_factor.verify_login_code(db.session.get(User, user_id), "123456")


# --- configuration ------------------------------------------------------------------------

def test_production_refuses_to_start_without_the_key(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="PANEL_ENCRYPTION_KEY"):
        load_settings(tmp_path, PRODUCTION)
    assert not (tmp_path / "encryption_key").exists()  # never made up in production
    key = Fernet.generate_key().decode()
    settings = load_settings(tmp_path, {**PRODUCTION, "PANEL_ENCRYPTION_KEY": key})
    assert settings["PANEL_ENCRYPTION_KEYS"] == (key,)


GOOD_KEY = Fernet.generate_key().decode()


@pytest.mark.parametrize("value", [f"{GOOD_KEY},short", f"{GOOD_KEY},{'k' * 44}", " , "])
def test_a_key_that_is_not_a_fernet_key_is_refused_without_repeating_it(tmp_path, value):
    with pytest.raises(ConfigurationError, match="PANEL_ENCRYPTION_KEY") as raised:
        load_settings(tmp_path, {**PRODUCTION, "PANEL_ENCRYPTION_KEY": value})
    assert GOOD_KEY not in str(raised.value) and "short" not in str(raised.value)
    assert "k" * 44 not in str(raised.value)


def test_several_keys_are_read_in_order(tmp_path: Path):
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = load_settings(tmp_path, {**PRODUCTION,
                                        "PANEL_ENCRYPTION_KEY": f" {first} ,{second},"})
    assert settings["PANEL_ENCRYPTION_KEYS"] == (first, second)


def test_development_makes_a_key_once_and_keeps_it(tmp_path: Path):
    first = load_settings(tmp_path, {})["PANEL_ENCRYPTION_KEYS"]
    assert load_settings(tmp_path, {})["PANEL_ENCRYPTION_KEYS"] == first
    Fernet(first[0])
    assert (tmp_path / "encryption_key").stat().st_mode & 0o077 == 0


# --- the migration ------------------------------------------------------------------------

def _downgrade(revision: str) -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _secret_in(connection_holder: Flask) -> str:
    with connection_holder.app_context(), db.engine.connect() as connection:
        return connection.execute(text("SELECT totp_secret FROM staff_user")).scalar_one()


def test_the_migration_encrypts_plain_secrets_and_the_downgrade_decrypts(fresh_database,
                                                                        tmp_path):
    key = Fernet.generate_key().decode()
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "PANEL_ENCRYPTION_KEYS": (key,),
                      "SQLALCHEMY_DATABASE_URI": fresh_database},
                     instance_path=tmp_path / "instance")
    plain = pyotp.random_base32()
    with app.app_context():
        upgrade(BEFORE)
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO staff_user (id, email, name, role, active, created_at, "
                "totp_secret, totp_enabled_at) VALUES (1, 'a@example.org', 'A', 'admin', "
                ":true, :now, :secret, :now)"), {"true": True, "now": utcnow(),
                                                 "secret": plain})
        upgrade(ENCRYPTED)
    encrypted = _secret_in(app)
    assert encrypted.startswith(secret_box.TOKEN_PREFIX)
    assert Fernet(key).decrypt(encrypted.encode()).decode() == plain

    with app.app_context():
        app.config["PANEL_ENCRYPTION_KEYS"] = (Fernet.generate_key().decode(),)
        with pytest.raises(RuntimeError, match="staff accounts 1"):
            _downgrade(BEFORE)  # the key is missing: nothing changes
    assert _secret_in(app) == encrypted

    with app.app_context():
        app.config["PANEL_ENCRYPTION_KEYS"] = (key,)
        _downgrade(BEFORE)
    assert _secret_in(app) == plain
    with app.app_context():
        db.engine.dispose()
