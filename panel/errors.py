"""Domain errors raised by services, and the error pages that turn them into responses."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import Flask, current_app, g, render_template
from flask_babel import format_decimal, format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from panel import limits
from panel.db import db
from panel.extensions import limiter, login_manager

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A request that cannot be honoured. ``message`` is translated plain text (never
    Markup): templates escape it, so it may repeat what someone typed."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message: str = str(message)


class AccessError(Exception):
    """The request touches something the user may not see or do. Deliberately not a
    DomainError: views that flash domain errors must let these through to the 403/404
    pages."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message: str = str(message)


class PermissionDenied(AccessError):
    """The user may not do this (shown as 403)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _l("You are not allowed to do this."))


class NotFound(AccessError):
    """The object does not exist, or the user may not know that it exists (shown as 404)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _l("This page does not exist."))


ERROR_TEXTS = {
    400: (_l("Something went wrong with your request"), _l("Please go back and try again.")),
    403: (_l("You do not have access"), _l("You are not allowed to see this page.")),
    404: (_l("Page not found"), _l("This page does not exist. Check the address.")),
    405: (_l("Something went wrong with your request"), _l("Please go back and try again.")),
    429: (_l("Too many attempts"), _l("Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("This is our fault. Please try again later.")),
}


def render_error(status: int, reference: str | None = None) -> tuple[str, int]:
    title, text = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    return (
        render_template("errors/error.html", status=status, title=title, text=text,
                        reference=reference),
        status,
    )


def too_many_requests(error: RateLimitExceeded) -> Response:
    """The 429 page: how long to wait, in words, and the same wait in ``Retry-After``."""
    wait = limits.stated_wait(limits.seconds_until_allowed(limiter, error))
    text = _("Wait %(time)s and try again.",
             time=format_timedelta(timedelta(seconds=wait), threshold=1))
    response = Response(render_template("errors/error.html", status=429,
                                        title=ERROR_TEXTS[429][0], text=text),
                        status=429, mimetype="text/html")
    response.headers["Retry-After"] = str(wait)
    return response


# How long a visitor (or a monitor) is asked to wait when the database does not answer.
RETRY_AFTER_SECONDS = 30


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached at the moment: stopped or
    restarting, a connection that broke, no free connection in the pool, or (SQLite) a
    file that cannot be opened or stays locked. Such errors pass; other errors are ours."""
    if isinstance(error, PoolTimeout):
        return True
    return isinstance(error, (OperationalError, InterfaceError)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


def unavailable(error: BaseException) -> Response:
    """The 503 page for a database that does not answer, with ``Retry-After``. It reads
    nothing from the database (``errors/unavailable.html`` shows no signed-in user), and
    the log names only the kind of error: statements' values never reach the log."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        log.warning("database unavailable: the transaction could not be rolled back")
    cause = getattr(error, "orig", None) or error
    log.error("database unavailable (%s)", type(cause).__name__)
    # Flask-Login's context processor loads the signed-in user for every template; the
    # page is rendered as a visitor's instead (where Flask-Login keeps the request's user),
    # which neither asks the database nor changes the session.
    g._login_user = login_manager.anonymous_user()
    response = Response(render_template("errors/unavailable.html"), status=503,
                        mimetype="text/html")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def too_large(error: RequestEntityTooLarge) -> Response:
    """The 413 page: what was sent is larger than ``MAX_CONTENT_LENGTH``, and how large a
    file may be (werkzeug refuses it before reading the body)."""
    megabytes = format_decimal(current_app.config["MAX_CONTENT_LENGTH"] / 1048576,
                               format="#,##0.#")
    text = _("A file may be at most %(size)s MB. Make the file smaller, or split it into "
             "smaller files.", size=megabytes)
    return Response(render_template("errors/error.html", status=413,
                                    title=_("The file is too large"), text=text),
                    status=413, mimetype="text/html")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    app.register_error_handler(RequestEntityTooLarge, too_large)

    @app.errorhandler(PermissionDenied)
    def _permission_denied(error: PermissionDenied) -> tuple[str, int]:
        return render_error(403)

    @app.errorhandler(NotFound)
    def _not_found(error: NotFound) -> tuple[str, int]:
        return render_error(404)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        if status >= 500:
            reference = uuid.uuid4().hex[:12]
            log.error("http error %s reference=%s", status, reference)
            return render_error(status, reference)
        return render_error(status)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int] | Response:
        if database_unavailable(error):
            return unavailable(error)
        db.session.rollback()
        reference = uuid.uuid4().hex[:12]
        log.exception("unexpected error reference=%s", reference)
        return render_error(500, reference)
