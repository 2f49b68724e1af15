"""Planning meetings, inviting, replies with places and a waitlist, attendance, polls."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from panel.db import db, utcnow
from panel.errors import DomainError, NotFound, PermissionDenied
from panel.mail.models import OutboxMessage
from panel.meetings import services
from panel.meetings.models import Invitation, Meeting, Reply
from panel.meetings.times import to_local, to_utc
from tests.mailbox import outbox
from tests.meetings.helpers import meeting_data


def test_a_meeting_is_planned_as_a_draft_in_local_time(world):
    meeting, warnings = services.create(world.team_noord, "noord", meeting_data(
        day=date(2027, 3, 28), start=time(19, 30), end=time(21, 0)))
    assert warnings == [] and meeting.status == "draft"
    assert meeting.starts_at == datetime(2027, 3, 28, 17, 30, tzinfo=UTC)  # summer time
    assert [n.code for n in meeting.neighbourhoods] == ["WK036101"]


def test_a_time_that_does_not_exist_is_refused(world):
    with pytest.raises(DomainError, match="klok"):
        services.create(world.team_noord, "noord", meeting_data(
            day=date(2027, 3, 28), start=time(2, 30), end=time(4, 0)))


def test_the_ambiguous_hour_in_october_is_taken_as_summer_time():
    assert to_utc(date(2027, 10, 31), time(2, 30)) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"title": " "}, "titel"), ({"capacity": 0}, "plaatsen"),
    ({"venue": ""}, "locatie"), ({"kind": "online", "online_url": "ftp://x"}, "link"),
    ({"neighbourhood_codes": ["WK036104"]}, "wijk"), ({"end": time(19, 0)}, "eindigen"),
    ({"day": None}, "datum"),
])
def test_bad_plans_are_refused(world, overrides, message):
    with pytest.raises(DomainError, match=message):
        services.create(world.team_noord, "noord", meeting_data(**overrides))


def test_warnings_for_a_booked_venue_or_an_overlapping_meeting(world):
    services.create(world.team_noord, "noord", meeting_data())
    meeting, warnings = services.create(world.team_noord, "noord", meeting_data(title="Twee"))
    assert meeting is None and len(warnings) == 2
    assert db.session.scalar(select(func.count(Meeting.id))) == 1
    meeting, warnings = services.create(world.team_noord, "noord", meeting_data(title="Twee"),
                                        accept_warnings=True)
    assert meeting is not None and warnings


def test_a_team_member_plans_only_for_own_gebied(world):
    with pytest.raises(NotFound):
        services.create(world.team_noord, "zuid", meeting_data(neighbourhood_codes=["WK036104"]))
    with pytest.raises(PermissionDenied):
        services.create(world.clerk, "noord", meeting_data())


def test_a_meeting_is_not_planned_in_the_past(world):
    with pytest.raises(DomainError, match="al voorbij"):
        services.create(world.team_noord, "noord", meeting_data(day=day(-2)))
    meeting, _ = services.create(world.team_noord, "noord", meeting_data(day=day(2)))
    with pytest.raises(DomainError, match="al voorbij"):
        services.update_meeting(world.team_noord, meeting.id, meeting_data(day=day(-1)))


def test_a_planned_meeting_whose_moment_passed_cannot_be_opened(world):
    meeting, _ = services.create(world.team_noord, "noord", meeting_data(day=day(2)))
    meeting.starts_at -= timedelta(days=4)  # it was never opened, and the days went by
    meeting.ends_at -= timedelta(days=4)
    with pytest.raises(DomainError, match="verleden"):
        services.open_for_replies(world.team_noord, meeting.id)
    # Changing something else than the moment is still possible.
    data = meeting_data(day=day(-2), title="Nieuwe titel")
    data.start = to_local(meeting.starts_at).time()
    data.end = to_local(meeting.ends_at).time()
    services.update_meeting(world.team_noord, meeting.id, data)
    assert meeting.title == "Nieuwe titel"


def day(offset: int) -> date:
    return (utcnow() + timedelta(days=offset)).date()


def test_inviting_emails_members_with_a_calendar_file_and_counts_letters(world, open_meeting):
    report = services.invite(world.team_noord, open_meeting.id)
    assert (report.emailed, report.letters, report.already) == (6, 1, 0)
    message = outbox("lid1@example.org")[-1]
    assert "/antwoord/" in message.text_body and "uitnodiging.ics" in message.attachments
    english = outbox("lid0@example.org")[-1]
    assert "We invite you" in english.text_body
    again = services.invite(world.team_noord, open_meeting.id)
    assert (again.emailed, again.already) == (0, 7)
    assert "zuid@example.org" not in {m.to_address for m in outbox()}


def test_more_yes_replies_than_places_go_to_the_waitlist_in_order(world, open_meeting):
    rows = [services.reply(open_meeting, m, True) for m in world.members[:5]]
    assert [r.status for r in rows] == ["attending"] * 3 + ["waiting"] * 2
    assert [services.waiting_position(r) for r in rows[3:]] == [1, 2]
    assert db.session.get(Meeting, open_meeting.id).seats_taken == 3


def test_the_places_cannot_go_below_the_people_coming(world, open_meeting):
    for member in world.members[:3]:
        services.reply(open_meeting, member, True)
    with pytest.raises(DomainError, match="Er komen al 3 mensen. Kies minstens 3 plaatsen."):
        services.update_meeting(world.team_noord, open_meeting.id, meeting_data(
            day=to_local(open_meeting.starts_at).date(), capacity=2))
    assert db.session.get(Meeting, open_meeting.id).capacity == 3
    services.update_meeting(world.team_noord, open_meeting.id, meeting_data(
        day=to_local(open_meeting.starts_at).date(), capacity=3))


def test_a_cancellation_gives_the_place_to_the_first_on_the_waitlist(world, open_meeting):
    rows = [services.reply(open_meeting, m, True) for m in world.members[:5]]
    services.reply(open_meeting, world.members[1], False)
    db.session.refresh(rows[3])
    db.session.refresh(rows[4])
    assert rows[3].status == "attending" and rows[4].status == "waiting"
    assert services.waiting_position(rows[4]) == 1
    mail = outbox(world.members[3].email)[-1]
    assert "place" in mail.subject.lower() or "plek" in mail.subject.lower()
    assert db.session.get(Meeting, open_meeting.id).seats_taken == 3


def test_replying_yes_twice_keeps_one_place(world, open_meeting):
    services.reply(open_meeting, world.members[0], True)
    services.reply(open_meeting, world.members[0], True)
    assert db.session.scalar(select(func.count(Reply.id))) == 1
    assert db.session.get(Meeting, open_meeting.id).seats_taken == 1


def test_replies_close_when_the_meeting_starts(world, open_meeting):
    later = open_meeting.starts_at + timedelta(minutes=1)
    with pytest.raises(DomainError):
        services.reply(open_meeting, world.members[0], True, now=later)


def test_more_places_move_people_up_from_the_waitlist(world, open_meeting):
    for member in world.members[:5]:
        services.reply(open_meeting, member, True)
    services.update_meeting(world.team_noord, open_meeting.id, meeting_data(capacity=4))
    statuses = sorted(db.session.scalars(select(Reply.status)))
    assert statuses.count("attending") == 4 and statuses.count("waiting") == 1


def test_changing_the_time_emails_an_update_with_the_same_uid(world, open_meeting):
    services.invite(world.team_noord, open_meeting.id)
    services.reply(open_meeting, world.members[2], True)
    uid = open_meeting.uid
    before = db.session.scalar(select(func.count(OutboxMessage.id)))
    services.update_meeting(world.team_noord, open_meeting.id, meeting_data(start=time(20, 0),
                                                                           end=time(21, 30)))
    assert open_meeting.sequence == 1
    changed = outbox(world.members[2].email)[-1]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == before + 1
    import base64
    import json
    attachment = json.loads(changed.attachments)[0]
    ics = Calendar.from_ical(base64.b64decode(attachment["data"]))
    event = next(c for c in ics.walk("VEVENT"))
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
    assert ics["METHOD"] == "REQUEST"


def test_cancelling_sends_a_calendar_cancellation(world, open_meeting):
    services.reply(open_meeting, world.members[0], True)
    services.reply(open_meeting, world.members[1], False)
    services.cancel(world.team_noord, open_meeting.id)
    assert open_meeting.status == "cancelled" and open_meeting.sequence == 1
    assert "METHOD:CANCEL" in outbox(world.members[0].email)[-1].attachments or True
    import base64
    import json
    data = json.loads(outbox(world.members[0].email)[-1].attachments)[0]["data"]
    assert b"METHOD:CANCEL" in base64.b64decode(data)
    assert outbox(world.members[1].email) == []  # said no: no email
    with pytest.raises(DomainError):
        services.reply(open_meeting, world.members[2], True)


def test_staff_enter_a_reply_received_by_phone(world, open_meeting):
    row = services.staff_reply(world.team_noord, open_meeting.id, world.offline.id, True)
    assert row.status == "attending" and row.entered_by_id == world.team_noord.id
    with pytest.raises(NotFound):
        services.staff_reply(world.team_noord, open_meeting.id, world.other.id, True)


def test_attendance_with_walk_ins_and_report(world, open_meeting):
    services.reply(open_meeting, world.members[0], True)
    services.reply(open_meeting, world.members[1], True)
    with pytest.raises(DomainError):
        services.record_attendance(world.team_noord, open_meeting.id, set(), 0, "")
    later = open_meeting.starts_at + timedelta(hours=1)
    services.record_attendance(world.team_noord, open_meeting.id,
                               {world.members[0].id, world.members[4].id}, 2,
                               "Gesproken over jeugdoverlast.", now=later)
    assert services.present_count(open_meeting) == 4
    walk_in = services.current_reply(open_meeting, world.members[4])
    assert walk_in.status == "walk_in" and walk_in.attended
    assert services.current_reply(open_meeting, world.members[1]).attended is False
    with pytest.raises(NotFound):
        services.record_attendance(world.team_noord, open_meeting.id, {world.other.id}, 0, "",
                                   now=later)


def test_a_date_poll_becomes_the_meeting(world):
    meeting = services.start_poll(world.team_noord, "noord", meeting_data(), [
        services.SlotData(day(10), time(19, 0), time(21, 0)),
        services.SlotData(day(11), time(14, 0), time(16, 0))])
    assert meeting.status == "poll" and len(meeting.slots) == 2
    report = services.invite_to_poll(world.team_noord, meeting.id)
    assert report.emailed == 6
    first, second = meeting.slots
    services.vote(world.members[0], meeting.id, {first.id, second.id})
    services.vote(world.members[1], meeting.id, {second.id, 99999})
    services.vote(world.members[0], meeting.id, {second.id})
    counts = {slot.id: count for slot, count in services.poll_counts(world.team_noord,
                                                                       meeting.id)}
    assert counts == {first.id: 0, second.id: 2}
    with pytest.raises(NotFound):
        services.vote(world.other, meeting.id, {first.id})
    chosen = services.choose_slot(world.team_noord, meeting.id, second.id)
    assert chosen.status == "draft" and chosen.starts_at == second.starts_at


def test_public_lists_show_open_meetings_only(world, open_meeting):
    draft, _ = services.create(world.team_noord, "noord", meeting_data(title="Concept",
                                                                       day=day(30)))
    assert [m.id for m in services.upcoming_public()] == [open_meeting.id]
    with pytest.raises(NotFound):
        services.public_meeting(draft.id)


def test_my_meetings_show_the_reply_and_waitlist_number(world, open_meeting):
    services.invite(world.team_noord, open_meeting.id)
    for member in world.members[:4]:
        services.reply(open_meeting, member, True)
    [mine] = services.my_meetings(world.members[3])
    assert mine.reply.status == "waiting" and mine.position == 1


# --- two people at once -------------------------------------------------------------------

def _reply_in_thread(app, meeting_id: int, member_id: int, barrier, errors) -> None:  # type: ignore[no-untyped-def]
    from panel.signups.models import PanelMember

    with app.app_context():
        try:
            meeting = db.session.get(Meeting, meeting_id)
            member = db.session.get(PanelMember, member_id)
            barrier.wait(timeout=10)
            services.reply(meeting, member, True)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            db.session.rollback()
            errors.append(exc)
        finally:
            db.session.remove()


def test_the_last_places_go_to_exactly_as_many_people_as_there_are(app, world, open_meeting):
    from tests import factories

    extra = [factories.member(world.mare, name=f"Extra {n}", email=f"extra{n}@example.org")
             for n in range(6)]
    db.session.commit()
    people = [m.id for m in world.members] + [m.id for m in extra]
    barrier = threading.Barrier(len(people))
    errors: list[Exception] = []
    threads = [threading.Thread(target=_reply_in_thread,
                                args=(app, open_meeting.id, member_id, barrier, errors))
               for member_id in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    statuses = list(db.session.scalars(select(Reply.status)))
    assert statuses.count("attending") == 3
    assert statuses.count("waiting") == len(people) - 3
    assert db.session.get(Meeting, open_meeting.id).seats_taken == 3


def test_a_double_click_from_two_tabs_makes_one_reply(app, world, open_meeting):
    barrier = threading.Barrier(2)
    errors: list[Exception] = []
    member_id = world.members[0].id
    threads = [threading.Thread(target=_reply_in_thread,
                                args=(app, open_meeting.id, member_id, barrier, errors))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Reply.id))) == 1
    assert db.session.get(Meeting, open_meeting.id).seats_taken == 1
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
