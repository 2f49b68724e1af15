"""The outbox: queueing rendered emails and delivering them (SMTP, or files in development).

``queue`` renders a template into an ``OutboxMessage`` inside the caller's transaction, so a
message exists only when the change that caused it is committed. For thousands of messages
at once (the survey import) a ``Stencil`` renders a template once and fills it in per
recipient, and ``queue_many`` inserts the rows in bulk, in the same way. ``deliver_due``
(the ``send-mail`` command) delivers what is due and records each outcome at once.

Privacy: the log and ``last_error`` never hold an email address, a subject or a body; log
lines name the row id (or the number of rows) and the status only.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import secrets
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import ContentTypeHeader
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import delete, func, insert, select, update

from panel.db import db, utcnow
from panel.mail.models import MailStatus, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
STALE_SENDING = timedelta(minutes=30)
SMTP_TIMEOUT = 30  # seconds
SUBJECT_LENGTH = 300  # the width of OutboxMessage.subject
ERROR_LENGTH = 200
# Headers that build_message sets itself; callers may not pass them as extra headers.
_RESERVED_HEADERS = frozenset({
    "from", "to", "cc", "bcc", "subject", "date", "message-id", "content-language",
    "content-type", "content-transfer-encoding", "mime-version", "sender", "reply-to",
})
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,76}$")
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_ATTACHMENT_NAME = re.compile(r"^[^\x00-\x1f\x7f/\\\"]{1,100}$")


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did.

    ``requeued`` counts messages found stuck in ``sending`` (a crashed run) and put back in
    the queue; such a message that had no attempts left counts as ``failed``.
    """

    sent: int = 0
    retried: int = 0
    failed: int = 0
    requeued: int = 0


