"""The outbox: queueing rendered emails and delivering them (SMTP, or files in development).

``queue`` renders a template into an ``OutboxMessage`` inside the caller's transaction, so a
message exists only when the change that caused it is committed. For thousands of messages
at once (the survey import) a ``Stencil`` renders a template once and fills it in per
recipient, and ``queue_many`` inserts the rows in bulk, in the same way. ``deliver_due``
(the ``send-mail`` command) delivers what is due and records each outcome at once.

Every message carries the name of its template in the ``X-Wijkpanel-Template`` header:
the outbox page shows it as the kind of message.

``check_settings`` (the ``check-mail`` command and the outbox page) tries the SMTP settings
step by step and says what fails; ``mail_state`` tells other pages whether mail works.
``last_error`` starts with the kind of failure (``Failure``), then the technical reason:
``login_refused: 535 5.7.8 Authentication credentials invalid``.

Privacy: the log and ``last_error`` never hold an email address, a subject or a body; log
lines name the row id (or the number of rows) and the status only.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import logging
import os
import re
import secrets
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import ContentTypeHeader
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import Select, delete, func, or_, select, update

from panel.auth.models import User
from panel.auth.permissions import may_administer, require
from panel.db import db, insert_rows, utcnow
from panel.i18n import current_language, locale_of
from panel.mail import runs
from panel.mail.models import MailStatus, OutboxMessage
from panel.progress import track

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
STALE_SENDING = timedelta(minutes=30)
SMTP_TIMEOUT = 30  # seconds
WEB_CHECK_TIMEOUT = 10  # seconds: a check from a page must end before the worker's timeout
SUBJECT_LENGTH = 300  # the width of OutboxMessage.subject
ERROR_LENGTH = 200
TEMPLATE_HEADER = "X-Wijkpanel-Template"  # the template a message was made from
# Headers that build_message sets itself; callers may not pass them as extra headers.
_RESERVED_HEADERS = frozenset({
    "from", "to", "cc", "bcc", "subject", "date", "message-id", "content-language",
    "content-type", "content-transfer-encoding", "mime-version", "sender", "reply-to",
    TEMPLATE_HEADER.lower(),
})
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,76}$")
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_ATTACHMENT_NAME = re.compile(r"^[^\x00-\x1f\x7f/\\\"]{1,100}$")


# --- queueing -------------------------------------------------------------------------------


def _check_headers(headers: dict[str, str] | None) -> dict[str, str]:
    """The extra headers, checked: a plain name, not one build_message sets, one line."""
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.match(name) or name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"header {name!r} may not be set by the caller")
        value = str(value)
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name!r} contains a line break")
        checked[name] = value
    return checked


def _content_type(value: str) -> ContentTypeHeader:
    """``value`` parsed as a Content-Type header; ValueError when it is not a clean one."""
    if "\r" in value or "\n" in value:
        raise ValueError("attachment content type contains a line break")
    header = default_policy.header_factory("Content-Type", value)
    if not isinstance(header, ContentTypeHeader) or header.defects \
            or f"{header.maintype}/{header.subtype}" != value.split(";", 1)[0].strip().lower():
        raise ValueError(f"not a usable attachment content type: {value!r}")
    return header


def _normalise_content_type(value: str) -> str:
    """The content type as given, plus ``charset=UTF-8`` for text without a charset.

    ``"text/calendar; method=REQUEST"`` becomes ``"text/calendar; method=REQUEST;
    charset=UTF-8"``: text attachments are sent as UTF-8 bytes.
    """
    if "\r" in value or "\n" in value:
        raise ValueError("attachment content type contains a line break")
    value = " ".join(value.split())
    header = _content_type(value)
    if header.maintype == "text" and "charset" not in header.params:
        value = f"{value.rstrip('; ')}; charset=UTF-8"
    return value


def _check_attachments(
        attachments: Sequence[tuple[str, str, bytes]] | None) -> list[dict[str, str]]:
    """The attachments as JSON-ready dicts (data in base64), checked."""
    checked: list[dict[str, str]] = []
    for filename, content_type, content in attachments or ():
        if not isinstance(filename, str) or not _ATTACHMENT_NAME.match(filename) \
                or filename.strip(" .") == "":
            raise ValueError(f"not a usable attachment file name: {filename!r}")
        if not isinstance(content, bytes | bytearray):
            raise TypeError("attachment content must be bytes")
        checked.append({
            "filename": filename,
            "content_type": _normalise_content_type(str(content_type)),
            "data": base64.b64encode(bytes(content)).decode("ascii"),
        })
    return checked


@dataclass(frozen=True)
class Rendered:
    """The parts of one email as ``queue`` stores them, and the template they came from."""

    subject: str
    text_body: str
    html_body: str
    template: str = ""


def render_message(template: str, context: dict[str, Any], language: str,
                   subject: Any) -> Rendered:
    """Render ``templates/emails/{template}.html`` and ``.txt`` and the subject in
    ``language``, exactly as ``queue`` does (see there)."""
    with force_locale(locale_of(language)):
        subject_text = " ".join(str(subject).split())[:SUBJECT_LENGTH]
        values = {**context, "language": language, "subject": subject_text}
        html_body = render_template(f"emails/{template}.html", **values).strip() + "\n"
        text_body = render_template(f"emails/{template}.txt", **values).strip() + "\n"
    return Rendered(subject_text, text_body, html_body, template)


def _checked(to: str, headers: dict[str, str] | None,
             attachments: Sequence[tuple[str, str, bytes]] | None,
             ) -> tuple[str, dict[str, str], str]:
    """The address, the extra headers and the attachments as stored (JSON), checked."""
    to = to.strip()
    if not to or "@" not in to or len(to.split()) > 1 or len(to) > 254:  # no white space
        raise ValueError("not a usable email address")
    return to, _check_headers(headers), json.dumps(_check_attachments(attachments))


def _headers_json(headers: dict[str, str], template: str) -> str:
    """The stored headers: the extra ones, then the template's name (when known)."""
    return json.dumps({**headers, TEMPLATE_HEADER: template} if template else headers,
                      ensure_ascii=False)


def _row(checked: tuple[str, dict[str, str], str], rendered: Rendered, language: str,
         now: datetime) -> dict[str, Any]:
    to, headers, attachments = checked
    return {
        "to_address": to, "subject": rendered.subject, "text_body": rendered.text_body,
        "html_body": rendered.html_body, "headers": _headers_json(headers, rendered.template),
        "attachments": attachments, "language": language, "status": MailStatus.QUEUED.value,
        "attempts": 0, "next_attempt_at": now, "last_error": "", "created_at": now,
        "sent_at": None, "message_id": "", "claimed_by": "", "handed_over_at": None,
        "is_check": rendered.template == CHECK_TEMPLATE,
    }


def message_row(to: str, rendered: Rendered, language: str,
                headers: dict[str, str] | None = None, *,
                attachments: Sequence[tuple[str, str, bytes]] | None = None,
                now: datetime | None = None) -> dict[str, Any]:
    """The outbox row (column values) of a message as ``queue`` stores it, for
    ``queue_many``. Raises ValueError or TypeError as ``queue`` does."""
    return _row(_checked(to, headers, attachments), rendered, language, now or utcnow())


def queue(to: str, subject: str, template: str, context: dict[str, Any],
          language: str = "nl", headers: dict[str, str] | None = None, *,
          attachments: Sequence[tuple[str, str, bytes]] | None = None) -> OutboxMessage:
    """Render ``templates/emails/{template}.html`` and ``.txt`` in ``language`` and put the
    message in the outbox (status queued, due now).

    ``subject`` may be a lazy string (``_l(...)``); it is evaluated in ``language`` as well.
    The templates get ``context`` plus ``language`` and ``subject``; they extend
    ``emails/_layout``, which shows a leave link when ``leave_url`` is given and a link to the
    resident's own page when ``page_url`` is given (absolute URLs, made by the caller).
    ``headers`` are extra headers such as ``List-Unsubscribe`` (``X-Wijkpanel-Template``,
    the template's name, is added to every message). ``attachments`` are
    ``(filename, content type, content)`` tuples, e.g. ``("uitnodiging.ics",
    "text/calendar; method=REQUEST", event_ics(meeting, "REQUEST"))``; the content type is
    kept as given, with ``charset=UTF-8`` added to a text type without a charset, and the
    content is stored in base64 (``forget_address`` deletes it with the message). Works in
    a request and without one (command line). Adds and flushes, never commits: the message
    is sent only when the caller's transaction commits. Raises ValueError for a malformed address,
    header, attachment file name or content type, TypeError for content that is not bytes
    (programming errors, not user errors).

    For thousands of messages at once use ``Stencil`` and ``queue_many``.
    """
    checked = _checked(to, headers, attachments)
    rendered = render_message(template, context, language, subject)
    message = OutboxMessage(**_row(checked, rendered, language, utcnow()))
    db.session.add(message)
    db.session.flush()
    log.info("outbox message %s: %s", message.id, message.status)
    return message


