"""Language choice and locale-aware formatting (Dutch first, English complete)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, g, request
from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


def select_locale() -> str:
    """The visitor's chosen language (cookie), otherwise Dutch."""
    languages = current_app.config["LANGUAGES"]
    forced = getattr(g, "forced_locale", None)
    if forced in languages:
        return forced
    chosen = request.cookies.get(LANGUAGE_COOKIE) if request else None
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def register_template_helpers(app: Flask) -> None:
    """Filters that format in the visitor's language and in Europe/Amsterdam time."""

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
