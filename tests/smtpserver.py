"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd in a background thread).

Usage::

    with smtp_server() as server:
        monkeypatch.setitem(app.config, "PANEL_SMTP_HOST", server.host)
        monkeypatch.setitem(app.config, "PANEL_SMTP_PORT", server.port)
        monkeypatch.setitem(app.config, "PANEL_SMTP_STARTTLS", False)
        ...  # deliver mail
        assert server.messages[0]["To"] == "resident@example.org"

``smtp_server(reply="451 try later")`` makes the server refuse every recipient (RCPT) with
that reply; ``on="data"`` refuses at the end of DATA instead, ``on="mail"`` the sender (MAIL
FROM). ``server.reply`` can be changed (or set to None to accept again) while the server
runs. By default the server offers no STARTTLS and no login, so set
``PANEL_SMTP_STARTTLS`` to False and leave the user empty.

``starttls=True`` offers STARTTLS with ``tests/certs/server.pem`` (for 127.0.0.1 and
localhost, signed by the test authority ``tests/certs/ca.pem``; point ``SSL_CERT_FILE`` to
it to trust it), or with the ``certificate`` given (``tests/certs/other-name.pem`` is for
mail.example.org); ``refuse_starttls=True`` offers STARTTLS but answers it with 454.
``scripted_smtp_server`` is a plain-socket server for faults that aiosmtpd does not stage:
it drops the connection, or hangs, at a chosen command of a chosen message (``Step``), and
can hold every message until several clients are connected (``overlap``).