# The characters ``markupsafe.escape`` replaces: a value without them comes out as it is.
_ESCAPED = re.compile("[&<>'\"]")


class Stencil:
    """An email template rendered once with a placeholder for every value that differs per
    recipient, then filled in per recipient: for queueing thousands of messages at once
    (the survey import invites tens of thousands of residents; rendering both templates
    per message was a quarter of its time).

    ``make_context(slots)`` gets a placeholder string per name in ``fields`` and returns
    the template context, built the way the single-message path builds it. ``fill(values)``
    puts each recipient's value where its placeholder came out: as it is in the text part,
    HTML-escaped in the HTML part, exactly as Jinja's autoescaping (``markupsafe.escape``)
    does in ``{{ value }}`` and in ``_("...%(x)s", x=value)``. The subject holds no
    per-recipient values.

    That is only right when the templates print the values as they are. ``render`` makes
    sure of it: it renders in full a value that is empty or has white space at either end
    (a template may test it, or trim it away at the end of a block), checks the first
    filled-in message against a full rendering, and renders every message in full when a
    placeholder did not come out as it went in or that check fails.

    Hand-written because no library fills values into an already rendered document:
    ``string.Template`` and ``str.format`` know no HTML escaping and would trip over the
    ``$`` and braces of the rendered text, and a template engine would render again. The
    placeholders hold a random part, so the template's own text cannot contain one, and the
    values are put in one pass, so a value that looks like a placeholder stays as it is.
    """

    def __init__(self, template: str, subject: Any, language: str,
                 make_context: Callable[[dict[str, str]], dict[str, Any]],
                 fields: Sequence[str]) -> None:
        self.template, self.subject, self.language = template, subject, language
        nonce = secrets.token_hex(8)
        slots = {name: f"wpslot{nonce}n{number}x" for number, name in enumerate(fields)}
        names = {slot: name for name, slot in slots.items()}
        pattern = re.compile("|".join(re.escape(slot) for slot in names) or r"(?!)")
        blank = render_message(template, make_context(slots), language, subject)
        self._subject = blank.subject
        self._text = self._split(pattern, names, blank.text_body)
        self._html = self._split(pattern, names, blank.html_body)
        leftovers = [blank.subject, *self._text[0], *self._html[0]]
        self.usable = not any(nonce in part.lower() for part in leftovers)
        self.checked = False
        if not self.usable:
            self._give_up()

    @staticmethod
    def _split(pattern: re.Pattern[str], names: dict[str, str],
               body: str) -> tuple[list[str], list[str]]:
        """The text around the placeholders, and the field of each placeholder."""
        texts, fields, start = [], [], 0
        for found in pattern.finditer(body):
            texts.append(body[start:found.start()])
            fields.append(names[found.group()])
            start = found.end()
        texts.append(body[start:])
        return texts, fields

    @staticmethod
    def _join(parts: tuple[list[str], list[str]], values: Mapping[str, str]) -> str:
        texts, fields = parts
        out = [texts[0]]
        for name, text in zip(fields, texts[1:], strict=True):
            out.append(values[name])
            out.append(text)
        return "".join(out)

    def fill(self, values: Mapping[str, str]) -> Rendered:
        """The message for one recipient, filled in without any check (see ``render``);
        ``values`` has a string for every field."""
        escaped = {name: str(escape(value)) if _ESCAPED.search(value) else value
                   for name, value in values.items()}
        return Rendered(self._subject, self._join(self._text, values),
                        self._join(self._html, escaped), self.template)

    def render(self, values: Mapping[str, str],
               context: Callable[[], dict[str, Any]]) -> Rendered:
        """The message for one recipient: filled in when that is safe, else rendered in
        full from ``context()``, the recipient's real template context."""
        if not self.usable or any(not value or value.strip() != value
                                  for value in values.values()):
            return render_message(self.template, context(), self.language, self.subject)
        filled = self.fill(values)
        if not self.checked:
            self.checked = True
            full = render_message(self.template, context(), self.language, self.subject)
            if filled != full:
                self.usable = False
                self._give_up()
                return full
        return filled

    def _give_up(self) -> None:
        log.warning("template %s (%s) does not print the per-recipient values as they are: "
                    "rendering each message in full", self.template, self.language)


def queue_many(rows: Iterable[dict[str, Any]]) -> int:
    """Put many messages (rows from ``message_row``) in the outbox in bulk
    (``panel.db.insert_rows``, which reads a generator as it goes), in the caller's
    transaction. Never commits. Returns the number queued."""
    given = iter(rows)
    first = next(given, None)
    if first is None:
        return 0
    columns = tuple(first)
    values = (tuple(row[column] for column in columns) for row in chain([first], given))
    queued = insert_rows(OutboxMessage.__table__, columns, values)
    log.info("outbox: %s message(s) queued in bulk", queued)
    return queued


# --- building -------------------------------------------------------------------------------


def _message_id_domain() -> str:
    """The host of PANEL_BASE_URL, the right-hand side of every Message-ID."""
    host = urlsplit(current_app.config["PANEL_BASE_URL"]).hostname
    return host or "localhost"


def _stored_attachments(message: OutboxMessage) -> list[tuple[str, ContentTypeHeader, bytes]]:
    """The row's attachments: file name, parsed content type, content. ValueError when the
    stored JSON is not what ``queue`` writes."""
    try:
        items = json.loads(message.attachments or "[]")
        if not isinstance(items, list):
            raise ValueError("attachments must be a JSON list")
        return [(str(item["filename"]), _content_type(str(item["content_type"])),
                 base64.b64decode(item["data"], validate=True)) for item in items]
    except (KeyError, TypeError, binascii.Error) as exc:
        raise ValueError(f"unusable stored attachments: {type(exc).__name__}") from exc


