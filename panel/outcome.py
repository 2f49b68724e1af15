"""The outcome of a request that changes data, decided in one place.

A view calls its service inside ``outcome``::

    if form.validate_on_submit():
        with outcome(_("The action is saved.")) as saved:
            action = services.create_action(current_user, code, data)
        if saved:
            return redirect(url_for("feedback.action", action_id=action.id))

When the block finishes, the transaction is committed and the success message (if any) is
flashed. When the service raises a :class:`~panel.errors.DomainError`, the transaction is
rolled back, the error's message is flashed (or put on a form field, with ``field=``, or
in a form's error summary, with ``form=``) and the exception goes no further; ``saved`` is
then false. Access errors (403/404) and anything unexpected pass through to the error pages.

Every message is flashed as plain text. A lazy translated string has ``__html__``, so
Flask's session would store it as Markup and the page would show it unescaped; a message
that repeats what someone typed could then put HTML on the page.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from flask import flash

from panel.db import db
from panel.errors import DomainError


def say(message: object, category: str = "success") -> None:
    """Flash ``message`` as plain text (escaped when shown)."""
    flash(str(message), category)


class outcome:  # noqa: N801 - used like a function: ``with outcome(...) as saved``
    """Commit and flash ``success``; or roll back and show the domain error.

    ``field``: a form field that shows the error next to itself instead of a flashed
    message; ``form``: a form whose error summary lists the error (for errors that
    belong to no single field). ``commit=False`` leaves a successful transaction open for
    the caller (for example to record an audit event first); a failed one is always
    rolled back.
    """

    def __init__(self, success: object | None = None, *, field: Any = None,
                 form: Any = None, commit: bool = True) -> None:
        self.success = success
        self.field = field
        self.form = form
        self.commit = commit
        self.ok = False
        self.error: str | None = None

    def __enter__(self) -> outcome:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> bool:
        if kind is None:
            if self.commit:
                db.session.commit()
            if self.success is not None:
                say(self.success, "success")
            self.ok = True
            return False
        db.session.rollback()
        if not isinstance(error, DomainError):
            return False  # access errors and bugs reach the error pages
        self.error = error.message
        if self.field is not None:
            self.field.errors = [*_plain(self.field.errors), self.error]
        elif self.form is not None:
            self.form.form_errors = [*_plain(self.form.form_errors), self.error]
        else:
            say(self.error, "error")
        return True

    def __bool__(self) -> bool:
        return self.ok


def _plain(errors: Any) -> list[str]:
    return [str(e) for e in (errors or [])] if isinstance(errors, list | tuple) else []
