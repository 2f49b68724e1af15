"""Two ``send-mail`` runs at the same time, as processes of their own and as threads with
connections of their own: every message is taken in by the mail server exactly once
(counted there by Message-ID), on SQLite and on PostgreSQL (``--postgresql``)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.db import db, utcnow
from panel.mail import runs, services
from panel.mail.models import MailStatus, OutboxMessage
from panel.mail.services import Failure
from tests.mail.helpers import finish, flask_command, use_host
from tests.smtpserver import ScriptedServer, scripted_smtp_server
from tests.threads import in_threads


def queue(count: int) -> list[int]:
    ids = [services.queue(f"bewoner{number}@example.org", _l("Language"), "test_message",
                          {"name": "Jan"}).id for number in range(1, count + 1)]
    db.session.commit()
    return ids


def stored(ids: list[int]) -> list[OutboxMessage]:
    db.session.expire_all()
    found = {row.id: row for row in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
    return [found[message_id] for message_id in ids]


def assert_each_accepted_once(server: ScriptedServer, ids: list[int]) -> None:
    assert server.message_ids() == {row.message_id: 1 for row in stored(ids)}


def test_two_send_mail_processes_at_once_send_every_message_once(database_url, session):
    ids = queue(30)
    # The server holds every message until both processes are connected: they overlap.
    with scripted_smtp_server(overlap=2) as server:
        processes = [flask_command(database_url, "send-mail", smtp_port=server.port)
                     for _ in range(2)]
        results = [finish(process) for process in processes]

    assert [status for status, _out, _err in results] == [0, 0], results
    assert server.connections == 2
    assert [row.status for row in stored(ids)] == [MailStatus.SENT] * 30
    assert all(row.attempts == 1 and row.claimed_by == "" for row in stored(ids))
    assert_each_accepted_once(server, ids)


def test_two_runs_with_the_same_list_of_due_messages_send_each_once(
        app, session, monkeypatch):
    """Both runs read the same due messages before either claims one (the worst moment):
    the conditional claim lets one of them have each message."""
    ids = queue(20)
    both_read = threading.Barrier(2)
    due_ids = services._due_ids

    def read_then_wait(now, limit):  # type: ignore[no-untyped-def]
        found = due_ids(now, limit)
        db.session.rollback()  # a reader holds nothing while it waits
        both_read.wait(timeout=60)
        return found

    monkeypatch.setattr(services, "_due_ids", read_then_wait)
    with scripted_smtp_server() as server:
        use_host(app, monkeypatch, server.host, server.port)
        reports = in_threads(app, services.deliver_due)

    assert sum(report.sent for report in reports) == 20
    assert all(report.sent > 0 for report in reports)  # both did part of the work
    assert sum(report.failed + report.retried for report in reports) == 0
    assert_each_accepted_once(server, ids)


def test_two_runs_taking_back_a_killed_runs_claims_take_each_once(
        app, session, monkeypatch):
    """Claims of a run that is gone (its lock is free): the messages it never handed
    over are sent once, the one it handed over fails as unconfirmed, also when two runs
    find them at the same time."""
    ids = queue(8)
    with runs.running() as dead:
        token = dead.token
    now = utcnow()
    for number, row in enumerate(stored(ids)):
        row.status, row.claimed_by = MailStatus.SENDING.value, token
        row.next_attempt_at = now - timedelta(seconds=5)
        row.message_id = f"<killed-run-{number}@wijkpanel.test>"
        row.handed_over_at = now - timedelta(seconds=5) if number == 0 else None
    db.session.commit()
    both_ready = threading.Barrier(2)
    deliver = services.deliver_due

    def run() -> services.DeliveryReport:
        both_ready.wait(timeout=60)
        return deliver()

    with scripted_smtp_server() as server:
        use_host(app, monkeypatch, server.host, server.port)
        reports = in_threads(app, run)

    assert sum(report.requeued for report in reports) == 7
    assert sum(report.unconfirmed for report in reports) == 1
    assert sum(report.sent for report in reports) == 7
    first, *others = stored(ids)
    assert first.status == MailStatus.FAILED
    assert services.split_error(first.last_error)[0] is Failure.UNCONFIRMED
    assert [row.status for row in others] == [MailStatus.SENT] * 7
    assert server.message_ids() == {row.message_id: 1 for row in others}


def test_a_run_does_not_take_the_claims_of_a_run_that_is_still_going(app, session, eml_outbox):
    ids = queue(2)
    with runs.running() as alive:
        for row in stored(ids):
            row.status, row.claimed_by = MailStatus.SENDING.value, alive.token
        db.session.commit()
        report = services.deliver_due(now=utcnow() + timedelta(days=1))
        assert (report.requeued, report.sent, report.failed) == (0, 0, 0)
        assert [row.status for row in stored(ids)] == [MailStatus.SENDING] * 2
    assert services.deliver_due().requeued == 2


@pytest.mark.parametrize("token", ["", "file:not-a-run", "pg:not-a-number", "other"])
def test_a_claim_of_an_unknown_kind_is_not_kept_forever(app, session, eml_outbox, token):
    [message] = queue(1)
    row = stored([message])[0]
    row.status, row.claimed_by = MailStatus.SENDING.value, token
    row.next_attempt_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    assert services.deliver_due().requeued == 1
