"""Shared bits of the meeting tests."""

from __future__ import annotations

from datetime import date, time, timedelta

from panel.db import utcnow
from panel.meetings import services
from panel.meetings.times import to_local


def meeting_data(**overrides) -> services.MeetingData:  # type: ignore[no-untyped-def]
    """A meeting in De Mare two weeks from now, 19:30–21:00, for three people."""
    start = to_local(utcnow() + timedelta(days=14)).replace(hour=19, minute=30)
    values = dict(title="Wijkpanel De Mare", description="Over veiligheid.",
                  agenda="Welkom\nUitkomsten monitor", kind="in_person",
                  venue="Buurthuis De Mare", address="Marelaan 1, Alkmaar",
                  accessibility="Geen trappen", online_url="", day=start.date(),
                  start=time(19, 30), end=time(21, 0), capacity=3,
                  neighbourhood_codes=["WK036101"], team_ids=[])
    values.update(overrides)
    return services.MeetingData(**values)


def day_after(days: int) -> date:
    return (utcnow() + timedelta(days=days)).date()