``login=("user", "password")`` offers a login (only after STARTTLS when STARTTLS is
offered, like most servers) and accepts that one; ``login_required=True`` refuses MAIL FROM
with 530 until someone logged in (and offers the login only after STARTTLS).
"""

from __future__ import annotations

import socket
import socketserver
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

__all__ = ["CERTS", "ScriptedServer", "SmtpServer", "Step", "scripted_smtp_server",
           "smtp_server"]

CERTS = Path(__file__).resolve().parent / "certs"


@dataclass
class SmtpServer:
    """The running server: where it listens, what it received, how it answers."""

    host: str
    port: int
    reply: str | None = None  # e.g. "451 try later" or "550 no such user"; None accepts
    on: Literal["mail", "rcpt", "data"] = "rcpt"  # the command that gets ``reply``
    messages: list[EmailMessage] = field(default_factory=list)  # accepted messages, in order
    envelope_recipients: list[list[str]] = field(default_factory=list)  # RCPT TO per message
    logins: list[str] = field(default_factory=list)  # user names that logged in


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        if self.server.reply and self.server.on == "mail":
            return self.server.reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.server.reply and self.server.on == "rcpt":
            return self.server.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.reply and self.server.on == "data":
            return self.server.reply
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        self.server.messages.append(message)
        self.server.envelope_recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _RefusingStarttls(SMTP):
    """Offers STARTTLS (it has a TLS context) but refuses the command."""

    async def smtp_STARTTLS(self, arg: str) -> None:
        await self.push("454 4.7.0 TLS not available due to local problem")


class _Controller(Controller):
    def __init__(self, *args: Any, smtp_class: type[SMTP] = SMTP, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.smtp_class = smtp_class

    def factory(self) -> SMTP:
        return self.smtp_class(self.handler, **self.SMTP_kwargs)


def _authenticator(server: SmtpServer, user: str, password: str) -> Any:
    def check(smtp: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        login = getattr(data, "login", b"").decode()
        if login == user and getattr(data, "password", b"").decode() == password:
            server.logins.append(login)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)
    return check


@contextmanager
def smtp_server(reply: str | None = None,
                on: Literal["mail", "rcpt", "data"] = "rcpt", *,
                starttls: bool = False, certificate: Path | None = None,
                refuse_starttls: bool = False, login: tuple[str, str] | None = None,
                login_required: bool = False) -> Iterator[SmtpServer]:
    """Start an SMTP server on a free port of 127.0.0.1; stop it when the block ends."""
    server = SmtpServer(host="127.0.0.1", port=_free_port(), reply=reply, on=on)
    options: dict[str, Any] = {"auth_required": login_required}
    if starttls or certificate or refuse_starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate or CERTS / "server.pem")
        options["tls_context"] = context
    if login is not None:
        options["authenticator"] = _authenticator(server, *login)
        # login only after STARTTLS when the server offers it, or when it requires a login
        options["auth_require_tls"] = "tls_context" in options or login_required
    controller = _Controller(_Handler(server), hostname=server.host, port=server.port,
                             smtp_class=_RefusingStarttls if refuse_starttls else SMTP,
                             **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# --- a server that misbehaves on cue ----------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """What the scripted server does in one mail transaction (MAIL FROM … end of DATA).

    ``at`` is the moment: the MAIL command, the RCPT command, or the end of the message
    (the ``.`` line). ``do``: ``"reply"`` answers ``reply`` (``"451 …"``, ``"550 …"``);
    ``"drop"`` closes the connection without an answer; ``"hold"`` sets ``held`` and
    answers nothing until ``release`` is set, then closes the connection (a server that
    hangs, e.g. while the client is killed); ``"pause"`` sets ``held``, waits for
    ``release`` and then goes on as usual. A message whose connection ends before its
    ``.`` line is discarded, as RFC 5321 requires. At the end of the message, ``keep=True`` takes
    the message in (counts it in ``accepted``) before dropping or holding: the worst case
    for the client, which cannot know that the server has it.
    """

    at: Literal["mail", "rcpt", "data"]
    do: Literal["reply", "drop", "hold", "pause"]
    reply: str = ""
    keep: bool = False


@dataclass
class ScriptedServer:
    """A plain-socket SMTP server on 127.0.0.1 that accepts every message except where
    ``script`` (transaction number, counted from 1 over every connection → ``Step``) says
    otherwise. ``accepted`` holds the messages it took in, in order."""

    host: str
    port: int
    script: dict[int, Step] = field(default_factory=dict)
    overlap: int = 1  # hold every MAIL until this many connections were opened
    accepted: list[EmailMessage] = field(default_factory=list)
    transactions: int = 0
    connections: int = 0
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def message_ids(self) -> Counter[str]:
        """How often each Message-ID was taken in."""
        return Counter(str(message["Message-ID"]) for message in self.accepted)


class _Hangup(Exception):
    """The scripted server closes the connection."""


class _ScriptedHandler(socketserver.StreamRequestHandler):
    server: _ScriptedTcpServer
    timeout = 120

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def _act(self, step: Step | None, at: str, message: EmailMessage | None = None) -> bool:
        """Carry out ``step`` when it is for ``at``; True when it answered for itself."""
        state = self.server.state
        if step is None or step.at != at:
            return False
        if step.do == "pause":
            state.held.set()
            state.release.wait(timeout=300)
            return False
        if message is not None and step.keep:
            with state.lock:
                state.accepted.append(message)
        if step.do == "reply":
            self._say(step.reply)
            return True
        if step.do == "hold":
            state.held.set()
            state.release.wait(timeout=300)
        raise _Hangup

    def handle(self) -> None:
        state = self.server.state
        with state.lock:
            state.connections += 1
        step: Step | None = None
        try:
            self._say("220 scripted ESMTP")
            while line := self.rfile.readline():
                verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.wfile.write(b"250-scripted\r\n250 8BITMIME\r\n")
                    self.wfile.flush()
                elif verb == "MAIL":
                    deadline = time.monotonic() + 120
                    while state.connections < state.overlap and time.monotonic() < deadline:
                        time.sleep(0.01)
                    with state.lock:
                        state.transactions += 1
                        step = state.script.get(state.transactions)
                    if not self._act(step, "mail"):
                        self._say("250 OK")
                elif verb == "RCPT":
                    if not self._act(step, "rcpt"):
                        self._say("250 OK")
                elif verb == "DATA":
                    self._say("354 End data with <CR><LF>.<CR><LF>")
                    message = self._read_message()
                    if not self._act(step, "data", message):
                        with state.lock:
                            state.accepted.append(message)
                        self._say("250 Message accepted for delivery")
                    step = None
                elif verb in ("RSET", "NOOP"):
                    self._say("250 OK")
                elif verb == "QUIT":
                    self._say("221 Bye")
                    return
                else:
                    self._say("502 Command not implemented")
        except (_Hangup, OSError):
            return

    def _read_message(self) -> EmailMessage:
        lines = []
        while (line := self.rfile.readline()) != b".\r\n":
            if not line:
                raise _Hangup  # the client went away before the end: nothing was accepted
            lines.append(line[1:] if line.startswith(b".") else line)
        message = BytesParser(policy=policy.default).parsebytes(b"".join(lines))
        assert isinstance(message, EmailMessage)
        return message


class _ScriptedTcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: ScriptedServer) -> None:
        self.state = state
        super().__init__((state.host, state.port), _ScriptedHandler)


@contextmanager
def scripted_smtp_server(script: dict[int, Step] | None = None,
                         overlap: int = 1) -> Iterator[ScriptedServer]:
    """Start a ``ScriptedServer`` on a free port; stop it (releasing what it holds) when
    the block ends."""
    state = ScriptedServer(host="127.0.0.1", port=_free_port(), script=dict(script or {}),
                           overlap=overlap)
    server = _ScriptedTcpServer(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
