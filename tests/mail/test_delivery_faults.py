"""Mail delivery under the faults a municipal server meets: a mail server that refuses
connections, drops them mid-batch, answers 4xx or 5xx, or hangs while ``send-mail`` is
killed. Nothing is lost without being reported, and a message the mail server took in is
never sent again (counted at the server by Message-ID)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import escape
from sqlalchemy import select, update

from panel.db import db, utcnow
from panel.mail import cli as mail_cli
from panel.mail import services
from panel.mail.models import MailStatus, OutboxMessage
from panel.mail.services import Failure
from tests import factories
from tests.mail.helpers import closed_port, finish, flask_command, use_host
from tests.smtpserver import ScriptedServer, Step, scripted_smtp_server
from tests.timing import wait_until


def queue(count: int) -> list[int]:
    ids = [services.queue(f"bewoner{number}@example.org", _l("Language"), "test_message",
                          {"name": "Jan"}).id for number in range(1, count + 1)]
    db.session.commit()
    return ids


def rows(ids: list[int]) -> list[OutboxMessage]:
    db.session.expire_all()
    found = {row.id: row for row in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
    return [found[message_id] for message_id in ids]


def use(app: Flask, monkeypatch: pytest.MonkeyPatch, server: ScriptedServer) -> None:
    use_host(app, monkeypatch, server.host, server.port)


def message_ids(ids: list[int]) -> list[str]:
    return [row.message_id for row in rows(ids)]


def assert_each_accepted_once(server: ScriptedServer, ids: list[int]) -> None:
    """Every message was taken in by the server exactly once, and nothing else was."""
    assert server.message_ids() == {message_id: 1 for message_id in message_ids(ids)}


def summary(sent: int, retried: int, failed: int) -> str:
    return _("%(sent)s sent, %(retried)s to retry, %(failed)s failed.",
             sent=sent, retried=retried, failed=failed)


# --- a refused connection ---------------------------------------------------------------


def test_a_refused_connection_loses_nothing_and_the_next_run_sends_each_once(
        app, session, monkeypatch):
    ids = queue(3)
    use_host(app, monkeypatch, "127.0.0.1", closed_port())

    report = services.deliver_due()

    assert report.stopped_by is Failure.REFUSED and report.sent == 0
    assert [(row.status, row.attempts) for row in rows(ids)] == [
        (MailStatus.QUEUED, 1), (MailStatus.QUEUED, 0), (MailStatus.QUEUED, 0)]
    with scripted_smtp_server() as server:
        use(app, monkeypatch, server)
        assert services.deliver_due(now=utcnow() + timedelta(minutes=1)).sent == 3
        assert services.deliver_due(now=utcnow() + timedelta(days=1)).sent == 0
    assert_each_accepted_once(server, ids)


def test_send_mail_reports_a_refused_connection_without_personal_data(database_url, session):
    ids = queue(2)

    status, stdout, stderr = finish(flask_command(database_url, "send-mail"))

    assert status == 1
    assert stdout.strip() == summary(0, 1, 0)
    assert _("Mail cannot be sent: %(reason)s", reason="") in stderr
    assert "example.org" not in stdout + stderr and "bewoner" not in stdout + stderr
    assert [row.status for row in rows(ids)] == [MailStatus.QUEUED] * 2


# --- a connection dropped mid-batch -----------------------------------------------------


@pytest.mark.parametrize("at", ["mail", "rcpt"])
def test_a_connection_dropped_mid_batch_is_retried_later_with_backoff(
        app, session, monkeypatch, at):
    ids = queue(5)
    start = utcnow()
    with scripted_smtp_server({3: Step(at, "drop")}) as server:
        use(app, monkeypatch, server)
        report = services.deliver_due(now=start)

        assert (report.sent, report.retried, report.failed) == (4, 1, 0)
        dropped = rows(ids)[2]
        assert dropped.status == MailStatus.QUEUED and dropped.attempts == 1
        assert dropped.next_attempt_at == start + services.FIRST_BACKOFF
        assert services.split_error(dropped.last_error)[0] is Failure.CONNECTION_LOST
        assert services.deliver_due(now=start + timedelta(seconds=59)).sent == 0  # not due
        assert services.deliver_due(now=start + services.FIRST_BACKOFF).sent == 1
        assert services.deliver_due(now=start + timedelta(days=1)).sent == 0
    assert_each_accepted_once(server, ids)


@pytest.mark.parametrize("kept", [True, False], ids=["server-has-it", "server-lost-it"])
def test_a_connection_lost_after_the_whole_message_is_never_sent_again(
        app, session, monkeypatch, login_as, kept):
    ids = queue(3)
    with scripted_smtp_server({2: Step("data", "drop", keep=kept)}) as server:
        use(app, monkeypatch, server)
        report = services.deliver_due()
        for days in (1, 2, 30):
            assert services.deliver_due(now=utcnow() + timedelta(days=days)).sent == 0

    assert (report.sent, report.retried, report.failed, report.unconfirmed) == (2, 0, 1, 1)
    unconfirmed = rows(ids)[1]
    assert unconfirmed.status == MailStatus.FAILED
    assert services.split_error(unconfirmed.last_error)[0] is Failure.UNCONFIRMED
    assert [problem.message_id for problem in report.problems] == [ids[1]]
    counts = server.message_ids()
    assert counts[unconfirmed.message_id] == (1 if kept else 0)
    assert all(counts[message_id] == 1 for message_id in message_ids([ids[0], ids[2]]))
    factory_admin(session)
    html = login_as("admin@example.org").get("/beheer/mail?status=failed").get_data(True)
    assert str(escape(services.FAILURE_LABELS[Failure.UNCONFIRMED])) in html


def factory_admin(session) -> None:  # type: ignore[no-untyped-def]
    factories.panel_world()  # with the administrator admin@example.org
    session.commit()


# --- 4xx and 5xx replies ----------------------------------------------------------------


@pytest.mark.parametrize("at", ["mail", "rcpt", "data"])
def test_a_4xx_reply_is_retried_later_and_delivered_once(app, session, monkeypatch, at):
    ids = queue(3)
    start = utcnow()
    with scripted_smtp_server({2: Step(at, "reply", "451 4.3.0 try again later")}) as server:
        use(app, monkeypatch, server)
        report = services.deliver_due(now=start)

        assert (report.sent, report.retried, report.failed) == (2, 1, 0)
        assert report.stopped_by is None
        retried = rows(ids)[1]
        assert retried.status == MailStatus.QUEUED
        assert retried.next_attempt_at == start + services.FIRST_BACKOFF
        assert services.split_error(retried.last_error) == (
            Failure.TRY_LATER, "451 4.3.0 try again later")
        assert services.deliver_due(now=start + services.FIRST_BACKOFF).sent == 1
        assert services.deliver_due(now=start + timedelta(days=1)).sent == 0
    assert_each_accepted_once(server, ids)


@pytest.mark.parametrize(("at", "reply", "failure"), [
    ("rcpt", "550 5.1.1 no such user", Failure.RECIPIENT_REFUSED),
    ("data", "554 5.6.0 message refused", Failure.MESSAGE_REFUSED),
])
def test_a_5xx_reply_fails_the_message_for_good_and_is_reported(
        app, session, monkeypatch, runner, login_as, at, reply, failure):
    ids = queue(3)
    with scripted_smtp_server({2: Step(at, "reply", reply)}) as server:
        use(app, monkeypatch, server)
        result = runner.invoke(mail_cli.send_mail_command)
        for days in (1, 2, 30):
            assert services.deliver_due(now=utcnow() + timedelta(days=days)).sent == 0

    assert result.exit_code == 1
    assert result.stdout.strip() == summary(2, 0, 1)
    assert f"{ids[1]} (test_message)" in result.stderr
    assert "example.org" not in result.output and "bewoner" not in result.output
    refused = rows(ids)[1]
    assert refused.status == MailStatus.FAILED and refused.attempts == 1
    assert services.split_error(refused.last_error) == (failure, reply)
    assert_each_accepted_once(server, [ids[0], ids[2]])
    factory_admin(session)
    html = login_as("admin@example.org").get("/beheer/mail?status=failed").get_data(True)
    assert str(escape(services.FAILURE_LABELS[failure])) in html


# --- a claim taken back while sending ------------------------------------------------------


def test_a_run_that_lost_its_claim_does_not_finish_the_message(app, session, monkeypatch):
    """The end of a message goes out only while the run still holds the claim: when
    another run took it back (it thought this run had ended), the message is not handed
    over, and it is sent once, later."""
    [first] = queue(1)
    reports: list[services.DeliveryReport] = []
    with scripted_smtp_server({1: Step("rcpt", "pause")}) as server:
        use(app, monkeypatch, server)

        def run() -> None:
            with app.app_context():
                reports.append(services.deliver_due())
                db.session.remove()

        thread = threading.Thread(target=run)
        thread.start()
        wait_until(server.held.is_set, timeout=60)
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == first).values(
            status=MailStatus.QUEUED.value, claimed_by=""))
        db.session.commit()
        server.release.set()
        thread.join(timeout=60)

        assert [(r.sent, r.retried, r.failed) for r in reports] == [(0, 0, 0)]
        assert server.accepted == []
        assert rows([first])[0].status == MailStatus.QUEUED
        assert services.deliver_due().sent == 1
    assert_each_accepted_once(server, [first])


# --- send-mail killed in the middle of a batch ------------------------------------------


def kill_while_held(database_url: str, server: ScriptedServer) -> None:
    process = flask_command(database_url, "send-mail", smtp_port=server.port)
    try:
        wait_until(lambda: server.held.is_set() or process.poll() is not None, timeout=180)
        assert server.held.is_set(), finish(process)
    finally:
        process.kill()
        process.wait(timeout=60)
    server.release.set()


def test_send_mail_killed_before_the_end_of_a_message_delivers_everything_once(
        database_url, session):
    ids = queue(6)
    with scripted_smtp_server({4: Step("rcpt", "hold")}) as server:
        kill_while_held(database_url, server)

        states = [row.status for row in rows(ids)]
        assert states == ["sent"] * 3 + ["sending"] + ["queued"] * 2
        assert rows(ids)[3].handed_over_at is None

        status, stdout, stderr = finish(flask_command(database_url, "send-mail",
                                                      smtp_port=server.port))

    assert status == 0, stderr
    assert stdout.strip() == summary(3, 0, 0)
    assert [row.status for row in rows(ids)] == [MailStatus.SENT] * 6
    assert rows(ids)[3].attempts == 2  # the interrupted try and this one
    assert_each_accepted_once(server, ids)


def test_send_mail_killed_while_waiting_for_the_answer_never_sends_it_again(
        database_url, session):
    ids = queue(6)
    with scripted_smtp_server({4: Step("data", "hold", keep=True)}) as server:
        kill_while_held(database_url, server)
        held = rows(ids)[3]
        assert held.status == MailStatus.SENDING and held.handed_over_at is not None

        status, stdout, stderr = finish(flask_command(database_url, "send-mail",
                                                      smtp_port=server.port))
        again, _out, _err = finish(flask_command(database_url, "send-mail",
                                                 smtp_port=server.port))

    assert status == 1
    assert stdout.strip() == summary(2, 0, 1)
    assert ngettext(
        "%(num)s message may have been delivered: it went to the mail server, but the "
        "answer never came. It is not sent again; the outbox page shows it.",
        "%(num)s messages may have been delivered: they went to the mail server, but "
        "the answer never came. They are not sent again; the outbox page shows them.",
        1) in stderr
    assert f"{ids[3]} (test_message)" in stderr
    assert "example.org" not in stdout + stderr and "bewoner" not in stdout + stderr
    assert again == 0
    held = rows(ids)[3]
    assert held.status == MailStatus.FAILED
    assert services.split_error(held.last_error)[0] is Failure.UNCONFIRMED
    assert_each_accepted_once(server, ids)  # the held one too: the server had it
