"""HTTP plumbing of the API: JSON bodies, problem details (RFC 9457), query parameters,
pagination links, caching with ETags, CORS and the version header."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Request, current_app, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

API_VERSION = "1.0.0"
JSON = "application/json"
GEOJSON = "application/geo+json"
PROBLEM_JSON = "application/problem+json"
CACHE_SECONDS = 300
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
FIRST_YEAR, LAST_YEAR = 1000, 9999
EXPOSED_HEADERS = "API-Version, ETag, Link"
_DIGITS = re.compile(r"[0-9]{1,9}")
_YEAR = re.compile(r"[0-9]{4}")


# --- errors -------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvalidParam:
    """One query parameter that could not be used, and why (for ``invalidParams``)."""

    name: str
    reason: str


class InvalidParameters(Exception):
    """The query string holds parameters the API cannot use; answered with a 400 problem."""

    def __init__(self, params: list[InvalidParam]) -> None:
        super().__init__(" ".join(p.reason for p in params))
        self.params = params


def problem(status: int, detail: str, invalid: list[InvalidParam] | None = None,
            headers: Mapping[str, str] | None = None) -> Response:
    """A problem details response (RFC 9457) with ``type``, ``title``, ``status``,
    ``detail`` and ``instance``; the title is the standard phrase of the status code."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if invalid:
        body["invalidParams"] = [{"name": p.name, "reason": p.reason} for p in invalid]
    response = Response(_dump(body), status=status, mimetype=PROBLEM_JSON)
    response.headers["Cache-Control"] = "no-cache"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return decorate(response)


# --- bodies -------------------------------------------------------------------------------

def _dump(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(payload: object, links: Mapping[str, str] | None = None,
                  mimetype: str = JSON) -> Response:
    """``payload`` as ``application/json`` (or ``mimetype``, such as :data:`GEOJSON`);
    ``links`` (relation to URL) also become the ``Link`` header (RFC 8288)."""
    response = Response(_dump(payload), mimetype=mimetype)
    if links:
        response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"'
                                             for rel, url in links.items())
    return response


def decorate(response: Response) -> Response:
    """Headers every API response carries: the version and open CORS."""
    response.headers["API-Version"] = API_VERSION
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def cache(response: Response, incoming: Request) -> Response:
    """Public caching for a successful GET: ``Cache-Control``, a strong ``ETag`` and
    ``304 Not Modified`` when ``If-None-Match`` names that ETag.

    Every resource arrives with its ETag, or already as ``304``, without the body having
    been built for it: from the fingerprint of its rows (``panel.conditional``), or for the
    OpenAPI document from the release (``openapi.etag``). Only a resource without either
    would get a hash of its body here."""
    if incoming.method in ("GET", "HEAD") and response.status_code == 304:
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
        return response
    if incoming.method not in ("GET", "HEAD") or response.status_code != 200:
        if response.status_code >= 400 and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-cache"
        return response
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    etag = response.get_etag()[0]
    if etag is None:
        etag = hashlib.sha256(response.get_data()).hexdigest()[:32]
        response.set_etag(etag)
    if incoming.if_none_match.contains_weak(etag):
        not_modified = Response(status=304)
        for name in ("Cache-Control", "ETag", "Link"):
            if name in response.headers:
                not_modified.headers[name] = response.headers[name]
        return not_modified
    return response


# --- absolute links -----------------------------------------------------------------------

def link(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` on ``PANEL_BASE_URL`` (the site's public address)."""
    return f"{current_app.config['PANEL_BASE_URL']}{url_for(endpoint, **values)}"


def href(endpoint: str, **values: Any) -> dict[str, str]:
    """A HAL link object: ``{"href": url}``."""
    return {"href": link(endpoint, **values)}


# --- query parameters ---------------------------------------------------------------------

def _single(args: MultiDict[str, str], name: str, problems: list[InvalidParam]) -> str | None:
    values = args.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        problems.append(InvalidParam(name, f"Give {name} only once."))
        return None
    return values[0]


def _whole_number(args: MultiDict[str, str], name: str, default: int, lowest: int, highest: int,
                  problems: list[InvalidParam]) -> int:
    raw = _single(args, name, problems)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not lowest <= int(raw) <= highest:
        problems.append(InvalidParam(
            name, f"{name} must be a whole number from {lowest} to {highest}."))
        return default
    return int(raw)


@dataclass(frozen=True)
class Pagination:
    """The page asked for: ``page`` counts from 1, ``size`` items per page."""

    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def pagination(args: MultiDict[str, str]) -> Pagination:
    """``?page=1&pageSize=20`` from the query string. Raises InvalidParameters."""
    problems: list[InvalidParam] = []
    page = _whole_number(args, "page", 1, 1, MAX_PAGE, problems)
    size = _whole_number(args, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE, problems)
    if problems:
        raise InvalidParameters(problems)
    return Pagination(page, size)


def edition_year(args: MultiDict[str, str]) -> int | None:
    """``?editie=YYYY``, or None for the newest published edition. Raises InvalidParameters."""
    problems: list[InvalidParam] = []
    raw = _single(args, "editie", problems)
    if raw is not None and not (_YEAR.fullmatch(raw) and FIRST_YEAR <= int(raw) <= LAST_YEAR):
        problems.append(InvalidParam("editie", "editie must be a year of four digits, "
                                               "such as 2023."))
    if problems:
        raise InvalidParameters(problems)
    return int(raw) if raw is not None else None


BOUNDARY_LEVELS = {"wijk": "neighbourhood", "buurt": "district"}


def boundary_level(args: MultiDict[str, str]) -> str:
    """``?niveau=wijk`` (the default) or ``?niveau=buurt``, as the level of the shapes
    (``neighbourhood``, ``district``). Raises InvalidParameters."""
    problems: list[InvalidParam] = []
    raw = _single(args, "niveau", problems)
    if raw is not None and raw not in BOUNDARY_LEVELS:
        problems.append(InvalidParam("niveau", "niveau must be wijk or buurt."))
    if problems:
        raise InvalidParameters(problems)
    return BOUNDARY_LEVELS[raw or "wijk"]


def page_links(endpoint: str, values: Mapping[str, Any], current: Pagination,
               total: int) -> dict[str, str]:
    """self, first, last and (where they exist) prev and next, as absolute URLs."""
    last = max(1, -(-total // current.size))

    def at(page: int) -> str:
        return link(endpoint, **values, page=page, pageSize=current.size)

    links = {"self": at(current.page), "first": at(1), "last": at(last)}
    if current.page > 1:
        links["prev"] = at(min(current.page - 1, last))
    if current.page < last:
        links["next"] = at(current.page + 1)
    return links


def page_body(items: list[dict[str, Any]], links: Mapping[str, str], current: Pagination,
              total: int) -> dict[str, Any]:
    """The list body: ``_links``, ``items``, ``page``, ``pageSize`` and ``total``."""
    return {"_links": {rel: {"href": url} for rel, url in links.items()}, "items": items,
            "page": current.page, "pageSize": current.size, "total": total}
