"""After a wrong submit the focus is on the error summary, and each of its links takes the
keyboard to the input that needs attention: on /aanmelden and on the meeting form, with
the page's script and without it (``autofocus`` and plain links to the inputs)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from panel.demo.services import DEMO_PASSWORD
from tests.browser.helpers import check_accessibility, visit

SUMMARY = "#foutmeldingen"


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def follow_each_link(page: Page) -> list[str]:
    """From the summary, Tab to each link and press Enter: the ids that got the focus."""
    summary = page.locator(SUMMARY)
    count = summary.get_by_role("link").count()
    reached = []
    for n in range(count):
        summary.focus()  # back to the summary, as after the wrong submit
        for _ in range(n + 1):
            page.keyboard.press("Tab")
        target = summary.get_by_role("link").nth(n).get_attribute("href") or ""
        page.keyboard.press("Enter")
        expect(page.locator(target)).to_be_focused()
        reached.append(focused_id(page))
    return reached


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_a_wrong_join_puts_the_focus_on_the_summary(page: Page, demo, script: bool) -> None:
    if not script:
        page.route(re.compile(r".*/js/forms\.js$"), lambda route: route.abort())
    visit(page, "/aanmelden")
    page.get_by_label("Uw naam").focus()
    page.keyboard.type("Piet Jansen")
    page.keyboard.press("Enter")  # sends the form: email and consent are missing

    expect(page).to_have_title(re.compile(r"^Fout: "))
    expect(page.locator(SUMMARY)).to_be_focused()
    expect(page.locator(SUMMARY).get_by_role("heading")).to_have_text("Er ging iets mis")
    check_accessibility(page)
    assert follow_each_link(page) == ["email", "consent"]
    expect(page.locator("#consent")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_a_meeting_without_date_leads_to_the_date_and_times(page: Page, demo,
                                                             script: bool) -> None:
    if not script:
        page.route(re.compile(r".*/js/forms\.js$"), lambda route: route.abort())
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("team-noord@demo.example")
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_label("Wachtwoord").press("Enter")
    expect(page).to_have_url(re.compile(r"/beheer/$"))
    visit(page, "/beheer/gebieden/noord/bijeenkomsten/nieuw")
    page.get_by_label("Titel").focus()
    page.keyboard.type("Wijkpanel Oudorp")
    page.keyboard.press("Enter")

    expect(page).to_have_title(re.compile(r"^Fout: "))
    expect(page.locator(SUMMARY)).to_be_focused()
    check_accessibility(page)
    reached = follow_each_link(page)
    # Each missing part at its own input; for the group of wijken its first option.
    assert reached == ["venue", "address", "day", "start", "end", "wijken-0"]
    expect(page.locator("#tijd")).to_have_attribute("aria-invalid", "true")
    if script:  # the last link followed: the group's question is in view with its option
        expect(page.locator("#wijken legend")).to_be_in_viewport()
    check_accessibility(page)
