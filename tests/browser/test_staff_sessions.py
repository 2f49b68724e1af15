"""A staff member sees where they are signed in and ends the other sessions, with the
keyboard alone; the other browser is signed out at its next request. Every page passes
axe-core."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.browser.helpers import check_accessibility, new_context, visit

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
EMAIL = "noord@example.org"


def _sign_in(page: Page) -> None:
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord").fill(factories.PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    check_accessibility(page)


def test_staff_member_ends_the_other_sessions_with_the_keyboard(page: Page, browser: Browser,
                                                                 live_server: str, session):
    factories.panel_world()
    session.commit()
    phone_context = new_context(browser, live_server, user_agent=IPHONE)
    try:
        phone = phone_context.new_page()
        _sign_in(phone)
        _sign_in(page)

        page.get_by_role("link", name="Waar u bent ingelogd").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Waar u bent ingelogd")
        check_accessibility(page)
        table = page.get_by_role("table", name="Uw sessies")
        expect(table.get_by_role("row")).to_have_count(3)  # the header and two sessions
        expect(table.get_by_role("rowheader", name="Mobile Safari op iOS")).to_be_visible()
        expect(table.get_by_role("rowheader").filter(has_text="(deze browser)")) \
            .to_have_count(1)

        end = page.get_by_role("button", name="Deze sessie beëindigen")
        end.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_text("De sessie is beëindigd. Die browser is uitgelogd.")) \
            .to_be_visible()
        expect(page.get_by_text("U bent nergens anders ingelogd.")).to_be_visible()
        check_accessibility(page)

        phone.goto("/beheer/leden")
        expect(phone).to_have_url(f"{live_server}/beheer/inloggen?next=%2Fbeheer%2Fleden")
        expect(phone.get_by_text("U bent uitgelogd. Log opnieuw in.")).to_be_visible()
        check_accessibility(phone)

        _sign_in(phone)
        visit(page, "/beheer/sessies")
        page.get_by_role("button", name="Alle andere sessies beëindigen").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_text("1 andere sessie is beëindigd.")).to_be_visible()
        check_accessibility(page)
        phone.reload()
        expect(phone.get_by_role("heading", level=1)).not_to_contain_text("Welkom")
        expect(phone).to_have_url(f"{live_server}/beheer/inloggen?next=%2Fbeheer%2F")
    finally:
        phone_context.close()
