"""The problems of a submitted form, gathered for the error summary and the page title.

Every form page shows the same error summary (``error_summary`` in
``templates/macros/forms.html``): one link per problem to the input that needs attention,
and the page title starts with "Error:". This module finds the problems of WTForms forms
(nested ``FormField``/``FieldList`` included) and the input each one links to: the field
itself, or the first option of a radio or checkbox group.

Written here rather than taken from a library: the maintained error-summary components
(GOV.UK Frontend and its Jinja ports) bring their own markup, classes and CSS, while the
pages use NL Design System; what is needed on top of WTForms is these few functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from flask import Flask, get_flashed_messages
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from jinja2.runtime import Context
from wtforms import Field, FieldList, Form, FormField
from wtforms.form import BaseForm
from wtforms.widgets import HiddenInput, ListWidget

# Messages that do not say which field they are about: the summary names the field before
# them (next to the field itself its label says it).
GENERIC = (_l("This field is required."),)


class Problem(NamedTuple):
    """One line of the error summary: ``target`` is the id of the input its link moves to
    (empty when nothing on the page can take the focus, such as an expired form)."""

    target: str
    message: str


def is_group(field: Field) -> bool:
    """True for a field shown as a group of options (radio buttons, checkboxes)."""
    return isinstance(field.widget, ListWidget)


def target_id(field: Field) -> str:
    """The id of the input a summary link moves to: a group's first option."""
    if isinstance(field.widget, HiddenInput):
        return ""  # the CSRF token: nothing to move to
    if is_group(field):
        for option in field:
            return str(option.id)
    return str(field.id)


def _field_problems(field: Field) -> Iterator[Problem]:
    if isinstance(field, FormField):
        yield from form_problems(field.form)
    elif isinstance(field, FieldList):
        for entry in field.entries:
            yield from _field_problems(entry)
    else:
        target = target_id(field)
        generic = {str(text) for text in GENERIC}
        for message in field.errors or ():
            if isinstance(message, str) or hasattr(message, "__html__"):
                text = str(message)
                if text in generic:  # a summary of "required, required" says nothing
                    text = f"{field.label.text}: {text}"
                yield Problem(target, text)


def form_problems(*forms: Any) -> list[Problem]:
    """Every problem of ``forms`` in the order of their fields, form-level errors (from
    ``outcome(form=...)``) first. Anything else (``None``) stands for a form the page
    does not show."""
    problems: list[Problem] = []
    for form in forms:
        if not isinstance(form, BaseForm):
            continue  # None or undefined: a form the page does not show
        problems.extend(Problem("", str(message)) for message in
                        getattr(form, "form_errors", None) or ())
        for field in form:
            problems.extend(_field_problems(field))
    return problems


def has_problems(form: Any) -> bool:
    """True when ``form`` has any error (cheaper than building the list)."""
    if getattr(form, "form_errors", None):
        return True
    for field in form:
        if isinstance(field, FormField):
            if has_problems(field.form):
                return True
        elif isinstance(field, FieldList):
            if any(has_problems(e.form) if isinstance(e, FormField) else e.errors
                   for e in field.entries):
                return True
        elif field.errors:
            return True
    return False


@pass_context
def page_has_errors(context: Context) -> bool:
    """For the page title: a form on the page has errors, or an error was flashed (a
    service refused what was sent)."""
    for value in context.get_all().values():
        if isinstance(value, Form) and has_problems(value):
            return True
    return bool(get_flashed_messages(category_filter=["error"]))


def register(app: Flask) -> None:
    app.jinja_env.globals["form_problems"] = form_problems
    app.jinja_env.globals["page_has_errors"] = page_has_errors
