"""A clerk builds the follow-up report on the motion, makes it final and exports it."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from docx import Document
from playwright.sync_api import Page, expect
from sqlalchemy import select

from panel.db import utcnow
from panel.demo.services import DEMO_PASSWORD
from panel.feedback.models import Action, FeedbackItem, Theme
from panel.meetings.times import to_local
from panel.motions.models import Motion
from tests.browser.helpers import check_accessibility, menu, visit


def test_clerk_builds_finalises_and_exports_the_report(page: Page, demo):
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("griffie@demo.example")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    menu(page, "Menu voor medewerkers").get_by_role("link", name="Moties").click()
    check_accessibility(page)
    motion = page.get_by_role("heading", name="Betrekken inwoners bij veiligheid")
    motion.get_by_role("link").click()
    check_accessibility(page)
    today = to_local(utcnow()).date()
    page.get_by_label("Van", exact=True).fill((today - timedelta(days=90)).isoformat())
    page.get_by_label("Tot en met").fill(today.isoformat())
    page.get_by_role("button", name="Rapportage starten").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapportage over")
    expect(page.get_by_text("Versie 2")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Kop 1").fill("Kernboodschap")
    page.get_by_label("Tekst 1").fill("De wijkpanels in De Mare en Overdie zijn begonnen.")
    page.get_by_role("button", name="Tekst opslaan").click()
    expect(page.get_by_text("De tekst is opgeslagen.")).to_be_visible()
    page.get_by_role("button", name="Definitief maken").click()
    expect(page.get_by_text("De rapportage is definitief.")).to_be_visible()
    check_accessibility(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Raadsinformatiebrief (Word)").click()
    document = Document(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Raadsinformatiebrief" in text and "De wijkpanels in De Mare" in text
    with page.expect_download() as spreadsheet:
        page.get_by_role("link", name="Excel").click()
    assert spreadsheet.value.suggested_filename.endswith(".xlsx")

    page.get_by_role("link", name="Pagina om te printen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raadsinformatiebrief")
    check_accessibility(page)


def test_a_long_report_is_paged_and_accessible(page: Page, demo, session):
    """A report with many actions shows 25 a page, with page links that work without
    JavaScript; the page to print keeps them all."""
    motion = session.scalars(select(Motion).where(Motion.reference == "M2023-003")).one()
    report = motion.reports[0]
    wijk = motion.neighbourhoods[0]
    start = utcnow() - timedelta(days=100)
    # Actions on feedback from the motion's wijk (actions for the whole gebied do not count)
    item = FeedbackItem(neighbourhood=wijk, theme=session.scalars(select(Theme)).first(),
                        source="resident", text="Te hard gereden.", created_at=start)
    session.add_all([Action(area=wijk.area, title=f"Extra actie {n:02d}", owner="Team",
                            items=[item], created_at=start + timedelta(days=n))
                     for n in range(1, 61)])
    session.commit()
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("griffie@demo.example")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.goto(f"/beheer/moties/rapportages/{report.id}")
    check_accessibility(page)
    actions = page.locator("#caption-acties").locator("xpath=ancestor::section")
    expect(actions.get_by_role("cell", name="Extra actie 60")).to_be_visible()
    expect(actions.get_by_role("cell", name="Extra actie 35")).to_have_count(0)
    pages = page.get_by_role("navigation", name="Pagina's met acties")
    expect(pages.locator("[aria-current=page]")).to_have_text("1")
    box = pages.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360  # phone

    pages.get_by_role("link", name="Volgende pagina").click()
    expect(page).to_have_url(re.compile(r"\?pagina=2#section-acties$"))
    expect(pages.locator("[aria-current=page]")).to_have_text("2")
    expect(actions.get_by_role("cell", name="Extra actie 35")).to_be_visible()
    check_accessibility(page)

    page.goto(f"/beheer/moties/rapportages/{report.id}/afdruk")
    # in the timeline and in the table of actions
    expect(page.get_by_role("cell", name="Extra actie 01", exact=True)).to_have_count(2)
    expect(page.get_by_role("navigation", name="Pagina's met acties")).to_have_count(0)
    check_accessibility(page)
