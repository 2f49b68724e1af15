"""Checking the mail settings (``check_settings``, ``flask check-mail``) against real SMTP
servers that lack STARTTLS, refuse it, refuse the login or the sender, or are not there at
all; and ``mail_state``, which tells other pages whether mail works."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.db import db, utcnow
from panel.errors import PermissionDenied
from panel.mail import cli as mail_cli
from panel.mail import services
from panel.mail.models import MailStatus, OutboxMessage
from panel.mail.services import Failure
from tests import factories
from tests.mail.helpers import closed_port, silent_server, use_host, use_server
from tests.smtpserver import CERTS, smtp_server

ADMIN = "beheer.mail@example.org"


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def check_rows() -> list[OutboxMessage]:
    return [row for row in rows() if services.template_of(row.headers) == "mail_check"]


def explained(failure: Failure) -> str:
    return services.explain(failure)


def encrypted(version: str) -> str:
    return _("STARTTLS: the connection is encrypted (%(version)s).", version=version)


# --- the verdicts ---------------------------------------------------------------------------


def test_a_plain_server_without_starttls_works_when_starttls_is_off(app, session, monkeypatch):
    with smtp_server() as server:
        use_server(app, monkeypatch, server)
        check = services.check_settings()

    assert check.ok and check.failure is None and check.message == ""
    assert check.steps == [
        _("Connected to %(host)s:%(port)s.", host=server.host, port=server.port),
        _("STARTTLS is off (PANEL_SMTP_STARTTLS): the connection is not encrypted."),
        _("The mail server accepts the sender %(sender)s.",
          sender=app.config["PANEL_MAIL_FROM"]),
    ]
    assert server.messages == []  # only MAIL FROM, taken back
    [row] = check_rows()
    assert (row.to_address, row.subject, row.text_body) == ("", "", "")
    assert (row.status, row.last_error) == (MailStatus.SENT, "")


def test_starttls_on_but_the_server_offers_none(app, session, monkeypatch):
    with smtp_server() as server:
        use_server(app, monkeypatch, server, starttls=True)
        check = services.check_settings()

    assert check.failure is Failure.STARTTLS_MISSING
    assert "PANEL_SMTP_STARTTLS" in check.message and "587" in check.message
    assert check.steps == [_("Connected to %(host)s:%(port)s.", host=server.host,
                             port=server.port)]
    [row] = check_rows()
    assert row.status == MailStatus.FAILED
    assert row.last_error.startswith("starttls_missing: ")


def test_the_server_refuses_starttls(app, session, monkeypatch):
    with smtp_server(refuse_starttls=True) as server:
        use_server(app, monkeypatch, server, starttls=True)
        check = services.check_settings()

    assert check.failure is Failure.STARTTLS_REFUSED
    assert check.detail.startswith("454")


def test_starttls_and_login_work_with_a_trusted_certificate(app, session, monkeypatch):
    with smtp_server(starttls=True, login=("wijkpanel", "geheim-wachtwoord")) as server:
        use_server(app, monkeypatch, server, starttls=True, user="wijkpanel",
                   password="geheim-wachtwoord")
        check = services.check_settings()

    assert check.ok, check
    assert check.steps[1] in (encrypted("TLSv1.2"), encrypted("TLSv1.3"))
    assert check.steps[2] == _("Logged in as %(user)s.", user="wijkpanel")
    assert server.logins == ["wijkpanel"]


def test_a_certificate_from_an_unknown_authority_is_not_trusted(app, session, monkeypatch):
    with smtp_server(starttls=True) as server:
        use_server(app, monkeypatch, server, starttls=True, trust_test_authority=False)
        check = services.check_settings()

    assert check.failure is Failure.CERTIFICATE_UNTRUSTED
    assert "SSL_CERT_FILE" in check.message
    assert "certificate" in check.detail


def test_a_certificate_for_another_name(app, session, monkeypatch):
    with smtp_server(certificate=CERTS / "other-name.pem") as server:
        use_server(app, monkeypatch, server, starttls=True)
        check = services.check_settings()

    assert check.failure is Failure.CERTIFICATE_NAME
    assert "127.0.0.1" in check.message


def test_the_server_refuses_the_login(app, session, monkeypatch):
    with smtp_server(starttls=True, login=("wijkpanel", "goed")) as server:
        use_server(app, monkeypatch, server, starttls=True, user="wijkpanel",
                   password="fout")
        check = services.check_settings()

    assert check.failure is Failure.LOGIN_REFUSED
    assert check.detail.startswith("535")
    assert "wijkpanel" in check.message and "PANEL_SMTP_PASSWORD" in check.message
    assert "fout" not in check.message + check.detail
    assert check.steps[-1] in (encrypted("TLSv1.2"), encrypted("TLSv1.3"))


def test_a_login_is_needed_but_no_user_is_set(app, session, monkeypatch):
    with smtp_server(login=("wijkpanel", "goed"), login_required=True) as server:
        use_server(app, monkeypatch, server)
        check = services.check_settings()

    assert check.failure is Failure.LOGIN_REQUIRED
    assert check.detail.startswith("530")


def test_a_user_is_set_but_the_server_offers_no_login(app, session, monkeypatch):
    with smtp_server() as server:
        use_server(app, monkeypatch, server, user="wijkpanel", password="x")
        check = services.check_settings()

    assert check.failure is Failure.LOGIN_UNAVAILABLE


def test_the_server_refuses_the_sender(app, session, monkeypatch):
    with smtp_server(reply="553 5.7.1 sender not allowed", on="mail") as server:
        use_server(app, monkeypatch, server)
        check = services.check_settings()

    assert check.failure is Failure.SENDER_REFUSED
    assert app.config["PANEL_MAIL_FROM"] in check.message
    assert check.detail == "553 5.7.1 sender not allowed"


def test_a_closed_port_refuses_the_connection(app, session, monkeypatch):
    port = closed_port()
    use_host(app, monkeypatch, "127.0.0.1", port)

    check = services.check_settings()

    assert check.failure is Failure.REFUSED
    assert check.steps == []
    assert "127.0.0.1 " in check.message and str(port) in check.message


def test_an_unknown_host(app, session, monkeypatch):
    use_host(app, monkeypatch, "mail.wijkpanel.invalid", 587)
    assert services.check_settings().failure is Failure.UNKNOWN_HOST


def test_a_server_that_never_answers_times_out(app, session, monkeypatch):
    monkeypatch.setattr(services, "SMTP_TIMEOUT", 0.3)
    with silent_server() as port:
        use_host(app, monkeypatch, "127.0.0.1", port)
        check = services.check_settings()
    assert check.failure is Failure.TIMEOUT
    assert "0.3" in check.message


def test_a_check_from_the_site_waits_less_than_the_web_worker(app, session, monkeypatch):
    world = factories.panel_world()
    monkeypatch.setattr(services, "WEB_CHECK_TIMEOUT", 0.2)
    with silent_server() as port:
        use_host(app, monkeypatch, "127.0.0.1", port)
        check = services.check_settings_for(world.admin)
    assert check.failure is Failure.TIMEOUT
    assert "0.2" in check.message


def test_port_465_gets_a_hint(app, session, monkeypatch):
    use_host(app, monkeypatch, "127.0.0.1", 465)
    assert "587" in services.explain(Failure.TIMEOUT)
    use_host(app, monkeypatch, "127.0.0.1", 2525)
    assert "465" not in services.explain(Failure.TIMEOUT)


def test_without_a_host_mail_goes_to_files(app, session, eml_outbox):
    check = services.check_settings()

    assert check.failure is Failure.NO_HOST
    assert str(eml_outbox) in check.message
    assert not eml_outbox.exists()


# --- the test message -----------------------------------------------------------------------


def test_the_test_message_goes_through_the_outbox_at_once(app, session, monkeypatch):
    with smtp_server() as server:
        use_server(app, monkeypatch, server)
        check = services.check_settings(ADMIN)
        session.commit()
        assert services.deliver_due(now=utcnow() + timedelta(days=1)).sent == 0

    assert check.ok and check.sent_to == ADMIN
    assert check.steps[-1] == _("The test message is sent to %(address)s.", address=ADMIN)
    [email] = server.messages
    assert email["To"] == ADMIN
    assert email["X-Wijkpanel-Template"] == "mail_check"
    [row] = rows()
    assert (row.to_address, row.status, row.attempts) == (ADMIN, MailStatus.SENT, 1)
    assert row.message_id == email["Message-ID"]


@pytest.mark.parametrize(("reply", "failure"), [
    (f"550 5.1.1 <{ADMIN}>: no such user", Failure.RECIPIENT_REFUSED),
    ("451 4.3.0 try again later", Failure.TRY_LATER),
])
def test_a_refused_test_message_is_tried_once(app, session, monkeypatch, reply, failure):
    with smtp_server(reply=reply) as server:
        use_server(app, monkeypatch, server)
        check = services.check_settings(ADMIN)
        session.commit()
        server.reply = None
        assert services.deliver_due(now=utcnow() + timedelta(days=1)).sent == 0

    assert check.failure is failure and check.sent_to is None
    assert ADMIN not in check.detail and "beheer.mail" not in check.detail
    [row] = rows()
    assert (row.status, row.attempts) == (MailStatus.FAILED, 1)
    assert server.messages == []


def test_without_a_host_the_test_message_is_written_to_a_file(app, session, eml_outbox):
    check = services.check_settings(ADMIN)

    assert check.failure is Failure.NO_HOST
    [written] = list(eml_outbox.iterdir())
    assert b"X-Wijkpanel-Template: mail_check" in written.read_bytes()
    assert check.steps == [_("The test message is written to %(path)s.", path=str(eml_outbox))]


def test_an_unusable_address_is_refused(app, session, eml_outbox):
    with pytest.raises(ValueError):
        services.check_settings("not an address")
    assert rows() == []


def test_only_administrators_check_from_the_site(app, session, eml_outbox):
    world = factories.panel_world()
    for user in (world.team_noord, world.clerk):
        with pytest.raises(PermissionDenied):
            services.check_settings_for(user, send_test=True)
    check = services.check_settings_for(world.admin, send_test=True)
    assert [row.to_address for row in rows()] == [world.admin.email]
    assert check.failure is Failure.NO_HOST


# --- flask check-mail -----------------------------------------------------------------------


def test_check_mail_prints_each_step_and_exits_0(app, session, runner, monkeypatch):
    with smtp_server() as server:
        use_server(app, monkeypatch, server)
        result = runner.invoke(mail_cli.check_mail_command, ["--to", ADMIN])

    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == _("Connected to %(host)s:%(port)s.", host=server.host, port=server.port)
    assert lines[-2] == _("The test message is sent to %(address)s.", address=ADMIN)
    assert lines[-1] == _("The mail settings work.")
    assert len(server.messages) == 1


@pytest.mark.parametrize(("server_options", "settings", "failure"), [
    ({}, {"starttls": True}, Failure.STARTTLS_MISSING),
    ({"refuse_starttls": True}, {"starttls": True}, Failure.STARTTLS_REFUSED),
    ({"starttls": True, "login": ("wijkpanel", "goed")},
     {"starttls": True, "user": "wijkpanel", "password": "fout"}, Failure.LOGIN_REFUSED),
    ({"login": ("wijkpanel", "goed"), "login_required": True}, {}, Failure.LOGIN_REQUIRED),
    ({"reply": "553 sender not allowed", "on": "mail"}, {}, Failure.SENDER_REFUSED),
    ({"starttls": True}, {"starttls": True, "trust_test_authority": False},
     Failure.CERTIFICATE_UNTRUSTED),
])
def test_check_mail_says_what_fails_and_exits_1(app, session, runner, monkeypatch,
                                                server_options, settings, failure):
    with smtp_server(**server_options) as server:
        use_server(app, monkeypatch, server, **settings)
        result = runner.invoke(mail_cli.check_mail_command)

    assert result.exit_code == 1, result.output
    assert _("Not working: %(reason)s", reason=explained(failure)) in result.stderr
    assert _("The mail settings work.") not in result.output
    assert result.stdout.startswith(_("Connected to %(host)s:%(port)s.", host=server.host,
                                      port=server.port))


def test_check_mail_on_a_closed_port(app, session, runner, monkeypatch):
    port = closed_port()
    use_host(app, monkeypatch, "127.0.0.1", port)

    result = runner.invoke(mail_cli.check_mail_command)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert _("Not working: %(reason)s", reason=explained(Failure.REFUSED)) in result.stderr
    assert "ConnectionRefusedError" in result.stderr


def test_check_mail_without_a_host_says_where_mail_goes(app, runner, eml_outbox):
    result = runner.invoke(mail_cli.check_mail_command)

    assert result.exit_code == 1
    assert str(eml_outbox) in result.stderr


def test_check_mail_refuses_an_unusable_address(app, runner, eml_outbox):
    result = runner.invoke(mail_cli.check_mail_command, ["--to", "nobody"])
    assert result.exit_code == 2
    assert "--to" in result.output


def test_check_mail_is_a_command_of_the_app(app, runner, eml_outbox):
    result = runner.invoke(args=["check-mail"])
    assert result.exit_code == 1
    assert str(eml_outbox) in result.output


# --- mail_state -----------------------------------------------------------------------------


def test_mail_state_before_any_check(session):
    state = services.mail_state()
    assert (state.ok, state.checked_at, state.failure, state.reason) == (None, None, None, "")
    assert (state.outbox_failed, state.outbox_waiting, state.held_up_by) == (0, 0, None)
    assert not state.works


def test_mail_state_follows_the_last_check(app, session, monkeypatch):
    with smtp_server() as server:
        use_server(app, monkeypatch, server, starttls=True)
        services.check_settings()
        session.commit()
        failed = services.mail_state()
        use_server(app, monkeypatch, server)
        services.check_settings(ADMIN)
        session.commit()
        passed = services.mail_state()

    assert (failed.ok, failed.failure) == (False, Failure.STARTTLS_MISSING)
    assert failed.reason == explained(Failure.STARTTLS_MISSING)
    assert failed.checked_at is not None and not failed.works
    assert (passed.ok, passed.failure, passed.reason) == (True, None, "")
    assert passed.works and passed.checked_at >= failed.checked_at
    assert (passed.outbox_failed, passed.outbox_waiting) == (0, 0)  # checks do not count


def test_mail_state_counts_the_outbox_and_what_holds_it_up(app, session, monkeypatch):
    for address in ("a@example.org", "b@example.org", "c@example.org"):
        services.queue(address, _l("Language"), "test_message", {"name": "Jan"})
    session.commit()
    with smtp_server(reply="550 no such user") as server:
        use_server(app, monkeypatch, server)
        services.check_settings()
        session.commit()
        services.deliver_due(limit=1)
    use_host(app, monkeypatch, "127.0.0.1", closed_port())
    services.deliver_due()

    state = services.mail_state()

    assert state.ok is True  # the check itself passed
    assert (state.outbox_failed, state.outbox_waiting) == (1, 2)
    assert state.held_up_by is Failure.REFUSED
    assert state.held_up_reason == explained(Failure.REFUSED)
    assert not state.works
