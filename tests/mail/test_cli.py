"""``flask send-mail``: delivers due mail, prints why a message was not delivered and a
one-line summary, and fails when messages failed or the settings hold mail up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import update

from panel.db import db, utcnow
from panel.mail import cli as mail_cli
from panel.mail import services
from panel.mail.models import MailStatus, OutboxMessage
from panel.mail.services import Failure
from tests.mail.helpers import closed_port, use_host, use_server
from tests.mailbox import deliver_over_smtp
from tests.smtpserver import smtp_server

ADDRESSES = ("a@example.org", "b@example.org", "c@example.org")

pytestmark = pytest.mark.usefixtures("eml_outbox")  # deliver to .eml files


def messages(result) -> list[str]:  # type: ignore[no-untyped-def]
    """The lines on standard error, without the progress lines (``panel.progress``)."""
    progress = _("%(label)s: %(count)s", label=_("Sending mail"), count="")
    return [line for line in result.stderr.strip().splitlines()
            if not line.startswith(progress)]


def summary(sent: int, retried: int, failed: int) -> str:
    return _("%(sent)s sent, %(retried)s to retry, %(failed)s failed.",
             sent=sent, retried=retried, failed=failed)


def test_send_mail_delivers_and_prints_a_summary(session, runner, eml_outbox):
    for address in ("a@example.org", "b@example.org"):
        services.queue(address, _l("Language"), "test_message", {"name": "Jan"})
    session.commit()

    result = runner.invoke(mail_cli.send_mail_command)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == summary(2, 0, 0)
    assert len(list(eml_outbox.iterdir())) == 2
    again = runner.invoke(mail_cli.send_mail_command)
    assert again.output.strip() == summary(0, 0, 0)


def queue_three(session) -> list[int]:  # type: ignore[no-untyped-def]
    ids = [services.queue(address, _l("Language"), "test_message", {"name": "Jan"}).id
           for address in ADDRESSES]
    session.commit()
    return ids


def stored(ids: list[int]) -> list[tuple[str, int]]:
    db.session.expire_all()
    return [(row.status, row.attempts) for row in (db.session.get(OutboxMessage, i) for i in ids)
            if row is not None]


def label(failure: Failure) -> str:
    return str(services.FAILURE_LABELS[failure])


def test_send_mail_prints_why_a_message_failed_and_exits_1(app, session, runner, monkeypatch):
    ids = queue_three(session)
    with smtp_server(reply="550 5.1.1 <a@example.org>: no such user") as server:
        deliver_over_smtp(app, monkeypatch, server)
        result = runner.invoke(mail_cli.send_mail_command, ["--limit", "1"])

    assert result.exit_code == 1, result.output
    assert result.stdout.strip() == summary(0, 0, 1)
    [line] = messages(result)
    assert str(ids[0]) in line and "(test_message)" in line
    assert label(Failure.RECIPIENT_REFUSED) in line
    assert "550 5.1.1 <[recipient]>: no such user" in line
    for address in ADDRESSES:
        assert address not in result.output
    assert stored(ids) == [(MailStatus.FAILED, 1), (MailStatus.QUEUED, 0), (MailStatus.QUEUED, 0)]


def test_a_temporary_refusal_alone_does_not_fail_the_run(app, session, runner, monkeypatch):
    ids = queue_three(session)
    with smtp_server(reply="451 4.3.0 try again later") as server:
        deliver_over_smtp(app, monkeypatch, server)
        result = runner.invoke(mail_cli.send_mail_command)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == summary(0, 3, 0)
    lines = messages(result)
    assert len(lines) == 3
    assert all(label(Failure.TRY_LATER) in line and "451 4.3.0 try again later" in line
               for line in lines)
    assert stored(ids) == [(MailStatus.QUEUED, 1)] * 3


@pytest.mark.parametrize(("server_options", "settings", "failure"), [
    ({}, {"starttls": True}, Failure.STARTTLS_MISSING),
    ({"refuse_starttls": True}, {"starttls": True}, Failure.STARTTLS_REFUSED),
    ({"starttls": True}, {"starttls": True, "trust_test_authority": False},
     Failure.CERTIFICATE_UNTRUSTED),
    ({"starttls": True, "login": ("wijkpanel", "goed")},
     {"starttls": True, "user": "wijkpanel", "password": "fout"}, Failure.LOGIN_REFUSED),
    ({"login": ("wijkpanel", "goed"), "login_required": True}, {}, Failure.LOGIN_REQUIRED),
    ({"reply": "550 5.7.1 sender not allowed", "on": "mail"}, {}, Failure.SENDER_REFUSED),
    ({"reply": "554 5.7.1 <a@example.org>: Relay access denied"}, {}, Failure.RELAY_DENIED),
    (None, {}, Failure.REFUSED),  # nothing listens on the port
])
def test_a_settings_problem_fails_the_run_and_loses_nothing(app, session, runner, monkeypatch,
                                                            server_options, settings, failure):
    ids = queue_three(session)
    if server_options is None:
        use_host(app, monkeypatch, "127.0.0.1", closed_port())
        result = runner.invoke(mail_cli.send_mail_command)
    else:
        with smtp_server(**server_options) as server:
            use_server(app, monkeypatch, server, **settings)
            result = runner.invoke(mail_cli.send_mail_command)
        assert server.messages == []

    assert result.exit_code == 1, result.output
    assert result.stdout.strip() == summary(0, 1, 0)
    reason = services.explain(failure)
    assert _("Mail cannot be sent: %(reason)s", reason=reason) in result.stderr
    assert label(failure) in messages(result)[0]
    assert "a@example.org" not in result.output
    assert stored(ids) == [(MailStatus.QUEUED, 1), (MailStatus.QUEUED, 0), (MailStatus.QUEUED, 0)]

    with smtp_server() as good:  # the settings are put right
        use_server(app, monkeypatch, good)
        later = utcnow() + timedelta(minutes=5)
        assert services.deliver_due(now=later).sent == 3
        assert services.deliver_due(now=later + timedelta(hours=1)).sent == 0
    assert sorted(email["To"] for email in good.messages) == sorted(ADDRESSES)
    assert stored(ids) == [(MailStatus.SENT, 2), (MailStatus.SENT, 1), (MailStatus.SENT, 1)]


def test_messages_failed_by_an_interrupted_run_are_reported(app, session, runner, eml_outbox):
    [first, *_rest] = queue_three(session)
    session.execute(update(OutboxMessage).where(OutboxMessage.id == first).values(
        status=MailStatus.SENDING.value, attempts=services.MAX_ATTEMPTS - 1,
        next_attempt_at=utcnow() - timedelta(hours=1)))
    session.commit()

    result = runner.invoke(mail_cli.send_mail_command)

    assert result.exit_code == 1, result.output
    assert result.stdout.strip() == summary(2, 0, 1)
    assert "\n".join(messages(result)) == ngettext(
        "%(num)s message failed for good: a send-mail run stopped while it was sending "
        "it, and it had no attempts left.",
        "%(num)s messages failed for good: a send-mail run stopped while it was sending "
        "them, and they had no attempts left.", 1)


def test_register_commands_adds_check_mail() -> None:
    fresh = Flask(__name__)
    mail_cli.register_commands(fresh)
    assert fresh.cli.get_command(None, "check-mail") is mail_cli.check_mail_command  # type: ignore[arg-type]


def test_register_commands_adds_send_mail() -> None:
    fresh = Flask(__name__)
    mail_cli.register_commands(fresh)
    assert fresh.cli.get_command(None, "send-mail") is mail_cli.send_mail_command  # type: ignore[arg-type]


def test_send_mail_is_a_command_of_the_app(session, runner, eml_outbox):
    services.queue("a@example.org", _l("Language"), "test_message", {"name": "Jan"})
    session.commit()

    result = runner.invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == summary(1, 0, 0)
