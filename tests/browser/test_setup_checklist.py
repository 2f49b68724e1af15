"""An administrator on an empty municipality finds what is still missing on the start
page, follows each step's link and sees the steps they completed marked as done."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from panel.auth.models import Role
from tests import factories
from tests.browser.helpers import check_accessibility, visit
from tests.signups.helpers import cbs_address_file

AREAS = (b"niveau;code;naam;hoort_bij;cbs_jaar\n"
         b"gebied;noord;Noord;;\n"
         b"wijk;WK036101;De Mare;noord;2023\n"
         b"buurt;BU03610101;De Mare-Noord;WK036101;2023\n"
         b"gebied;zuid;Zuid;;\n"
         b"wijk;WK036104;Vroonermeer;zuid;2023\n"
         b"buurt;BU03610401;Vroonermeer-Noord;WK036104;2023\n")
# Each step's link (still to do) and the heading of the page it leads to.
LINKS = [("Gemeente instellen", "Gemeente"),
         ("Gebieden laden uit een bestand", "Gebieden laden uit een bestand"),
         ("Postcodetabel laden", "Postcodetabel"),
         ("Toestemmingstekst publiceren", "Toestemmingstekst"),
         ("Indicatoren laden", "Indicatoren"),
         ("Accounts voor teams maken", "Accounts"),
         ("E-mail controleren", "mail")]


@pytest.fixture
def empty_municipality(session) -> None:
    factories.user(Role.ADMIN, email="admin@example.org")
    session.commit()


def checklist(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("region", name="Voordat inwoners kunnen meedoen")


def steps(page: Page) -> list[str]:
    """The status word of each step, in order."""
    return [text.strip() for text in checklist(page).locator(
        "ol > li .wp-checklist__status").all_inner_texts()]


def load(page: Page, label: str, name: str, data: bytes) -> None:
    page.get_by_label(label).set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data})
    page.get_by_label("Alleen controleren, niets veranderen").uncheck()
    page.get_by_role("button", name="Bestand laden").click()
    expect(page.get_by_text("Het bestand is geladen.")).to_be_visible()
    check_accessibility(page)


def test_admin_follows_the_checklist_on_an_empty_municipality(page: Page, empty_municipality):
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("admin@example.org")
    page.get_by_label("Wachtwoord").fill(factories.PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(checklist(page)).to_be_visible()
    check_accessibility(page)
    assert steps(page) == ["Nog doen:"] * 7
    expect(checklist(page)).to_contain_text("Nog 7 stappen te doen.")

    # Every step links to the page where it is done.
    for link, heading in LINKS:
        checklist(page).get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            re.compile(heading, re.IGNORECASE))
        check_accessibility(page)
        visit(page, "/beheer/")

    # The municipality, typed as CBS writes it in its files.
    checklist(page).get_by_role("link", name="Gemeente instellen").click()
    page.get_by_label("CBS-gemeentecode").fill("0361")
    page.get_by_label("Naam").fill("Alkmaar")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Opgeslagen.")).to_be_visible()
    check_accessibility(page)
    # The areas from a file, then CBS's postcode file as CBS publishes it.
    visit(page, "/beheer/")
    checklist(page).get_by_role("link", name="Gebieden laden uit een bestand").click()
    load(page, "Bestand (CSV of XLSX)", "gebieden.csv", AREAS)
    visit(page, "/beheer/")
    checklist(page).get_by_role("link", name="Postcodetabel laden").click()
    load(page, "Bestand met postcodes (CSV, XLSX of ZIP)", "pc6hnr20230801_gwb.csv",
         cbs_address_file(2000))
    expect(page.get_by_text("2.000 regels van andere gemeenten zijn weggelaten.")).to_be_visible()
    expect(page.get_by_text("De tabel heeft nu 4 postcodes.")).to_be_visible()

    visit(page, "/beheer/")
    assert steps(page) == ["✓ Klaar:"] * 3 + ["Nog doen:"] * 4
    expect(checklist(page)).to_contain_text("Nog 4 stappen te doen.")
    expect(checklist(page).get_by_role("link", name="Gemeente", exact=True)).to_be_visible()
    expect(checklist(page)).to_contain_text("GM0361 Alkmaar")
    expect(checklist(page)).to_contain_text("2 wijken in 2 gebieden")
    expect(checklist(page)).to_contain_text("4 postcodes")
    expect(checklist(page)).to_contain_text(re.compile(
        r"Deze gebieden hebben nog geen teamlid: Noord, Zuid\."))
