"""A clerk builds the follow-up report on the motion, makes it final and exports it."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document
from playwright.sync_api import Page, expect

from panel.db import utcnow
from panel.demo.services import DEMO_PASSWORD
from panel.meetings.times import to_local
from tests.browser.conftest import check_accessibility, visit


def test_clerk_builds_finalises_and_exports_the_report(page: Page, demo):
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("griffie@demo.example")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("link", name="Moties").click()
    check_accessibility(page)
    page.get_by_role("link", name="Betrekken inwoners bij veiligheid").click()
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
