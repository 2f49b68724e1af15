"""Feedback written with personal data in the ways a resident really writes it is flagged,
the team member checking it is told which kind was found (never the data), and publishing
it is refused — by the service and through the staff page."""

from __future__ import annotations

import logging

import pytest

from panel.db import db
from panel.errors import DomainError
from panel.feedback import services
from tests import factories

# Each way of writing, the kind it is named by, and the words themselves.
WRITTEN = [
    ("Bel hem op +31 (0)6 1234 5678 als het weer gebeurt.", "telefoonnummer",
     "+31 (0)6 1234 5678"),
    ("Bel hem op 06.12345678 als het weer gebeurt.", "telefoonnummer", "06.12345678"),
    ("Bel hem op 06 - 1234 5678 als het weer gebeurt.", "telefoonnummer", "06 - 1234 5678"),
    ("Bel hem op 072-5123456 als het weer gebeurt.", "telefoonnummer", "072-5123456"),
    ("Mail hem op piet(at)example.net als het weer gebeurt.", "e-mailadres",
     "piet(at)example.net"),
    ("Het is het huis bij 1823AB met de blauwe deur.", "postcode", "1823AB"),
    ("Het is het huis aan de Lange Laan 3a met de blauwe deur.", "adres", "Lange Laan 3a"),
    ("Jansen van nummer 12 rijdt elke dag te hard.", "naam", "Jansen"),
]
CLEAN = "Iemand in de straat rijdt elke dag te hard."


def submit(member, words: str, place: str = ""):  # type: ignore[no-untyped-def]
    return services.submit(member, "verkeer", "", place, words)


# --- the service --------------------------------------------------------------------------

@pytest.mark.parametrize(("words", "kind", "data"), WRITTEN)
def test_the_service_flags_it_and_refuses_to_publish_it_naming_the_kind(world, words, kind,
                                                                        data):
    item = submit(world.anna, words)
    db.session.commit()
    assert item.flagged is True
    with pytest.raises(DomainError) as refused:
        services.review(world.team_noord, item.id, words, publish=True)
    message = str(refused.value)
    assert f"persoonsgegevens te bevatten: {kind}." in message
    assert data not in message
    db.session.rollback()
    item = db.session.get(type(item), item.id)
    assert (item.review, item.public_text, item.flagged) == ("pending", "", True)
    services.review(world.team_noord, item.id, CLEAN, publish=True)
    assert (item.review, item.public_text, item.flagged) == ("approved", CLEAN, False)


def test_a_place_field_with_an_address_flags_the_item(world):
    assert submit(world.anna, CLEAN, place="Dorpsstraat 14").flagged is True
    assert submit(world.anna, CLEAN, place="Bij de school").flagged is False


def test_the_kinds_are_given_for_the_words_and_the_place_together(world):
    item = submit(world.anna, "Meneer Bakker rijdt te hard.", place="Dorpsstraat 14")
    assert services.personal_data_found(item) == ("name", "address")


def test_the_municipalitys_own_wijken_are_not_taken_for_names(world, session):
    factories.neighbourhood(world.noord, "WK036109", "Rode Kwartier")
    session.commit()
    item = submit(world.anna, "Het is in Rode Kwartier elke avond onrustig.")
    assert item.flagged is False
    services.review(world.team_noord, item.id, item.text, publish=True)
    assert item.review == "approved"


# --- the staff page -------------------------------------------------------------------------

@pytest.mark.parametrize(("words", "kind", "data"), WRITTEN)
def test_the_staff_page_names_the_kind_and_refuses_to_publish(app, login_as, world, caplog,
                                                              words, kind, data):
    item = submit(world.anna, words)
    db.session.commit()
    team = login_as("noord@example.org")
    page = team.get(f"/beheer/meldingen/{item.id}").get_data(as_text=True)
    assert f"Deze tekst bevat misschien persoonsgegevens: {kind}." in page

    caplog.set_level(logging.DEBUG)
    response = team.post(f"/beheer/meldingen/{item.id}",
                         data={"do": "publish", "review-public_text": words})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"De tekst lijkt nog persoonsgegevens te bevatten: {kind}." in page
    assert data not in caplog.text
    db.session.expire_all()
    item = db.session.get(type(item), item.id)
    assert (item.review, item.public_text) == ("pending", "")
    public = app.test_client().get("/terugkoppeling/WK036101").get_data(as_text=True)
    assert data not in public

    response = team.post(f"/beheer/meldingen/{item.id}",
                         data={"do": "publish", "review-public_text": CLEAN})
    assert response.status_code == 302
    public = app.test_client().get("/terugkoppeling/WK036101").get_data(as_text=True)
    assert CLEAN in public and data not in public


def test_the_staff_page_in_english_names_the_kinds_in_english(login_as, world):
    item = submit(world.anna, "Meneer Bakker: bel 06-12345678.")
    db.session.commit()
    team = login_as("noord@example.org")
    team.set_cookie("lang", "en")
    page = team.get(f"/beheer/meldingen/{item.id}").get_data(as_text=True)
    assert "This text may contain personal data: name, phone number." in page
