"""A resident asks to be called, on the join form and on their own page; the area team
finds them, calls and marks the call as done. On a phone-sized page, every step checked
for accessibility."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from panel.areas.models import Area, Neighbourhood
from panel.db import db
from panel.signups.models import MemberStatus, PanelMember
from panel.signups.services import new_short_code
from tests.browser.helpers import check_accessibility, visit


def test_the_join_form_asks_for_a_number_to_call(page: Page, demo):
    visit(page, "/aanmelden")
    page.get_by_label("Uw naam").fill("Fatma Bel")
    page.get_by_label("Uw e-mailadres").fill("fatma@example.org")
    page.get_by_label("Bel mij, ik heb een vraag").check()
    page.get_by_label("Postcode").fill("1812 aa")
    page.get_by_label("Huisnummer").fill("7")
    page.get_by_label("Ik ga akkoord").check()
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.locator("#phone-error")).to_have_text(
        "Vul uw telefoonnummer in, dan kunnen wij u bellen.")  # at the field, and in the summary
    expect(page.locator("#foutmeldingen").get_by_role("link")).to_have_attribute("href", "#phone")
    expect(page.get_by_label("Bel mij, ik heb een vraag")).to_be_checked()
    check_accessibility(page)
    page.get_by_label("Telefoonnummer (nodig als wij u moeten bellen)").fill("06 12345678")
    page.get_by_label("Ik ga akkoord").check()
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in uw e-mail")


def test_a_resident_asks_for_a_call_and_the_team_marks_it_done(page: Page, demo, app):
    with app.app_context():
        member = db.session.scalars(
            select(PanelMember).join(Neighbourhood).join(Area)
            .where(Area.code == "noord", PanelMember.status == MemberStatus.MEMBER.value,
                   PanelMember.call_requested_at.is_(None))
            .order_by(PanelMember.id)).first()
        assert member is not None
        member_id, code = member.id, new_short_code(member)
        db.session.commit()
    visit(page, "/code")
    page.get_by_label("Uw code").fill(code)
    page.get_by_role("button", name="Open mijn pagina").click()
    expect(page.get_by_role("heading", name="Hebt u een vraag?")).to_be_visible()
    page.get_by_label("Uw telefoonnummer").fill("072-512 34 56")
    page.get_by_role("button", name="Bel mij, ik heb een vraag").click()
    expect(page.get_by_text("Bedankt. Wij bellen u snel.")).to_be_visible()
    expect(page.get_by_text("Wij bellen u op 072 512 34 56.")).to_be_visible()
    check_accessibility(page)

    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("team-noord@demo.example")
    page.get_by_label("Wachtwoord").fill("demo-wijkpanel-2026")
    page.get_by_role("button", name="Inloggen").click()
    visit(page, "/beheer/leden")
    page.get_by_label("Alleen bewoners die gebeld willen worden").check()
    page.get_by_role("button", name="Zoeken").click()
    expect(page).to_have_url(re.compile(r"bellen=y"))
    check_accessibility(page)
    page.locator(f'a[href="/beheer/leden/{member_id}"]').click()
    expect(page.get_by_role("heading", name="Wil gebeld worden")).to_be_visible()
    expect(page.get_by_role("link", name="072 512 34 56")).to_have_attribute(
        "href", "tel:0725123456")
    check_accessibility(page)
    page.get_by_role("button", name="Gebeld").click()
    expect(page.get_by_text("Opgeslagen: de bewoner is gebeld.")).to_be_visible()
    expect(page.get_by_role("heading", name="Wil gebeld worden")).to_have_count(0)
    check_accessibility(page)
    with app.app_context():
        called = db.session.get(PanelMember, member_id)
        assert called is not None
        assert called.call_requested_at is None and called.phone == "072 512 34 56"
