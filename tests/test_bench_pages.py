"""The benchmark measures every page anyone may ask for (``bench.run.PAGES``), except the
ones it lists with a reason (``bench.run.NOT_MEASURED``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.routing import Rule

from bench.generate import Summary
from bench.run import NOT_MEASURED, PAGES, page_path

# Stand-ins for the generated data: enough to find the route of every page.
SAMPLE = Summary(scale=1, seed=1, wijk_code="WK036300", area_code="gebied-01", report_id=1,
                 meeting_id=1, final_reference="M2024-002", final_version=1)
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>")


def _example(rule: Rule) -> str:
    """The rule's path with a made-up value for each argument."""
    return ARGUMENT.sub(lambda match: "1" if match.group(1) == "int" else "x", rule.rule)


def _public_get_endpoints(app: Flask) -> set[str]:
    """Endpoints of GET routes that answer a visitor who is not signed in (in an empty
    database) with anything but a redirect to the staff sign-in page."""
    client = app.test_client()
    with app.test_request_context():
        sign_in = app.url_for("auth.login")
    public = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        answer = client.get(_example(rule))
        if urlsplit(answer.headers.get("Location", "")).path != sign_in:
            public.add(rule.endpoint)
    return public


def _measured_endpoints(app: Flask) -> set[str]:
    adapter = app.url_map.bind("localhost")
    return {adapter.match(urlsplit(page_path(page, SAMPLE)).path, method="GET")[0]
            for page in PAGES}


def test_every_public_page_is_measured_or_excluded_with_a_reason(app: Flask) -> None:
    public = _public_get_endpoints(app)
    missing = public - _measured_endpoints(app) - set(NOT_MEASURED)
    assert not missing, f"public pages the benchmark does not measure: {sorted(missing)}"


def test_the_exclusions_are_public_pages_that_are_not_measured(app: Flask) -> None:
    public = _public_get_endpoints(app)
    assert set(NOT_MEASURED) <= public, sorted(set(NOT_MEASURED) - public)
    assert not set(NOT_MEASURED) & _measured_endpoints(app)
    assert all(reason.strip() for reason in NOT_MEASURED.values())


def test_the_public_pages_are_marked_public_and_the_staff_pages_need_a_login(
        app: Flask) -> None:
    public = _public_get_endpoints(app)
    adapter = app.url_map.bind("localhost")
    for page in PAGES:
        endpoint = adapter.match(urlsplit(page_path(page, SAMPLE)).path, method="GET")[0]
        if page.login:
            assert endpoint not in public, page.name
        elif page.name != "ping":
            assert page.public and endpoint in public, page.name


def test_a_staff_page_is_not_taken_for_a_public_one(app: Flask) -> None:
    public = _public_get_endpoints(app)
    assert "signups.members" not in public
    assert "motions.report" not in public
    assert {"site.home", "meetings.public_detail", "api.gebieden"} <= public


def test_page_names_are_unique() -> None:
    names = [page.name for page in PAGES]
    assert len(names) == len(set(names))
