"""A staff member who forgot their password gets a new one without an administrator: from
the sign-in page to the forgotten-password form, the email, the set-password page and
signing in again, on a phone and with the keyboard. Every page passes axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from panel.db import db
from tests import factories
from tests.browser.helpers import check_accessibility, visit
from tests.mailbox import link_in, outbox

EMAIL = "noord@example.org"
NEW_PASSWORD = "a quiet street with tall trees"


def test_a_forgotten_password_is_replaced_through_the_emailed_link(page: Page, session):
    factories.panel_world()
    session.commit()

    visit(page, "/beheer/inloggen")
    page.get_by_role("link", name="Wachtwoord vergeten?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wachtwoord vergeten?")
    check_accessibility(page)

    page.get_by_role("button", name="Stuur mij een link").click()  # nothing filled in
    expect(page).to_have_title(re.compile("^Fout:"))
    check_accessibility(page)
    page.get_by_label("E-mailadres").fill(EMAIL.upper())
    page.get_by_label("E-mailadres").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in uw e-mail")
    check_accessibility(page)

    db.session.rollback()  # see what the server committed
    [message] = outbox(EMAIL)
    visit(page, link_in(message, "/beheer/wachtwoord/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Stel uw wachtwoord in")
    page.get_by_label("Nieuw wachtwoord").fill(NEW_PASSWORD)
    page.get_by_label("Herhaal het wachtwoord").fill(NEW_PASSWORD)
    page.get_by_label("Herhaal het wachtwoord").press("Enter")
    expect(page.get_by_text("Uw wachtwoord is ingesteld. U kunt nu inloggen.")).to_be_visible()
    check_accessibility(page)

    page.get_by_label("E-mailadres").fill(EMAIL)
    page.get_by_label("Wachtwoord", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    check_accessibility(page)
