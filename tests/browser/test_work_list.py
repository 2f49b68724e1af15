"""A team member with work of every kind waiting signs in, finds each line of the work list
with its count, follows each link to the page where the work is done, and finds nothing of
the other gebied."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from panel.db import utcnow
from tests import factories
from tests.browser.helpers import check_accessibility, visit
from tests.worklist.helpers import EXPECTED_LINES, EXPECTED_MEETING, work_of_every_kind

# Per kind of line: a table of the page it leads to holds as many rows as the line counts.
TABLES = {"feedback_14": "items", "feedback_7": "items", "feedback_new": "items",
          "actions_overdue": "actions", "actions_due": "actions", "actions_stale": "actions",
          "call_requests": "members", "awaiting_confirmation": "members"}


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = work_of_every_kind(utcnow())
    session.commit()
    return item


def _number(text: str) -> int:
    return int(re.search(r"\d+", text).group())


def test_a_team_member_works_through_the_list(page: Page, world) -> None:  # type: ignore[no-untyped-def]
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("noord@example.org")
    page.get_by_label("Wachtwoord").fill(factories.PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    work = page.get_by_role("region", name="Wat moet er gebeuren")
    expect(work).to_be_visible()
    check_accessibility(page)
    expect(work).to_contain_text("1 melding wacht al meer dan 14 dagen op controle")
    expect(work).to_contain_text("1 actie is over de datum")
    expect(work).not_to_contain_text("Bijeenkomst z")
    expect(page.locator("main")).not_to_contain_text("Vroonermeer")

    lines = work.locator("li[data-kind]:not([data-kind=places])")
    found = {}
    for index in range(lines.count()):
        item = lines.nth(index)
        kind = item.get_attribute("data-kind")
        in_meeting = item.locator("xpath=ancestor::li[@data-meeting]").count() > 0
        found[(kind, in_meeting)] = _number(item.inner_text()) if kind != "not_open" else 1
    assert {kind: count for (kind, in_meeting), count in found.items()
            if not in_meeting} == EXPECTED_LINES
    assert {kind: count for (kind, in_meeting), count in found.items()
            if in_meeting and kind != "not_open"} == EXPECTED_MEETING

    # Every link opens the page where the work is done; lists count the same.
    for index in range(lines.count()):
        item = page.get_by_role("region", name="Wat moet er gebeuren").locator(
            "li[data-kind]:not([data-kind=places])").nth(index)
        kind = item.get_attribute("data-kind")
        count = _number(item.inner_text()) if kind != "not_open" else 1
        link = item.get_by_role("link")
        anchor = (link.get_attribute("href") or "").partition("#")[2]
        with page.expect_navigation() as navigation:
            link.click()
        assert navigation.value is not None and navigation.value.status == 200, kind
        expect(page.locator("h1")).to_be_visible()
        if anchor:  # the part of the page where the work is done
            expect(page.locator(f"#{anchor}")).to_be_visible()
        check_accessibility(page)
        assert "Zuid" not in page.locator("main").inner_text() or kind.startswith("motions")
        if kind in TABLES:
            rows = page.locator(f'[aria-labelledby="{TABLES[kind]}-caption"] tbody tr')
            assert rows.count() == count, kind
        page.go_back()

    # The weekly email is off until chosen.
    checkbox = page.get_by_label("Stuur mij deze lijst elke week per e-mail")
    expect(checkbox).not_to_be_checked()
    checkbox.check()
    page.get_by_role("button", name="Keuze opslaan").click()
    expect(page.get_by_text("U krijgt deze lijst nu elke week per e-mail.")).to_be_visible()
    expect(page.get_by_label("Stuur mij deze lijst elke week per e-mail")).to_be_checked()
    check_accessibility(page)
