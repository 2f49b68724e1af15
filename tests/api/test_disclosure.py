"""Disclosure control in the open-data API: the API hides what the pages hide, no more and
no less, and its document says so ("< N" and "x" where a count is published)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from panel.api.openapi import COUNT, SCHEMAS
from panel.db import db, utcnow
from panel.meetings import services as meeting_services
from panel.results import protection
from panel.results.models import Edition, Indicator, Result
from tests import factories
from tests.api.helpers import get_json
from tests.meetings.helpers import meeting_data


def allowed(schema: dict[str, Any], value: object) -> bool:
    """Whether ``value`` fits one of a count's alternatives (integer, pattern or enum)."""
    for option in schema["oneOf"]:
        if option["type"] == "integer" and isinstance(value, int):
            return value >= option.get("minimum", 0)
        if option["type"] == "string" and isinstance(value, str):
            if "pattern" in option and re.fullmatch(option["pattern"], value):
                return True
            if value in option.get("enum", ()):
                return True
    return False


def test_a_count_may_be_a_number_fewer_than_n_or_x() -> None:
    assert all(allowed(COUNT, value) for value in (0, 12, "< 5", "< 30", "x"))
    assert not any(allowed(COUNT, value) for value in (-1, "5", "x5", "<5", "about 3"))
    assert SCHEMAS["ThemeFeedback"]["properties"]["count"] is COUNT
    reasons = SCHEMAS["AreaResult"]["properties"]["suppressedReason"]["enum"]
    assert reasons == ["tooFewRespondents", "protectsSmallFigure"]


def test_places_left_are_not_published_once_a_meeting_has_started(
        client: FlaskClient, session) -> None:  # type: ignore[no-untyped-def]
    world = factories.panel_world()
    meeting, _ = meeting_services.create(world.team_noord, "noord", meeting_data())
    meeting_services.open_for_replies(world.team_noord, meeting.id)
    session.commit()
    before = get_json(client, f"/api/v1/bijeenkomsten/{meeting.id}")
    assert before["placesLeft"] == meeting.capacity

    # Two replies, then the meeting starts: how many places were taken would tell about
    # the small number who came, which the page does not show either.
    meeting.seats_taken = 2
    meeting.starts_at = utcnow() - timedelta(minutes=5)
    meeting.ends_at = utcnow() + timedelta(hours=1)
    session.commit()
    started = get_json(client, f"/api/v1/bijeenkomsten/{meeting.id}")
    assert started["status"] == "open" and started["placesLeft"] is None
    listed = get_json(client, "/api/v1/bijeenkomsten")["items"]
    assert [m["placesLeft"] for m in listed if m["id"] == meeting.id] == [None]


def test_the_trend_and_wijk_answers_withhold_what_the_indicator_answer_withholds(
        client: FlaskClient, session) -> None:  # type: ignore[no-untyped-def]
    factories.municipality("GM0361")
    noord = factories.area("noord", "Noord")
    small = factories.neighbourhood(noord, "WK036101", "Klein")
    large = factories.neighbourhood(noord, "WK036102", "Groot")
    indicator = Indicator(code="onveilig", name_nl="Onveilig", name_en="Unsafe",
                          unit="percentage", higher_is_better=False, position=1)
    edition = Edition(year=2023, published=True)
    db.session.add_all([indicator, edition])
    db.session.flush()
    for level, code, n, value in (("neighbourhood", small.code, 10, 70.0),
                                  ("neighbourhood", large.code, 190, 20.0),
                                  ("area", "noord", 200, 22.5)):
        db.session.add(Result(edition_id=edition.id, indicator_id=indicator.id,
                              area_level=level, area_code=code, value=value, respondents=n))
    session.commit()
    protection.forget()

    items = get_json(client, "/api/v1/indicatoren/onveilig/resultaten")["items"]
    by_code = {item["area"]["code"]: item for item in items}
    # Noord (200) minus Groot (190) would give Klein's 10 away: one of them is withheld.
    assert by_code[small.code]["suppressedReason"] == "tooFewRespondents"
    withheld = [code for code, item in by_code.items()
                if item["suppressedReason"] == "protectsSmallFigure"]
    assert withheld == [large.code]  # a part before its total
    hidden = large.code
    assert by_code[hidden]["respondents"] is None and by_code[hidden]["value"] is None

    trend = get_json(client, f"/api/v1/indicatoren/onveilig/ontwikkeling/{hidden}")
    assert trend["editions"][0]["value"] is None
    assert trend["editions"][0]["suppressedReason"] == "protectsSmallFigure"
    wijk = get_json(client, f"/api/v1/wijken/{large.code}/resultaten")
    assert wijk["indicators"][0]["value"] is None
    assert wijk["indicators"][0]["respondents"] is None
