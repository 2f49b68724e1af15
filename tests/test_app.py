"""The application shell: configuration, health check, error pages and languages."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from panel import create_app
from panel.config import ConfigurationError, load_settings
from tests import factories


def test_healthz_says_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_healthz_says_unavailable_when_the_database_does_not_answer(tmp_path: Path):
    broken = create_app({"TESTING": True, "SECRET_KEY": "x" * 40,
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/db.sqlite"},
                        instance_path=tmp_path / "instance")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503


def test_unknown_page_shows_a_dutch_404_page(client):
    response = client.get("/bestaat-niet")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.get_data(as_text=True)


def test_language_choice_is_remembered_in_a_cookie(client):
    response = client.get("/taal/en?next=/privacy")
    assert response.status_code == 302
    assert response.headers["Location"] == "/privacy"
    page = client.get("/privacy").get_data(as_text=True)
    assert '<html lang="en"' in page and "We only use your data" in page
    client.get("/taal/nl")
    page = client.get("/privacy").get_data(as_text=True)
    assert '<html lang="nl"' in page and "Wij gebruiken uw gegevens" in page


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.get("/taal/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_unknown_language_is_ignored(client):
    response = client.get("/taal/xx")
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_internal_error_shows_a_reference_that_is_in_the_log(client, caplog, monkeypatch):
    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("panel.site.views.area_services.public_overview", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Er ging iets mis" in page
    reference = page.split("Kenmerk: ")[1].split("<")[0]
    assert len(reference) == 12
    assert any(reference in record.getMessage() for record in caplog.records)


def test_home_page_lists_gebieden_and_wijken(client, session):
    noord = factories.area("noord", "Noord")
    factories.neighbourhood(noord, "WK036101", "De Mare")
    session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Noord" in page and "De Mare" in page
    assert 'href="#inhoud"' in page  # skip link


def test_demo_banner_only_when_demo_data_is_loaded(client, session):
    factories.municipality(is_demo=False)
    session.commit()
    assert "Demo-omgeving" not in client.get("/").get_data(as_text=True)
    from panel.areas.services import get_municipality
    get_municipality().is_demo = True
    session.commit()
    assert "Demo-omgeving" in client.get("/").get_data(as_text=True)


def test_development_secret_key_is_generated_once_and_kept(tmp_path: Path):
    first = load_settings(tmp_path, {})["SECRET_KEY"]
    second = load_settings(tmp_path, {})["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("environ", [
    {"PANEL_ENV": "production"},
    {"PANEL_ENV": "production", "PANEL_SECRET_KEY": "short"},
    {"PANEL_ENV": "production", "PANEL_SECRET_KEY": "k" * 40, "FLASK_DEBUG": "1",
     "PANEL_SMTP_HOST": "smtp.example.org"},
    {"PANEL_ENV": "production", "PANEL_SECRET_KEY": "k" * 40},  # no SMTP server
    {"PANEL_ENV": "staging"},
])
def test_production_refuses_unsafe_settings(tmp_path: Path, environ):
    with pytest.raises(ConfigurationError):
        load_settings(tmp_path, environ)


def test_production_uses_secure_cookies(tmp_path: Path):
    settings = load_settings(tmp_path, {"PANEL_ENV": "production",
                                        "PANEL_SMTP_HOST": "smtp.example.org",
                                        "PANEL_SECRET_KEY": "k" * 40,
                                        "PANEL_ENCRYPTION_KEY": Fernet.generate_key().decode()})
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert settings["SESSION_COOKIE_HTTPONLY"] is True


def test_database_url_comes_from_the_environment(tmp_path: Path):
    settings = load_settings(tmp_path, {"PANEL_DATABASE_URL": "postgresql+psycopg://x/y"})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://x/y"
    assert load_settings(tmp_path, {})["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_every_page_carries_the_security_headers(client):
    response = client.get("/")
    headers = response.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # only in production, behind TLS


def test_production_adds_hsts(tmp_path, monkeypatch):
    monkeypatch.setenv("PANEL_ENV", "production")
    monkeypatch.setenv("PANEL_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PANEL_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("PANEL_ENCRYPTION_KEY", Fernet.generate_key().decode())
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                     instance_path=tmp_path)
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