def build_message(message: OutboxMessage) -> EmailMessage:
    """The email for an outbox row: From, To, Subject, Date, Message-ID, Content-Language,
    the extra headers, and a multipart/alternative body (plain text first, then HTML).
    With attachments the message is multipart/mixed: that body first, then each attachment
    (base64, ``Content-Disposition: attachment`` with its file name, its stored content type
    and parameters, e.g. ``text/calendar; method=REQUEST; charset=UTF-8``). Raises
    ValueError for unusable stored headers or attachments.

    The Message-ID is made once (with the host of PANEL_BASE_URL as domain) and stored on
    the row, so a retry carries the same Message-ID. Does not flush or commit.
    """
    if not message.message_id:
        message.message_id = make_msgid(domain=_message_id_domain())
    email = EmailMessage()
    # The body first: set_content and add_alternative move Content-* headers into the parts.
    email.set_content(message.text_body, cte="quoted-printable")
    email.add_alternative(message.html_body, subtype="html", cte="quoted-printable")
    for filename, content_type, content in _stored_attachments(message):
        params = {key: str(value) for key, value in content_type.params.items()}
        email.add_attachment(content, maintype=content_type.maintype,
                             subtype=content_type.subtype, filename=filename, params=params)
    email["From"] = current_app.config["PANEL_MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = message.message_id
    email["Content-Language"] = message.language
    for name, value in json.loads(message.headers or "{}").items():
        email[name] = value
    return email


# --- failures -------------------------------------------------------------------------------


class Failure(enum.StrEnum):
    """Why mail did not go out: the verdict of ``check_settings`` and the first word of
    ``last_error``. The kinds in ``SETTINGS_FAILURES`` are problems of the settings (or of
    the mail server as a whole) that hold up every message; the others concern one message.
    """

    NO_HOST = "no_host"  # PANEL_SMTP_HOST is empty: mail is written to files
    REFUSED = "refused"  # nothing listens on that port
    UNKNOWN_HOST = "unknown_host"  # the name does not resolve
    TIMEOUT = "timeout"  # no answer in SMTP_TIMEOUT seconds
    UNREACHABLE = "unreachable"  # another network error, or a greeting other than 220
    STARTTLS_MISSING = "starttls_missing"  # PANEL_SMTP_STARTTLS on, the server offers none
    STARTTLS_REFUSED = "starttls_refused"  # offered, but the STARTTLS command was refused
    CERTIFICATE_UNTRUSTED = "certificate_untrusted"
    CERTIFICATE_NAME = "certificate_name"  # the certificate is for another name
    TLS_FAILED = "tls_failed"  # another TLS error
    LOGIN_UNAVAILABLE = "login_unavailable"  # PANEL_SMTP_USER set, the server offers no AUTH
    LOGIN_REFUSED = "login_refused"
    LOGIN_REQUIRED = "login_required"  # a 530 reply: the server wants a login
    RELAY_DENIED = "relay_denied"  # the server does not pass mail on for this client
    SENDER_REFUSED = "sender_refused"  # MAIL FROM refused for good (PANEL_MAIL_FROM)
    RECIPIENT_REFUSED = "recipient_refused"  # a 5xx reply to RCPT TO
    MESSAGE_REFUSED = "message_refused"  # a 5xx reply to DATA
    TRY_LATER = "try_later"  # a 4xx reply
    CONNECTION_LOST = "connection_lost"
    FILE_FAILED = "file_failed"  # the .eml file could not be written
    UNUSABLE = "unusable"  # the stored row cannot be built into an email
    INTERRUPTED = "interrupted"  # a send-mail run stopped while sending it
    # the whole message went to the server, but its answer never came (the connection was
    # lost, or the run was killed): perhaps delivered, so never sent again
    UNCONFIRMED = "unconfirmed"


SETTINGS_FAILURES = frozenset({
    Failure.NO_HOST, Failure.REFUSED, Failure.UNKNOWN_HOST, Failure.TIMEOUT,
    Failure.UNREACHABLE, Failure.STARTTLS_MISSING, Failure.STARTTLS_REFUSED,
    Failure.CERTIFICATE_UNTRUSTED, Failure.CERTIFICATE_NAME, Failure.TLS_FAILED,
    Failure.LOGIN_UNAVAILABLE, Failure.LOGIN_REFUSED, Failure.LOGIN_REQUIRED,
    Failure.RELAY_DENIED, Failure.SENDER_REFUSED,
})

# A few words for a table cell or a line of send-mail's output.
FAILURE_LABELS = {
    Failure.NO_HOST: _l("No mail server set"),
    Failure.REFUSED: _l("Connection refused"),
    Failure.UNKNOWN_HOST: _l("Mail server not found"),
    Failure.TIMEOUT: _l("No answer in time"),
    Failure.UNREACHABLE: _l("No connection"),
    Failure.STARTTLS_MISSING: _l("No STARTTLS offered"),
    Failure.STARTTLS_REFUSED: _l("STARTTLS refused"),
    Failure.CERTIFICATE_UNTRUSTED: _l("Certificate not trusted"),
    Failure.CERTIFICATE_NAME: _l("Certificate for another name"),
    Failure.TLS_FAILED: _l("Encryption failed"),
    Failure.LOGIN_UNAVAILABLE: _l("No login offered"),
    Failure.LOGIN_REFUSED: _l("Login refused"),
    Failure.LOGIN_REQUIRED: _l("Login needed"),
    Failure.RELAY_DENIED: _l("Passing on mail refused"),
    Failure.SENDER_REFUSED: _l("Sender refused"),
    Failure.RECIPIENT_REFUSED: _l("Recipient refused"),
    Failure.MESSAGE_REFUSED: _l("Message refused"),
    Failure.TRY_LATER: _l("Try again later"),
    Failure.CONNECTION_LOST: _l("Connection lost"),
    Failure.FILE_FAILED: _l("File not written"),
    Failure.UNUSABLE: _l("Message cannot be made"),
    Failure.INTERRUPTED: _l("Sending was interrupted"),
    Failure.UNCONFIRMED: _l("Perhaps delivered, not sent again"),
}

# What failed and what to change, in plain words (see ``explain``).
_EXPLANATIONS = {
    Failure.NO_HOST: _l("No mail server is set (PANEL_SMTP_HOST), so no mail leaves this "
                        "server: every message is written as a .eml file to %(path)s. Set "
                        "PANEL_SMTP_HOST to send mail."),
    Failure.REFUSED: _l("%(host)s refuses connections on port %(port)s. Check "
                        "PANEL_SMTP_HOST and PANEL_SMTP_PORT (often 587), and that the mail "
                        "server is running."),
    Failure.UNKNOWN_HOST: _l("The mail server %(host)s cannot be found. Check the name in "
                             "PANEL_SMTP_HOST."),
    Failure.TIMEOUT: _l("%(host)s did not answer on port %(port)s within %(seconds)s "
                        "seconds. Check PANEL_SMTP_PORT, and ask whether a firewall blocks "
                        "the connection."),
    Failure.UNREACHABLE: _l("There is no connection with %(host)s on port %(port)s. Check "
                            "PANEL_SMTP_HOST and PANEL_SMTP_PORT."),
    Failure.STARTTLS_MISSING: _l(
        "The mail server does not offer STARTTLS, but PANEL_SMTP_STARTTLS is on. Use the "
        "port where the server offers STARTTLS (often 587). Set PANEL_SMTP_STARTTLS=false "
        "only when the connection needs no encryption, for example to a mail server on "
        "this machine."),
    Failure.STARTTLS_REFUSED: _l("The mail server offers STARTTLS, but refused it. Ask the "
                                 "administrator of the mail server."),
    Failure.CERTIFICATE_UNTRUSTED: _l(
        "The certificate of the mail server is not trusted. The server needs a certificate "
        "from a known authority. Is it signed by your own organisation? Then set "
        "SSL_CERT_FILE to the certificate of that authority."),
    Failure.CERTIFICATE_NAME: _l("The certificate of the mail server is not for the name "
                                 "%(host)s. Set PANEL_SMTP_HOST to the name in the "
                                 "certificate."),
    Failure.TLS_FAILED: _l("The encrypted connection with the mail server failed. Ask the "
                           "administrator of the mail server."),
    Failure.LOGIN_UNAVAILABLE: _l(
        "PANEL_SMTP_USER is set, but the mail server offers no login on this connection. "
        "Many servers offer it only after STARTTLS: check PANEL_SMTP_STARTTLS and "
        "PANEL_SMTP_PORT."),
    Failure.LOGIN_REFUSED: _l("The mail server refused the login of %(user)s. Check "
                              "PANEL_SMTP_USER and PANEL_SMTP_PASSWORD."),
    Failure.LOGIN_REQUIRED: _l("The mail server wants a login, but PANEL_SMTP_USER is not "
                               "set. Set PANEL_SMTP_USER and PANEL_SMTP_PASSWORD."),
    Failure.RELAY_DENIED: _l("The mail server does not pass on mail from this server. Log "
                             "in with PANEL_SMTP_USER and PANEL_SMTP_PASSWORD, or ask the "
                             "administrator of the mail server to allow this server."),
    Failure.SENDER_REFUSED: _l("The mail server refused the sender %(sender)s. Set "
                               "PANEL_MAIL_FROM to an address this server may send from."),
    Failure.RECIPIENT_REFUSED: _l("The mail server refused the recipient. Check the "
                                  "address."),
    Failure.MESSAGE_REFUSED: _l("The mail server refused the message."),
    Failure.TRY_LATER: _l("The mail server asked to try again later."),
    Failure.CONNECTION_LOST: _l("The connection with the mail server was lost."),
    Failure.FILE_FAILED: _l("The message could not be written to %(path)s."),
    Failure.UNUSABLE: _l("The stored message cannot be made into an email."),
    Failure.INTERRUPTED: _l("A send-mail run stopped while it was sending this message."),
    Failure.UNCONFIRMED: _l(
        "The whole message went to the mail server, but its answer never came. The "
        "message may have been delivered, so it is not sent again. Ask the recipient "
        "whether it arrived."),
}
_PORT_465 = _l("Port 465 expects encryption from the first byte, which Wijkpanel does not "
               "use: use port 587 with STARTTLS.")


def explain(failure: Failure, timeout: float | None = None) -> str:
    """What failed and what to change, with the current settings filled in (translated).
    ``timeout``: the seconds the connection waited (SMTP_TIMEOUT when not given)."""
    config = current_app.config
    text = str(_EXPLANATIONS[failure]) % {
        "host": config["PANEL_SMTP_HOST"], "port": config["PANEL_SMTP_PORT"],
        "user": config["PANEL_SMTP_USER"], "sender": config["PANEL_MAIL_FROM"],
        "path": config["PANEL_OUTBOX_PATH"],
        "seconds": SMTP_TIMEOUT if timeout is None else timeout}
    if failure in (Failure.TIMEOUT, Failure.UNREACHABLE, Failure.CONNECTION_LOST) \
            and int(config["PANEL_SMTP_PORT"]) == 465:
        text = f"{text} {_PORT_465}"
    return text


def split_error(text: str) -> tuple[Failure | None, str]:
    """``last_error`` as its kind of failure and the technical reason; (None, text) for a
    text without a known kind."""
    kind, separator, detail = (text or "").partition(": ")
    if separator:
        try:
            return Failure(kind), detail
        except ValueError:
            pass
    return None, text or ""


def template_of(headers: str) -> str:
    """The template a stored message was made from ("" when unknown)."""
    try:
        value = json.loads(headers or "{}").get(TEMPLATE_HEADER, "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


class _TemporaryFailure(Exception):
    """Delivery failed; trying again later may work. ``detail`` holds no address.

    ``connection``: the session with the mail server could not be set up, or the server
    refuses what every message needs (the sender, a login): the run stops there.
    """

    def __init__(self, failure: Failure, detail: str, connection: bool = False) -> None:
        self.failure, self.detail = failure, " ".join(detail.split())
        self.text = f"{failure.value}: {self.detail}"[:ERROR_LENGTH]
        super().__init__(self.text)
        self.connection = connection


class _PermanentFailure(Exception):
    """Delivery of this message failed for good (a 5xx reply). ``detail`` holds no address."""

    def __init__(self, failure: Failure, detail: str) -> None:
        self.failure, self.detail = failure, " ".join(detail.split())
        self.text = f"{failure.value}: {self.detail}"[:ERROR_LENGTH]
        super().__init__(self.text)


class _Unconfirmed(Exception):
    """The whole message went to the server, but no answer came: perhaps delivered."""

    def __init__(self, detail: str) -> None:
        self.failure, self.detail = Failure.UNCONFIRMED, " ".join(detail.split())
        self.text = f"{Failure.UNCONFIRMED.value}: {self.detail}"[:ERROR_LENGTH]
        super().__init__(self.text)


class _ClaimLost(Exception):
    """Another run took this run's claim (it thought this run had ended): do not send."""


@dataclass(frozen=True)
class Problem:
    """A message a ``deliver_due`` run could not deliver: no address, no subject."""

    message_id: int
    template: str
    failure: Failure | None
    detail: str
    retry_at: datetime | None  # when it is tried again; None: failed for good


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did.

    ``requeued`` counts messages found stuck in ``sending`` (a crashed run) and put back in
    the queue; such a message that had no attempts left counts as ``failed`` (and as
    ``interrupted``). ``unconfirmed`` counts messages that were handed to the server
    without an answer (a lost connection, or a run killed while waiting): perhaps
    delivered, so failed and not sent again; they count as ``failed`` too. ``problems``
    lists every message of this run that was not delivered.
    ``stopped_by`` is set when the run stopped because the session with the mail server
    could not be set up or the server refuses what every message needs: a problem of the
    settings, not of one message.
    """

    sent: int = 0
    retried: int = 0
    failed: int = 0
    requeued: int = 0
    interrupted: int = 0
    unconfirmed: int = 0
    problems: list[Problem] = field(default_factory=list)
    stopped_by: Failure | None = None
    stopped_detail: str = ""


# --- delivering -----------------------------------------------------------------------------


def _short_error(text: str, *secrets: str) -> str:
    """An error text fit for ``last_error``: one line, short, without the address (or
    another secret, such as the login name)."""
    text = " ".join(text.split())
    for secret in secrets:
        local_part = secret.split("@", 1)[0]
        for value in (secret, local_part if len(local_part) >= 3 else ""):
            if value:
                text = re.sub(re.escape(value), "[recipient]", text, flags=re.IGNORECASE)
    return text[:ERROR_LENGTH]


def _reply_text(code: int, reply: bytes | str) -> str:
    """An SMTP reply as text: ``451 try later``."""
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return f"{code} {reply}"


def _tls_context() -> ssl.SSLContext:
    """The system's trusted authorities (or those in the file ``SSL_CERT_FILE`` names),
    with the host name checked against the certificate."""
    return ssl.create_default_context()


def _timed_out(exc: BaseException) -> bool:
    """A timeout, also one that smtplib turned into SMTPServerDisconnected."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _connect_failure(exc: BaseException) -> _TemporaryFailure:
    """What went wrong while connecting (up to the server's greeting)."""
    if isinstance(exc, socket.gaierror):
        failure = Failure.UNKNOWN_HOST
    elif isinstance(exc, ConnectionRefusedError):
        failure = Failure.REFUSED
    elif _timed_out(exc):
        return _TemporaryFailure(Failure.TIMEOUT, "TimeoutError", connection=True)
    else:
        failure = Failure.UNREACHABLE
    return _TemporaryFailure(failure, f"{type(exc).__name__} {getattr(exc, 'strerror', '') or ''}",
                             connection=True)


def _session_failure(exc: BaseException) -> _TemporaryFailure:
    """An unexpected error while setting up the session (after the greeting)."""
    if _timed_out(exc):
        return _TemporaryFailure(Failure.TIMEOUT, "TimeoutError", connection=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _TemporaryFailure(Failure.UNREACHABLE,
                                 _reply_text(exc.smtp_code, exc.smtp_error), connection=True)
    return _TemporaryFailure(Failure.CONNECTION_LOST, type(exc).__name__, connection=True)


def _starttls(smtp: smtplib.SMTP) -> None:
    """Switch the session to TLS, checking the certificate and the host name."""
    if not smtp.has_extn("starttls"):
        raise _TemporaryFailure(Failure.STARTTLS_MISSING, "no STARTTLS in the EHLO reply",
                                connection=True)
    try:
        smtp.starttls(context=_tls_context())
    except smtplib.SMTPResponseException as exc:
        raise _TemporaryFailure(Failure.STARTTLS_REFUSED,
                                _reply_text(exc.smtp_code, exc.smtp_error),
                                connection=True) from exc
    except ssl.SSLCertVerificationError as exc:
        failure = (Failure.CERTIFICATE_NAME if exc.verify_code in _NAME_MISMATCH
                   else Failure.CERTIFICATE_UNTRUSTED)
        raise _TemporaryFailure(failure, str(exc.verify_message or exc.reason),
                                connection=True) from exc
    except ssl.SSLError as exc:
        raise _TemporaryFailure(Failure.TLS_FAILED, str(exc.reason or type(exc).__name__),
                                connection=True) from exc
    smtp.ehlo()


# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH
_NAME_MISMATCH = frozenset({62, 64})


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    if not smtp.has_extn("auth"):
        raise _TemporaryFailure(Failure.LOGIN_UNAVAILABLE, "no AUTH in the EHLO reply",
                                connection=True)
    try:
        smtp.login(user, password)
    except smtplib.SMTPAuthenticationError as exc:
        raise _TemporaryFailure(Failure.LOGIN_REFUSED, _short_error(
            _reply_text(exc.smtp_code, exc.smtp_error), user), connection=True) from exc
    except smtplib.SMTPNotSupportedError as exc:  # no login method both sides know
        raise _TemporaryFailure(Failure.LOGIN_UNAVAILABLE, _short_error(str(exc), user),
                                connection=True) from exc


class _Smtp(smtplib.SMTP):
    """smtplib's client, with a moment of its own just before the end of the message.

    ``data`` sends the message without its final ``.`` line, calls ``handing_over`` (which
    records that the message is about to be handed over, and may refuse by raising), and
    only then sends the ``.``: a mail server accepts a message only after that line, so a
    message whose ``handing_over`` was never recorded was certainly not accepted.
    ``handed_over`` tells whether the ``.`` went out. The rest is smtplib's ``data``
    (the dot-stuffing of RFC 5321, section 4.5.2, as ``smtplib`` does it).
    """

    handing_over: Callable[[], None] | None = None
    handed_over = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = msg.encode("ascii")
        body = re.sub(rb"(?m)^\.", b"..", msg)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body)
        if self.handing_over is not None:
            self.handing_over()
        self.handed_over = True
        self.send(b".\r\n")
        return self.getreply()


def _open_session(step: Callable[[str], None], timeout: float) -> smtplib.SMTP:
    """Connect, STARTTLS and log in as the settings say, telling ``step`` (in words for
    people) each thing that worked. Raises _TemporaryFailure(connection=True) naming the
    first thing that failed."""
    config = current_app.config
    host, port = config["PANEL_SMTP_HOST"], int(config["PANEL_SMTP_PORT"])
    try:
        smtp = _Smtp(host, port, timeout=timeout)
    except smtplib.SMTPConnectError as exc:  # a greeting other than 220
        raise _TemporaryFailure(Failure.UNREACHABLE, _reply_text(exc.smtp_code, exc.smtp_error),
                                connection=True) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise _connect_failure(exc) from exc
    try:
        step(_("Connected to %(host)s:%(port)s.", host=host, port=port))
        try:
            smtp.ehlo()
            if config["PANEL_SMTP_STARTTLS"]:
                _starttls(smtp)
                version = smtp.sock.version() if isinstance(smtp.sock, ssl.SSLSocket) else ""
                step(_("STARTTLS: the connection is encrypted (%(version)s).",
                       version=version or "TLS"))
            else:
                step(_("STARTTLS is off (PANEL_SMTP_STARTTLS): the connection is not "
                       "encrypted."))
            user = config["PANEL_SMTP_USER"]
            if user:
                _login(smtp, user, config["PANEL_SMTP_PASSWORD"])
                step(_("Logged in as %(user)s.", user=user))
        except _TemporaryFailure:
            raise
        except (OSError, smtplib.SMTPException) as exc:
            raise _session_failure(exc) from exc
    except _TemporaryFailure:
        smtp.close()
        raise
    return smtp


def _sender_failure(code: int, text: str) -> _TemporaryFailure:
    """MAIL FROM refused: a problem of the settings (kept queued, the run stops), unless the
    server only asks to try later."""
    if code == 530:
        return _TemporaryFailure(Failure.LOGIN_REQUIRED, text, connection=True)
    if 500 <= code < 600:
        return _TemporaryFailure(Failure.SENDER_REFUSED, text, connection=True)
    return _TemporaryFailure(Failure.TRY_LATER, text)


def _refusal(code: int, text: str, permanent: Failure) -> NoReturn:
    """A refused recipient or message: a login or relaying problem stops the run (the
    message stays queued); another 5xx fails this message, a 4xx retries it later."""
    if code == 530:
        raise _TemporaryFailure(Failure.LOGIN_REQUIRED, text, connection=True)
    if 500 <= code < 600:
        if permanent is Failure.RECIPIENT_REFUSED and "relay" in text.lower():
            raise _TemporaryFailure(Failure.RELAY_DENIED, text, connection=True)
        raise _PermanentFailure(permanent, text)
    raise _TemporaryFailure(Failure.TRY_LATER, text)


class _SmtpTransport:
    """One SMTP session, opened on first use and reused for the rest of the run."""

    def __init__(self, timeout: float | None = None) -> None:
        self._smtp: _Smtp | None = None
        self.timeout = SMTP_TIMEOUT if timeout is None else timeout

    def open(self, step: Callable[[str], None] | None = None) -> _Smtp:
        """The session, set up now if need be (see ``_open_session``)."""
        if self._smtp is None:
            smtp = _open_session(step or (lambda text: None), self.timeout)
            assert isinstance(smtp, _Smtp)
            self._smtp = smtp
        return self._smtp

    @staticmethod
    def _sender() -> str:
        return parseaddr(current_app.config["PANEL_MAIL_FROM"])[1]

    def try_sender(self) -> None:
        """Say MAIL FROM with the sender and take it back (RSET): does the server accept
        PANEL_MAIL_FROM? Raises _TemporaryFailure."""
        smtp = self.open()
        try:
            code, reply = smtp.mail(self._sender())
            if code != 250:
                raise _sender_failure(code, _reply_text(code, reply))
            smtp.rset()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise _session_failure(exc) from exc

    def send(self, email: EmailMessage, to: str,
             handing_over: Callable[[], None] | None = None) -> None:
        """Send one message; raises _TemporaryFailure, _PermanentFailure, or _Unconfirmed
        when the connection failed after the whole message went out (see ``_Smtp``).
        ``handing_over`` is called just before the end of the message is sent; when it
        raises, the connection is dropped without that end (the server discards the
        message) and its exception passes on."""
        smtp = self.open()
        smtp.handing_over, smtp.handed_over = handing_over, False
        try:
            smtp.send_message(email, from_addr=self._sender(), to_addrs=[to])
        except smtplib.SMTPServerDisconnected as exc:  # also a time-out waiting for a reply
            self._lost(smtp, exc)
        except smtplib.SMTPSenderRefused as exc:
            self._drop()
            raise _sender_failure(exc.smtp_code, _short_error(
                _reply_text(exc.smtp_code, exc.smtp_error), to)) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (0, b""))
            _refusal(code, _short_error(_reply_text(code, reply), to),
                     Failure.RECIPIENT_REFUSED)
        except smtplib.SMTPResponseException as exc:
            self._drop()
            _refusal(exc.smtp_code, _short_error(_reply_text(exc.smtp_code, exc.smtp_error),
                                                 to), Failure.MESSAGE_REFUSED)
        except OSError as exc:  # SMTPException is one too: reset, time-out, other errors
            self._lost(smtp, exc)
        except BaseException:
            self._drop()  # the end of the message was not sent: the server discards it
            raise
        finally:
            smtp.handing_over = None

    def _lost(self, smtp: _Smtp, exc: BaseException) -> NoReturn:
        """The connection failed: before the end of the message went out (try again
        later), or after it, without an answer (perhaps delivered: ``_Unconfirmed``)."""
        self._drop()
        if smtp.handed_over:
            raise _Unconfirmed(type(exc).__name__) from exc
        raise _TemporaryFailure(Failure.CONNECTION_LOST, type(exc).__name__) from exc

    def _drop(self) -> None:
        """Forget the connection without a goodbye (it may be broken)."""
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        """Say goodbye to the server, if a connection was opened."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            finally:
                self._drop()


def _eml_name(row_id: int, message_id: str) -> str:
    """``<id>-<message-id with only safe characters>.eml``."""
    safe = _UNSAFE_FILE_CHARS.sub("_", message_id.strip("<>")) or "message"
    return f"{row_id}-{safe}.eml"


def _write_file(email: EmailMessage, message: OutboxMessage) -> None:
    """Write the message into PANEL_OUTBOX_PATH (readable by the owner only)."""
    folder = Path(current_app.config["PANEL_OUTBOX_PATH"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / _eml_name(message.id, message.message_id)
        partial = target.with_suffix(".part")
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(email.as_bytes())
        os.replace(partial, target)
    except OSError as exc:
        raise _TemporaryFailure(Failure.FILE_FAILED, type(exc).__name__) from exc


def _backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the first, second, third … failed attempt, at most 6 hours."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _requeue_stale(now: datetime) -> tuple[int, int]:
    """Rows claimed by a run from before claims named their run (``claimed_by`` empty)
    that have been in ``sending`` too long go back in the queue, or fail when they used up
    their attempts. Returns how many were requeued and how many failed. (Such a row may
    have been handed to the server already: for these alone delivery is at least once.)"""
    stale = (OutboxMessage.status == MailStatus.SENDING.value,
             OutboxMessage.claimed_by == "",
             OutboxMessage.next_attempt_at < now - STALE_SENDING)
    interrupted = f"{Failure.INTERRUPTED.value}: a send-mail run stopped during delivery"
    failed = db.session.execute(
        update(OutboxMessage)
        .where(*stale, OutboxMessage.attempts + 1 >= MAX_ATTEMPTS)
        .values(status=MailStatus.FAILED.value, attempts=OutboxMessage.attempts + 1,
                last_error=interrupted),
        execution_options={"synchronize_session": False},
    ).rowcount
    requeued = db.session.execute(
        update(OutboxMessage)
        .where(*stale)
        .values(status=MailStatus.QUEUED.value, attempts=OutboxMessage.attempts + 1,
                next_attempt_at=now, last_error=interrupted),
        execution_options={"synchronize_session": False},
    ).rowcount
    return int(requeued or 0), int(failed or 0)


_INTERRUPTED = f"{Failure.INTERRUPTED.value}: a send-mail run stopped before the end of the " \
    "message"
_KILLED_UNCONFIRMED = f"{Failure.UNCONFIRMED.value}: a send-mail run stopped while waiting " \
    "for the answer"


def _recover_abandoned(run: runs.Run, now: datetime, report: DeliveryReport) -> None:
    """Take back the claims of runs that ended without finishing (killed, crashed).

    A message whose end was never sent (``handed_over_at`` empty) was certainly not
    accepted by the server: it goes back in the queue (the interrupted try counts as an
    attempt, so a message that makes every run crash fails in the end). A message that was
    handed over may have been accepted: it fails as ``unconfirmed`` and is never sent
    again. Each change is conditional on the claim, so two runs recovering at the same time
    take each message once. Committed here.
    """
    tokens = set(db.session.scalars(
        select(OutboxMessage.claimed_by).distinct()
        .where(OutboxMessage.status == MailStatus.SENDING.value,
               OutboxMessage.claimed_by != "", OutboxMessage.claimed_by != run.token)))
    db.session.rollback()
    for token in sorted(runs.gone(tokens)):
        claimed = (OutboxMessage.status == MailStatus.SENDING.value,
                   OutboxMessage.claimed_by == token)
        unconfirmed = db.session.scalars(
            update(OutboxMessage)
            .where(*claimed, OutboxMessage.handed_over_at.is_not(None))
            .values(status=MailStatus.FAILED.value, claimed_by="",
                    last_error=_KILLED_UNCONFIRMED)
            .returning(OutboxMessage.id),
            execution_options={"synchronize_session": False}).all()
        failed = db.session.scalars(
            update(OutboxMessage)
            .where(*claimed, OutboxMessage.attempts + 1 >= MAX_ATTEMPTS)
            .values(status=MailStatus.FAILED.value, attempts=OutboxMessage.attempts + 1,
                    claimed_by="", last_error=_INTERRUPTED)
            .returning(OutboxMessage.id),
            execution_options={"synchronize_session": False}).all()
        requeued = db.session.scalars(
            update(OutboxMessage)
            .where(*claimed)
            .values(status=MailStatus.QUEUED.value, attempts=OutboxMessage.attempts + 1,
                    next_attempt_at=now, claimed_by="", last_error=_INTERRUPTED)
            .returning(OutboxMessage.id),
            execution_options={"synchronize_session": False}).all()
        db.session.commit()
        report.unconfirmed += len(unconfirmed)
        report.interrupted += len(failed)
        report.failed += len(unconfirmed) + len(failed)
        report.requeued += len(requeued)
        for message_id in sorted([*unconfirmed, *failed]):
            message = db.session.get(OutboxMessage, message_id)
            if message is not None:
                report.problems.append(_problem(message, None))
        db.session.rollback()


def _due_ids(now: datetime, limit: int) -> list[int]:
    """Ids of queued messages that are due, the longest waiting first."""
    return list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MailStatus.QUEUED.value,
               OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ))


def _claim(message_id: int, now: datetime, run: runs.Run) -> bool:
    """Mark one message as ``sending`` by ``run`` unless another run got to it first."""
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               OutboxMessage.status == MailStatus.QUEUED.value)
        .values(status=MailStatus.SENDING.value, next_attempt_at=now, claimed_by=run.token,
                handed_over_at=None),
        execution_options={"synchronize_session": False},
    ).rowcount
    return claimed == 1


def _hand_over(message_id: int, now: datetime, run: runs.Run) -> None:
    """Record, in a transaction of its own, that the message is about to be handed over,
    as long as this run still holds the claim (raises _ClaimLost otherwise)."""
    db.session.rollback()
    marked = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               OutboxMessage.status == MailStatus.SENDING.value,
               OutboxMessage.claimed_by == run.token)
        .values(handed_over_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    if marked != 1:
        raise _ClaimLost(message_id)


def deliver_due(now: datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Deliver up to ``limit`` queued messages whose ``next_attempt_at`` has come.

    With ``PANEL_SMTP_HOST`` set, mail goes out over SMTP (STARTTLS when
    ``PANEL_SMTP_STARTTLS``, login when ``PANEL_SMTP_USER`` is set, one connection per run);
    without it, each message is written as ``<id>-<message-id>.eml`` into
    ``PANEL_OUTBOX_PATH``. The loop shows its progress when a command asked for it
    (``panel.progress``).

    Unlike other services this function **commits**, each step in a small transaction of
    its own, so call it with no pending changes of your own. A message that the mail
    server accepted is never sent again, whatever fails or is killed when:

    1. the run holds a lock that ends with its process (``panel.mail.runs``); claims of
       runs that ended without finishing are taken back first (``_recover_abandoned``);
    2. each due message is claimed with a conditional UPDATE (queued → sending, only while
       it is still queued, naming this run) and the claim is committed, so two runs at the
       same time never both send it;
    3. just before the end of the message (the ``.`` after which the server accepts it)
       ``handed_over_at`` is committed, again only while this run holds the claim;
    4. the outcome is committed right after the server's answer.

    So a message is handed over at most once: one that the run never got to hand over is
    queued again, one that was handed over without an answer (the connection was lost, or
    the run was killed between the end of the message and the recorded answer) fails as
    ``unconfirmed`` and is shown on the outbox page: perhaps delivered, not sent again.
    Files are written whole under their final name (the same name every time), so
    writing one again replaces it.

    A temporary failure (no connection, a connection lost before the end of the message, a
    4xx reply) puts the message back in the queue with an exponential backoff (1, 2, 4 …
    minutes, at most 6 hours); the 8th failed attempt marks it failed. A permanent failure
    (a 5xx reply to the recipient or the message) marks it failed at once. When the session
    cannot be set up (no connection, STARTTLS, certificate, login) or the server refuses
    what every message needs (the sender, a login, relaying), the run stops after that
    message, leaves the rest queued and says why in ``stopped_by``. ``last_error`` gets the
    kind of failure and a short text without the address; ``problems`` lists each message
    not delivered.
    """
    clock = (lambda: now) if now is not None else utcnow
    report = DeliveryReport()
    report.requeued, report.failed = _requeue_stale(clock())
    report.interrupted = report.failed
    db.session.commit()
    transport = _SmtpTransport() if current_app.config["PANEL_SMTP_HOST"] else None
    with runs.running() as run:
        _recover_abandoned(run, clock(), report)
        if report.requeued or report.interrupted or report.unconfirmed:
            log.warning("outbox: %s interrupted message(s) queued again, %s failed, %s "
                        "unconfirmed", report.requeued, report.interrupted,
                        report.unconfirmed)
        try:
            due = _due_ids(clock(), limit)
            for message_id in track(due, _("Sending mail"), len(due)) if due else ():
                if _claim_and_deliver(transport, message_id, clock, run, report):
                    break
        finally:
            if transport is not None:
                transport.close()
            db.session.rollback()
    return report


def _claim_and_deliver(transport: _SmtpTransport | None, message_id: int,
                       clock: Callable[[], datetime], run: runs.Run,
                       report: DeliveryReport) -> bool:
    """Claim one message, deliver it and record the outcome (committed). Returns True
    when the run should stop (see ``_deliver_one``)."""
    if not _claim(message_id, clock(), run):
        db.session.rollback()
        return False
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None:  # deleted (forget_address) between select and claim
        db.session.rollback()
        return False
    try:
        email = build_message(message)
    except (ValueError, TypeError) as exc:
        db.session.rollback()
        _record_failure(message_id, f"{Failure.UNUSABLE.value}: {type(exc).__name__}", report)
        return False
    db.session.commit()  # the claim, and the Message-ID for every later attempt
    try:
        stop = _deliver_one(transport, message, email, clock, run, report)
    except _ClaimLost:
        db.session.rollback()
        log.warning("outbox message %s: taken over by another run, not sent", message_id)
        return False
    db.session.commit()
    return stop


def _deliver_one(transport: _SmtpTransport | None, message: OutboxMessage,
                 email: EmailMessage, clock: Callable[[], datetime], run: runs.Run,
                 report: DeliveryReport) -> bool:
    """Deliver one claimed message and record the outcome (not committed). Returns True
    when the mail server cannot be reached, so the run should stop."""
    message_id = message.id
    to_address = message.to_address
    try:
        if transport is None:
            _hand_over(message_id, clock(), run)
            _write_file(email, message)
        else:
            transport.send(email, to_address,
                           handing_over=lambda: _hand_over(message_id, clock(), run))
    except _Unconfirmed as exc:
        message.attempts += 1
        report.unconfirmed += 1
        _fail(message, exc.text, report)
        return False
    except _PermanentFailure as exc:
        message.attempts += 1
        _fail(message, exc.text, report)
        return False
    except _TemporaryFailure as exc:
        message.attempts += 1
        _retry_or_fail(message, exc.text, clock(), report)
        if exc.connection:
            report.stopped_by, report.stopped_detail = exc.failure, exc.detail
        return exc.connection
    message.status = MailStatus.SENT.value
    message.sent_at = clock()
    message.attempts += 1
    message.last_error = ""
    message.claimed_by = ""
    report.sent += 1
    log.info("outbox message %s: %s", message.id, message.status)
    return False


def _problem(message: OutboxMessage, retry_at: datetime | None) -> Problem:
    failure, detail = split_error(message.last_error)
    return Problem(message.id, template_of(message.headers), failure, detail, retry_at)


def _fail(message: OutboxMessage, text: str, report: DeliveryReport) -> None:
    """Mark the message failed for good (not committed)."""
    message.status = MailStatus.FAILED.value
    message.last_error = text
    message.claimed_by = ""
    report.failed += 1
    report.problems.append(_problem(message, None))
    log.warning("outbox message %s: %s after %s attempt(s)", message.id, message.status,
                message.attempts)


def _retry_or_fail(message: OutboxMessage, text: str, now: datetime,
                   report: DeliveryReport) -> None:
    """Queue the message again after a backoff, or fail it after MAX_ATTEMPTS."""
    if message.attempts >= MAX_ATTEMPTS:
        _fail(message, text, report)
        return
    message.status = MailStatus.QUEUED.value
    message.next_attempt_at = now + _backoff(message.attempts)
    message.last_error = text
    message.claimed_by = ""
    message.handed_over_at = None
    report.retried += 1
    report.problems.append(_problem(message, message.next_attempt_at))
    log.warning("outbox message %s: %s again, attempt %s failed", message.id, message.status,
                message.attempts)


def _record_failure(message_id: int, text: str, report: DeliveryReport) -> None:
    """A message that cannot even be built (bad stored headers) fails for good."""
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None:
        return
    message.attempts += 1
    _fail(message, text, report)
    db.session.commit()


# --- erasing --------------------------------------------------------------------------------


def forget_address(address: str) -> int:
    """Delete every outbox message to ``address`` (any case), sent or not, and its ``.eml``
    file in the development outbox folder; used when a resident leaves the panel so no
    personal data stays behind. Flushes, never commits. Returns how many were deleted.
    """
    address = address.strip().lower()
    if not address:
        return 0
    db.session.flush()
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.message_id)
        .where(func.lower(OutboxMessage.to_address) == address)
    ).all()
    if not rows:
        return 0
    ids = [row.id for row in rows]
    db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.id.in_(ids)),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.flush()
    folder = Path(current_app.config["PANEL_OUTBOX_PATH"])
    for row in rows:
        if row.message_id:
            (folder / _eml_name(row.id, row.message_id)).unlink(missing_ok=True)
    log.info("outbox: %s message(s) deleted on request", len(ids))
    return len(ids)


