"""A resident tells the team what they see; the team checks it, starts an action and
changes its status; the public page shows it and the resident gets an email."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from panel.db import db
from panel.demo.services import DEMO_PASSWORD
from panel.mail.services import deliver_due
from panel.signups.models import LinkPurpose, PanelMember
from panel.signups.services import issue_link
from tests.browser.helpers import check_accessibility, menu, new_context, visit


def test_feedback_to_action_to_public_page(page: Page, demo, smtp, app, browser, live_server):
    with app.app_context():
        member = db.session.scalars(select(PanelMember).join(PanelMember.neighbourhood).where(
            PanelMember.status == "member", PanelMember.email.is_not(None),
            PanelMember.language == "nl")
            .where(PanelMember.neighbourhood.has(code="WK036101"))).first()
        token = issue_link(member, LinkPurpose.ACCESS, timedelta(days=1))
        address = member.email
        db.session.commit()

    resident = new_context(browser, live_server)
    tab = resident.new_page()
    tab.goto(f"/mijn/link/{token}")
    tab.get_by_role("link", name="Vertel het gebiedsteam wat u ziet in uw wijk").click()
    check_accessibility(tab)
    tab.get_by_label("Jeugdoverlast").check()
    tab.get_by_label("Waar precies? (hoeft niet)").fill("bij de snackbar")
    tab.get_by_label("Wat wilt u ons vertellen?").fill(
        "Jongeren gooien elke avond met vuurwerk bij de snackbar.")
    tab.get_by_role("button", name="Versturen").click()
    expect(tab.get_by_text("Het gebiedsteam leest het.")).to_be_visible()
    check_accessibility(tab)

    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("team-noord@demo.example")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    menu(page, "Menu voor medewerkers").get_by_role("link", name="Meldingen").click()
    check_accessibility(page)
    page.get_by_role("link", name="Jongeren gooien elke avond").click()
    check_accessibility(page)
    page.get_by_label("Tekst voor de openbare pagina").fill(
        "Jongeren gooien 's avonds met vuurwerk bij de snackbar.")
    page.get_by_role("button", name="Deze tekst publiceren als citaat").click()
    expect(page.get_by_text("Gepubliceerd als citaat.")).to_be_visible()
    page.get_by_role("link", name="Hiervoor een actie starten").click()
    check_accessibility(page)
    page.get_by_label("Titel").fill("Extra toezicht bij de snackbar")
    page.get_by_label("Wie doet het?").fill("WijkBOA en jongerenwerk")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De actie is opgeslagen.")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Status").select_option("in_progress")
    page.get_by_label("Voortgang (procent)").fill("40")
    page.get_by_label("Wat is er gebeurd?").fill("De BOA loopt elke avond een ronde.")
    page.get_by_role("button", name="Update opslaan").click()
    expect(page.get_by_text("De update is opgeslagen.")).to_be_visible()
    check_accessibility(page)

    tab.goto("/terugkoppeling/WK036101")
    expect(tab.get_by_text("Jongeren gooien 's avonds met vuurwerk bij de snackbar.")) \
        .to_be_visible()
    expect(tab.get_by_text("Extra toezicht bij de snackbar")).to_be_visible()
    expect(tab.get_by_text("Jongeren gooien elke avond")).to_have_count(0)
    check_accessibility(tab)
    resident.close()

    with app.app_context():
        deliver_due()
    news = [m for m in smtp.messages if str(m["To"]) == address]
    assert len(news) == 1 and "Nieuws over uw melding" in str(news[0]["Subject"])
