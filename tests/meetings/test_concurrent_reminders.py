"""Two ``send-reminders`` runs at the same time queue every reminder exactly once, on
SQLite and on PostgreSQL (``--postgresql``): as threads with connections of their own that
read the same due replies before either claims one, and as processes of their own whose
reminders then go through two ``send-mail`` processes to a real SMTP server."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from panel.db import db, utcnow
from panel.mail.models import OutboxMessage
from panel.mail.services import TEMPLATE_HEADER, template_of
from panel.meetings import reminders
from panel.meetings.models import Meeting, Reply
from panel.meetings.reminders import send_due_reminders
from tests import factories
from tests.mail.helpers import finish, flask_command
from tests.smtpserver import scripted_smtp_server
from tests.threads import in_threads

MEMBERS = 16


@pytest.fixture
def replies(session) -> list[int]:  # type: ignore[no-untyped-def]
    """Members with a place at two open meetings that start within a few hours."""
    world = factories.panel_world()
    meetings = []
    for hours in (3, 5):
        meeting = Meeting(area=world.noord, title="Veilig in De Mare", status="open",
                          starts_at=utcnow() + timedelta(hours=hours),
                          neighbourhoods=[world.mare])
        db.session.add(meeting)
        meetings.append(meeting)
    db.session.flush()
    ids = []
    for number in range(MEMBERS):
        member = factories.member(world.mare, name=f"Lid {number}",
                                  email=f"lid{number}@example.org")
        reply = Reply(meeting_id=meetings[number % 2].id, member_id=member.id,
                      status="attending")
        db.session.add(reply)
        db.session.flush()
        ids.append(reply.id)
    session.commit()
    return ids


def reminders_queued() -> Counter[str]:
    """How many reminders each address has in the outbox."""
    db.session.expire_all()
    rows = db.session.execute(select(OutboxMessage.to_address, OutboxMessage.headers)).all()
    return Counter(row.to_address for row in rows
                   if template_of(row.headers) == reminders.TEMPLATE)


def test_two_runs_with_the_same_due_replies_queue_each_reminder_once(
        app: Flask, session, replies, monkeypatch):
    both_read = threading.Barrier(2)
    due = reminders._due

    def read_then_wait(now: datetime, until: datetime):  # type: ignore[no-untyped-def]
        found = due(now, until)
        db.session.rollback()  # a reader holds nothing while it waits
        both_read.wait(timeout=60)
        return found

    monkeypatch.setattr(reminders, "_due", read_then_wait)
    counts = in_threads(app, send_due_reminders)
    assert sum(counts) == MEMBERS
    assert reminders_queued() == {f"lid{n}@example.org": 1 for n in range(MEMBERS)}
    assert db.session.scalar(select(func.count(Reply.id)).where(
        Reply.id.in_(replies), Reply.reminder_sent_at.is_not(None))) == MEMBERS


def test_reminder_and_mail_processes_at_once_deliver_each_reminder_once(
        database_url, session, replies):
    first = [flask_command(database_url, "send-reminders") for _ in range(2)]
    queued = [finish(process) for process in first]
    assert [status for status, _out, _err in queued] == [0, 0], queued

    assert reminders_queued() == {f"lid{n}@example.org": 1 for n in range(MEMBERS)}
    with scripted_smtp_server(overlap=2) as server:
        second = [flask_command(database_url, "send-mail", smtp_port=server.port)
                  for _ in range(2)]
        sent = [finish(process) for process in second]

    assert [status for status, _out, _err in sent] == [0, 0], sent
    received = Counter(str(message["To"]) for message in server.accepted
                       if message[TEMPLATE_HEADER] == reminders.TEMPLATE)
    assert received == {f"lid{n}@example.org": 1 for n in range(MEMBERS)}
    assert all(count == 1 for count in server.message_ids().values())
