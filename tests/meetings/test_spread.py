"""Spreading members over a gebied's meetings: the pure rule and the gebied wrapper."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from panel.auth.models import Role
from panel.db import db
from panel.errors import NotFound, PermissionDenied
from panel.meetings.models import Invitation, Meeting, Reply
from panel.meetings.spread import (
    NO_MEETING,
    NO_PLACE,
    OTHER_MOMENT,
    REASON_LABELS,
    Candidate,
    Slot,
    Suggestion,
    moment_of,
    plan_for_area,
    suggest,
    suggest_for_area,
)
from tests import factories

EVENING, SAT_MORNING = "weekday-evening", "saturday-morning"
ANY: frozenset[str] = frozenset()


def member(member_id: int, wijk: int = 1, *moments: str) -> Candidate:
    return Candidate(member_id=member_id, neighbourhood_id=wijk, availability=frozenset(moments))


def slot(meeting_id: int, wijken: set[int], moment: str = EVENING, places: int = 10) -> Slot:
    return Slot(meeting_id=meeting_id, neighbourhood_ids=frozenset(wijken), moment=moment,
                places=places)


# --- moment_of ------------------------------------------------------------------------------


@pytest.mark.parametrize(("starts_at", "moment"), [
    (datetime(2027, 1, 11, 10, 59, tzinfo=UTC), "weekday-morning"),  # Monday 11:59
    (datetime(2027, 1, 11, 11, 0, tzinfo=UTC), "weekday-afternoon"),  # 12:00
    (datetime(2027, 1, 11, 16, 59, tzinfo=UTC), "weekday-afternoon"),  # 17:59
    (datetime(2027, 1, 11, 17, 0, tzinfo=UTC), "weekday-evening"),  # 18:00
    (datetime(2027, 6, 7, 16, 30, tzinfo=UTC), "weekday-evening"),  # Monday 18:30 summer time
    (datetime(2027, 1, 15, 23, 30, tzinfo=UTC), "saturday-morning"),  # Saturday 00:30
    (datetime(2027, 1, 16, 10, 59, tzinfo=UTC), "saturday-morning"),  # Saturday 11:59
    (datetime(2027, 1, 16, 11, 0, tzinfo=UTC), "saturday-afternoon"),  # Saturday 12:00
    (datetime(2027, 1, 16, 16, 59, tzinfo=UTC), "saturday-afternoon"),  # Saturday 17:59
    (datetime(2027, 1, 16, 17, 0, tzinfo=UTC), "saturday-evening"),  # Saturday 18:00
    (datetime(2027, 1, 16, 19, 0, tzinfo=UTC), "saturday-evening"),  # Saturday 20:00
    (datetime(2027, 1, 17, 9, 0, tzinfo=UTC), "sunday"),
    (datetime(2027, 1, 17, 23, 30, tzinfo=UTC), "weekday-morning"),  # Monday 00:30
])
def test_moment_of_uses_amsterdam_time(starts_at, moment):
    assert moment_of(starts_at) == moment


def test_moment_of_refuses_a_naive_datetime():
    with pytest.raises(ValueError):
        moment_of(datetime(2027, 1, 11, 19, 0))


# --- suggest --------------------------------------------------------------------------------


def test_a_member_only_goes_to_a_meeting_for_their_wijk():
    result = suggest([member(1, wijk=1), member(2, wijk=2), member(3, wijk=3)],
                     [slot(10, {1}), slot(11, {2, 4})])

    assert result.assignments == {10: [1], 11: [2]}
    assert result.unplaced == [3]
    assert result.reasons == {3: NO_MEETING}


def test_a_member_prefers_a_meeting_at_a_moment_they_stated():
    meetings = [slot(10, {1}, EVENING), slot(11, {1}, SAT_MORNING)]
    result = suggest([member(1, 1, SAT_MORNING), member(2, 1, EVENING),
                      member(3, 1, "weekday-morning", SAT_MORNING)], meetings)

    assert result.assignments == {10: [2], 11: [1, 3]}
    assert result.reasons == {}


def test_members_without_stated_availability_fit_any_moment_even_sunday():
    result = suggest([member(1), member(2, 1, EVENING)], [slot(10, {1}, "sunday")])

    assert result.assignments == {10: [1, 2]}
    assert result.reasons == {2: OTHER_MOMENT}  # placed, but the team should ask first


def test_a_fitting_moment_wins_over_a_meeting_with_more_room():
    result = suggest([member(n, 1, SAT_MORNING) for n in (1, 2, 3)],
                     [slot(10, {1}, EVENING, places=30), slot(11, {1}, SAT_MORNING, places=2)])

    assert result.assignments == {10: [3], 11: [1, 2]}
    assert result.reasons == {3: OTHER_MOMENT}


def test_places_are_respected_and_the_rest_is_unplaced():
    result = suggest([member(n) for n in (4, 2, 3, 1)],
                     [slot(10, {1}, places=2), slot(11, {1}, places=0), slot(12, {1}, places=-3)])

    assert result.assignments == {10: [1, 2], 11: [], 12: []}
    assert result.unplaced == [3, 4]
    assert result.reasons == {3: NO_PLACE, 4: NO_PLACE}
    assert result.placed == 2


def test_a_member_with_fewer_options_is_not_pushed_out():
    # Member 1 could go to either meeting; member 2 only to meeting 10 (their wijk).
    # Taking members by id with the emptiest meeting first would put 1 in 10 and leave 2 out.
    result = suggest([member(1, wijk=1), member(2, wijk=2)],
                     [slot(10, {1, 2}, places=1), slot(11, {1}, places=1)])

    assert result.assignments == {10: [2], 11: [1]}
    assert result.unplaced == []


def test_a_member_with_fewer_fitting_moments_keeps_the_fitting_place():
    result = suggest([member(1, 1, EVENING, SAT_MORNING), member(2, 1, EVENING)],
                     [slot(10, {1}, EVENING, places=1), slot(11, {1}, SAT_MORNING, places=1)])

    assert result.assignments == {10: [2], 11: [1]}
    assert result.reasons == {}


def test_places_are_spread_by_filling_the_meeting_with_most_free_places_first():
    result = suggest([member(n) for n in range(1, 8)],
                     [slot(10, {1}, places=8), slot(11, {1}, places=4), slot(12, {1}, places=4)])

    # free places before: 8, 4, 4; after placing seven: 3, 3, 3
    assert {meeting: len(ids) for meeting, ids in result.assignments.items()} == \
        {10: 5, 11: 1, 12: 1}


def test_the_same_input_in_any_order_gives_the_same_suggestion():
    rng = random.Random(7)
    moments = ["weekday-morning", "weekday-afternoon", EVENING, SAT_MORNING,
               "saturday-afternoon"]
    members = [member(n, rng.randint(1, 3), *rng.sample(moments, rng.randint(0, 2)))
               for n in range(1, 60)]
    meetings = [slot(10 + n, set(rng.sample([1, 2, 3], 2)), rng.choice(moments),
                     rng.randint(0, 12)) for n in range(5)]
    first = suggest(members, meetings)

    for _ in range(5):
        rng.shuffle(members)
        rng.shuffle(meetings)
        assert suggest(members, meetings) == first


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError):
        suggest([member(1), member(1)], [slot(10, {1})])
    with pytest.raises(ValueError):
        suggest([member(1)], [slot(10, {1}), slot(10, {2})])


def test_every_reason_has_a_label():
    assert set(REASON_LABELS) == {NO_MEETING, NO_PLACE, OTHER_MOMENT}


def _best(members: list[Candidate], meetings: list[Slot]) -> tuple[int, int]:
    """By trying every assignment: the most members placed, then the most at a fitting
    moment."""
    options = [[None, *[s for s in meetings if m.neighbourhood_id in s.neighbourhood_ids]]
               for m in members]
    best = (0, 0)
    for choice in itertools.product(*options):
        taken: dict[int, int] = {}
        for chosen in choice:
            if chosen is not None:
                taken[chosen.meeting_id] = taken.get(chosen.meeting_id, 0) + 1
        if any(taken.get(s.meeting_id, 0) > max(0, s.places) for s in meetings):
            continue
        placed = sum(1 for chosen in choice if chosen is not None)
        fitting = sum(1 for m, chosen in zip(members, choice, strict=True)
                      if chosen is not None and m.fits(chosen.moment))
        best = max(best, (placed, fitting))
    return best


@pytest.mark.parametrize("seed", range(60))
def test_nobody_who_could_be_placed_is_left_out(seed):
    rng = random.Random(seed)
    moments = [EVENING, SAT_MORNING, "weekday-morning"]
    members = [member(n, rng.randint(1, 3), *rng.sample(moments, rng.randint(0, 2)))
               for n in range(1, rng.randint(2, 7))]
    meetings = [slot(10 + n, set(rng.sample([1, 2, 3], rng.randint(1, 2))),
                     rng.choice(moments), rng.randint(0, 3)) for n in range(rng.randint(1, 3))]

    result = suggest(members, meetings)

    fits = {m.member_id: m for m in members}
    placed = {mid: s for s in meetings for mid in result.assignments[s.meeting_id]}
    fitting = sum(1 for mid, s in placed.items() if fits[mid].fits(s.moment))
    assert (len(placed), fitting) == _best(members, meetings)
    for s in meetings:
        assert len(result.assignments[s.meeting_id]) <= max(0, s.places)
        assert all(fits[mid].neighbourhood_id in s.neighbourhood_ids
                   for mid in result.assignments[s.meeting_id])
    assert sorted([*placed, *result.unplaced]) == sorted(fits)


def test_a_large_gebied_is_quick():
    rng = random.Random(1)
    moments = ["weekday-morning", "weekday-afternoon", EVENING, SAT_MORNING,
               "saturday-afternoon"]
    members = [member(n, rng.randint(1, 6), *rng.sample(moments, rng.randint(0, 3)))
               for n in range(1, 3001)]
    meetings = [slot(n, set(rng.sample(range(1, 7), 2)), rng.choice(moments), 40)
                for n in range(1, 13)]

    result = suggest(members, meetings)

    assert result.placed == 12 * 40


# --- suggest_for_area -----------------------------------------------------------------------

NOW = datetime(2027, 1, 11, 12, 0, tzinfo=UTC)  # Monday


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    session.commit()
    return item


def make_meeting(area: Any, wijken: list[Any], starts_at: datetime, status: str = "open",
                 **fields: Any) -> Meeting:
    item = Meeting(area=area, title="Bijeenkomst", starts_at=starts_at, status=status,
                   neighbourhoods=wijken, **fields)
    db.session.add(item)
    db.session.flush()
    return item


def test_suggest_for_area_uses_upcoming_open_meetings_and_uninvited_members(session, world):
    tuesday_evening = datetime(2027, 1, 12, 18, 30, tzinfo=UTC)
    saturday_morning = datetime(2027, 1, 16, 9, 0, tzinfo=UTC)
    evening = make_meeting(world.noord, [world.mare], tuesday_evening, capacity=10,
                           seats_taken=8)
    saturday = make_meeting(world.noord, [world.mare], saturday_morning, capacity=10)
    draft = make_meeting(world.noord, [world.mare], saturday_morning, status="draft")
    make_meeting(world.noord, [world.mare], NOW - timedelta(days=1))  # past
    make_meeting(world.noord, [world.mare], NOW - timedelta(days=1), status="draft")  # past
    make_meeting(world.noord, [world.mare], tuesday_evening, status="cancelled")
    make_meeting(world.noord, [world.mare], tuesday_evening, status="poll")
    make_meeting(world.zuid, [world.vrooner], tuesday_evening)  # another gebied
    evening_people = [factories.member(world.mare, name=f"Avond {n}",
                                       availability="weekday-evening") for n in range(3)]
    weekend = factories.member(world.mare, name="Weekend", availability="saturday-morning")
    invited = factories.member(world.mare, name="Al uitgenodigd")
    poll_only = factories.member(world.mare, name="Alleen de datumprikker",
                                 availability="saturday-morning")
    replied = factories.member(world.mare, name="Al geantwoord")
    factories.member(world.mare, name="Nog niet bevestigd", status="invited")
    factories.member(world.vrooner, name="Zuid")
    db.session.add(Invitation(meeting_id=saturday.id, member_id=invited.id,
                              token_hash="a" * 64))
    db.session.add(Invitation(meeting_id=saturday.id, member_id=poll_only.id,
                              token_hash="b" * 64, poll_only=True))
    db.session.add(Reply(meeting_id=evening.id, member_id=replied.id, status="declined"))
    session.commit()

    for user in (world.team_noord, world.admin):
        result = suggest_for_area(user, "noord", now=NOW)

        assert isinstance(result, Suggestion)
        # Two places left on the evening: the third evening member goes on Saturday.
        # The draft gets nobody.
        assert result.assignments == {
            evening.id: [evening_people[0].id, evening_people[1].id],
            saturday.id: [evening_people[2].id, weekend.id, poll_only.id],
        }
        assert result.unplaced == []
        assert result.reasons == {evening_people[2].id: OTHER_MOMENT}
        plan = plan_for_area(user, "noord", now=NOW)
        assert [item.id for item in plan.drafts] == [draft.id]
        assert [(e.meeting.id, e.seats_taken, e.open_invitations, e.places)
                for e in plan.meetings] == [(evening.id, 8, 0, 2), (saturday.id, 0, 1, 9)]
        assert plan.names[weekend.id] == "Weekend"


def test_suggest_for_area_without_meetings_leaves_everyone_unplaced(session, world):
    anna = factories.member(world.mare)
    session.commit()

    result = suggest_for_area(world.team_noord, "noord", now=NOW)

    assert result.assignments == {}
    assert result.unplaced == [anna.id]
    assert result.reasons == {anna.id: NO_MEETING}


def test_suggest_for_area_is_not_found_for_other_teams_clerks_and_unknown_codes(session, world):
    team_zuid = factories.user(Role.TEAM, areas=[world.zuid])
    session.commit()

    with pytest.raises(NotFound):
        suggest_for_area(team_zuid, "noord", now=NOW)
    with pytest.raises(NotFound):
        suggest_for_area(world.team_noord, "zuid", now=NOW)
    with pytest.raises(NotFound):
        suggest_for_area(world.clerk, "noord", now=NOW)
    with pytest.raises(NotFound):
        suggest_for_area(world.admin, "bestaat-niet", now=NOW)
    inactive = factories.user(Role.ADMIN, areas=[world.noord], active=False)
    with pytest.raises(PermissionDenied):
        suggest_for_area(inactive, "noord", now=NOW)
