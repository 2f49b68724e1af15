"""Publishing a new consent statement."""

from __future__ import annotations

import pytest

from panel.errors import DomainError, PermissionDenied
from panel.signups import services
from tests import factories


def test_a_new_version_becomes_current_and_old_consents_keep_theirs(world):
    old = services.current_statement()
    new = services.publish_statement(world.admin, "2027-1", "Nieuwe tekst.\nTweede regel.",
                                     "New text.")
    assert services.current_statement() is new and old.version == "2026-1"
    with pytest.raises(DomainError):
        services.publish_statement(world.admin, "2027-1", "x", "y")
    with pytest.raises(DomainError):
        services.publish_statement(world.admin, "2027-2", "", "y")
    with pytest.raises(PermissionDenied):
        services.publish_statement(world.team_noord, "2027-3", "x", "y")


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


def test_staff_change_a_residents_details_within_their_gebieden(client, world, session):
    from panel.db import db
    from panel.signups.models import PanelMember

    mine = factories.member(world.mare, email="a@example.org")
    theirs = factories.member(world.vrooner, email="b@example.org")
    session.commit()
    mine_id, theirs_id = mine.id, theirs.id
    factories.login(client, "noord@example.org")
    form = client.get(f"/beheer/leden/{mine_id}/bewerken").get_data(as_text=True)
    assert 'value="a@example.org"' in form
    response = client.post(f"/beheer/leden/{mine_id}/bewerken", data={
        "name": "Anna Nieuw", "email": "", "phone": "072 123 45 67", "street": "Dorpsstraat",
        "house_number": "3", "postcode": "1801 AA", "city": "Alkmaar", "wijk": "WK036101",
        "language": "en"})
    assert response.status_code == 302
    changed = db.session.get(PanelMember, mine_id)
    assert (changed.name, changed.email, changed.postcode, changed.language) == \
        ("Anna Nieuw", None, "1801AA", "en")
    assert client.get(f"/beheer/leden/{theirs_id}/bewerken").status_code == 404
    moved = client.post(f"/beheer/leden/{mine_id}/bewerken", data={
        "name": "Anna", "wijk": "WK036104", "language": "nl"})
    assert moved.status_code == 200 and "utrecht-form-field-error-message" in \
        moved.get_data(as_text=True)
    assert db.session.get(PanelMember, mine_id).neighbourhood.code == "WK036101"
