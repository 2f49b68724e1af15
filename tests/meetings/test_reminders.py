"""Meeting reminders: who gets one, when, only once, in their own language and time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from panel.db import db
from panel.meetings import cli as meetings_cli
from panel.meetings import reminders
from panel.meetings.models import Meeting, Reply
from panel.meetings.reminders import send_due_reminders
from tests import factories
from tests.mailbox import outbox
from tests.statements import counting
from tests.threads import in_threads

NOW = datetime(2027, 1, 11, 12, 0, tzinfo=UTC)  # a Monday, 13:00 in Amsterdam
_emails = iter(range(1, 10_000))


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    session.commit()
    return item


def make_meeting(world: Any, starts_at: datetime, status: str = "open",
                 title: str = "Veilig in De Mare", **fields: Any) -> Meeting:
    item = Meeting(area=world.noord, title=title, starts_at=starts_at, status=status,
                   neighbourhoods=[world.mare], **fields)
    db.session.add(item)
    db.session.flush()
    return item


def make_member(world: Any, name: str = "Anna de Vries", email: str | None = "",
                **fields: Any):  # type: ignore[no-untyped-def]
    if email == "":
        email = f"resident{next(_emails)}@example.org"
    return factories.member(world.mare, name=name, email=email, **fields)


def make_reply(meeting: Meeting, member: Any, status: str = "attending") -> Reply:
    item = Reply(meeting_id=meeting.id, member_id=member.id, status=status)
    db.session.add(item)
    db.session.flush()
    return item


def reply_row(reply_id: int) -> Reply:
    item = db.session.get(Reply, reply_id, populate_existing=True)
    assert item is not None
    return item


# --- who and when ---------------------------------------------------------------------------


def test_only_attending_members_of_open_meetings_within_the_window_get_a_reminder(
        session, world):
    soon = make_meeting(world, NOW + timedelta(hours=2))
    edge = make_meeting(world, NOW + timedelta(hours=48), title="Net op tijd")
    later = make_meeting(world, NOW + timedelta(hours=49), title="Te vroeg")
    past = make_meeting(world, NOW - timedelta(hours=1), title="Al begonnen")
    cancelled = make_meeting(world, NOW + timedelta(hours=2), status="cancelled")
    draft = make_meeting(world, NOW + timedelta(hours=2), status="draft")
    anna, bert = make_member(world, "Anna"), make_member(world, "Bert")
    carla, dirk = make_member(world, "Carla"), make_member(world, "Dirk")
    yes_soon = make_reply(soon, anna)
    yes_edge = make_reply(edge, anna)
    others = [make_reply(soon, bert, "waiting"), make_reply(soon, carla, "declined"),
              make_reply(soon, dirk, "walk_in"), make_reply(later, anna),
              make_reply(past, anna), make_reply(cancelled, anna), make_reply(draft, anna)]
    session.commit()

    assert send_due_reminders(now=NOW) == 2

    assert [m.to_address for m in outbox()] == [anna.email, anna.email]
    assert reply_row(yes_soon.id).reminder_sent_at == NOW
    assert reply_row(yes_edge.id).reminder_sent_at == NOW
    assert all(reply_row(r.id).reminder_sent_at is None for r in others)


def test_members_without_email_or_outside_the_panel_are_skipped(session, world):
    meeting = make_meeting(world, NOW + timedelta(hours=3))
    no_email = make_reply(meeting, make_member(world, "Zonder mail", email=None))
    invited = make_reply(meeting, make_member(world, "Nog niet bevestigd", status="invited"))
    left = make_reply(meeting, make_member(world, "Vertrokken", status="left"))
    session.commit()

    assert send_due_reminders(now=NOW) == 0

    assert outbox() == []
    for reply in (no_email, invited, left):
        assert reply_row(reply.id).reminder_sent_at is None


def test_the_window_comes_from_the_argument_the_setting_or_48_hours(app, session, world,
                                                                    monkeypatch):
    near = make_reply(make_meeting(world, NOW + timedelta(hours=1)), make_member(world))
    day = make_reply(make_meeting(world, NOW + timedelta(hours=30)), make_member(world))
    far = make_reply(make_meeting(world, NOW + timedelta(hours=60)), make_member(world))
    session.commit()

    monkeypatch.setitem(app.config, "PANEL_REMINDER_HOURS", 2)
    assert send_due_reminders(now=NOW) == 1
    assert reply_row(near.id).reminder_sent_at == NOW
    monkeypatch.delitem(app.config, "PANEL_REMINDER_HOURS", raising=False)
    assert send_due_reminders(now=NOW) == 1  # 48 hours
    assert reply_row(day.id).reminder_sent_at == NOW
    assert send_due_reminders(now=NOW, hours_before=72) == 1
    assert reply_row(far.id).reminder_sent_at == NOW


def test_a_reply_that_becomes_attending_later_still_gets_its_reminder(session, world):
    meeting = make_meeting(world, NOW + timedelta(hours=20))
    reply = make_reply(meeting, make_member(world), status="waiting")
    session.commit()
    assert send_due_reminders(now=NOW) == 0

    reply_row(reply.id).status = "attending"  # a place came free
    session.commit()

    assert send_due_reminders(now=NOW + timedelta(hours=1)) == 1


# --- only once ------------------------------------------------------------------------------


def test_running_twice_queues_each_reminder_once(session, world):
    meeting = make_meeting(world, NOW + timedelta(hours=5))
    for number in range(3):
        make_reply(meeting, make_member(world, f"Lid {number}"))
    session.commit()

    assert send_due_reminders(now=NOW) == 3
    assert send_due_reminders(now=NOW + timedelta(minutes=5)) == 0
    assert len(outbox()) == 3


def test_a_reply_claimed_by_another_run_is_not_reminded_again(session, world, monkeypatch):
    meeting = make_meeting(world, NOW + timedelta(hours=5))
    make_reply(meeting, make_member(world))
    session.commit()
    stale = reminders._due(NOW, NOW + timedelta(hours=48))  # what a slower run selected

    assert send_due_reminders(now=NOW) == 1
    monkeypatch.setattr(reminders, "_due", lambda now, until: stale)
    assert send_due_reminders(now=NOW) == 0
    assert len(outbox()) == 1


def test_two_runs_at_the_same_time_queue_each_reminder_once(app: Flask, session, world):
    meetings = [make_meeting(world, NOW + timedelta(hours=h)) for h in (3, 6)]
    for number in range(12):
        make_reply(meetings[number % 2], make_member(world, f"Lid {number}"))
    session.commit()
    start = threading.Barrier(2)

    def run() -> int:
        start.wait(timeout=10)
        return send_due_reminders(now=NOW)

    counts = in_threads(app, run)
    assert sorted(counts)[1] > 0 and sum(counts) == 12
    session.expire_all()
    messages = outbox()
    assert len(messages) == 12
    assert len({m.to_address for m in messages}) == 12


def test_due_replies_are_found_with_one_query(app, session, world):
    for hours in range(1, 6):
        meeting = make_meeting(world, NOW + timedelta(hours=hours))
        for number in range(3):
            make_reply(meeting, make_member(world, f"Lid {hours}-{number}"))
    session.commit()
    with counting(db.engine) as statements:
        assert send_due_reminders(now=NOW) == 15
    selects = [s for s in statements
               if s.lstrip().upper().startswith("SELECT") and "reply" in s]
    assert len(selects) == 1


# --- the email ------------------------------------------------------------------------------


def test_the_reminder_is_in_the_members_language_and_local_time(session, world):
    starts = datetime(2027, 1, 12, 18, 30, tzinfo=UTC)  # 19:30 in Amsterdam (winter time)
    meeting = make_meeting(world, starts, title="Veilig in De Mare", kind="hybrid",
                           ends_at=starts + timedelta(hours=2), venue="Buurthuis De Mare",
                           address="Marelaan 1, Alkmaar", online_url="https://meet.example.org/mare",
                           accessibility="Rolstoeltoegankelijk. Er is een ringleiding.")
    anna = make_member(world, "Anna de Vries", language="nl")
    john = make_member(world, "John Smith", language="en")
    make_reply(meeting, anna)
    make_reply(meeting, john)
    session.commit()

    assert send_due_reminders(now=NOW) == 2

    [dutch] = outbox(anna.email)
    [english] = outbox(john.email)
    assert dutch.language == "nl" and english.language == "en"
    for lang, message, name, date in (
            ("nl", dutch, "Anna de Vries", "dinsdag 12 januari 2027"),
            ("en", english, "John Smith", "Tuesday, 12 January 2027")):
        with force_locale(lang):
            subject = _("Reminder: %(title)s", title="Veilig in De Mare")
            greeting = _("Hello %(name)s,", name=name)
            coming = _("This is a reminder: you are coming to %(title)s.",
                       title="Veilig in De Mare")
            hours = _("from %(start)s to %(end)s", start="19:30", end="21:30")
            cancel = _("Can you not come after all? Let us know, then someone else can have "
                       "your place.")
        assert message.subject == subject
        for body in (message.text_body, message.html_body):
            assert greeting in body
            assert coming in body
            assert date in body
            assert hours in body
            assert "18:30" not in body
            assert "Buurthuis De Mare" in body and "Marelaan 1, Alkmaar" in body
            assert "https://meet.example.org/mare" in body
            assert "Rolstoeltoegankelijk. Er is een ringleiding." in body
            assert cancel in body
            assert "http://wijkpanel.test/" in body  # the member's own page
    assert "Beste Anna de Vries," in dutch.text_body
    assert "List-Unsubscribe" in dutch.headers


def test_the_reminder_shows_summer_time_and_only_the_place_that_applies(session, world):
    starts = datetime(2027, 6, 1, 7, 0, tzinfo=UTC)  # 09:00 in Amsterdam (summer time)
    online = make_meeting(world, starts, title="Online avond", kind="online",
                          venue="Niet tonen", online_url="https://meet.example.org/x")
    in_person = make_meeting(world, starts, title="In het buurthuis", kind="in_person",
                             venue="Buurthuis", online_url="https://meet.example.org/y")
    member = make_member(world, language="en")
    make_reply(online, member)
    make_reply(in_person, member)
    session.commit()

    assert send_due_reminders(now=starts - timedelta(hours=1)) == 2

    first, second = outbox()
    with force_locale("en"):
        at_nine = _("at %(time)s", time="09:00")
    assert at_nine in first.text_body and at_nine in second.text_body
    assert "Niet tonen" not in first.text_body and "meet.example.org/x" in first.text_body
    assert "Buurthuis" in second.text_body and "meet.example.org/y" not in second.text_body


def test_the_title_is_escaped_in_the_html_email(session, world):
    meeting = make_meeting(world, NOW + timedelta(hours=3), title="Veilig & <b>schoon</b>")
    make_reply(meeting, make_member(world))
    session.commit()

    send_due_reminders(now=NOW)

    [message] = outbox()
    assert "<b>schoon</b>" not in message.html_body
    assert "&lt;b&gt;schoon&lt;/b&gt;" in message.html_body
    assert "Veilig & <b>schoon</b>" in message.text_body


# --- the command ----------------------------------------------------------------------------


def test_register_commands_adds_send_reminders() -> None:
    fresh = Flask(__name__)
    meetings_cli.register_commands(fresh)
    assert fresh.cli.get_command(None, "send-reminders") is (  # type: ignore[arg-type]
        meetings_cli.send_reminders_command)


def test_send_reminders_command_queues_and_prints_a_summary(app, session, world, runner):
    if "send-reminders" not in app.cli.commands:
        meetings_cli.register_commands(app)
    soon = make_meeting(world, datetime.now(UTC) + timedelta(hours=3))
    later = make_meeting(world, datetime.now(UTC) + timedelta(hours=30))
    make_reply(soon, make_member(world))
    make_reply(later, make_member(world))
    session.commit()

    result = runner.invoke(args=["send-reminders", "--hours", "24"])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == ngettext("%(num)s reminder queued.",
                                             "%(num)s reminders queued.", 1)
    again = runner.invoke(args=["send-reminders"])
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == ngettext("%(num)s reminder queued.",
                                            "%(num)s reminders queued.", 1)
    session.expire_all()
    assert len(outbox()) == 2


def test_send_reminders_command_refuses_a_window_below_one_hour(app, runner):
    if "send-reminders" not in app.cli.commands:
        meetings_cli.register_commands(app)
    result = runner.invoke(args=["send-reminders", "--hours", "0"])
    assert result.exit_code != 0
