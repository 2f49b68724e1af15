"""``flask send-mail``: delivers due mail and prints a one-line summary."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from panel.mail import cli as mail_cli
from panel.mail import services
from tests.mailbox import deliver_over_smtp
from tests.smtpserver import smtp_server

pytestmark = pytest.mark.usefixtures("eml_outbox")  # deliver to .eml files


def summary(sent: int, retried: int, failed: int) -> str:
    return _("%(sent)s sent, %(retried)s to retry, %(failed)s failed.",
             sent=sent, retried=retried, failed=failed)


def test_send_mail_delivers_and_prints_a_summary(session, runner, eml_outbox):
    for address in ("a@example.org", "b@example.org"):
        services.queue(address, _l("Language"), "test_message", {"name": "Jan"})
    session.commit()

    result = runner.invoke(mail_cli.send_mail_command)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == summary(2, 0, 0)
    assert len(list(eml_outbox.iterdir())) == 2
    again = runner.invoke(mail_cli.send_mail_command)
    assert again.output.strip() == summary(0, 0, 0)


def test_send_mail_exits_with_zero_when_messages_fail(app, session, runner, monkeypatch):
    services.queue("a@example.org", _l("Language"), "test_message", {"name": "Jan"})
    services.queue("b@example.org", _l("Language"), "test_message", {"name": "Jan"})
    session.commit()
    with smtp_server(reply="550 no such user") as server:
        deliver_over_smtp(app, monkeypatch, server)
        result = runner.invoke(mail_cli.send_mail_command, ["--limit", "1"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == summary(0, 0, 1)


def test_register_commands_adds_send_mail() -> None:
    fresh = Flask(__name__)
    mail_cli.register_commands(fresh)
    assert fresh.cli.get_command(None, "send-mail") is mail_cli.send_mail_command  # type: ignore[arg-type]


def test_send_mail_is_a_command_of_the_app(session, runner, eml_outbox):
    services.queue("a@example.org", _l("Language"), "test_message", {"name": "Jan"})
    session.commit()

    result = runner.invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == summary(1, 0, 0)
