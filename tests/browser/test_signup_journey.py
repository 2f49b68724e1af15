"""A resident joins on a phone, confirms through a real email, manages their page and
leaves. Mail goes through a real SMTP server on loopback."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import check_accessibility, deliver, menu, visit


def link_from(message, path: str, base: str) -> str:  # type: ignore[no-untyped-def]
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(rf"http://wijkpanel\.test({re.escape(path)}\S+)", text)
    assert found, text
    return base + found.group(1)


def test_join_confirm_manage_and_leave(page: Page, demo, smtp, app, live_server):
    visit(page, "/")
    visit(page, "/aanmelden")
    page.get_by_label("Uw naam").fill("Fatima Browser")
    page.get_by_label("Uw e-mailadres").fill("fatima@example.org")
    page.get_by_label("Postcode").fill("1812 aa")
    page.get_by_label("Huisnummer").fill("7")
    page.get_by_label("Ik ga akkoord").check()
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in uw e-mail")
    check_accessibility(page)

    deliver(app)
    [message] = smtp.messages
    assert message["To"] == "fatima@example.org"
    assert str(message["List-Unsubscribe"]).strip().startswith("<http://wijkpanel.test/afmelden/")
    page.goto(link_from(message, "/aanmelden/bevestigen/", live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bevestig uw plek")
    check_accessibility(page)
    page.get_by_role("button", name="Ja, ik doe mee in het wijkpanel").click()

    expect(page).to_have_url(re.compile(r"/mijn$"))
    expect(page.get_by_text("U zit nu in het wijkpanel van")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Wat heeft u nodig om mee te doen?").fill("Een plek zonder trap")
    page.get_by_label("Maandag tot en met vrijdag, avond").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Uw gegevens zijn opgeslagen.")).to_be_visible()
    expect(page.get_by_label("Maandag tot en met vrijdag, avond")).to_be_checked()
    check_accessibility(page)

    page.get_by_role("link", name="Uit het wijkpanel stappen").click()
    check_accessibility(page)
    page.get_by_role("button", name="Ja, ik stap uit het panel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("U bent uit het wijkpanel gestapt")
    check_accessibility(page)
    visit(page, "/mijn")
    expect(page.get_by_role("button", name="Stuur mij een link")).to_be_visible()


def test_resident_with_a_letter_code_confirms_on_their_page(page: Page, demo, app):
    from sqlalchemy import select

    from panel.db import db
    from panel.signups.models import PanelMember
    from panel.signups.services import new_short_code

    with app.app_context():
        member = db.session.scalars(select(PanelMember).where(
            PanelMember.status == "invited", PanelMember.email.is_(None))).first()
        if member is None:
            member = db.session.scalars(select(PanelMember).where(
                PanelMember.status == "invited")).first()
        code = new_short_code(member)
        db.session.commit()
    visit(page, "/code")
    page.get_by_label("Uw code").fill("XXXX-XXXX")
    page.get_by_role("button", name="Open mijn pagina").click()
    expect(page.locator("#code-error")).to_contain_text("Deze code klopt niet")  # at the field
    expect(page.locator("#foutmeldingen").get_by_role("link")).to_have_attribute("href", "#code")
    check_accessibility(page)
    page.get_by_label("Uw code").fill(code.lower())
    page.get_by_role("button", name="Open mijn pagina").click()
    expect(page.get_by_role("heading", name="Bevestig uw plek")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Ja, ik doe mee in het wijkpanel").click()
    expect(page.get_by_text("U zit nu in het wijkpanel van")).to_be_visible()
    check_accessibility(page)


def test_team_member_finds_members_and_imports_the_survey(page: Page, demo):
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("team-noord@demo.example")
    page.get_by_label("Wachtwoord").fill("demo-wijkpanel-2026")
    page.get_by_role("button", name="Inloggen").click()
    menu(page, "Menu voor medewerkers").get_by_role("link", name="Panelleden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Panelleden")
    check_accessibility(page)
    page.get_by_label("Status").select_option("invited")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_text("gevonden")).to_be_visible()
    check_accessibility(page)
    page.locator("table a.utrecht-link").first.click()
    check_accessibility(page)
    visit(page, "/beheer/leden/nieuw")
    visit(page, "/beheer/import")
    page.get_by_label("Bestand van de enquête (CSV of XLSX)").set_input_files(files=[{
        "name": "export.csv", "mimeType": "text/csv",
        "buffer": ("respondent;naam;e-mail;postcode;huisnummer;wijkcode;wijkpanel\n"
                   "X1;Jan Één;jan@example.org;;;WK036101;ja\n"
                   "X2;Kees;kapot;;;WK036101;ja\n").encode("cp1252")}])
    page.get_by_role("button", name="Bestand controleren").click()
    expect(page.get_by_role("heading", name="Wat er zou gebeuren")).to_be_visible()
    expect(page.get_by_text("Het e-mailadres klopt niet.")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Nu inlezen").click()
    expect(page.get_by_role("heading", name="Ingelezen")).to_be_visible()
    check_accessibility(page)
