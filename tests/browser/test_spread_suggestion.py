"""A team member spreads the panel of a gebied with an open meeting (one invitation not
answered yet) and a draft: the plan counts the open invitation against the places and
leaves the draft out; a member joins while the page is open, so the first click invites
nobody and shows the new plan; the second click invites it, and the same plan sent from
a second tab invites nobody twice."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from panel.db import db
from panel.meetings import services
from panel.meetings.models import Invitation
from tests import factories
from tests.browser.helpers import check_accessibility, menu, visit
from tests.meetings.helpers import day_after, meeting_data

OPEN_TITLE = "Avond in De Mare"
DRAFT_TITLE = "Zaterdag in De Mare"


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    item.people = [factories.member(item.mare, name=f"Bewoner {n}", email=f"b{n}@example.org")
                   for n in range(5)]
    item.open, _ = services.create(item.team_noord, "noord", meeting_data(
        title=OPEN_TITLE, capacity=3))
    services.open_for_replies(item.team_noord, item.open.id)
    item.draft, _ = services.create(item.team_noord, "noord", meeting_data(
        title=DRAFT_TITLE, day=day_after(20), venue="Wijkcentrum De Mare"))
    services.invite(item.team_noord, item.open.id, [item.people[0].id])
    session.commit()
    return item


def _invitations(meeting_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Invitation)
                             .where(Invitation.meeting_id == meeting_id)) or 0


def test_the_team_spreads_the_panel_and_invites_the_plan_it_saw(page: Page, world) -> None:  # type: ignore[no-untyped-def]
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("noord@example.org")
    page.get_by_label("Wachtwoord").fill(factories.PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    menu(page, "Menu voor medewerkers").get_by_role("link", name="Bijeenkomsten").click()
    check_accessibility(page)
    page.get_by_role("link", name="Panel van Noord verdelen over de bijeenkomsten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Panel van Noord verdelen over de bijeenkomsten")
    check_accessibility(page)

    main = page.locator("main")
    expect(main).to_contain_text("3 plaatsen: 0 bezet, 1 uitgenodigd zonder antwoord, 2 vrij.")
    drafts = page.get_by_role("region", name="Niet in het plan: nog niet open")
    expect(drafts.get_by_role("link", name=DRAFT_TITLE)).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=DRAFT_TITLE)).to_have_count(0)
    planned = page.get_by_role("region", name=OPEN_TITLE)
    expect(planned.get_by_role("listitem")).to_have_text(["Bewoner 1", "Bewoner 2"])

    factories.member(world.mare, name="Nieuwe Bewoner", email="nieuw@example.org")
    db.session.commit()  # someone joins while the page is open
    page.get_by_role("button", name="Zo uitnodigen").click()
    summary = page.locator("#foutmeldingen")
    expect(summary).to_contain_text("Het plan is veranderd nadat deze pagina werd getoond.")
    expect(summary).to_be_focused()
    expect(main).to_contain_text("Nieuwe Bewoner")
    check_accessibility(page)
    assert _invitations(world.open.id) == 1

    second_tab = page.context.new_page()  # the same plan, open in a second tab
    visit(second_tab, "/beheer/gebieden/noord/spreiding")
    page.get_by_role("button", name="Zo uitnodigen").click()
    expect(page.get_by_text("2 uitnodigingen per e-mail verstuurd.")).to_be_visible()
    check_accessibility(page)
    assert _invitations(world.open.id) == 3 and _invitations(world.draft.id) == 0

    second_tab.get_by_role("button", name="Zo uitnodigen").click()
    expect(second_tab.get_by_text("Deze uitnodigingen waren al verstuurd.")).to_be_visible()
    check_accessibility(second_tab)
    assert _invitations(world.open.id) == 3