# --- checking the settings ------------------------------------------------------------------

CHECK_TEMPLATE = "mail_check"  # the test message, and the kind of a settings check's row
_CHECK_ROWS = OutboxMessage.is_check.is_(True)


@dataclass
class MailCheck:
    """What ``check_settings`` found: the steps that worked, in order (words for people),
    and the first thing that failed."""

    steps: list[str] = field(default_factory=list)
    failure: Failure | None = None
    message: str = ""  # what failed and what to change (translated); "" when it works
    detail: str = ""  # the technical reason: the server's reply or the error's name
    sent_to: str | None = None  # the address the test message went to

    @property
    def ok(self) -> bool:
        return self.failure is None


def _test_message(send_to: str, now: datetime) -> OutboxMessage:
    """The test message to ``send_to``, rendered in the current language, not yet added
    to the session. ValueError for an unusable address."""
    checked = _checked(send_to, None, None)
    language = current_language()
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    rendered = render_message(CHECK_TEMPLATE, {"base_url": current_app.config["PANEL_BASE_URL"]},
                              language, _l("Test message from Wijkpanel"))
    return OutboxMessage(**_row(checked, rendered, language, now))


def check_settings(send_to: str | None = None, timeout: float | None = None) -> MailCheck:
    """Try the mail settings step by step and say what fails: no SMTP host (mail goes to
    ``.eml`` files), the connection (refused, unknown host, timeout), STARTTLS (not offered
    while PANEL_SMTP_STARTTLS is on, refused, a certificate that is not trusted or is for
    another name), the login (refused, not offered, needed but no user set) and the sender
    (MAIL FROM, taken back at once).

    With ``send_to`` a test message goes to that address: it is put in the outbox and
    delivered at once, over this check's own connection, by the code that delivers all mail
    (``build_message`` and the SMTP transport), and it is tried only once: the answer is
    needed now, and a test message that arrives hours later, after the settings were
    changed, would only confuse. Without an SMTP host it is written as a ``.eml`` file.

    The check is recorded in the outbox (the test message, or a row without an address,
    kind ``mail_check``): ``mail_state`` reads the last one. The network is used before
    anything is written, so no database lock is held while the server is slow. ``timeout``:
    seconds to wait for each answer (SMTP_TIMEOUT when not given). Flushes, never commits.
    Raises ValueError when ``send_to`` is not a usable address.
    """
    config = current_app.config
    now = utcnow()
    check = MailCheck()
    message = _test_message(send_to, now) if send_to else None
    delivered = False
    if not config["PANEL_SMTP_HOST"]:
        check.failure, check.detail = Failure.NO_HOST, "PANEL_SMTP_HOST is empty"
        if message is not None:
            db.session.add(message)
            db.session.flush()  # the file is named by the row's id
            try:
                _write_file(build_message(message), message)
            except _TemporaryFailure as exc:
                check.failure, check.detail = exc.failure, exc.detail
            else:
                delivered = True
                check.steps.append(_("The test message is written to %(path)s.",
                                     path=config["PANEL_OUTBOX_PATH"]))
    else:
        transport = _SmtpTransport(timeout)
        try:
            transport.open(check.steps.append)
            transport.try_sender()
            check.steps.append(_("The mail server accepts the sender %(sender)s.",
                                 sender=config["PANEL_MAIL_FROM"]))
            if message is not None:
                transport.send(build_message(message), message.to_address)
                delivered = True
                check.steps.append(_("The test message is sent to %(address)s.",
                                     address=message.to_address))
        except (_TemporaryFailure, _PermanentFailure) as exc:
            check.failure, check.detail = exc.failure, exc.detail
        finally:
            transport.close()
    if check.failure is not None:
        check.message = explain(check.failure, timeout)
    check.sent_to = message.to_address if message is not None and delivered else None
    _record_check(check, message, delivered, now)
    return check


