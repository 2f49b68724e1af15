"""Structured logs without personal data.

Every log line is one JSON object (time, level, logger, message, request id). Before a
record reaches any handler, its message is redacted: email addresses, phone numbers, Dutch
postcodes, anything that looks like a link token, the secret part of personal link paths
and query strings are replaced by a placeholder. The redaction is done when the record is
made (a log record factory), so it holds for every logger and every handler, also for
werkzeug's and gunicorn's access logs and for handlers added later (such as pytest's).
``RedactingFilter`` does the same for handlers configured elsewhere (``deploy/
gunicorn.conf.py``).

Redaction is a safety net, not a licence: code should still log ids, never personal data.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request

__all__ = ["JsonFormatter", "RedactingFilter", "configure_logging", "redact"]

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_HANDLER_MARK = "_wijkpanel_handler"

# Paths whose last part is a secret (a personal link, a letter code, a password link).
SECRET_PATHS = ("/mijn/link/", "/aanmelden/bevestigen/", "/antwoord/", "/afmelden/",
                "/beheer/wachtwoord/", "/code/")
_SECRET_PATH = re.compile(
    "(" + "|".join(re.escape(p) for p in SECRET_PATHS) + r")[^\s/?#\"']+")
# A query string after a path: search terms, filters and the like never reach the logs.
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Dutch numbers (06-12345678, 072 512 3456, +31 6 1234 5678, 0031 (0)72…) and other
# international numbers written with a plus.
_PHONE = re.compile(
    r"(?<![\w.+])(?:(?:\+|00)31[\s-]?(?:\(0\)[\s-]?)?|0)(?:\d[\s-]?){8}\d(?![\w.])"
    r"|(?<![\w.+])\+\d(?:[\s-]?\d){7,13}(?![\w.])")
# 1234 AB, 1234AB, 1234ab, 1234 ab. Written lower case with a space, a common short word
# is left alone, so that "port 8000 at" or "1500 ms" stays readable.
_POSTCODE = re.compile(r"\b[1-9]\d{3}( ?)([A-Za-z]{2})\b")
_SHORT_WORDS = frozenset(
    "am an as at by en er he if in is it me ms my no of om on op or pm so te to up us we "
    "ze kb mb gb".split())


def _postcode(match: re.Match[str]) -> str:
    space, letters = match.group(1), match.group(2)
    if space and letters.islower() and letters in _SHORT_WORDS:
        return match.group(0)
    return "[postcode]"


# Long URL-safe strings with letters and digits: link tokens, hashes, secrets. Lower-case
# hex of up to 40 characters stays: request ids (nginx's $request_id, uuid hex) are that,
# link tokens never are.
_TOKEN = re.compile(r"(?<![\w-])(?![0-9a-f]{24,40}(?![\w-]))(?=[\w-]*\d)(?=[\w-]*[A-Za-z])"
                    r"[\w-]{24,}(?![\w-])")


def redact(text: str) -> str:
    """``text`` with personal data and secrets replaced by placeholders."""
    if not text:
        return text
    text = _SECRET_PATH.sub(r"\1[…]", text)
    text = _QUERY.sub(r"\1?[…]", text)
    text = _EMAIL.sub("[email]", text)
    text = _TOKEN.sub("[token]", text)
    text = _PHONE.sub("[phone]", text)
    return _POSTCODE.sub(_postcode, text)


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Format the message now, redact it and drop the arguments (idempotent)."""
    if getattr(record, "_redacted", False):
        return record
    if record.name.startswith("sqlalchemy.engine") and isinstance(record.msg, str):
        # Statement values and result rows hold whatever is in the database (names,
        # addresses): never log them, whatever the logger's level.
        if record.msg.endswith("[%s] %r") and isinstance(record.args, tuple) and \
                len(record.args) >= 2:
            record.msg, record.args = record.msg[:-2] + "[values hidden]", record.args[:-1]
        elif record.msg.endswith("Row %r"):
            record.msg, record.args = record.msg[:-2] + "[values hidden]", ()
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what can be kept, never the arguments
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._redacted = True  # type: ignore[attr-defined]
    return record


class RedactingFilter(logging.Filter):
    """A handler filter that redacts a record before it is written (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        if not hasattr(record, "request_id"):
            record.request_id = "-"  # type: ignore[attr-defined]
        return True


def current_request_id() -> str:
    """The id of the request being handled, or ``-`` outside a request."""
    if has_request_context():
        return str(g.get("request_id", "-"))
    return "-"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id,
    and the exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        _redact_record(record)
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


_base_factory = logging.getLogRecordFactory()


def _record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    try:
        record.request_id = current_request_id()  # type: ignore[attr-defined]
    except Exception:  # no app context or ``g`` unusable: the record still counts
        record.request_id = "-"  # type: ignore[attr-defined]
    return _redact_record(record)


def install_record_factory() -> None:
    """Make every log record in this process redacted and tagged with the request id."""
    if logging.getLogRecordFactory() is not _record_factory:
        logging.setLogRecordFactory(_record_factory)


def _assign_request_id() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _VALID_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]


def configure_logging(app: Flask) -> None:
    """Redact every record, write JSON lines (or plain text with ``PANEL_LOG_FORMAT=text``)
    to standard error at ``PANEL_LOG_LEVEL``, and give every request an id: the
    ``X-Request-ID`` header set by the proxy (nginx's ``$request_id``, so its access log and
    ours can be matched), or a new one. The id is not sent back: responses stay identical
    whatever happened, which the join form relies on."""
    install_record_factory()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    if app.config.get("PANEL_LOG_FORMAT", "json") == "text":
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    level = str(app.config.get("PANEL_LOG_LEVEL", "INFO")).upper()
    root.setLevel(level if level in logging.getLevelNamesMapping() else logging.INFO)
    app.before_request(_assign_request_id)
