"""The commands cron runs: ``flask send-reminders`` queues a reminder for everyone with a
place at a meeting that starts soon, ``flask send-mail`` delivers it."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from panel.db import db, utcnow
from panel.meetings import services
from panel.meetings.models import Meeting, Reply
from tests.mailbox import outbox

TITLE = "Wijkpanel De Mare"  # the title of the ``open_meeting`` fixture


def starts_in(meeting_id: int, hours: int) -> None:
    """Time passes: the meeting now starts in ``hours`` hours (moved in the database)."""
    meeting = db.session.get(Meeting, meeting_id)
    meeting.starts_at = utcnow() + timedelta(hours=hours)
    meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    db.session.commit()


def queued_number(output: str) -> int:
    found = re.fullmatch(r"(\d+) herinnering(?:en)? klaargezet\.", output.strip())
    assert found, output
    return int(found.group(1))


def reminders() -> list:  # type: ignore[type-arg]
    db.session.expire_all()
    return [m for m in outbox() if m.subject in (f"Herinnering: {TITLE}",
                                                  f"Reminder: {TITLE}")]


@pytest.fixture
def replies(world, open_meeting):  # type: ignore[no-untyped-def]
    """Lid 1 and Lid 2 are coming, Lid 3 said no, Oma (no email) said yes by phone, and
    Lid 4 and Lid 5 are on the waitlist once the places are gone."""
    services.reply(open_meeting, world.members[1], True)
    services.reply(open_meeting, world.members[2], True)
    services.reply(open_meeting, world.members[3], False)
    services.staff_reply(world.team_noord, open_meeting.id, world.offline.id, True)
    services.reply(open_meeting, world.members[4], True)
    db.session.commit()
    return open_meeting


def test_reminders_go_to_everyone_with_a_place_once(runner, world, replies):
    starts_in(replies.id, 24)

    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert queued_number(result.stdout) == 2
    assert sorted(m.to_address for m in reminders()) == ["lid1@example.org",
                                                          "lid2@example.org"]
    db.session.expire_all()
    reminded = {r.member_id: r.reminder_sent_at for r in db.session.scalars(select(Reply))}
    assert reminded[world.members[1].id] is not None
    assert reminded[world.offline.id] is None  # staff call her
    assert reminded[world.members[4].id] is None  # waiting, not coming yet

    again = runner.invoke(args=["send-reminders"])
    assert again.exit_code == 0, again.output
    assert queued_number(again.stdout) == 0
    assert len(reminders()) == 2


def test_no_reminders_for_a_meeting_that_is_still_far_away(runner, world, replies):
    result = runner.invoke(args=["send-reminders"])  # the meeting is 14 days away
    assert result.exit_code == 0, result.output
    assert queued_number(result.stdout) == 0
    assert reminders() == []


def test_no_reminders_for_a_cancelled_meeting(runner, world, replies):
    services.cancel(world.team_noord, replies.id)
    db.session.commit()
    starts_in(replies.id, 24)
    result = runner.invoke(args=["send-reminders"])
    assert queued_number(result.stdout) == 0
    assert reminders() == []


def test_someone_moved_up_from_the_waitlist_is_reminded_too(runner, world, replies):
    starts_in(replies.id, 24)
    runner.invoke(args=["send-reminders"])
    meeting = db.session.get(Meeting, replies.id)
    services.reply(meeting, world.members[2], False)  # gives the place to Lid 4
    db.session.commit()

    result = runner.invoke(args=["send-reminders"])
    assert queued_number(result.stdout) == 1
    assert reminders()[-1].to_address == "lid4@example.org"


def test_send_mail_delivers_the_reminders(app, runner, world, replies, eml_outbox):
    starts_in(replies.id, 24)
    runner.invoke(args=["send-reminders"])

    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    files = sorted(eml_outbox.glob("*.eml"))
    assert len(files) == 2
    messages = [message_from_bytes(f.read_bytes(), policy=default) for f in files]
    assert sorted(str(m["To"]) for m in messages) == ["lid1@example.org", "lid2@example.org"]
    for message in messages:
        assert str(message["Subject"]) == f"Herinnering: {TITLE}"
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert TITLE in body and "Buurthuis De Mare" in body and "Geen trappen" in body
        assert "http://wijkpanel.test/mijn/link/" in body
    db.session.expire_all()
    assert {m.status for m in reminders()} == {"sent"}

    again = runner.invoke(args=["send-mail"])
    assert again.exit_code == 0, again.output
    assert len(list(eml_outbox.glob("*.eml"))) == 2
