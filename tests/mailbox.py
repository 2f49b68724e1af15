"""Reading the mail the app sends, and pointing its delivery somewhere a test can see.

* ``outbox(to)`` and ``link_in(message, path)`` read the queued messages (``OutboxMessage``
  rows) and the personal links in them.
* ``deliver_to_files`` and ``deliver_over_smtp`` set the app's mail settings for a test;
  the ``eml_outbox`` and ``smtp`` fixtures in ``tests/conftest.py`` use them, and a test that
  needs its own server (one that refuses, say) calls ``deliver_over_smtp`` itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from panel.db import db
from panel.mail.models import OutboxMessage
from tests.smtpserver import SmtpServer


def outbox(to: str | None = None) -> list[OutboxMessage]:
    """The queued messages (to ``to`` only, if given), oldest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.session.scalars(query))


def link_in(message: OutboxMessage, path: str) -> str:
    """The path of the first link in ``message`` that starts with ``path``."""
    found = re.search(rf"http://wijkpanel\.test({re.escape(path)}[^\s\"<>]*)", message.text_body)
    assert found, f"no {path} link in the message"
    return found.group(1)


def deliver_to_files(app: Flask, monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    """No SMTP host: the app writes every message it delivers as a ``.eml`` file in
    ``folder`` (made when the first one is written)."""
    monkeypatch.setitem(app.config, "PANEL_SMTP_HOST", "")
    monkeypatch.setitem(app.config, "PANEL_OUTBOX_PATH", str(folder))
    return folder


def deliver_over_smtp(app: Flask, monkeypatch: pytest.MonkeyPatch, server: SmtpServer) -> None:
    """The app delivers to ``server`` (see ``tests.smtpserver``): no STARTTLS, no login."""
    monkeypatch.setitem(app.config, "PANEL_SMTP_HOST", server.host)
    monkeypatch.setitem(app.config, "PANEL_SMTP_PORT", server.port)
    monkeypatch.setitem(app.config, "PANEL_SMTP_STARTTLS", False)
    monkeypatch.setitem(app.config, "PANEL_SMTP_USER", "")
