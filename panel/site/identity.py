"""What makes the site look like the municipality's: its logo, the icon and the theme file.

``/logo`` serves the logo an administrator uploaded (``panel.areas.logo``). The page header
links it as ``/logo?v=<version>``, a new address for every new logo, so browsers may keep
that address for a year; any other request is answered ``no-cache``. Its ETag is the
logo's SHA-256, which the worker already knows from the page header
(``header_municipality``): a browser asking again gets ``304`` without a database query.
This is not ``panel.conditional``: an image is the same in every language and for every
visitor, so it needs neither the page's ETag parts nor ``Vary: Cookie``.

The logo is served with a Content-Security-Policy of its own: an SVG opened on its own is
a document, and it may load nothing, run nothing and is sandboxed.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, request, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from panel.areas.logo import PNG, stored_logo
from panel.exports import download
from panel.templating import header_municipality

bp = Blueprint("identity", __name__)

ONE_YEAR = 365 * 24 * 3600
ONE_DAY = 24 * 3600
LOGO_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
STATIC = Path(__file__).resolve().parent.parent / "static"


def logo_version(sha256: str) -> str:
    """The short form of a logo's hash that its address carries."""
    return sha256[:16]


def _logo_response(body: bytes | None, content_type: str, sha256: str) -> Response:
    """The logo, or ``304 Not Modified`` when ``body`` is None, with its headers."""
    response = (Response(status=304) if body is None
                else download(body, content_type, "logo", inline=True,
                              extension="png" if content_type == PNG else "svg"))
    response.set_etag(sha256)
    fresh = request.args.get("v") == logo_version(sha256)
    response.headers["Cache-Control"] = (f"public, max-age={ONE_YEAR}, immutable" if fresh
                                         else "no-cache")
    response.headers["Content-Security-Policy"] = LOGO_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.get("/logo")
def logo() -> Response:
    """The municipality's logo (PNG or SVG), 404 when none is uploaded."""
    header = header_municipality()
    if header is None or header.logo is None:
        raise NotFound()
    if request.if_none_match.contains(header.logo):
        return _logo_response(None, "", header.logo)
    kept = stored_logo()
    if kept is None:
        raise NotFound()
    return _logo_response(kept.data, kept.content_type, kept.sha256)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site's icon where browsers look for it without being told (a neutral one; the
    pages also link ``static/favicon.svg``)."""
    return send_from_directory(STATIC, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=ONE_DAY)


@bp.get("/thema.css")
def theme_css() -> Response:
    """The municipality's own design tokens (``PANEL_THEME=instance:FILE.css``)."""
    own_file = current_app.config["PANEL_THEME"].own_file
    if not own_file:
        raise NotFound()
    return send_from_directory(current_app.instance_path, own_file, mimetype="text/css",
                               max_age=0)
