"""Values every page needs: the municipality (for its name and the demo banner), and the
parts of the layout that are the same for many requests, rendered once per worker."""

from __future__ import annotations

import logging
from collections import ChainMap
from collections.abc import Hashable, Iterator, MutableMapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

from flask import Flask, current_app, g, url_for
from flask.templating import Environment
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from panel import form_errors
from panel.areas.models import Municipality
from panel.auth.forms import ROLE_LABELS
from panel.auth.permissions import register_template_globals
from panel.db import db, reading_connection
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


# Built once: building a select() costs about as much as sending it to SQLite.
_HEADER_STATEMENT = select(Municipality.code, Municipality.name, Municipality.is_demo,
                           Municipality.logo_hash).limit(1)


def _read_header() -> Header | None:
    """The header's row, without the ORM's execution machinery (plain columns). On the
    session's connection when the request has already used it (so in its transaction);
    otherwise on a connection of its own, given back at once: on a page that needs nothing
    else from the database that costs less than starting the session's transaction and
    ending it at the end of the request."""
    session = db.session()
    if session.in_transaction():
        row = session.connection().execute(_HEADER_STATEMENT).first()
    else:
        with reading_connection() as connection:
            row = connection.execute(_HEADER_STATEMENT).first()
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


def _parts() -> LeastRecentlyUsed[Markup] | None:
    """This worker's kept parts, or None in debug mode (where templates change while
    running, so parts are rendered every time)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.debug:
        return None
    parts: LeastRecentlyUsed[Markup] | None = app.extensions.get(_PARTS)
    if parts is None:
        parts = app.extensions.setdefault(_PARTS, LeastRecentlyUsed(KEPT_PARTS))
    return parts


@pass_context
def kept_part(context: Context, template: str, /, **key: Hashable) -> Markup:
    """``template`` rendered with nothing but ``key`` (and the environment's globals:
    ``url_for`` and the translations), kept per worker by the template's name, the
    language and ``key``. For the parts of the layout that many requests share (menus,
    footer): such a template may only use what is in its key, so it holds nothing of one
    visitor. Rendered every time in debug mode, where templates change while running.
    Takes the language from the rendering's context (``current_language``), which has it
    already."""
    def render() -> Markup:
        html = context.environment.get_template(template).render(**key)
        return Markup(html)  # noqa: S704 (an autoescaped template's output)

    parts = context.get(_PARTS_VARIABLE) or _parts()
    if parts is None:
        return render()
    language = context.get("current_language") or current_language()
    return parts.get_or_make((template, language, tuple(sorted(key.items()))), render)


_PARTS_VARIABLE = "_kept_parts"
_QUERY_SAFE = "!$'()*,/:;?@"  # what werkzeug's url_for leaves unquoted in a query string


@pass_context
def language_href(context: Context, language: str, here: str) -> str:
    """``url_for('site.language', lang=language, next=here)``: the address of the language
    switch is kept per worker (like a layout part) and only ``next`` added per request."""
    parts = context.get(_PARTS_VARIABLE) or _parts()
    if parts is None:
        return url_for("site.language", lang=language, next=here)
    base = parts.get_or_make(("site.language", language),
                             lambda: Markup(url_for("site.language", lang=language)))  # noqa: S704 (an address)
    return f"{base}?{urlencode((('next', here),), safe=_QUERY_SAFE)}"


class TemplateGlobals(ChainMap[str, Any]):
    """A template's globals over the environment's, as Jinja makes them, found without an
    exception per name. Every rendering copies them into its context (``dict(globals)``);
    ``ChainMap`` tries each map in turn, and the template's own map, nearly always empty,
    raises ``KeyError`` for every one of the environment's globals: some 20-30 µs for each
    page, more than a layout part costs."""

    def __getitem__(self, key: str) -> Any:
        for mapping in self.maps:
            if key in mapping:
                return mapping[key]
        return self.__missing__(key)

    def __iter__(self) -> Iterator[str]:
        own, *rest = self.maps
        if not own and len(rest) == 1:  # nearly always: the environment's names
            return iter(rest[0])
        return super().__iter__()


class PanelEnvironment(Environment):
    """Flask's Jinja environment, with :class:`TemplateGlobals` for the templates' globals
    (the application uses it: ``app.jinja_environment``)."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals({} if d is None else d, self.globals)


def register_context(app: Flask) -> None:
    register_template_globals(app)  # the capabilities: {% if may_administer(current_user) %}
    app.jinja_env.globals["import_status_labels"] = IMPORT_STATUS_LABELS
    app.jinja_env.globals["kept_part"] = kept_part
    app.jinja_env.globals["language_href"] = language_href
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
        return {"municipality": municipality, "role_names": ROLE_LABELS,
                _PARTS_VARIABLE: _parts()}
