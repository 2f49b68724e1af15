"""Domain errors raised by services, and the error pages that turn them into responses."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import Flask, render_template
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from panel import limits
from panel.db import db
from panel.extensions import limiter

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


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(RateLimitExceeded, too_many_requests)

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
    def _unexpected(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        reference = uuid.uuid4().hex[:12]
        log.exception("unexpected error reference=%s", reference)
        return render_error(500, reference)
