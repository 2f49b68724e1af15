"""Real-browser tests: the app on a loopback port, driven in Debian's Chromium with Playwright,
and axe-core checking every page that a test visits."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
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


def new_context(browser: Browser, base_url: str, **options):  # type: ignore[no-untyped-def]
    """A browser context as a resident's phone. The site's Content-Security-Policy forbids
    inline scripts; ``bypass_csp`` lets the test inject axe-core all the same."""
    options = {"viewport": {"width": 360, "height": 780}, "locale": "nl-NL", **options}
    context = browser.new_context(base_url=base_url, bypass_csp=True, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def demo(session) -> None:  # type: ignore[no-untyped-def]
    """The demo municipality, for journeys that need a whole town."""
    from panel.demo.services import seed_demo

    seed_demo()
    session.commit()


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A real SMTP server on loopback that the app delivers to."""
    from tests.smtpserver import smtp_server

    with smtp_server() as server:
        monkeypatch.setitem(app.config, "PANEL_SMTP_HOST", server.host)
        monkeypatch.setitem(app.config, "PANEL_SMTP_PORT", server.port)
        monkeypatch.setitem(app.config, "PANEL_SMTP_STARTTLS", False)
        yield server


def deliver(app: Flask) -> None:
    """What the cron job ``flask send-mail`` does."""
    from panel.mail.services import deliver_due

    with app.app_context():
        deliver_due()


class AxeViolations(AssertionError):
    pass


def check_accessibility(page: Page) -> None:
    """Run axe-core on the page as it is now; fail with a readable list of violations."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS)
    violations = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    if violations:
        raise AxeViolations(f"{page.url}:\n{json.dumps(violations, indent=2)}")


def visit(page: Page, path: str) -> None:
    """Go to ``path``, expect a successful page, and check it with axe-core."""
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    check_accessibility(page)
