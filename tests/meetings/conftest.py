from __future__ import annotations

import pytest

from panel.meetings import services
from tests import factories
from tests.meetings.helpers import meeting_data


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
