"""A resident reads the site in English: the page speaks English, the municipality's own
words (meeting titles, venues, agendas, quotes, actions) are marked Dutch, and joining
preselects English for the emails."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import check_accessibility, visit


def test_an_english_visitor_reads_meetings_and_feedback_with_dutch_parts(page: Page, demo):
    visit(page, "/")
    page.get_by_role("link", name="English").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_accessibility(page)

    page.goto("/bijeenkomsten")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meetings of the wijkpanels")
    check_accessibility(page)
    title = page.locator("h3[lang=nl] a").first
    name = title.inner_text()
    title.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("heading", level=1)).to_have_attribute("lang", "nl")
    expect(page.locator("ol[lang=nl] li").first).to_be_visible()
    check_accessibility(page)

    visit(page, "/terugkoppeling/WK036101")
    expect(page.locator("blockquote p[lang=nl]").first).to_contain_text("jongeren")
    expect(page.locator("h4[lang=nl]").first).to_have_text("Snelheidscontroles bij de school")
    check_accessibility(page)

    visit(page, "/aanmelden")
    expect(page.get_by_role("radio", name="English")).to_be_checked()
    check_accessibility(page)
