"""Language choice and locale-aware formatting (Dutch first, English complete)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel import Locale
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
    get_translations,
    refresh,
)
from jinja2 import pass_context
from markupsafe import Markup

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


def select_locale() -> Locale:
    """The visitor's chosen language (cookie), otherwise Dutch: Flask-Babel's locale
    selector. Gives the ``Locale`` parsed once per process, so that a request does not
    parse its language again."""
    languages = current_app.config["LANGUAGES"]
    forced = getattr(g, "forced_locale", None)
    if forced in languages:
        return _locale(forced)
    chosen = request.cookies.get(LANGUAGE_COOKIE) if request else None
    if chosen in languages:
        return _locale(chosen)
    return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def speak_to(language: str | None) -> None:
    """Show the rest of this request in ``language``, a resident's own language, unless
    the visitor chose one with the language switch (its cookie wins). So a resident who
    opens the link in an English email, or their own page, reads English without looking
    for the switch. Call it before anything is translated that the page shows."""
    if not has_request_context() or language not in current_app.config["LANGUAGES"]:
        return
    if request.cookies.get(LANGUAGE_COOKIE) in current_app.config["LANGUAGES"]:
        return
    if getattr(g, "forced_locale", None) != language:
        g.forced_locale = language
        refresh()  # Flask-Babel keeps the locale it chose for the request until told


# The locales select_locale gives, parsed once, and their codes by the object's id (kept
# alive here, so an id is never reused); other locales (force_locale) are written out.
_LOCALES: dict[str, Locale] = {}
_CODES: dict[int, str] = {}
# How each language writes dates, times and numbers. English as in Britain: the day before
# the month and a 24-hour clock ("7 Dec 2026, 19:30"), as its readers in a Dutch
# municipality expect; plain "en" is American English ("12/7/26, 7:30 PM", 7 December or
# 12 July?). The catalogue is still translations/en (gettext looks for en_GB, then en).
FORMATS = {"en": "en_GB"}


def _locale(code: str) -> Locale:
    locale = _LOCALES.get(code)
    if locale is None:
        locale = _LOCALES.setdefault(code, Locale.parse(FORMATS.get(code, code)))
        _CODES[id(locale)] = code
    return locale


def locale_of(language: str) -> Locale:
    """The locale that writes ``language`` ("nl", "en"): for Flask-Babel's
    ``force_locale``, so an email or letter in English has the same dates as the pages."""
    return _locale(language)


def _babel_context() -> Any:
    """Flask-Babel's state of the current context (its locale, ``babel_locale``), or None
    before Flask-Babel made it or outside an app context."""
    try:
        return g._flask_babel
    except (AttributeError, RuntimeError):
        return None


def current_language() -> str:
    """The language of the request ("nl", "en"). Takes the locale Flask-Babel keeps for the
    request (also one set with ``force_locale``) without its lookups when there is one: a
    page asks for the language several times (its ETag, the kept layout parts)."""
    locale = getattr(_babel_context(), "babel_locale", None)
    if locale is None:
        locale = get_locale()
        if locale is None:
            return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    return _CODES.get(id(locale)) or str(locale)


def translations() -> Any:
    """Flask-Babel's catalogue of the request's language (``get_translations``), kept on
    the request's Babel context while its locale stays the same object (``force_locale``
    sets another): Flask-Babel looks it up again at each string, some thirty calls."""
    context = _babel_context()
    kept = getattr(context, "panel_translations", None)
    if kept is not None and kept[0] is context.babel_locale:
        return kept[1]
    catalogue = get_translations()
    context = _babel_context()  # made by get_translations when it was not there yet
    if context is not None and hasattr(context, "babel_locale"):
        context.panel_translations = (context.babel_locale, catalogue)
    return catalogue


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext``, with the request's catalogue looked up once
    (:func:`translations`)."""
    text: str = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Flask-Babel's ``ngettext``, with the request's catalogue looked up once."""
    variables.setdefault("num", num)
    text: str = translations().ungettext(singular, plural, num) % variables
    return text


def register_template_helpers(app: Flask) -> None:
    """Filters that format in the visitor's language and in Europe/Amsterdam time, and
    the catalogue looked up once per rendering (``one_catalogue``)."""
    app.context_processor(one_catalogue)

    @app.template_filter("datetime")
    def _datetime(value: datetime | None, fmt: str = "medium") -> str:
        return format_datetime(value, fmt) if value else ""

    @app.template_filter("date")
    def _date(value: datetime | None, fmt: str = "long") -> str:
        return format_date(value, fmt) if value else ""

    @app.template_filter("moment")
    def _moment(value: datetime | None) -> str:
        """``dinsdag 12 januari 2027, 19:30``: a date and a clock time, easy to read."""
        return f"{format_date(value, 'full')}, {format_time(value, 'HH:mm')}" if value else ""

    @app.template_filter("time_only")
    def _time_only(value: datetime | None) -> str:
        return format_time(value, "HH:mm") if value else ""

    @app.template_filter("cell")
    def _cell(value: object) -> str:
        """A table cell: dates in the visitor's language, empty for None."""
        if value is None:
            return ""
        if isinstance(value, date):
            return format_date(value, "short")
        return str(value)

    @app.template_filter("number")
    def _number(value: float | int | None) -> str:
        return format_decimal(value) if value is not None else ""

    @app.context_processor
    def _language_context() -> dict[str, object]:
        return {"current_language": current_language(), "language_names": LANGUAGE_NAMES}


class Catalogue:
    """``gettext`` and ``ngettext`` as Flask-Babel's, taking their strings from the
    catalogue looked up once, for code that translates many strings in one request (the
    work list, the setup checklist): Flask-Babel looks the catalogue up at each string,
    about thirty calls each time. Make one per request (the language is the request's)."""

    def __init__(self) -> None:
        self._catalogue = translations()

    def gettext(self, string: str, /, **variables: Any) -> str:
        text: str = self._catalogue.ugettext(string)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, number: int, /, **variables: Any) -> str:
        variables.setdefault("num", number)
        text: str = self._catalogue.ungettext(singular, plural, number) % variables
        return text


def one_catalogue() -> dict[str, Any]:
    """``gettext`` and ``ngettext`` for one rendering of a template (a context processor),
    which then take their strings from the catalogue looked up once, instead of asking
    Flask-Babel for it at each string (a third of the member list's rendering). They
    override the environment's functions of the same names (``_`` calls ``gettext``) and
    work as Jinja's "newstyle" ones that Flask-Babel installs: the translation is escaped
    like the template and always used as a format string."""
    catalogue = translations()

    def formatted(context: Any, text: str, variables: dict[str, Any]) -> str:
        trusted = Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704 (the catalogue)
        # Without variables and without "%" formatting changes nothing: skip it.
        return trusted % variables if variables or "%" in text else trusted

    @pass_context
    def gettext(context: Any, string: str, /, **variables: Any) -> str:
        return formatted(context, catalogue.ugettext(string), variables)

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, number: int, /,
                 **variables: Any) -> str:
        # Positional only: a template may pass ``num=`` itself (formatted, say).
        variables.setdefault("num", number)
        return formatted(context, catalogue.ungettext(singular, plural, number), variables)

    # ``_`` too: otherwise Jinja's alias for it looks ``gettext`` up in the context first.
    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}