class _TemporaryFailure(Exception):
    """Delivery failed; trying again later may work. ``text`` holds no address."""

    def __init__(self, text: str, connection: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.connection = connection  # the mail server could not be reached at all


class _PermanentFailure(Exception):
    """Delivery failed for good (a 5xx reply). ``text`` holds no address."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


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
    """The parts of one email as ``queue`` stores them."""

    subject: str
    text_body: str
    html_body: str


def render_message(template: str, context: dict[str, Any], language: str,
                   subject: Any) -> Rendered:
    """Render ``templates/emails/{template}.html`` and ``.txt`` and the subject in
    ``language``, exactly as ``queue`` does (see there)."""
    with force_locale(language):
        subject_text = " ".join(str(subject).split())[:SUBJECT_LENGTH]
        values = {**context, "language": language, "subject": subject_text}
        html_body = render_template(f"emails/{template}.html", **values).strip() + "\n"
        text_body = render_template(f"emails/{template}.txt", **values).strip() + "\n"
    return Rendered(subject_text, text_body, html_body)


def _checked(to: str, headers: dict[str, str] | None,
             attachments: Sequence[tuple[str, str, bytes]] | None) -> tuple[str, str, str]:
    """The address, the extra headers and the attachments as stored (JSON), checked."""
    to = to.strip()
    if not to or "@" not in to or len(to.split()) > 1 or len(to) > 254:  # no white space
        raise ValueError("not a usable email address")
    return (to, json.dumps(_check_headers(headers), ensure_ascii=False),
            json.dumps(_check_attachments(attachments)))


def _row(checked: tuple[str, str, str], rendered: Rendered, language: str,
         now: datetime) -> dict[str, Any]:
    to, headers, attachments = checked
    return {
        "to_address": to, "subject": rendered.subject, "text_body": rendered.text_body,
        "html_body": rendered.html_body, "headers": headers, "attachments": attachments,
        "language": language, "status": MailStatus.QUEUED.value, "attempts": 0,
        "next_attempt_at": now, "last_error": "", "created_at": now, "sent_at": None,
        "message_id": "",
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
    ``headers`` are extra headers such as ``List-Unsubscribe``. ``attachments`` are
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
        escaped = {name: str(escape(value)) for name, value in values.items()}
        return Rendered(self._subject, self._join(self._text, values),
                        self._join(self._html, escaped))

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


def queue_many(rows: Sequence[dict[str, Any]]) -> int:
    """Put many messages (rows from ``message_row``) in the outbox with one bulk INSERT
    (executemany), in the caller's transaction. Never commits. Returns the number queued."""
    if rows:
        db.session.execute(insert(OutboxMessage.__table__), list(rows))
        log.info("outbox: %s message(s) queued in bulk", len(rows))
    return len(rows)


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


# --- delivering -----------------------------------------------------------------------------


def _short_error(text: str, address: str) -> str:
    """An error text fit for ``last_error``: one line, short, without the address."""
    text = " ".join(text.split())
    local_part = address.split("@", 1)[0]
    for secret in (address, local_part if len(local_part) >= 3 else ""):
        if secret:
            text = re.sub(re.escape(secret), "[recipient]", text, flags=re.IGNORECASE)
    return text[:ERROR_LENGTH]


def _reply_text(code: int, reply: bytes | str) -> str:
    """An SMTP reply as text: ``451 try later``."""
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return f"{code} {reply}"


class _SmtpTransport:
    """One SMTP connection, opened on first use and reused for the rest of the run."""

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        """Connect, STARTTLS and log in; raises _TemporaryFailure(connection=True)."""
        config = current_app.config
        try:
            smtp = smtplib.SMTP(config["PANEL_SMTP_HOST"], int(config["PANEL_SMTP_PORT"]),
                                timeout=SMTP_TIMEOUT)
        except (OSError, smtplib.SMTPException) as exc:
            raise _TemporaryFailure(f"cannot connect: {type(exc).__name__}",
                                    connection=True) from exc
        try:
            smtp.ehlo()
            if config["PANEL_SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config["PANEL_SMTP_USER"]:
                smtp.login(config["PANEL_SMTP_USER"], config["PANEL_SMTP_PASSWORD"])
        except (OSError, smtplib.SMTPException) as exc:
            # A refused login or STARTTLS is a setting to fix, not a fault of the message.
            smtp.close()
            code = getattr(exc, "smtp_code", "")
            raise _TemporaryFailure(f"cannot set up the session: {type(exc).__name__} {code}"
                                    .strip(), connection=True) from exc
        return smtp

    def send(self, email: EmailMessage, to: str) -> None:
        """Send one message; raises _TemporaryFailure or _PermanentFailure."""
        if self._smtp is None:
            self._smtp = self._connect()
        sender = parseaddr(current_app.config["PANEL_MAIL_FROM"])[1]
        try:
            self._smtp.send_message(email, from_addr=sender, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (0, b""))
            self._classify(code, _short_error(_reply_text(code, reply), to))
        except smtplib.SMTPResponseException as exc:
            self._drop()
            self._classify(exc.smtp_code, _short_error(_reply_text(exc.smtp_code,
                                                                   exc.smtp_error), to))
        except (OSError, smtplib.SMTPException) as exc:  # disconnected, timeout, reset
            self._drop()
            raise _TemporaryFailure(f"connection lost: {type(exc).__name__}") from exc

    @staticmethod
    def _classify(code: int, text: str) -> NoReturn:
        if 500 <= code < 600:
            raise _PermanentFailure(text)
        raise _TemporaryFailure(text)

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
        raise _TemporaryFailure(f"cannot write the outbox file: {type(exc).__name__}") from exc


def _backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the first, second, third … failed attempt, at most 6 hours."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _requeue_stale(now: datetime) -> tuple[int, int]:
    """Put rows that have been in ``sending`` too long back in the queue, or fail them when
    they used up their attempts. Returns how many were requeued and how many failed."""
    stale = (OutboxMessage.status == MailStatus.SENDING.value,
             OutboxMessage.next_attempt_at < now - STALE_SENDING)
    interrupted = "interrupted: a send-mail run stopped during delivery"
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


def _due_ids(now: datetime, limit: int) -> list[int]:
    """Ids of queued messages that are due, the longest waiting first."""
    return list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MailStatus.QUEUED.value,
               OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ))


