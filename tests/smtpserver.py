"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd in a background thread).

Usage::

    with smtp_server() as server:
        monkeypatch.setitem(app.config, "PANEL_SMTP_HOST", server.host)
        monkeypatch.setitem(app.config, "PANEL_SMTP_PORT", server.port)
        monkeypatch.setitem(app.config, "PANEL_SMTP_STARTTLS", False)
        ...  # deliver mail
        assert server.messages[0]["To"] == "resident@example.org"

``smtp_server(reply="451 try later")`` makes the server refuse every recipient (RCPT) with
that reply; ``on="data"`` refuses at the end of DATA instead. ``server.reply`` can be
changed (or set to None to accept again) while the server runs. The server offers no
STARTTLS and no login, so set ``PANEL_SMTP_STARTTLS`` to False and leave the user empty.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Literal

from aiosmtpd.controller import Controller

__all__ = ["SmtpServer", "smtp_server"]


@dataclass
class SmtpServer:
    """The running server: where it listens, what it received, how it answers."""

    host: str
    port: int
    reply: str | None = None  # e.g. "451 try later" or "550 no such user"; None accepts
    on: Literal["rcpt", "data"] = "rcpt"  # the command that gets ``reply``
    messages: list[EmailMessage] = field(default_factory=list)  # accepted messages, in order
    envelope_recipients: list[list[str]] = field(default_factory=list)  # RCPT TO per message


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

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


@contextmanager
def smtp_server(reply: str | None = None,
                on: Literal["rcpt", "data"] = "rcpt") -> Iterator[SmtpServer]:
    """Start an SMTP server on a free port of 127.0.0.1; stop it when the block ends."""
    server = SmtpServer(host="127.0.0.1", port=_free_port(), reply=reply, on=on)
    controller = Controller(_Handler(server), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
