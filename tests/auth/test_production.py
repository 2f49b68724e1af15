"""In production every staff account must use two-step login.

These tests build their own app with ``PANEL_ENV=production`` on a file SQLite database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from panel import create_app
from panel.auth import two_factor
from panel.auth.models import Role, User
from panel.db import db
from panel.migrations import upgrade
from tests import factories
from tests.auth.helpers import code, enable_two_factor, login_with_code


@pytest.fixture
def production_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("PANEL_ENV", "production")
    monkeypatch.setenv("PANEL_SECRET_KEY", "production-secret-key-for-the-tests-" * 2)
    monkeypatch.setenv("PANEL_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("PANEL_ENCRYPTION_KEY", "d2lqa3BhbmVsIHRlc3Qga2V5LCBub3QgYSBzZWNyZXQ=")
    monkeypatch.delenv("PANEL_DATABASE_URL", raising=False)
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.db'}",
        "WTF_CSRF_ENABLED": False,
        "PANEL_BASE_URL": "https://wijkpanel.test",
    }, instance_path=tmp_path / "instance")
    assert application.config["PANEL_ENV"] == "production"
    with application.app_context():
        upgrade()
        factories.user(Role.ADMIN, email="admin@example.org")
        db.session.commit()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def https_client(production_app: Flask) -> FlaskClient:
    """Production cookies are ``Secure`` and ``__Host-``: talk to the app over https."""
    client = production_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/beheer/").status_code == 200


def test_without_two_step_login_the_password_leads_to_setting_it_up(production_app,
                                                                   https_client):
    response = factories.login(https_client, "admin@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/beheer/tweestaps"
    assert not _signed_in(https_client)  # nothing else until it is set up
    assert https_client.get("/beheer/accounts").status_code == 302
    page = https_client.get("/beheer/tweestaps")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    wrong = https_client.post("/beheer/tweestaps", data={"code": "000000"})
    assert wrong.status_code == 200 and not _signed_in(https_client)
    done = https_client.post("/beheer/tweestaps", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r'<code class="utrecht-code">([a-z0-9]{5}-[a-z0-9]{5})</code>',
                       done.get_data(as_text=True))
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT
    assert _signed_in(https_client)
    with production_app.app_context():
        user = db.session.scalars(db.select(User)).one()
        assert two_factor.has_two_factor(user) and user.last_login_at is not None


def test_with_two_step_login_the_code_is_asked(production_app, https_client):
    with production_app.app_context():
        totp = enable_two_factor(db.session.scalars(db.select(User)).one())
        db.session.commit()
    response = login_with_code(https_client, "admin@example.org", code(totp))
    assert response.status_code == 302 and response.headers["Location"] == "/beheer/"
    assert _signed_in(https_client)


def test_two_step_login_cannot_be_turned_off_in_production(production_app, https_client):
    with production_app.app_context():
        totp = enable_two_factor(db.session.scalars(db.select(User)).one())
        db.session.commit()
    login_with_code(https_client, "admin@example.org", code(totp))
    response = https_client.post("/beheer/tweestaps/uitzetten",
                                 data={"password": factories.PASSWORD})
    assert response.status_code == 200
    with production_app.app_context():
        assert two_factor.has_two_factor(db.session.scalars(db.select(User)).one())


def test_a_session_of_an_account_without_two_step_login_ends(production_app, https_client):
    with production_app.app_context():
        user = db.session.scalars(db.select(User)).one()
        totp = enable_two_factor(user)
        db.session.commit()
    login_with_code(https_client, "admin@example.org", code(totp))
    assert _signed_in(https_client)
    with production_app.app_context():  # as if it were turned off behind the app's back
        user = db.session.scalars(db.select(User)).one()
        user.totp_enabled_at = None
        db.session.commit()
    assert not _signed_in(https_client)
