"""The HTML the app serves to the browser is kept for the Nu Html Checker (conftest.py)."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.helpers import check_accessibility
from tests.html_validator import ServedPages


def test_the_page_the_browser_got_is_kept_as_served(page: Page, served_pages: ServedPages,
                                                    demo) -> None:
    response = page.goto("/toegankelijkheid")
    assert response is not None and response.ok
    check_accessibility(page)
    assert response.body() in served_pages.pages.values()
