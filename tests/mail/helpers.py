"""Plain helpers of the mail tests: pointing the app at a test SMTP server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask

from tests.mailbox import deliver_over_smtp
from tests.smtpserver import CERTS, SmtpServer


def use_server(app: Flask, monkeypatch: pytest.MonkeyPatch, server: SmtpServer, *,
               starttls: bool = False, user: str = "", password: str = "",
               trust_test_authority: bool = True) -> None:
    """Deliver to ``server`` with these settings; with ``trust_test_authority`` the app
    trusts the certificates in ``tests/certs`` (through ``SSL_CERT_FILE``)."""
    deliver_over_smtp(app, monkeypatch, server)
    monkeypatch.setitem(app.config, "PANEL_SMTP_STARTTLS", starttls)
    monkeypatch.setitem(app.config, "PANEL_SMTP_USER", user)
    monkeypatch.setitem(app.config, "PANEL_SMTP_PASSWORD", password)
    if trust_test_authority:
        monkeypatch.setenv("SSL_CERT_FILE", str(CERTS / "ca.pem"))
    else:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)


def use_host(app: Flask, monkeypatch: pytest.MonkeyPatch, host: str, port: int) -> None:
    """Deliver to ``host:port`` (where no test server may listen), no STARTTLS, no login."""
    monkeypatch.setitem(app.config, "PANEL_SMTP_HOST", host)
    monkeypatch.setitem(app.config, "PANEL_SMTP_PORT", port)
    monkeypatch.setitem(app.config, "PANEL_SMTP_STARTTLS", False)
    monkeypatch.setitem(app.config, "PANEL_SMTP_USER", "")


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts connections but never says a word (a firewall that swallows
    them, or a port that expects TLS at once): the client times out."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        yield int(listener.getsockname()[1])


ROOT = Path(__file__).resolve().parents[2]


def flask_command(database_url: str, *args: str, smtp_port: int | None = None
                  ) -> subprocess.Popen[str]:
    """Start ``flask --app app <args>`` as a process of its own on the test database,
    delivering to 127.0.0.1:``smtp_port`` (no STARTTLS, no login); output is captured."""
    environment = {
        **os.environ, "PANEL_ENV": "development", "PANEL_DATABASE_URL": database_url,
        "PANEL_BASE_URL": "http://wijkpanel.test", "PANEL_SMTP_HOST": "127.0.0.1",
        "PANEL_SMTP_PORT": str(smtp_port or closed_port()), "PANEL_SMTP_STARTTLS": "false",
        "PANEL_SMTP_USER": "", "PANEL_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", *args],
                            cwd=ROOT, env=environment, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str, str]:
    """Wait for ``process``: its exit status, standard output and standard error."""
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr
