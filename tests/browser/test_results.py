"""Residents read the survey results of their wijk; the team presents them at a meeting."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import check_accessibility, visit


def test_wijk_results_and_presentation(page: Page, demo):
    visit(page, "/wijken")
    page.get_by_role("link", name="De Mare").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Veiligheid in De Mare")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("Gemeente 2023")
    check_accessibility(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.get_by_role("link", name="2021").click()
    expect(page.get_by_text("veiligheidsmonitor 2021")).to_be_visible()
    check_accessibility(page)

    page.goto("/wijken/WK036101")
    page.get_by_role("link", name="Presentatie", exact=True).click()
    on_slide(page, 1)
    check_accessibility(page)
    page.keyboard.press("ArrowRight")
    on_slide(page, 2)
    page.get_by_role("link", name="Volgende").click()
    on_slide(page, 3)
    page.set_viewport_size({"width": 1280, "height": 1000})  # the projector in the meeting
    taller = page.evaluate("document.scrollingElement.scrollHeight - window.innerHeight")
    if taller > 1:  # a slide taller than the screen first scrolls to its end
        page.keyboard.press("End")
        page.wait_for_function("document.scrollingElement.scrollTop + window.innerHeight"
                               " >= document.scrollingElement.scrollHeight - 1")
        on_slide(page, 3)
    page.keyboard.press("End")
    on_slide(page, 8)
    page.keyboard.press("ArrowLeft")
    on_slide(page, 7)
    expect(page.get_by_role("button", name="Volledig scherm")).to_be_visible()
    check_accessibility(page)


def on_slide(page: Page, number: int) -> None:
    """Wait until slide ``number`` of 8 is shown and its keys work (the script is deferred:
    a key pressed before it ran would be lost)."""
    expect(page.get_by_text(f"{number} van 8")).to_be_visible()
    page.wait_for_load_state()


def test_small_wijk_shows_no_figures(page: Page, demo):
    visit(page, "/wijken/WK036109")
    expect(page.get_by_role("cell", name="te weinig deelnemers").first).to_be_visible()
    check_accessibility(page)


def test_presentation_works_without_javascript(browser, live_server, demo):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/wijken/WK036101/presentatie")
    page.get_by_role("link", name="Volgende").click()
    expect(page.get_by_text("2 van 8")).to_be_visible()
    expect(page.get_by_role("button", name="Volledig scherm")).to_have_count(0)
    context.close()
