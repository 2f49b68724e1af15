"""What browser tests call: a phone-sized browser context, axe-core on every page, and
delivering the mail a journey queued."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser, Locator, Page, expect

from panel.demo.services import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def new_context(browser: Browser, base_url: str, **options):  # type: ignore[no-untyped-def]
    """A browser context as a resident's phone. The site's Content-Security-Policy forbids
    inline scripts; ``bypass_csp`` lets the test inject axe-core all the same."""
    options = {"viewport": {"width": 360, "height": 780}, "locale": "nl-NL", **options}
    context = browser.new_context(base_url=base_url, bypass_csp=True, **options)
    context.set_default_timeout(10_000)
    return context


def deliver(app: Flask) -> None:
    """What the cron job ``flask send-mail`` does."""
    from panel.mail.services import deliver_due

    with app.app_context():
        deliver_due()


class AxeViolations(AssertionError):
    pass


def check_accessibility(page: Page) -> None:
    """Run axe-core on the page as it is now; fail with a readable list of violations.
    A click that follows a link may still be loading the next page: wait for it, or the
    script would be added to a document that is being replaced."""
    page.wait_for_load_state()
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


def menu(page: Page, name: str = "Hoofdmenu") -> Locator:
    """The menu (navigation landmark) called ``name``, opened first when it is folded behind
    its button, as on a phone: ``menu(page, "Menu voor medewerkers").get_by_role("link", …)``."""
    nav = page.get_by_role("navigation", name=name)
    nav.wait_for()  # a click that follows a link may still be loading the page
    button = nav.locator("summary")
    if button.is_visible() and nav.locator("details[open]").count() == 0:
        button.click()
    return nav


def sign_in(page: Page, email: str) -> None:
    """Sign in through the login form as the demo account ``email`` (demo data loaded)."""
    visit(page, "/beheer/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    check_accessibility(page)
