from __future__ import annotations

import pytest

from panel.db import db
from panel.feedback.models import Theme
from panel.meetings import services as meeting_services
from tests import factories
from tests.meetings.helpers import meeting_data


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """``panel_world()`` with two themes and some residents: Anna (Dutch) and Bram (English)
    live in De Mare (gebied Noord), Zeno in Vroonermeer (gebied Zuid); Ivo in De Mare was
    invited from the survey and has not confirmed yet."""
    item = factories.panel_world()
    item.verkeer = Theme(code="verkeer", name_nl="Verkeer", name_en="Traffic", position=1)
    item.jeugd = Theme(code="jeugd", name_nl="Jongeren", name_en="Young people", position=2)
    db.session.add_all([item.verkeer, item.jeugd])
    item.anna = factories.member(item.mare, "Anna Zeldenrust", "anna@example.org")
    item.bram = factories.member(item.mare, "Bram Bakker", "bram@example.org", language="en")
    item.zeno = factories.member(item.vrooner, "Zeno Zuidema", "zeno@example.org")
    item.ivo = factories.member(item.mare, "Ivo Uitgenodigd", "ivo@example.org",
                                status="invited", source="survey")
    session.commit()
    return item


@pytest.fixture
def open_meeting(world, session):  # type: ignore[no-untyped-def]
    """An open meeting of gebied Noord for De Mare, planned by team Noord."""
    meeting, _ = meeting_services.create(world.team_noord, "noord", meeting_data())
    meeting_services.open_for_replies(world.team_noord, meeting.id)
    session.commit()
    return meeting


@pytest.fixture
def zuid_meeting(world, session):  # type: ignore[no-untyped-def]
    """An open meeting of gebied Zuid for Vroonermeer, planned by the admin."""
    meeting, _ = meeting_services.create(
        world.admin, "zuid", meeting_data(title="Wijkpanel Vroonermeer",
                                          venue="Buurthuis Vroonermeer",
                                          neighbourhood_codes=["WK036104"]))
    meeting_services.open_for_replies(world.admin, meeting.id)
    session.commit()
    return meeting
