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

Each worker also keeps the pages it built, by ETag, up to ``PANEL_PAGE_CACHE_MB``
megabytes (default 32; 0 turns it off), the least recently used going first. A visitor
without a copy then gets the kept page when its ETag is still the current one, so a page is
built once per change of its data (per worker) instead of once per visitor. Because the
key is the ETag, a kept page can never be out of date: when anything the page shows
changes, so does the ETag, and the old page is simply no longer asked for. This is a cache
in each process's memory, not state: processes share nothing and any of them can answer.
Only complete ``200`` answers of views that did not touch the session are kept. No library
is used for it: Flask-Caching keys by address and expires by time, which would show old
data until the timeout; here the key is the data itself.

Downloads are pages too: a public CSV file, slide or calendar file takes the fingerprint
of the page it belongs to, and its ``Content-Disposition`` is kept with it.

Use it on a view, with a fingerprint that takes the same arguments::

    @bp.get("/wijken/<code>")
    @conditional(lambda code: services.wijk_fingerprint(code, request.args.get("editie")))
    def wijk(code: str) -> str: ...
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, has_app_context, make_response, request, session
from flask_login import current_user
from werkzeug.wrappers import Response

from panel.config import PROJECT_ROOT
from panel.db import reads_only
from panel.i18n import current_language
from panel.kept import LeastRecentlyUsed, TrustedForAWhile
from panel.templating import header_municipality, trust_seconds

__all__ = ["conditional", "forget", "page_etag", "release"]

View = TypeVar("View", bound=Callable[..., Any])
DEFAULT_PAGE_CACHE_MB = 32
MAX_KEPT = 4096  # ETags kept per worker; beyond that the memo starts afresh
# Settings that change what a public page shows.
SETTINGS = ("PANEL_MIN_RESPONDENTS", "PANEL_BASE_URL", "LANGUAGES", "PANEL_THEME")
_RELEASE_PARTS = (("templates", "*.html"), ("templates", "*.txt"), ("translations", "*.mo"),
                  ("panel", "*.py"))
_EXTENSION = "panel.conditional"
_PAGES_EXTENSION = "panel.conditional.pages"
# Headers a view may set that belong to the page itself (not to one visitor's answer).
_PAGE_HEADERS = ("Content-Language", "Link", "Content-Disposition")


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
    header = header_municipality()
    settings = tuple(current_app.config.get(name) for name in SETTINGS)
    source = repr((release(), current_language(), request.full_path, settings,
                   tuple(header) if header else None, fingerprint))
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:40]


def _kept() -> TrustedForAWhile[str]:
    memo: TrustedForAWhile[str] | None = current_app.extensions.get(_EXTENSION)
    if memo is None:
        memo = current_app.extensions.setdefault(_EXTENSION, TrustedForAWhile(MAX_KEPT))
    return memo


def forget() -> None:
    """Forget every kept ETag of the current app (a commit does this for every app)."""
    if has_app_context():
        _kept().forget()


def _current_etag(compute: Callable[[], str]) -> str:
    return _kept().get_or_make((request.full_path, current_language()), compute,
                               trust_seconds())


@dataclass(frozen=True)
class KeptPage:
    body: bytes
    mimetype: str
    headers: tuple[tuple[str, str], ...]


class PageCache(LeastRecentlyUsed[KeptPage]):
    """Built pages by ETag within a budget in bytes. No page over a quarter of the budget
    is kept: one page may not push out most of the others."""

    def __init__(self, budget: int) -> None:
        super().__init__(budget, size=lambda page: len(page.body), largest=budget // 4)

    @property
    def size(self) -> int:
        return self.used


def page_cache() -> PageCache | None:
    """This worker's cache of built public pages, or None when it is turned off."""
    budget = int(float(current_app.config.get("PANEL_PAGE_CACHE_MB", DEFAULT_PAGE_CACHE_MB))
                 * 1024 * 1024)
    if budget <= 0:
        return None
    pages: PageCache | None = current_app.extensions.get(_PAGES_EXTENSION)
    if pages is None or pages.budget != budget:
        pages = current_app.extensions[_PAGES_EXTENSION] = PageCache(budget)
    return pages


def _keep(pages: PageCache, etag: str, response: Response) -> None:
    if response.status_code != 200 or response.direct_passthrough or session.modified:
        return
    headers = tuple((name, value) for name in _PAGE_HEADERS
                    if (value := response.headers.get(name)) is not None)
    pages.put(etag, KeptPage(response.get_data(), response.mimetype or "text/html", headers))


def _kept_response(page: KeptPage) -> Response:
    response = Response(page.body, mimetype=page.mimetype)
    for name, value in page.headers:
        response.headers[name] = value
    return response


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
            with reads_only():  # a public page reads, and does so without a transaction
                return answer(*args, **kwargs)

        def answer(*args: Any, **kwargs: Any) -> Any:
            etag = _current_etag(lambda: page_etag(fingerprint(*args, **kwargs)))
            # "If-None-Match: *" matches any page that exists, which only the view knows.
            star = request.if_none_match.star_tag
            if not star and request.if_none_match.contains_weak(etag):
                return _mark(Response(status=304), etag)
            pages = page_cache()
            kept = pages.get(etag) if pages is not None else None
            if kept is not None:
                response = _kept_response(kept)
            else:
                response = make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
                if pages is not None:
                    _keep(pages, etag, response)
            if star:
                return _mark(Response(status=304), etag)
            return _mark(response, etag)

        return wrapper  # type: ignore[return-value]

    return decorate
