"""Every ready theme passes axe-core (contrast included) on the pages residents and teams
use most; the municipality's logo is uploaded in the browser and shows in the header."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from panel.themes import THEMES
from tests.browser.helpers import check_accessibility, sign_in, visit
from tests.themes import use_theme

WIDE = {"width": 1280, "height": 900}


@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_ready_theme_passes_axe_on_phone_and_desktop(app: Flask, page: Page, demo,
                                                           name: str):
    theme = THEMES[name]
    with use_theme(app, theme):
        for viewport in (None, WIDE):
            if viewport:
                page.set_viewport_size(viewport)
            for path in ("/", "/aanmelden", "/wijken/WK036101"):
                visit(page, path)
                expect(page.locator("html")).to_have_class(theme.css_class)
            expect(page.get_by_role("link", name="Gemeente Alkmaar")).to_be_visible()
        sign_in(page, "team-noord@demo.example")
        visit(page, "/beheer/")


def test_the_header_and_footer_span_the_whole_width(page: Page, demo):
    page.set_viewport_size(WIDE)
    visit(page, "/")
    width = page.evaluate("document.documentElement.clientWidth")
    for part in ("header.wp-header", "footer.wp-footer"):
        box = page.locator(part).bounding_box()
        assert box is not None and box["x"] == 0 and box["width"] == width, part
    content = page.locator(".wp-header__inner").bounding_box()
    assert content is not None and content["x"] > 0 and content["width"] < width


def test_the_administrator_uploads_the_logo_and_every_page_shows_it(page: Page, demo,
                                                                    tmp_path: Path):
    logo = tmp_path / "wapen.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 48">'
                    '<title>Wapen</title><path d="M0 0h40v30L20 48 0 30z" fill="#24405f"/>'
                    '</svg>', encoding="utf-8")
    sign_in(page, "beheer@demo.example")
    visit(page, "/beheer/gemeente")
    page.get_by_label("Logo (PNG of SVG)").set_input_files(str(logo))
    page.get_by_role("button", name="Logo uploaden").click()
    expect(page.get_by_text("Het logo is opgeslagen.")).to_be_visible()
    check_accessibility(page)
    visit(page, "/beheer/gemeente")
    expect(page.get_by_role("img", name="Het logo van de gemeente")).to_be_visible()
    header_logo = page.locator("header .wp-brand__logo")
    expect(header_logo).to_be_visible()
    assert page.evaluate("document.querySelector('header .wp-brand__logo').naturalWidth") > 0
    visit(page, "/")
    expect(header_logo).to_be_visible()

    bad = tmp_path / "wapen.svg"
    bad.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">'
                   '<script>alert(1)</script></svg>', encoding="utf-8")
    visit(page, "/beheer/gemeente")
    page.get_by_label("Logo (PNG of SVG)").set_input_files(str(bad))
    page.get_by_role("button", name="Logo uploaden").click()
    expect(page.get_by_role("heading", name="Er ging iets mis")).to_be_visible()
    expect(page.get_by_text("In de SVG-afbeelding staat een script").first).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Logo verwijderen").click()
    expect(page.get_by_text("Het logo is verwijderd.")).to_be_visible()
    expect(header_logo).to_have_count(0)
