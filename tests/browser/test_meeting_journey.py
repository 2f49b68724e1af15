"""An area team plans a meeting with one place, invites the panel, two residents reply by
their email links, one cancels, the waiting one moves up, and the team keeps attendance."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from panel.db import db, utcnow
from panel.demo.services import DEMO_PASSWORD
from panel.meetings.models import Meeting
from panel.meetings.times import to_local
from tests.browser.helpers import check_accessibility, deliver, menu, new_context, visit


def reply_links(server, live_server: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    links = {}
    for message in server.messages:
        text = message.get_body(preferencelist=("plain",)).get_content()
        found = re.search(r"http://wijkpanel\.test(/antwoord/\S+)", text)
        if found:
            links[str(message["To"])] = live_server + found.group(1)
    return links


def test_plan_invite_reply_waitlist_cancel_promote_attend(page: Page, demo, smtp, app,
                                                          live_server, browser):
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("team-west@demo.example")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    menu(page, "Menu voor medewerkers").get_by_role("link", name="Bijeenkomsten").click()
    check_accessibility(page)
    page.get_by_role("link", name="Nieuwe bijeenkomst voor gebied West").click()
    check_accessibility(page)
    day = to_local(utcnow() + timedelta(days=9)).date()
    page.get_by_label("Titel").fill("Wijkpanel Overdie: veilig naar school")
    page.get_by_label("Locatie", exact=True).fill("Basisschool Overdie")
    page.get_by_label("Adres van de locatie").fill("Schoolstraat 1, Alkmaar")
    page.get_by_label("Datum").fill(day.isoformat())
    page.get_by_label("Begintijd").fill("19:30")
    page.get_by_label("Eindtijd").fill("21:00")
    page.get_by_label("Aantal plaatsen").fill("1")
    page.get_by_label("Overdie").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De bijeenkomst is opgeslagen.")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Openen voor aanmeldingen").click()
    page.get_by_role("button", name="Panelleden van deze wijken uitnodigen").click()
    expect(page.get_by_text("uitnodigingen per e-mail verstuurd")).to_be_visible()
    check_accessibility(page)
    detail_url = page.url

    deliver(app)
    links = reply_links(smtp, live_server)
    assert len(links) >= 2
    first, second = sorted(links)[:2]
    for message in smtp.messages:
        attachments = [part.get_filename() for part in message.iter_attachments()]
        assert "uitnodiging.ics" in attachments

    resident = new_context(browser, live_server)
    tab = resident.new_page()
    tab.goto(links[first])
    check_accessibility(tab)
    tab.get_by_role("button", name="Ja, ik kom").click()
    expect(tab.get_by_text("U heeft een plek.").first).to_be_visible()
    check_accessibility(tab)

    other = new_context(browser, live_server)
    tab2 = other.new_page()
    tab2.goto(links[second])
    tab2.get_by_role("button", name="Ja, ik kom").click()
    expect(tab2.get_by_text("U staat op de wachtlijst. Uw nummer: 1.")).to_be_visible()
    check_accessibility(tab2)

    tab.get_by_role("button", name="Nee, ik kom niet").click()
    expect(tab.get_by_text("U komt niet.").first).to_be_visible()
    tab2.reload()
    expect(tab2.get_by_text("U komt. U heeft een plek.")).to_be_visible()
    sent_before = len(smtp.messages)
    deliver(app)
    promoted = [m for m in smtp.messages[sent_before:] if str(m["To"]) == second]
    assert promoted and "plek" in str(promoted[0]["Subject"])
    resident.close()
    other.close()

    with app.app_context():
        meeting = db.session.scalars(select(Meeting).where(
            Meeting.title == "Wijkpanel Overdie: veilig naar school")).one()
        meeting.starts_at = utcnow() - timedelta(hours=2)
        meeting.ends_at = utcnow() - timedelta(minutes=30)
        db.session.commit()
    page.goto(detail_url)
    page.get_by_role("link", name="Aanwezigheid en verslag").click()
    check_accessibility(page)
    page.locator("fieldset").get_by_role("checkbox").first.check()
    page.get_by_label("Andere aanwezigen (niet op de lijst)").fill("2")
    page.get_by_label("Kort verslag: waarover is gesproken?").fill(
        "Ouders maken zich zorgen over hardrijden bij de school.")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Aanwezigheid en verslag zijn opgeslagen.")).to_be_visible()
    expect(page.locator(".wp-figures")).to_contain_text("Aanwezig")
    check_accessibility(page)


def test_public_meeting_pages(page: Page, demo):
    visit(page, "/bijeenkomsten")
    page.get_by_role("link", name=re.compile("Wijkpanel Oost")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wijkpanel Oost")
    check_accessibility(page)
