"""Waitlist numbers: each person joining the waitlist gets the meeting's next number, the
order of the waitlist and of moving up, and the position shown at once in the reply's own
response, also when many people reply at the same moment (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from panel.db import db, utcnow
from panel.meetings import services
from panel.meetings.models import Meeting, Reply
from tests import factories
from tests.mailbox import link_in, outbox
from tests.meetings.helpers import meeting_data

PEOPLE = 33  # three places and thirty on the waitlist


def _row(meeting_id: int, member_id: int) -> Reply:
    return db.session.scalars(select(Reply).where(Reply.meeting_id == meeting_id,
                                                  Reply.member_id == member_id)).one()


def test_the_waitlist_goes_by_number_not_by_the_moment_asked(world, open_meeting):
    same_moment = utcnow()
    for member in world.members[:5]:
        services.reply(open_meeting, member, True, now=same_moment)
    db.session.commit()
    fourth, fifth = (_row(open_meeting.id, m.id) for m in world.members[3:5])
    assert (fourth.waiting_number, fifth.waiting_number) == (1, 2)
    assert [services.waiting_position(r) for r in (fourth, fifth)] == [1, 2]
    # The moment asked no longer decides the order (it is kept for the record only).
    fourth.waiting_since, fifth.waiting_since = same_moment, same_moment - timedelta(hours=1)
    db.session.commit()

    services.reply(open_meeting, world.members[0], False)  # a place comes free
    db.session.commit()
    db.session.expire_all()
    assert _row(open_meeting.id, world.members[3].id).status == "attending"
    assert _row(open_meeting.id, world.members[3].id).waiting_number is None
    fifth = _row(open_meeting.id, world.members[4].id)
    assert (fifth.status, services.waiting_position(fifth)) == ("waiting", 1)

    services.reply(open_meeting, world.members[0], True)  # back, at the end of the line
    db.session.commit()
    again = _row(open_meeting.id, world.members[0].id)
    assert (again.status, again.waiting_number, services.waiting_position(again)) == \
        ("waiting", 3, 2)
    assert db.session.get(Meeting, open_meeting.id).waitlist_counter == 3


def _reply_by_link(app: Flask, path: str, barrier: threading.Barrier,
                   shown: dict[str, tuple[int | None, int | None]],
                   errors: list[BaseException]) -> None:
    """One resident presses yes in their own browser, at the same moment as the others;
    keeps the number in the thank-you message and the number on the page."""
    try:
        browser = app.test_client()
        browser.set_cookie("lang", "nl")  # the messages below are read in Dutch
        barrier.wait(timeout=30)
        response = browser.post(path, data={"answer": "yes"}, follow_redirects=True)
        assert response.status_code == 200, response.status_code
        page = response.get_data(as_text=True)
        message = re.search(r"U staat op de wachtlijst met nummer (\d+)\.", page)
        status = re.search(r"Uw nummer: (\d+)\.", page)
        shown[path] = (int(message.group(1)) if message else None,
                       int(status.group(1)) if status else None)
    except BaseException as exc:  # noqa: BLE001 - collected and asserted below
        errors.append(exc)


def test_thirty_people_joining_the_waitlist_at_once_see_their_own_number(app, world):
    meeting, _ = services.create(world.team_noord, "noord", meeting_data(capacity=3))
    services.open_for_replies(world.team_noord, meeting.id)
    for n in range(PEOPLE - len(world.members)):
        factories.member(world.mare, name=f"Extra {n}", email=f"extra{n}@example.org")
    db.session.flush()
    services.invite(world.team_noord, meeting.id)
    db.session.commit()
    paths = {}
    for message in outbox():
        if "/antwoord/" in message.text_body:
            paths[link_in(message, "/antwoord/")] = message.to_address
    assert len(paths) == PEOPLE

    barrier = threading.Barrier(PEOPLE)
    shown: dict[str, tuple[int | None, int | None]] = {}
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_reply_by_link, args=(app, path, barrier, shown, errors))
               for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(shown) == PEOPLE

    db.session.expire_all()
    stored = db.session.get(Meeting, meeting.id)
    assert (stored.seats_taken, stored.waitlist_counter) == (3, PEOPLE - 3)
    replies = list(db.session.scalars(select(Reply).where(Reply.meeting_id == meeting.id)))
    assert sorted(r.status for r in replies) == ["attending"] * 3 + ["waiting"] * (PEOPLE - 3)
    numbers = {r.member.email: r.waiting_number for r in replies if r.status == "waiting"}
    # The numbers were given one after the other, each by the transaction holding the
    # meeting's row until its commit: they are the commit order.
    assert sorted(numbers.values()) == list(range(1, PEOPLE - 2))
    by_email = {paths[path]: numbers_shown for path, numbers_shown in shown.items()}
    for email, (in_message, on_page) in by_email.items():
        if email in numbers:
            assert in_message == on_page == numbers[email], email
        else:
            assert (in_message, on_page) == (None, None), email
    assert sorted(m for m, _ in by_email.values() if m is not None) == \
        list(range(1, PEOPLE - 2))
