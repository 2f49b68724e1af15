"""Each role signs in through the browser and finds its way; every page passes axe-core."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from panel.demo.services import DEMO_PASSWORD
from tests.browser.helpers import AxeViolations, check_accessibility, menu, sign_in, visit


def sign_out(page: Page) -> None:
    menu(page, "Menu voor medewerkers").get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()


def test_visitor_reads_the_home_page_in_dutch_and_english(page: Page, demo):
    visit(page, "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wijkpanels")
    expect(page.get_by_text("Demo-omgeving")).to_be_visible()
    expect(page.get_by_role("heading", name="Overdie")).to_have_count(0)
    expect(page.get_by_text("De Mare", exact=True)).to_be_visible()
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("work with us")
    check_accessibility(page)
    visit(page, "/privacy")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    visit(page, "/toegankelijkheid")
    page.get_by_role("link", name="Nederlands").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegankelijkheid")


def test_skip_link_is_the_first_stop_for_keyboard_users(page: Page, demo):
    visit(page, "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Naar de inhoud"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "inhoud"


def test_home_page_fits_a_small_phone_without_sideways_scrolling(page: Page, demo):
    visit(page, "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_admin_manages_areas_and_accounts(page: Page, demo):
    sign_in(page, "beheer@demo.example")
    menu(page, "Menu voor medewerkers").get_by_role("link", name="Gebieden", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gebieden, wijken en buurten")
    check_accessibility(page)
    page.get_by_role("link", name="Noord").click()
    expect(page.get_by_role("heading", name="De Mare")).to_be_visible()
    check_accessibility(page)
    visit(page, "/beheer/wijken/nieuw")
    page.get_by_label("CBS-wijkcode").fill("WK0361")
    page.get_by_label("Naam").fill("Nieuwe wijk")
    page.get_by_label("Jaar van de CBS-kaart").fill("2023")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("geen CBS-wijkcode")).to_be_visible()
    check_accessibility(page)
    visit(page, "/beheer/gebieden/laden")
    page.get_by_label("Bestand (CSV of XLSX)").set_input_files(files=[{
        "name": "gebieden.csv", "mimeType": "text/csv",
        "buffer": "niveau;code;naam;hoort_bij;cbs_jaar\nbuurt;BU03610199;Nieuw;WK036199;2023\n"
                  .encode("cp1252")}])
    page.get_by_role("button", name="Bestand laden").click()
    expect(page.get_by_text("Het bestand heeft fouten")).to_be_visible()
    check_accessibility(page)
    visit(page, "/beheer/gemeente")
    visit(page, "/beheer/accounts")
    page.get_by_role("link", name="Nieuw account").click()
    page.get_by_label("E-mailadres").fill("nieuw@demo.example")
    page.get_by_label("Rol").select_option("team")
    page.get_by_label("Zuid").check()
    check_accessibility(page)
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("nieuw@demo.example")
    link = page.locator("code").inner_text()
    check_accessibility(page)
    sign_out(page)
    page.goto(link.replace("http://wijkpanel.test", ""))
    check_accessibility(page)
    page.get_by_label("Nieuw wachtwoord").fill("een lange zin als wachtwoord")
    page.get_by_label("Herhaal het wachtwoord").fill("een lange zin als wachtwoord")
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(page.get_by_text("Uw wachtwoord is ingesteld")).to_be_visible()
    check_accessibility(page)


def _submit(page: Page) -> None:
    page.locator("main form button[type=submit]").first.click()


def test_admin_sets_up_two_step_login_and_signs_in_with_a_code(page: Page, demo):
    """The new pages are found by address and element ids, so the test does not depend on
    whether their Dutch translations are in the catalog yet."""
    sign_in(page, "beheer@demo.example")
    page.locator("main a[href='/beheer/tweestaps']").click()
    expect(page).to_have_url(re.compile(r"/beheer/tweestaps$"))
    expect(page.locator("main svg[role=img]")).to_be_visible()
    check_accessibility(page)
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.locator("#code").fill("000000")
    _submit(page)
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)
    page.locator("#code").fill(totp.now())
    _submit(page)
    codes = page.locator("main ol code")
    expect(codes).to_have_count(10)
    check_accessibility(page)
    page.locator("main a[href='/beheer/']").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    sign_out(page)

    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("beheer@demo.example")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(re.compile(r"/beheer/inloggen/code$"))
    check_accessibility(page)
    page.locator("#code").fill("000000")
    _submit(page)
    expect(page.locator(".utrecht-alert--error")).to_be_visible()
    check_accessibility(page)
    # The code of the enrolment was used; the next time step's code is new (window of 1).
    page.locator("#code").fill(totp.at(time.time() + 30))
    _submit(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    check_accessibility(page)

    visit(page, "/beheer/tweestaps")  # two-step login is on: the page shows its state
    expect(page.locator("#totp-secret")).to_have_count(0)
    visit(page, "/beheer/wachtwoord")
    visit(page, "/beheer/bevestigen?next=/beheer/accounts")
    page.locator("#password").fill(DEMO_PASSWORD)
    _submit(page)
    expect(page).to_have_url(re.compile(r"/beheer/accounts$"))
    check_accessibility(page)
    sign_out(page)


def test_team_member_sees_only_own_gebied(page: Page, demo):
    sign_in(page, "team-west@demo.example")
    expect(page.get_by_role("link", name="West")).to_be_visible()
    expect(page.get_by_role("link", name="Noord")).to_have_count(0)
    page.get_by_role("link", name="West").click()
    expect(page.get_by_role("heading", name="Overdie")).to_be_visible()
    check_accessibility(page)
    response = page.goto("/beheer/gebieden/noord")
    assert response is not None and response.status == 404
    check_accessibility(page)
    response = page.goto("/beheer/accounts")
    assert response is not None and response.status == 403
    check_accessibility(page)
    sign_out(page)


def test_clerk_sees_figures_without_personal_data(page: Page, demo):
    sign_in(page, "griffie@demo.example")
    expect(page.get_by_text("zonder persoonsgegevens")).to_be_visible()
    visit(page, "/beheer/gebieden")
    expect(page.get_by_role("link", name="Nieuw gebied")).to_have_count(0)
    sign_out(page)
    check_accessibility(page)


def test_wrong_password_gets_one_clear_message(page: Page, demo):
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("beheer@demo.example")
    page.get_by_label("Wachtwoord").fill("niet het goede wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_text("Het e-mailadres of het wachtwoord klopt niet.")).to_be_visible()
    check_accessibility(page)


def test_the_accessibility_check_itself_catches_a_violation(page: Page, demo):
    """Guards the guard: an unlabeled field added to a page must make the check fail."""
    visit(page, "/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                  "'<input type=\"text\">')")
    with pytest.raises(AxeViolations, match="label"):
        check_accessibility(page)
