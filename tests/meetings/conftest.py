from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from panel.db import utcnow
from panel.meetings import services
from panel.meetings.times import to_local
from tests import factories


def meeting_data(**overrides) -> services.MeetingData:  # type: ignore[no-untyped-def]
    start = to_local(utcnow() + timedelta(days=14)).replace(hour=19, minute=30)
    values = dict(title="Wijkpanel De Mare", description="Over veiligheid.",
                  agenda="Welkom\nUitkomsten monitor", kind="in_person",
                  venue="Buurthuis De Mare", address="Marelaan 1, Alkmaar",
                  accessibility="Geen trappen", online_url="", day=start.date(),
                  start=time(19, 30), end=time(21, 0), capacity=3,
                  neighbourhood_codes=["WK036101"], team_ids=[])
    values.update(overrides)
    return services.MeetingData(**values)


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    item.members = [factories.member(item.mare, name=f"Lid {n}", email=f"lid{n}@example.org",
                                     language="en" if n == 0 else "nl") for n in range(6)]
    item.offline = factories.member(item.mare, name="Oma Zonder Mail", email=None,
                                    street="Marelaan", house_number="3", postcode="1801AA",
                                    city="Alkmaar")
    item.other = factories.member(item.vrooner, name="Zuid Lid", email="zuid@example.org")
    session.commit()
    return item


@pytest.fixture
def open_meeting(world, session):  # type: ignore[no-untyped-def]
    meeting, _ = services.create(world.team_noord, "noord", meeting_data())
    services.open_for_replies(world.team_noord, meeting.id)
    session.commit()
    return meeting


def day_after(days: int) -> date:
    return (utcnow() + timedelta(days=days)).date()
