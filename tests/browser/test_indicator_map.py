"""A resident compares every wijk on one subject: from the list of wijken to the map, through
the map with the keyboard, and on to a wijk of their choice; on a phone and on a laptop."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import check_accessibility, visit

FOCUSED_STROKE = "6px"


def focused_map_link(page: Page) -> dict[str, str] | None:
    """The map link that has the focus: its address, name and the width of its border."""
    return page.evaluate("""() => {
        const link = document.activeElement;
        if (!link || !link.matches('svg.wp-map__svg a.wp-map__link')) return null;
        const shape = link.querySelector('path');
        return {href: link.getAttribute('href'), name: link.getAttribute('aria-label'),
                stroke: getComputedStyle(shape).strokeWidth,
                visible: link.matches(':focus-visible')};
    }""")


def test_from_the_wijken_to_the_map_and_on_to_a_wijk(page: Page, demo):
    visit(page, "/wijken")
    page.get_by_role("link", name="Voelt zich wel eens onveilig in de eigen buurt").click()
    expect(page).to_have_url(re.compile(r"/uitkomsten/onveilig_buurt$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Voelt zich wel eens onveilig in de eigen buurt: alle wijken")
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    svg = page.locator("svg.wp-map__svg")
    expect(svg).to_be_visible()
    assert svg.bounding_box()["width"] <= 360

    # What the table says about each wijk is what its shape on the map is called.
    names = {}
    for row in page.locator("#wijken-tabel tbody tr").all():
        cells = row.locator("th, td").all_inner_texts()
        names[cells[0].strip()] = cells[2].strip()
    assert names["Koedijk"] == "te weinig deelnemers"

    # Tab from the table before the map through every shape of the map.
    page.locator("[aria-labelledby=gebieden-caption]").focus()
    seen = []
    for _ in range(len(names)):
        page.keyboard.press("Tab")
        focused = focused_map_link(page)
        assert focused is not None, f"the focus left the map after {seen}"
        assert focused["visible"] and focused["stroke"] == FOCUSED_STROKE, focused
        wijk, figure = focused["name"].split(": ")
        assert names[wijk] == figure, focused
        expect(page.locator(":focus")).to_have_accessible_name(f"{wijk}: {figure}")
        seen.append(wijk)
    assert sorted(seen) == sorted(names)
    page.keyboard.press("Tab")
    assert focused_map_link(page) is None  # on to the table after the map

    # Back to the third shape, and follow it with Enter.
    for _ in range(len(names) - 2):
        page.keyboard.press("Shift+Tab")
    chosen = focused_map_link(page)
    assert chosen is not None and chosen["name"].startswith(seen[2])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(chosen["href"]) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Veiligheid in {seen[2]}")
    check_accessibility(page)

    # On a laptop the same page, names in the shapes and all.
    page.set_viewport_size({"width": 1280, "height": 900})
    visit(page, "/uitkomsten/onveilig_buurt?sorteer=waarde&volgorde=af")
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Cijfer 2023")
    expect(page.locator("svg.wp-map__svg .wp-map__name").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.get_by_role("link", name="Presentatie", exact=True).click()
    expect(page.get_by_text("1 van 8")).to_be_visible()
    expect(page.locator("svg.wp-map__svg")).to_be_visible()
    check_accessibility(page)
