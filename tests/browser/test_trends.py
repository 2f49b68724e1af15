"""Residents read the figures of the whole municipality, a gebied and the trend of one
indicator, on a phone (360 px), and the team shows the trend as a slide."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import check_accessibility, menu, visit


def no_sideways_scrolling(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_municipality_gebied_and_trend(page: Page, demo):  # type: ignore[no-untyped-def]
    visit(page, "/")
    menu(page).get_by_role("link", name="Uitkomsten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Veiligheid in Alkmaar (demo)")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("Cijfer 2021")
    expect(page.get_by_role("table").first).to_contain_text("Cijfer 2023")
    check_accessibility(page)
    no_sideways_scrolling(page)

    page.get_by_role("link", name="Alle jaren").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Voelt zich wel eens onveilig in de eigen buurt")
    chart = page.locator("svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text("2021: 34%")
    expect(page.get_by_role("table")).to_contain_text("2.400")
    check_accessibility(page)
    no_sideways_scrolling(page)

    page.get_by_role("link", name="Presentatie").click()
    expect(page.get_by_text("1 van 8")).to_be_visible()
    page.wait_for_load_state()
    page.get_by_role("link", name="Volgende").click()
    expect(page.get_by_text("2 van 8")).to_be_visible()
    check_accessibility(page)

    visit(page, "/uitkomsten")
    page.get_by_role("link", name="Noord", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Veiligheid in gebied Noord")
    expect(page.get_by_role("link", name="De Mare")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("Vergeleken met de gemeente")
    check_accessibility(page)
    no_sideways_scrolling(page)
