"""Take the screenshots in docs/screenshots/ from the demo municipality, in one or more
themes (``PANEL_THEME``).

For each theme it starts the app on a free loopback port with a fresh SQLite database in a
temporary folder, loads the demo data, and photographs the home page, the join form, a
wijk's results and a gebiedsteam's start page at 360 and 1280 px wide (whole pages).
Files are named ``<theme>-<page>-<width>.png`` (the README shows some of them).

Usage: .venv/bin/python scripts/screenshots.py [THEME ...]   (default: the default theme)
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from panel import create_app  # noqa: E402
from panel.db import db  # noqa: E402
from panel.demo.services import DEMO_PASSWORD, seed_demo  # noqa: E402
from panel.extensions import limiter  # noqa: E402
from panel.migrations import upgrade  # noqa: E402
from panel.themes import DEFAULT_THEME  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTHS = (360, 1280)
TEAM = "team-noord@demo.example"
PAGES = [("home", "/", None), ("join", "/aanmelden", None), ("wijk", "/wijken/WK036101", None),
         ("team-start", "/beheer/", TEAM)]


@contextmanager
def serve(theme: str) -> Iterator[str]:
    """The demo municipality in ``theme`` on a free port; yields its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PANEL_THEME"] = theme  # read and checked as at a real start
        app = create_app({
            "SECRET_KEY": "screenshots-only-secret-key-of-sufficient-length",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db",
        }, instance_path=folder)
        limiter.enabled = False
        with app.app_context():
            upgrade()
            seed_demo()
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()


def photograph(browser: Browser, base_url: str, theme: str) -> None:
    for width in WIDTHS:
        context = browser.new_context(base_url=base_url, locale="nl-NL",
                                      viewport={"width": width, "height": 800})
        page = context.new_page()
        for name, path, login in PAGES:
            if login:
                page.goto("/beheer/inloggen")
                page.get_by_label("E-mailadres").fill(login)
                page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Inloggen").click()
                page.wait_for_load_state()
            page.goto(path)
            page.screenshot(path=str(OUT / f"{theme}-{name}-{width}.png"), full_page=True)
        context.close()


def main(themes: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for theme in themes:
            with serve(theme) as base_url:
                photograph(browser, base_url, theme)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:] or [DEFAULT_THEME])
