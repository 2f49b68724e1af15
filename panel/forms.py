"""The form class every form of the platform derives from, and a validator that uses a
service's own check."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import flask_wtf
from wtforms import Field, Form
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import ValidationError

from panel.errors import DomainError

_NUMBER = re.compile(r"-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?")
_ABSOLUTE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*")


def _is_date(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4,}-\d\d-\d\d", value)) and _parses(date.fromisoformat, value)


def _is_time(value: str) -> bool:
    return bool(re.fullmatch(r"\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?", value)) \
        and _parses(time.fromisoformat, value)


def _is_local_datetime(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4,}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?", value)) \
        and _parses(datetime.fromisoformat, value)


def _parses(parse: Any, value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


# What HTML allows in the value of these inputs (the Nu Html Checker's rules); a browser
# shows an input of the first kinds empty when its value is anything else.
_VALID_VALUE = {
    "date": _is_date,
    "time": _is_time,
    "datetime-local": _is_local_datetime,
    "number": lambda value: bool(_NUMBER.fullmatch(value)),
    "range": lambda value: bool(_NUMBER.fullmatch(value)),
}


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's form, written as valid HTML whatever was sent.

    - The CSRF token is written without an ``id``: a page often holds several forms (a
      button per action, the sign-out button, the work list), each with the same hidden
      ``csrf_token`` field, and HTML forbids an id twice. Nothing refers to it by its id.
    - A date, time or number input sent back with what is not one (a form without the
      browser's own checks, a changed address) is written empty, as a browser shows it
      anyway; a web address without its ``https://`` is written as a text input, so the
      resident sees what they typed next to the error. The error says what to fill in."""

    class Meta(flask_wtf.FlaskForm.Meta):
        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Any:
            if isinstance(field, CSRFTokenField):
                render_kw = {"id": False, **render_kw}
            kind = render_kw.get("type") or getattr(field.widget, "input_type", None)
            if kind in _VALID_VALUE or kind == "url":
                value = render_kw.get("value", field._value())
                value = "" if value is None else str(value)
                if value and kind == "url" and not _ABSOLUTE_URL.fullmatch(value):
                    render_kw = {**render_kw, "type": "text", "inputmode": "url"}
                elif value and kind in _VALID_VALUE and not _VALID_VALUE[kind](value):
                    render_kw = {**render_kw, "value": ""}
            return super().render_field(field, render_kw)


class CheckedBy:
    """A validator that checks a filled-in field with the check its service uses
    (``check(text)``, raising DomainError), with the service's own words. So a form shows
    every wrong field at once, each message at its field and linked from the error summary,
    instead of one service error at a time above the form. The service still checks too.
    An empty field is left to the field's other validators (``Optional``, ``DataRequired``)."""

    def __init__(self, check: Callable[[str], object]) -> None:
        self.check = check

    def __call__(self, form: Form, field: Field) -> None:
        text = field.data or ""
        if not text.strip():
            return
        try:
            self.check(text)
        except DomainError as error:
            raise ValidationError(error.message) from error
