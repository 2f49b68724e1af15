"""Helpers of the crawls over every route (``tests/test_area_crossing.py``,
``tests/test_clerk_crawl.py``): routes from the app's url_map filled in with chosen values,
the forms a page holds, and a fingerprint of every table's rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urljoin, urlsplit

import lxml.html
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from panel.db import db


def rules(app: Flask, prefix: str = "") -> list[Rule]:
    """The app's routes whose address starts with ``prefix``, in a fixed order."""
    return sorted((rule for rule in app.url_map.iter_rules() if rule.rule.startswith(prefix)),
                  key=lambda rule: (rule.rule, rule.endpoint))


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def addresses(app: Flask, rule: Rule, values: Mapping[str, Sequence[object]]) -> list[str]:
    """``rule``'s addresses with ``values[name]`` for each of its arguments: as many as the
    longest list, the shorter lists repeated (so every value is used once at least).
    Empty when an argument has no value."""
    names = list(rule.arguments)
    if any(not values.get(name) for name in names):
        return []
    count = max((len(values[name]) for name in names), default=1)
    adapter = app.url_map.bind("wijkpanel.test")
    found = []
    for index in range(count):
        chosen = {name: values[name][index % len(values[name])] for name in names}
        method = next(iter(methods(rule) or ["GET"]))
        address = adapter.build(rule.endpoint, chosen, method=method)
        if address not in found:
            found.append(address)
    return found


def form_data(page: str, address: str) -> list[tuple[str, str]]:
    """The values the first form on ``page`` that is sent to ``address`` would send as the
    page shows it (every field as filled in); nothing when the page has no such form."""
    if not page.strip():
        return []
    document = lxml.html.fromstring(page)
    for form in document.forms:
        target = urlsplit(urljoin(address, form.action or address)).path
        if target == urlsplit(address).path and (form.method or "GET").upper() == "POST":
            return [(name, value) for name, value in form.form_values()
                    if name != "csrf_token"]
    return []


def links(page: str, address: str) -> list[str]:
    """The site's own addresses that ``page`` links to (``href`` of ``<a>``), without the
    fragment."""
    if not page.strip():
        return []
    document = lxml.html.fromstring(page)
    found = []
    for href in document.xpath("//a/@href"):
        parts = urlsplit(urljoin(address, str(href)))
        if parts.netloc not in ("", "wijkpanel.test", "localhost"):
            continue
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        if local not in found:
            found.append(local)
    return found


def table_digests(leave_out: Iterable[str] = ()) -> dict[str, str]:
    """A digest of every row of every table (but those left out), per table."""
    skipped = set(leave_out)
    digests = {}
    for table in db.metadata.sorted_tables:
        if table.name in skipped:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.session.execute(select(table).order_by(*order)).all()
        digests[table.name] = hashlib.sha256(repr([tuple(row) for row in rows])
                                             .encode()).hexdigest()
    return digests
