"""Meetings on the days the clocks change are shown and exported at the right local time."""

from __future__ import annotations

from datetime import date, time

import pytest
from icalendar import Calendar

from panel.meetings import services
from tests.meetings.helpers import meeting_data


@pytest.mark.parametrize(("day", "weekday_and_date"), [
    (date(2027, 3, 28), "zondag 28 maart 2027"),  # clocks went forward that night
    (date(2027, 10, 31), "zondag 31 oktober 2027"),  # clocks went back that night
])
def test_meeting_on_a_clock_change_sunday(client, world, session, day, weekday_and_date):
    meeting, _ = services.create(world.team_noord, "noord", meeting_data(
        day=day, start=time(19, 30), end=time(21, 0)))
    services.open_for_replies(world.team_noord, meeting.id)
    session.commit()
    page = client.get(f"/bijeenkomsten/{meeting.id}").get_data(as_text=True)
    assert f"{weekday_and_date}, 19:30" in page and "21:00" in page
    ics = Calendar.from_ical(client.get(f"/bijeenkomsten/{meeting.id}.ics").data)
    event = next(iter(ics.walk("VEVENT")))
    start = event["DTSTART"].dt
    assert (start.date(), start.hour, start.minute) == (day, 19, 30)
    assert start.utcoffset() == meeting.starts_at.astimezone(start.tzinfo).utcoffset()
    assert start == meeting.starts_at
