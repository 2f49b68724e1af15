"""Absolute links for emails, letters and calendar files, also outside a request; and the
paths of links that many requests share, built once per worker (``path``)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing import IntegerConverter, Map, ValidationError

# The largest id a row can have: ids are INTEGER columns, 32 bits on PostgreSQL (SQLite's
# 64-bit ones hold the same ids).
LARGEST_ID = 2**31 - 1


class DatabaseId(IntegerConverter):
    """The ``int`` of every route (``<int:meeting_id>``): a number no row can have (too
    large, however many digits) does not match, so the address answers 404 like any id
    that does not exist, instead of a database error. Negative and malformed ids never
    matched (``int`` takes digits only)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, LARGEST_ID if max is None else max, signed)

    def to_python(self, value: str) -> Any:
        if len(value.lstrip("-").lstrip("0")) > len(str(LARGEST_ID)):
            raise ValidationError()  # before int(): a number of thousands of digits
        return super().to_python(value)


# Characters that are never percent-encoded in a URL path (RFC 3986 "unreserved"); link
# tokens (``secrets.token_urlsafe``) are made of these only.
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+\Z")


class UrlBuilder:
    """Makes absolute links (``PANEL_BASE_URL`` plus the path of an endpoint) exactly as
    ``absolute_url`` does, for making many links at once.

    In a request it uses the request's URL adapter (``url_for``). Outside a request (the
    command line) it binds the app's URL map once, the way Flask's test request context
    does (``SERVER_NAME`` or ``localhost``, ``APPLICATION_ROOT``), instead of opening a
    request context per link. Use it within one app context.
    """

    def __init__(self) -> None:
        self.base = current_app.config["PANEL_BASE_URL"]
        self._app = current_app._get_current_object()  # type: ignore[attr-defined]
        self._adapter = None
        if not has_request_context():
            config = self._app.config
            self._adapter = self._app.url_map.bind(
                config["SERVER_NAME"] or "localhost", script_name=config["APPLICATION_ROOT"],
                url_scheme=config["PREFERRED_URL_SCHEME"])

    def __call__(self, endpoint: str, **values: Any) -> str:
        if self._adapter is None:
            return f"{self.base}{url_for(endpoint, **values)}"
        self._app.inject_url_defaults(endpoint, values)
        return f"{self.base}{self._adapter.build(endpoint, values)}"

    def with_token(self, endpoint: str, name: str = "token") -> Callable[[str], str]:
        """``lambda value: self(endpoint, **{name: value})``, faster for many links: the
        link is built once with a marker and each value put in its place. Only for values
        made of unreserved URL characters (such as link tokens), which building leaves
        as they are; any other value is built in full."""
        marker = f"zz{secrets.token_hex(8)}zz"
        prefix, suffix = self(endpoint, **{name: marker}).split(marker)

        def build(value: str) -> str:
            if _UNRESERVED.match(value):
                return f"{prefix}{value}{suffix}"
            return self(endpoint, **{name: value})

        return build


def url_builder() -> UrlBuilder:
    """A ``UrlBuilder`` for the current app (and request, if any)."""
    return UrlBuilder()


def absolute_url(endpoint: str, **values: Any) -> str:
    """``PANEL_BASE_URL`` plus the path of ``endpoint``; works in commands too."""
    return UrlBuilder()(endpoint, **values)


@lru_cache(maxsize=4096)
def _path(url_map: Map, script_root: str, endpoint: str,
          values: tuple[tuple[str, Any], ...]) -> str:
    return url_for(endpoint, **dict(values))


def paths() -> Callable[..., str]:
    """``path(endpoint, **values)``: ``url_for(endpoint, **values)``, the path of a link in
    the current request, kept per worker. A path depends on nothing but the application's
    URL map, where the application is mounted, the endpoint and the values, and building
    one costs about fifty calls: for pages with many links that are the same on every
    request (the staff start page). Values must be hashable; ``_external`` and the other
    options of ``url_for`` are not taken. Make one per request."""
    at = current_app.url_map, request.script_root

    def path(endpoint: str, /, **values: Any) -> str:
        return _path(*at, endpoint, tuple(values.items()))

    return path
