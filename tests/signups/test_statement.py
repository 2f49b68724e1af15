"""Publishing a new consent statement."""

from __future__ import annotations

import pytest

from panel.errors import DomainError
from panel.signups import services
from tests import factories


def test_a_new_version_becomes_current_and_old_consents_keep_theirs(world):
    old = services.current_statement()
    new = services.publish_statement("2027-1", "Nieuwe tekst.\nTweede regel.", "New text.")
    assert services.current_statement() is new and old.version == "2026-1"
    with pytest.raises(DomainError):
        services.publish_statement("2027-1", "x", "y")
    with pytest.raises(DomainError):
        services.publish_statement("2027-2", "", "y")


def test_only_an_admin_publishes(client, world):
    factories.login(client, "noord@example.org")
    assert client.get("/beheer/toestemming").status_code == 403
    client.post("/beheer/uitloggen")
    factories.login(client, "admin@example.org")
    response = client.post("/beheer/toestemming", data={
        "version": "2027-1", "text_nl": "Regel een.\nRegel twee.", "text_en": "Line one."})
    assert response.status_code == 302
    page = client.get("/aanmelden").get_data(as_text=True)
    assert "Versie 2027-1" in page and "Regel twee." in page


def test_joining_is_closed_without_a_statement(client, session):
    factories.municipality()
    session.commit()
    response = client.get("/aanmelden")
    assert response.status_code == 503
    assert "Aanmelden kan nog niet" in response.get_data(as_text=True)