def _claim(message_id: int, now: datetime) -> bool:
    """Mark one message as ``sending`` unless another run got to it first."""
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               OutboxMessage.status == MailStatus.QUEUED.value)
        .values(status=MailStatus.SENDING.value, next_attempt_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    return claimed == 1


def deliver_due(now: datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Deliver up to ``limit`` queued messages whose ``next_attempt_at`` has come.

    With ``PANEL_SMTP_HOST`` set, mail goes out over SMTP (STARTTLS when
    ``PANEL_SMTP_STARTTLS``, login when ``PANEL_SMTP_USER`` is set, one connection per run);
    without it, each message is written as ``<id>-<message-id>.eml`` into
    ``PANEL_OUTBOX_PATH``.

    Unlike other services this function **commits**, once per step, so call it with no
    pending changes of your own:

    1. rows left in ``sending`` for more than 30 minutes (a run that crashed) go back to
       queued, counting as an attempt; a message that was handed to the SMTP server just
       before such a crash is then sent again, so SMTP delivery is *at least once* in that
       case (it keeps its Message-ID, so mail programs can spot the duplicate);
    2. each due message is claimed with a conditional UPDATE (queued → sending, only while it
       is still queued) and the claim is committed, so two runs at the same time never both
       send it; while ``sending``, ``next_attempt_at`` holds the moment of the claim;
    3. the outcome is committed right after each delivery, so a crash later in the run never
       causes a re-send of what was recorded as sent.

    A temporary failure (no connection, a dropped connection, a 4xx reply) puts the message
    back in the queue with an exponential backoff (1, 2, 4 … minutes, at most 6 hours);
    the 8th failed attempt marks it failed. A permanent failure (a 5xx reply) marks it failed
    at once. When the server cannot be reached at all, the run stops after that message and
    leaves the rest queued. ``last_error`` gets a short text without the address.
    """
    clock = (lambda: now) if now is not None else utcnow
    report = DeliveryReport()
    report.requeued, report.failed = _requeue_stale(clock())
    db.session.commit()
    if report.requeued or report.failed:
        log.warning("outbox: %s interrupted message(s) queued again, %s failed",
                    report.requeued, report.failed)

    transport = _SmtpTransport() if current_app.config["PANEL_SMTP_HOST"] else None
    try:
        for message_id in _due_ids(clock(), limit):
            if not _claim(message_id, clock()):
                db.session.rollback()
                continue
            message = db.session.get(OutboxMessage, message_id, populate_existing=True)
            if message is None:  # deleted (forget_address) between select and claim
                db.session.rollback()
                continue
            try:
                email = build_message(message)
            except (ValueError, TypeError) as exc:
                db.session.rollback()
                _record_failure(message_id, f"cannot build: {type(exc).__name__}", report)
                continue
            db.session.commit()  # the claim, and the Message-ID for every later attempt
            stop = _deliver_one(transport, message, email, clock(), report)
            db.session.commit()
            if stop:
                break
    finally:
        if transport is not None:
            transport.close()
        db.session.rollback()
    return report


def _deliver_one(transport: _SmtpTransport | None, message: OutboxMessage,
                 email: EmailMessage, now: datetime, report: DeliveryReport) -> bool:
    """Deliver one claimed message and record the outcome (not committed). Returns True
    when the mail server cannot be reached, so the run should stop."""
    try:
        if transport is None:
            _write_file(email, message)
        else:
            transport.send(email, message.to_address)
    except _PermanentFailure as exc:
        message.attempts += 1
        _fail(message, exc.text, report)
        return False
    except _TemporaryFailure as exc:
        message.attempts += 1
        _retry_or_fail(message, exc.text, now, report)
        return exc.connection
    message.status = MailStatus.SENT.value
    message.sent_at = now
    message.attempts += 1
    message.last_error = ""
    report.sent += 1
    log.info("outbox message %s: %s", message.id, message.status)
    return False


def _fail(message: OutboxMessage, text: str, report: DeliveryReport) -> None:
    """Mark the message failed for good (not committed)."""
    message.status = MailStatus.FAILED.value
    message.last_error = text
    report.failed += 1
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
    report.retried += 1
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
