"""Values every page needs: the municipality (for its name and the demo banner), and the
parts of the layout that are the same for many requests, rendered once per worker."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import NamedTuple

from flask import Flask, current_app, g
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from panel import form_errors
from panel.areas.models import Municipality
from panel.auth.forms import ROLE_LABELS
from panel.auth.permissions import register_template_globals
from panel.db import db
from panel.i18n import current_language
from panel.importing import STATUS_LABELS as IMPORT_STATUS_LABELS
from panel.kept import LeastRecentlyUsed, TrustedForAWhile

log = logging.getLogger(__name__)

DEFAULT_TRUST_SECONDS = 1.0
KEPT_PARTS = 1024  # rendered layout parts kept per worker
_HEADER = "panel.templating.header"
_PARTS = "panel.templating.parts"


class Header(NamedTuple):
    """What the page header and the title show of the municipality."""

    code: str
    name: str
    is_demo: bool
    logo: str | None  # the logo's SHA-256 (its version, in its address), None without one


def trust_seconds() -> float:
    """How long a worker trusts what it read for the page header or a public page's ETag
    (``PANEL_ETAG_SECONDS``)."""
    return float(current_app.config.get("PANEL_ETAG_SECONDS", DEFAULT_TRUST_SECONDS))


def _read_header() -> Header | None:
    row = db.session.execute(
        select(Municipality.code, Municipality.name, Municipality.is_demo,
               Municipality.logo_hash).limit(1)).first()
    return Header(*row) if row else None


def header_municipality() -> Header | None:
    """The municipality of the page header, or None before it is configured. Read once per
    ``PANEL_ETAG_SECONDS`` per worker (as the ETags of public pages are): a commit in the
    worker forgets it at once, a change made by another worker shows within that time."""
    if "municipality_header" not in g:
        kept: TrustedForAWhile[Header | None] | None = current_app.extensions.get(_HEADER)
        if kept is None:
            kept = current_app.extensions.setdefault(_HEADER, TrustedForAWhile(1))
        g.municipality_header = kept.get_or_make(None, _read_header, trust_seconds())
    header: Header | None = g.municipality_header
    return header


def kept_part(template: str, /, **key: Hashable) -> Markup:
    """``template`` rendered with nothing but ``key`` (and the environment's globals:
    ``url_for`` and the translations), kept per worker by the template's name, the
    language and ``key``. For the parts of the layout that many requests share (menus,
    footer): such a template may only use what is in its key, so it holds nothing of one
    visitor. Rendered every time in debug mode, where templates change while running."""
    def render() -> Markup:
        html = current_app.jinja_env.get_template(template).render(**key)
        return Markup(html)  # noqa: S704 (an autoescaped template's output)

    if current_app.debug:
        return render()
    parts: LeastRecentlyUsed[Markup] | None = current_app.extensions.get(_PARTS)
    if parts is None:
        parts = current_app.extensions.setdefault(_PARTS, LeastRecentlyUsed(KEPT_PARTS))
    return parts.get_or_make((template, current_language(), tuple(sorted(key.items()))),
                             render)


def register_context(app: Flask) -> None:
    register_template_globals(app)  # the capabilities: {% if may_administer(current_user) %}
    app.jinja_env.globals["import_status_labels"] = IMPORT_STATUS_LABELS
    app.jinja_env.globals["kept_part"] = kept_part
    app.jinja_env.globals["theme"] = app.config["PANEL_THEME"]  # panel.themes.Theme
    form_errors.register(app)  # the error summary and the "Error:" in the page title

    @app.context_processor
    def _common() -> dict[str, object]:
        try:
            municipality = header_municipality()
        except SQLAlchemyError:
            # An error page must still render when the database is down.
            db.session.rollback()
            log.warning("municipality could not be read for the page header")
            municipality = g.municipality_header = None
        return {"municipality": municipality, "role_names": ROLE_LABELS}
