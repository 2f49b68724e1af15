"""An administrator loads the standard indicators, changes one and moves it; every page
passes axe-core."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from panel.auth.models import Role
from tests import factories
from tests.browser.helpers import check_accessibility, menu, visit


def test_admin_loads_changes_and_orders_the_indicators(page: Page, session):
    factories.municipality("GM0361")
    factories.user(Role.ADMIN, email="beheer@example.org")
    session.commit()
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("beheer@example.org")
    page.get_by_label("Wachtwoord").fill(factories.PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    menu(page, "Menu voor medewerkers").get_by_role("link", name="Indicatoren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicatoren")
    expect(page.get_by_text("Er zijn nog geen indicatoren.")).to_be_visible()
    check_accessibility(page)

    page.get_by_role("button", name="Standaardindicatoren van de Veiligheidsmonitor "
                                    "inlezen").click()
    expect(page.get_by_text("Het bestand is geladen.")).to_be_visible()
    expect(page.get_by_role("table", name="Veiligheidsgevoel")).to_be_visible()
    check_accessibility(page)

    table = page.get_by_role("table", name="Veiligheidsgevoel")
    first = table.get_by_role("row").nth(1).get_by_role("rowheader").inner_text()
    table.get_by_role("row").nth(1).get_by_role("button", name="Omlaag").click()
    table = page.get_by_role("table", name="Veiligheidsgevoel")
    expect(table.get_by_role("row").nth(2).get_by_role("rowheader")).to_have_text(first)

    table.get_by_role("link", name=first).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicator wijzigen")
    check_accessibility(page)
    page.get_by_label("Decimalen").fill("1")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De indicator is opgeslagen.")).to_be_visible()
    visit(page, "/beheer/indicatoren/nieuw")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("#unit-error")).to_have_text("Kies een eenheid.")  # at the group
    expect(page.locator("#foutmeldingen").get_by_role("link", name="Kies een eenheid.")) \
        .to_have_attribute("href", "#unit-0")
    check_accessibility(page)
