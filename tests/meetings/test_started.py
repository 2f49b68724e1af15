"""A meeting that has started closes by itself: from its start (Dutch time decides the day,
the moment itself decides the start) it takes no replies and no invitations and is shown as
past, with nothing stored and no job run."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from panel.db import db
from panel.errors import DomainError
from panel.meetings import services
from panel.meetings.models import Invitation, Meeting, PollSlot, Reply
from panel.meetings.times import day_bounds, local_today, to_utc
from tests.meetings.helpers import meeting_data

SECOND = timedelta(seconds=1)


def open_at(world, day: date, start: time, end: time | None = None) -> Meeting:  # type: ignore[no-untyped-def]
    """An open meeting of gebied Noord at ``start`` (Dutch time) on ``day``; opened straight
    in the database, so the day may lie anywhere in time."""
    end = end or (datetime.combine(day, start) + timedelta(hours=1, minutes=30)).time()
    meeting, _ = services.create(world.team_noord, "noord", meeting_data(
        day=day, start=start, end=end, capacity=2))
    meeting.status = "open"
    db.session.commit()
    return meeting


# Start moments around midnight and on the Sundays the clocks change, with the last UTC
# moment before the start and moments from the start on.
BOUNDARIES = [
    pytest.param(date(2030, 6, 1), time(0, 15), datetime(2030, 5, 31, 22, 15, tzinfo=UTC),
                 [datetime(2030, 5, 31, 22, 15, tzinfo=UTC)], id="a quarter past midnight"),
    # 02:00 becomes 03:00: 03:00 summer time is 01:00 UTC, an hour after 02:00 winter time.
    pytest.param(date(2030, 3, 31), time(3, 0), datetime(2030, 3, 31, 1, 0, tzinfo=UTC),
                 [datetime(2030, 3, 31, 1, 0, tzinfo=UTC)], id="clocks go forward"),
    # 03:00 becomes 02:00: 02:30 happens twice and is taken as the first (summer time); at
    # 02:15 the second time (01:15 UTC) the clock reads earlier, but it has started.
    pytest.param(date(2030, 10, 27), time(2, 30), datetime(2030, 10, 27, 0, 30, tzinfo=UTC),
                 [datetime(2030, 10, 27, 0, 30, tzinfo=UTC),
                  datetime(2030, 10, 27, 1, 15, tzinfo=UTC)], id="clocks go back"),
]


@pytest.mark.parametrize(("day", "start", "starts_utc", "started"), BOUNDARIES)
def test_a_meeting_starts_at_its_moment_around_midnight_and_clock_changes(
        world, day, start, starts_utc, started):
    meeting = open_at(world, day, start)
    assert meeting.starts_at == starts_utc
    before = starts_utc - SECOND
    assert not meeting.has_started(before) and meeting.shown_status(before) == "open"
    row = services.reply(meeting, world.members[0], True, now=before)
    assert row.status == "attending"
    assert services.invite(world.team_noord, meeting.id, now=before).emailed == 6
    db.session.commit()

    for moment in started:
        assert meeting.has_started(moment) and meeting.shown_status(moment) == "past"
        with pytest.raises(DomainError) as refused:
            services.reply(meeting, world.members[0], False, now=moment)
        assert str(refused.value.message) == \
            "Deze bijeenkomst is al begonnen. U kunt niet meer antwoorden."
        with pytest.raises(DomainError) as refused:
            services.reply(meeting, world.members[1], True, now=moment)
        with pytest.raises(DomainError) as refused:
            services.staff_reply(world.team_noord, meeting.id, world.members[1].id, True,
                                 now=moment)
        assert "U kunt geen antwoorden meer invoeren" in str(refused.value.message)
        with pytest.raises(DomainError) as refused:
            services.invite(world.team_noord, meeting.id, now=moment)
        assert "U kunt niemand meer uitnodigen" in str(refused.value.message)
        with pytest.raises(DomainError):
            services.letter_recipients(world.team_noord, meeting.id, now=moment)
        [mine] = services.my_meetings(world.members[0], now=moment)
        assert mine.past and mine.reply.status == "attending"
        overview = services.staff_overview(world.team_noord, now=moment)
        assert [m.id for m in overview.past] == [meeting.id] and overview.upcoming == []
    db.session.rollback()
    assert db.session.get(Reply, row.id).status == "attending"
    assert db.session.get(Meeting, meeting.id).seats_taken == 1


@pytest.mark.parametrize(("day", "hours"), [
    (date(2030, 3, 31), 23), (date(2030, 10, 27), 25), (date(2030, 6, 1), 24),
    (date(2030, 12, 31), 24)])
def test_a_dutch_day_has_23_or_25_hours_when_the_clocks_change(day, hours):
    start, end = day_bounds(day)
    assert end - start == timedelta(hours=hours)
    assert local_today(start) == day and local_today(end - SECOND) == day
    assert local_today(end) == day + timedelta(days=1)


@pytest.mark.parametrize(("day", "start", "midnight_utc"), [
    (date(2030, 6, 1), time(0, 15), datetime(2030, 5, 31, 22, 0, tzinfo=UTC)),
    # Midnight before a clock change is still in the old time; the meeting is late that day.
    (date(2030, 3, 31), time(23, 30), datetime(2030, 3, 30, 23, 0, tzinfo=UTC)),
    (date(2030, 10, 27), time(23, 30), datetime(2030, 10, 26, 22, 0, tzinfo=UTC)),
])
def test_the_staff_list_marks_meetings_of_today_in_dutch_time(world, day, start, midnight_utc):
    meeting = open_at(world, day, start, time(23, 45) if start.hour == 23 else None)
    evening_before = services.staff_overview(world.team_noord, now=midnight_utc - SECOND)
    assert meeting.id not in evening_before.today
    assert [m.id for m in evening_before.upcoming] == [meeting.id]
    that_day = services.staff_overview(world.team_noord, now=midnight_utc)
    assert meeting.id in that_day.today
    assert [m.id for m in that_day.upcoming] == [meeting.id] and that_day.past == []


def test_the_staff_list_puts_past_meetings_apart(world):
    later = open_at(world, date(2030, 6, 20), time(19, 30))
    soon = open_at(world, date(2030, 6, 10), time(19, 30))
    held = open_at(world, date(2030, 5, 1), time(19, 30))
    earlier = open_at(world, date(2030, 4, 1), time(19, 30))
    poll = services.start_poll(world.team_noord, "noord", meeting_data(title="Peiling"), [
        services.SlotData(date.today() + timedelta(days=30), time(19), time(20)),
        services.SlotData(date.today() + timedelta(days=31), time(19), time(20))])
    db.session.commit()
    overview = services.staff_overview(world.team_noord,
                                       now=datetime(2030, 6, 1, 12, tzinfo=UTC))
    assert [m.id for m in overview.upcoming] == [soon.id, later.id, poll.id]
    assert [m.id for m in overview.past] == [held.id, earlier.id]


def test_my_meetings_are_split_at_the_start(world):
    meeting = open_at(world, date(2030, 6, 1), time(0, 15))
    other = open_at(world, date(2030, 6, 8), time(19, 30))
    for item in (meeting, other):
        services.invite(world.team_noord, item.id, now=datetime(2030, 5, 1, tzinfo=UTC))
    db.session.commit()
    member = world.members[1]
    before = services.my_meetings(member, now=meeting.starts_at - SECOND)
    assert [(i.meeting.id, i.past) for i in before] == [(meeting.id, False), (other.id, False)]
    after = services.my_meetings(member, now=meeting.starts_at)
    assert [(i.meeting.id, i.past) for i in after] == [(other.id, False), (meeting.id, True)]


def test_a_started_meeting_cannot_be_changed_or_cancelled(world, open_meeting):
    meeting = db.session.get(Meeting, open_meeting.id)
    meeting.starts_at = datetime.now(UTC) - timedelta(minutes=5)
    db.session.commit()
    with pytest.raises(DomainError) as changed:
        services.update_meeting(world.team_noord, meeting.id, meeting_data(title="Nieuw"))
    assert "U kunt de bijeenkomst niet meer wijzigen" in str(changed.value.message)
    with pytest.raises(DomainError) as cancelled:
        services.cancel(world.team_noord, meeting.id)
    assert "U kunt de bijeenkomst niet meer afgelasten" in str(cancelled.value.message)
    db.session.rollback()
    assert db.session.get(Meeting, meeting.id).status == "open"


def test_a_poll_asks_nobody_once_every_date_has_passed(world):
    slots = [services.SlotData(date.today() + timedelta(days=days), time(19), time(20))
             for days in (10, 20)]
    meeting = services.start_poll(world.team_noord, "noord", meeting_data(), slots)
    db.session.commit()
    first, second = meeting.slots
    between = second.starts_at - SECOND
    assert services.invite_to_poll(world.team_noord, meeting.id, now=between).emailed == 6
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        services.invite_to_poll(world.team_noord, meeting.id, now=second.starts_at)
    assert "Alle voorgestelde data zijn voorbij" in str(refused.value.message)
    assert db.session.scalar(select(func.count(Invitation.id))) == 0

    db.session.get(PollSlot, first.id).starts_at = datetime.now(UTC) - timedelta(hours=1)
    db.session.commit()
    with pytest.raises(DomainError) as passed:
        services.choose_slot(world.team_noord, meeting.id, first.id)
    assert str(passed.value.message) == "Deze datum is voorbij. Kies een andere datum."
    chosen = services.choose_slot(world.team_noord, meeting.id, second.id)
    assert chosen.status == "draft" and chosen.starts_at == second.starts_at


def test_the_public_page_says_when_the_meeting_has_started_and_ended(world):
    meeting = open_at(world, date(2030, 6, 1), time(19, 30), time(21, 0))
    page = services.public_meeting_page(meeting.id, now=meeting.starts_at - SECOND)
    assert (page.started, page.ended) == (False, False)
    page = services.public_meeting_page(meeting.id, now=meeting.starts_at)
    assert (page.started, page.ended) == (True, False)
    page = services.public_meeting_page(meeting.id, now=to_utc(date(2030, 6, 1), time(21)))
    assert (page.started, page.ended) == (True, True)