def _record_check(check: MailCheck, message: OutboxMessage | None, delivered: bool,
                  now: datetime) -> None:
    """Keep the outcome in the outbox: on the test message, or on a row of its own."""
    if message is None:
        message = OutboxMessage(
            to_address="", subject="", text_body="", html_body="",
            headers=_headers_json({}, CHECK_TEMPLATE), attachments="[]",
            language=current_app.config["BABEL_DEFAULT_LOCALE"], created_at=now,
            next_attempt_at=now, message_id="", sent_at=None, attempts=0, is_check=True)
        message.status = (MailStatus.SENT if check.ok else MailStatus.FAILED).value
    else:  # tried once, never again
        message.status = (MailStatus.SENT if delivered else MailStatus.FAILED).value
        message.sent_at = now if delivered else None
        message.attempts = 1
    message.last_error = "" if check.failure is None else \
        f"{check.failure.value}: {check.detail}"[:ERROR_LENGTH]
    db.session.add(message)
    db.session.flush()
    log.info("mail settings check %s: %s", message.id,
             "ok" if check.ok else check.failure)


def check_settings_for(user: User, send_test: bool = False) -> MailCheck:
    """``check_settings`` for an administrator (PermissionDenied otherwise), with the test
    message (``send_test``) going to their own address. Waits WEB_CHECK_TIMEOUT seconds
    for each answer, so the page comes back before the web worker is stopped."""
    require(may_administer(user))
    return check_settings(user.email if send_test else None, timeout=WEB_CHECK_TIMEOUT)


