"""Conditional GET for public pages: an ETag made from the data a page shows.

A public page's ETag is a hash of everything its content depends on: the rows it shows
(each view names a *fingerprint* function of its service module, which selects them as
plain tuples without building the page), the municipality in the page header, the
language, the address with its query string, the settings that change what is shown, and
the release (templates, translations and code). A browser or proxy that asks again with
``If-None-Match`` and the current ETag gets ``304 Not Modified`` and the page is not built
at all; as soon as any of those inputs changes, so does the ETag, and the whole page is
sent again. Pages carry ``Cache-Control: no-cache`` (always ask again) and
``Vary: Cookie`` (the language is a cookie).

Only anonymous visitors without a pending message get ETags: staff may see more (such as
unpublished editions) and a page with a flashed message must show it, so those pages are
always built and never answered with 304. Nor does debug mode use ETags.

Each worker keeps a page's ETag for ``PANEL_ETAG_SECONDS`` (default 1 second), so that a
busy page costs no database work at all between two fingerprints. A commit in the worker
itself forgets every kept ETag at once; a change made by another worker or command is
seen within those seconds. Set it to 0 to work out the ETag on every request.

Use it on a view, with a fingerprint that takes the same arguments::

    @bp.get("/wijken/<code>")
    @conditional(lambda code: services.wijk_fingerprint(code, request.args.get("editie")))
    def wijk(code: str) -> str: ...
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, has_app_context, make_response, request, session
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from panel.areas.models import Municipality
from panel.config import PROJECT_ROOT
from panel.db import db
from panel.i18n import current_language

__all__ = ["conditional", "forget", "page_etag", "release"]

View = TypeVar("View", bound=Callable[..., Any])
DEFAULT_SECONDS = 1.0
MAX_KEPT = 4096  # ETags kept per worker; beyond that the memo starts afresh
# Settings that change what a public page shows.
SETTINGS = ("PANEL_MIN_RESPONDENTS", "PANEL_BASE_URL", "LANGUAGES")
_RELEASE_PARTS = (("templates", "*.html"), ("templates", "*.txt"), ("translations", "*.mo"),
                  ("panel", "*.py"))
_EXTENSION = "panel.conditional"


@functools.cache
def release() -> str:
    """A hash of the templates, translations and code this process runs (names, sizes and
    modification times): a new release gives every page a new ETag. Worked out once per
    process; every worker of one installation gets the same value."""
    digest = hashlib.sha256()
    for folder, pattern in _RELEASE_PARTS:
        for path in sorted((PROJECT_ROOT / folder).rglob(pattern)):
            stat = path.stat()
            digest.update(f"{path.relative_to(PROJECT_ROOT)}:{stat.st_size}:"
                          f"{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _eligible() -> bool:
    """Whether this request may be answered from its ETag: a GET or HEAD by an anonymous
    visitor without flashed messages waiting, outside debug mode (where templates reload
    without a restart, so the release hash would not see a changed template)."""
    if request.method not in ("GET", "HEAD") or current_app.debug:
        return False
    if getattr(current_user, "is_authenticated", False):
        return False
    return "_flashes" not in session


def page_etag(fingerprint: object) -> str:
    """The ETag of the current public page, given the fingerprint of its data."""
    header = db.session.execute(
        select(Municipality.code, Municipality.name, Municipality.is_demo).limit(1)).first()
    settings = tuple(current_app.config.get(name) for name in SETTINGS)
    source = repr((release(), current_language(), request.full_path, settings,
                   tuple(header) if header else None, fingerprint))
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:40]


def _kept() -> dict[tuple[str, str], tuple[float, str]]:
    memo: dict[tuple[str, str], tuple[float, str]] = \
        current_app.extensions.setdefault(_EXTENSION, {})
    return memo


def forget() -> None:
    """Forget every kept ETag of the current app (done after every commit)."""
    if has_app_context():
        _kept().clear()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    forget()


def _current_etag(compute: Callable[[], str]) -> str:
    seconds = float(current_app.config.get("PANEL_ETAG_SECONDS", DEFAULT_SECONDS))
    if seconds <= 0:
        return compute()
    memo = _kept()
    key = (request.full_path, current_language())
    now = time.monotonic()
    kept = memo.get(key)
    if kept is not None and kept[0] > now:
        return kept[1]
    etag = compute()
    if len(memo) >= MAX_KEPT:
        memo.clear()
    memo[key] = (now + seconds, etag)
    return etag


def _mark(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    return response


def conditional(fingerprint: Callable[..., object]) -> Callable[[View], View]:
    """Give a public view an ETag from ``fingerprint`` (called with the view's arguments)
    and answer ``304 Not Modified`` without calling the view when the browser has it."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _eligible():
                return view(*args, **kwargs)
            etag = _current_etag(lambda: page_etag(fingerprint(*args, **kwargs)))
            if request.if_none_match.contains_weak(etag):
                return _mark(Response(status=304), etag)
            response = make_response(view(*args, **kwargs))
            if response.status_code == 200:
                _mark(response, etag)
            return response

        return wrapper  # type: ignore[return-value]

    return decorate
