"""Real-browser tests: the app on a loopback port, driven in Debian's Chromium with Playwright,
axe-core checking every page that a test visits, and the Nu Html Checker checking the HTML
the app served to the browser (once, when the last browser test is done)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, request_finished
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from tests.browser.helpers import CHROMIUM, new_context
from tests.html_validator import SERVED, ServedPages, report, validate


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def served_pages(app: Flask) -> Iterator[ServedPages]:
    """Every HTML page served to the browser goes through the Nu Html Checker at the end of
    the session (one run of the checker): an error fails the session's last test."""
    served = ServedPages()
    request_finished.connect(served.keep, app, weak=False)
    yield served
    request_finished.disconnect(served.keep, app)
    problems = validate(served.pages)
    if problems:
        pytest.fail(report(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _name_served_pages(request: pytest.FixtureRequest, served_pages: ServedPages) -> None:
    served_pages.test = request.node.name


def _marked(app: Flask) -> Callable[[dict[str, Any], Any], Any]:
    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        environ[SERVED] = True
        return app(environ, start_response)
    return wsgi


@pytest.fixture(scope="session")
def live_server(app: Flask, served_pages: ServedPages) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, _marked(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server: str, csrf_enabled: None) -> Iterator[Page]:
    """A phone-sized page (360 px wide), as many residents will see the site."""
    context = new_context(browser, live_server)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def demo(session) -> None:  # type: ignore[no-untyped-def]
    """The demo municipality, for journeys that need a whole town."""
    from panel.demo.services import seed_demo

    seed_demo()
    session.commit()