# --- the state of mail ----------------------------------------------------------------------


@dataclass(frozen=True)
class MailState:
    """Does mail work? The last settings check, and what waits in the outbox.

    ``ok`` is the verdict of the last check (``check-mail`` or the outbox page), None when
    the settings were never checked; ``failure`` and ``reason`` say why not. The outbox
    counts leave out the checks themselves. ``held_up_by`` is set when messages wait
    because a delivery run could not get through for a reason of the settings (a refused
    connection, STARTTLS, a certificate, the login, the sender), with ``held_up_reason``;
    it clears as soon as a run delivers them.
    """

    ok: bool | None
    checked_at: datetime | None
    failure: Failure | None
    reason: str
    outbox_failed: int  # failed for good, still in the outbox (see PANEL_RETENTION_MAIL_DAYS)
    outbox_waiting: int  # queued or being sent
    held_up_by: Failure | None = None
    held_up_reason: str = ""

    @property
    def works(self) -> bool:
        """The last check passed and no waiting message is held up by the settings."""
        return self.ok is True and self.held_up_by is None


@cache
def _mail_state_statements() -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The three statements of ``mail_state``, built once (it is on the administrator's
    start page, and building them cost more than running them)."""
    last = select(OutboxMessage.created_at, OutboxMessage.last_error) \
        .where(_CHECK_ROWS).order_by(OutboxMessage.id.desc()).limit(1)
    # Only the states the page shows, from the index on (status, is_check, to_address).
    counts = select(OutboxMessage.status, func.count()) \
        .where(OutboxMessage.status.in_([MailStatus.QUEUED.value, MailStatus.SENDING.value,
                                         MailStatus.FAILED.value]),
               OutboxMessage.is_check.is_(False), OutboxMessage.to_address != "") \
        .group_by(OutboxMessage.status)
    settings = sorted(failure.value for failure in SETTINGS_FAILURES)
    held_up = select(OutboxMessage.last_error) \
        .where(OutboxMessage.status == MailStatus.QUEUED.value, OutboxMessage.attempts > 0,
               ~_CHECK_ROWS,
               or_(*(OutboxMessage.last_error.startswith(f"{value}: ", autoescape=True)
                     for value in settings))) \
        .order_by(OutboxMessage.next_attempt_at.desc(), OutboxMessage.id.desc()).limit(1)
    return last, counts, held_up


def mail_state() -> MailState:
    """The state of mail for another page (a setup checklist, say): see ``MailState``.
    Anyone may ask; it holds no personal data. Three small queries."""
    last_statement, counts_statement, held_up_statement = _mail_state_statements()
    last = db.session.execute(last_statement).first()
    counts = dict(db.session.execute(counts_statement).tuples().all())
    held_up = db.session.scalar(held_up_statement)
    held_up_by = split_error(held_up)[0] if held_up else None
    waiting = counts.get(MailStatus.QUEUED.value, 0) + counts.get(MailStatus.SENDING.value, 0)
    if last is None:
        return MailState(ok=None, checked_at=None, failure=None, reason="",
                         outbox_failed=counts.get(MailStatus.FAILED.value, 0),
                         outbox_waiting=waiting, held_up_by=held_up_by,
                         held_up_reason=explain(held_up_by) if held_up_by else "")
    failure = split_error(last.last_error)[0] if last.last_error else None
    if last.last_error and failure is None:
        failure = Failure.UNREACHABLE  # an unknown text: failed all the same
    return MailState(ok=failure is None, checked_at=last.created_at, failure=failure,
                     reason=explain(failure) if failure else "",
                     outbox_failed=counts.get(MailStatus.FAILED.value, 0),
                     outbox_waiting=waiting, held_up_by=held_up_by,
                     held_up_reason=explain(held_up_by) if held_up_by else "")


# --- the outbox page ------------------------------------------------------------------------

OUTBOX_PER_PAGE = 50


def mask_address(address: str) -> str:
    """``jan.jansen@example.nl`` → ``j***@e***.nl``: enough to tell messages apart, too
    little to read the address. "" for an erased address."""
    local, _at, domain = (address or "").rpartition("@")
    if not local or not domain:
        return "***" if address else ""
    top = domain.rsplit(".", 1)[1] if "." in domain else ""
    return f"{local[0]}***@{domain[0]}***" + (f".{top}" if top else "")


@dataclass(frozen=True)
class OutboxEntry:
    """One row of the outbox page: no subject, no body, the address masked."""

    id: int
    template: str
    to: str  # masked; "" for a settings check without a test message, or an erased address
    status: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None  # only while queued
    sent_at: datetime | None
    failure: Failure | None
    detail: str  # the technical reason of the last error

    @property
    def is_check(self) -> bool:
        return self.template == CHECK_TEMPLATE

    @property
    def reason(self) -> str:
        """The last error in a few words (translated), "" when there is none."""
        if self.failure is not None:
            return str(FAILURE_LABELS[self.failure])
        return ""


@dataclass(frozen=True)
class OutboxPage:
    """One page of the outbox, newest first, and how many messages each status has."""

    entries: list[OutboxEntry]
    status: str
    total: int
    page: int
    pages: int
    counts: dict[str, int]


def outbox_page(user: User, status: str = "", page: int = 1) -> OutboxPage:
    """The outbox for administrators (PermissionDenied otherwise): ``status`` one of
    ``MailStatus`` or "" for all; newest first, ``OUTBOX_PER_PAGE`` a page."""
    require(may_administer(user))
    statuses = {item.value for item in MailStatus}
    status = status if status in statuses else ""
    counts = {value: 0 for value in statuses} | dict(db.session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .group_by(OutboxMessage.status)).tuples().all())
    total = counts[status] if status else sum(counts.values())
    pages = max(1, -(-total // OUTBOX_PER_PAGE))
    page = min(max(1, page), pages)
    query = select(OutboxMessage.id, OutboxMessage.to_address, OutboxMessage.headers,
                   OutboxMessage.status, OutboxMessage.created_at, OutboxMessage.attempts,
                   OutboxMessage.next_attempt_at, OutboxMessage.sent_at,
                   OutboxMessage.last_error)
    if status:
        query = query.where(OutboxMessage.status == status)
    rows = db.session.execute(query.order_by(OutboxMessage.id.desc())
                              .offset((page - 1) * OUTBOX_PER_PAGE).limit(OUTBOX_PER_PAGE))
    entries = []
    for row in rows:
        failure, detail = split_error(row.last_error)
        entries.append(OutboxEntry(
            id=row.id, template=template_of(row.headers), to=mask_address(row.to_address),
            status=row.status, created_at=row.created_at, attempts=row.attempts,
            next_attempt_at=row.next_attempt_at
            if row.status == MailStatus.QUEUED.value else None,
            sent_at=row.sent_at, failure=failure, detail=detail))
    return OutboxPage(entries=entries, status=status, total=total, page=page, pages=pages,
                      counts=counts)


@dataclass(frozen=True)
class MailSettings:
    """The mail settings as the outbox page shows them: never the password."""

    host: str
    port: int
    starttls: bool
    user_set: bool
    sender: str
    outbox_path: str  # where mail goes without a host


def mail_settings(user: User) -> MailSettings:
    """The current mail settings, for administrators (PermissionDenied otherwise)."""
    require(may_administer(user))
    config = current_app.config
    return MailSettings(host=config["PANEL_SMTP_HOST"], port=int(config["PANEL_SMTP_PORT"]),
                        starttls=bool(config["PANEL_SMTP_STARTTLS"]),
                        user_set=bool(config["PANEL_SMTP_USER"]),
                        sender=config["PANEL_MAIL_FROM"],
                        outbox_path=config["PANEL_OUTBOX_PATH"])
