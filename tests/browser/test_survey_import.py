"""A team member imports a research bureau's export: the mapping step shows the distinct
answers to the panel question, the team member says what two of them mean, checks and
imports. Every page passes axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from panel.db import db
from panel.signups.models import PanelMember
from tests import factories
from tests.browser.helpers import check_accessibility, visit
from tests.signups.bureau import (
    DUPLICATES,
    SKIPPED,
    WILLING,
    add_bureau_wijken,
    bureau_export,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_team_member_marks_the_answers_and_imports_the_bureaus_export(page: Page, session):
    world = factories.panel_world()
    add_bureau_wijken(world)
    session.commit()

    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("noord@example.org")
    page.get_by_label("Wachtwoord").fill(factories.PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    check_accessibility(page)

    visit(page, "/beheer/import")
    page.get_by_label("Bestand van de enquête (CSV of XLSX)").set_input_files(files=[{
        "name": "export-wijkpanel.xlsx", "mimeType": XLSX, "buffer": bureau_export("xlsx")}])
    page.get_by_role("button", name="Bestand controleren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("export-wijkpanel.xlsx inlezen")
    expect(page.get_by_label("Regel met de kolomnamen")).to_have_value("3")
    expect(page.get_by_label("Antwoord op de panelvraag")).to_have_value(
        "wilt u deelnemen aan een wijkpanel?")
    maybe = page.get_by_role("group", name="“Misschien”: 6 keer")
    expect(maybe.get_by_label("Overslaan")).to_be_checked()
    graag = page.get_by_role("group", name=re.compile(r"^“ja, graag \/ Ja, graag! \/ ja graag”"))
    expect(graag.get_by_label("Ja: uitnodigen")).to_be_checked()
    check_accessibility(page)

    maybe.get_by_label("Nee").check()
    graag.get_by_label("Ja: uitnodigen").check()
    page.get_by_role("group", name=re.compile(r"^“Ja, lijkt me leuk”")) \
        .get_by_label("Ja: uitnodigen").check()
    page.get_by_role("button", name="Opnieuw controleren").click()
    expect(page.get_by_role("heading", name="Wat er zou gebeuren")).to_be_visible()
    expect(page.get_by_text(f"{WILLING} nieuw, 0 bijgewerkt, 0 ongewijzigd, {SKIPPED} "
                            f"overgeslagen, {DUPLICATES} afgewezen.")).to_be_visible()
    expect(page.get_by_role("group", name="“Misschien”: 6 keer").get_by_label("Nee")) \
        .to_be_checked()
    check_accessibility(page)

    page.get_by_role("button", name="Nu inlezen").click()
    expect(page.get_by_role("heading", name="Ingelezen")).to_be_visible()
    expect(page.get_by_text("Postcodes in de gewone vorm gezet")).to_be_visible()
    check_accessibility(page)
    db.session.rollback()  # see what the app's request committed
    assert db.session.scalar(select(func.count(PanelMember.id))) == WILLING
