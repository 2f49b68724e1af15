"""The privacy and accessibility statements and the audit log in Chromium at 360 px: every
page passes axe-core.

The browser runs in a child process: the Playwright instance of ``tests/browser`` lives for
the whole test session, and a second one cannot run beside it in the same process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from panel.db import utcnow
from panel.privacy.services import record
from tests import factories
from tests.browser.helpers import AXE_SCRIPT, AXE_TAGS, CHROMIUM

pytestmark = pytest.mark.browser

DRIVER = r"""
import json
import sys

from playwright.sync_api import sync_playwright

base, axe_script, tags, password, today = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), \
    sys.argv[4], sys.argv[5]
report = {"violations": {}, "rows": {}, "alert": False}


def check(page, name):
    page.add_script_tag(path=axe_script)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        tags)
    report["violations"][name] = [
        {"id": v["id"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]]


with sync_playwright() as playwright:
    browser = playwright.chromium.launch(
        executable_path=sys.argv[6],
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync"])
    context = browser.new_context(base_url=base, bypass_csp=True, locale="nl-NL",
                                  viewport={"width": 360, "height": 780})
    context.set_default_timeout(10_000)
    page = context.new_page()
    for path in ("/privacy", "/toegankelijkheid"):
        assert page.goto(path).ok, path
        check(page, path)
    page.goto("/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("admin@example.org")
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()
    assert page.goto("/beheer/audit").ok
    check(page, "/beheer/audit")
    report["rows"]["all"] = page.locator("main table tbody tr").count()
    page.locator("#action").select_option("view")
    page.locator("#date_from").fill(today)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    check(page, "/beheer/audit?filtered")
    report["rows"]["filtered"] = page.locator("main table tbody tr").count()
    assert page.goto("/beheer/audit?date_from=gisteren").ok
    check(page, "/beheer/audit?wrong")
    report["alert"] = page.locator("main [role=alert]").count() == 1
    browser.close()
print(json.dumps(report))
"""


@pytest.fixture
def server(app: Flask, csrf_enabled: None) -> Iterator[str]:
    live = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=live.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{live.server_port}"
    live.shutdown()


def test_the_statements_and_the_audit_log_pass_axe(server: str, session) -> None:
    world = factories.panel_world()
    member = factories.member(world.mare, email="anna@example.org")
    for _ in range(3):
        record("view", "member", member.id, actor=world.team_noord)
    record("export", "member_list", actor=world.team_noord)
    record("view", "member", 999, actor=world.team_noord, result="denied")
    session.commit()
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, server, str(AXE_SCRIPT), json.dumps(AXE_TAGS),
         factories.PASSWORD, utcnow().date().isoformat(), CHROMIUM],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["violations"] == {name: [] for name in report["violations"]}, \
        json.dumps(report["violations"], indent=2)
    assert len(report["violations"]) == 5
    assert report["rows"]["all"] >= 5 and report["rows"]["filtered"] == 4
    assert report["alert"] is True
