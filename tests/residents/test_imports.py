"""The resident's own page sits on top of signups, meetings and feedback: signups (where
members are made) must not import the domains that come after it, and the page keeps its
public addresses."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask

import panel.signups

SIGNUPS = Path(panel.signups.__file__).parent
LATER = ("panel.meetings", "panel.feedback", "panel.motions", "panel.residents", "panel.api")


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted(SIGNUPS.glob("*.py")), ids=lambda p: p.name)
def test_signups_imports_no_later_domain(path: Path) -> None:
    later = sorted(module for module in _imported_modules(path)
                   if any(module == top or module.startswith(top + ".") for top in LATER))
    assert later == []


@pytest.mark.parametrize(("rule", "endpoint"), [
    ("/mijn", "residents.my_page"),
    ("/mijn/bevestigen", "residents.confirm_in_session"),
    ("/mijn/link", "residents.request_link"),
    ("/mijn/link-verstuurd", "residents.link_sent"),
    ("/mijn/link/<token>", "residents.open_link"),
    ("/code", "residents.code"),
    ("/code/<code>", "residents.code_link"),
    ("/mijn/gegevens.<fmt>", "residents.my_data"),
    ("/mijn/afmelden", "residents.leave"),
    ("/mijn/uitloggen", "residents.resident_logout"),
    ("/afmelden/<token>", "signups.leave_by_link"),
    ("/aanmelden", "signups.join"),
])
def test_the_residents_pages_keep_their_addresses(app: Flask, rule: str, endpoint: str) -> None:
    assert {r.endpoint for r in app.url_map.iter_rules() if r.rule == rule} == {endpoint}
