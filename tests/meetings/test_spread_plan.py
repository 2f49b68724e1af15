"""The spread plan of a gebied as a service: open invitations count against the places,
drafts are left out, and inviting carries out exactly the plan shown, once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from panel.auth.models import Role
from panel.db import db
from panel.errors import DomainError, NotFound
from panel.meetings import services
from panel.meetings.models import Invitation, Meeting
from panel.meetings.spread import (
    NO_PLACE,
    PLAN_CHANGED,
    AreaPlan,
    invite_as_planned,
    plan_for_area,
)
from panel.signups.models import PanelMember
from tests import factories
from tests.mailbox import outbox

NOW = datetime(2027, 1, 11, 12, 0, tzinfo=UTC)  # Monday
EVENING = datetime(2027, 1, 12, 18, 30, tzinfo=UTC)  # Tuesday evening
SATURDAY = datetime(2027, 1, 16, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    item.people = [factories.member(item.mare, name=f"Lid {n}", email=f"lid{n}@example.org")
                   for n in range(4)]
    session.commit()
    return item


def make_meeting(world: Any, starts_at: datetime = EVENING, status: str = "open",
                 capacity: int = 2, title: str = "Avond in De Mare") -> Meeting:
    item = Meeting(area=world.noord, title=title, starts_at=starts_at, status=status,
                   capacity=capacity, neighbourhoods=[world.mare])
    db.session.add(item)
    db.session.commit()
    return item


def plan(world: Any) -> AreaPlan:
    return plan_for_area(world.team_noord, "noord", now=NOW)


def carry_out(world: Any, shown: AreaPlan) -> Any:
    report = invite_as_planned(world.team_noord, "noord", shown.fingerprint, shown.pairs,
                               now=NOW)
    db.session.commit()
    return report


def invitations(meeting_id: int | None = None) -> set[tuple[int, int]]:
    db.session.expire_all()
    query = select(Invitation.meeting_id, Invitation.member_id)
    if meeting_id is not None:
        query = query.where(Invitation.meeting_id == meeting_id)
    return set(db.session.execute(query).tuples())


def shown_pairs(shown: AreaPlan) -> set[tuple[int, int]]:
    return {(entry.meeting.id, member_id) for entry in shown.meetings
            for member_id in entry.member_ids}


# --- counting the places ------------------------------------------------------------------


def test_open_invitations_count_so_a_second_run_never_over_invites(world):
    meeting = make_meeting(world, capacity=2)

    first = plan(world)
    assert len(first.meetings[0].member_ids) == 2
    assert carry_out(world, first).emailed == 2

    second = plan(world)
    entry = second.meetings[0]
    assert (entry.seats_taken, entry.open_invitations, entry.places) == (0, 2, 0)
    assert entry.member_ids == []
    assert second.suggestion.reasons == {m: NO_PLACE for m in second.suggestion.unplaced}
    assert len(second.suggestion.unplaced) == 2
    assert carry_out(world, second).emailed == 0
    assert len(invitations(meeting.id)) == 2  # not 4, however often the plan runs


def test_answers_and_departures_free_the_places_they_held(world):
    meeting = make_meeting(world, capacity=3)
    coming, silent, declining, leaving = world.people
    services.invite(world.team_noord, meeting.id, [m.id for m in world.people], now=NOW)
    services.reply(meeting, coming, True, now=NOW)
    services.reply(meeting, declining, False, now=NOW)
    leaving.status = "left"  # an invitation of someone who left can no longer be answered
    newcomer = factories.member(world.mare, name="Nieuw", email="nieuw@example.org")
    db.session.commit()

    entry = plan(world).meetings[0]

    # 3 places - 1 taken (yes) - 1 open (no answer); the no and the one who left count not.
    assert (entry.seats_taken, entry.open_invitations, entry.places) == (1, 1, 1)
    assert entry.member_ids == [newcomer.id]
    assert silent.id not in entry.member_ids


def test_a_poll_invitation_does_not_hold_a_place(world):
    meeting = make_meeting(world, capacity=1)
    db.session.add(Invitation(meeting_id=meeting.id, member_id=world.people[0].id,
                              token_hash="p" * 64, poll_only=True))
    db.session.commit()

    entry = plan(world).meetings[0]

    assert (entry.open_invitations, entry.places, len(entry.member_ids)) == (0, 1, 1)


# --- drafts ----------------------------------------------------------------------------------


def test_drafts_are_left_out_of_the_plan_and_listed(world):
    draft = make_meeting(world, SATURDAY, status="draft", capacity=10, title="Nog niet open")
    open_one = make_meeting(world, EVENING, capacity=2)

    shown = plan(world)

    assert [item.id for item in shown.drafts] == [draft.id]
    assert [entry.meeting.id for entry in shown.meetings] == [open_one.id]
    assert draft.id not in shown.suggestion.assignments
    assert len(shown.suggestion.unplaced) == 2  # the draft's places are not offered
    carry_out(world, shown)
    assert invitations(draft.id) == set()
    assert len(invitations(open_one.id)) == 2


def test_only_drafts_means_nobody_is_placed(world):
    draft = make_meeting(world, SATURDAY, status="draft", capacity=10)

    shown = plan(world)

    assert [item.id for item in shown.drafts] == [draft.id] and shown.meetings == []
    assert shown.suggestion.placed == 0 and shown.pairs == ""


# --- inviting exactly the plan shown ---------------------------------------------------------


def test_exactly_the_plan_shown_is_invited(world):
    evening = make_meeting(world, EVENING, capacity=2)
    saturday = make_meeting(world, SATURDAY, capacity=1, title="Zaterdag")
    offline = factories.member(world.mare, name="Zonder mail")
    db.session.commit()

    shown = plan(world)
    report = carry_out(world, shown)

    assert invitations() == shown_pairs(shown)
    assert len(invitations(evening.id)) == 2 and len(invitations(saturday.id)) == 1
    placed = {m for entry in shown.meetings for m in entry.member_ids}
    assert report.emailed + report.letters == 3
    assert report.letters == (1 if offline.id in placed else 0)
    assert len([m for m in outbox() if "/antwoord/" in m.text_body]) == report.emailed


def _joined(world: Any, meeting: Meeting) -> None:
    factories.member(world.mare, name="Net lid", email="net@example.org")


def _left(world: Any, meeting: Meeting) -> None:
    db.session.get(PanelMember, world.people[0].id).status = "left"


def _replied(world: Any, meeting: Meeting) -> None:
    services.reply(meeting, world.earlier, True, now=NOW)


def _places(world: Any, meeting: Meeting) -> None:
    db.session.get(Meeting, meeting.id).capacity = 3


def _opened(world: Any, meeting: Meeting) -> None:
    services.open_for_replies(world.team_noord, world.draft.id)


def _invited_by_hand(world: Any, meeting: Meeting) -> None:
    services.invite(world.team_noord, meeting.id, [world.people[0].id], now=NOW)


@pytest.mark.parametrize("change", [_joined, _left, _replied, _places, _opened,
                                    _invited_by_hand],
                         ids=["joined", "left", "replied", "places", "opened", "invited"])
def test_a_plan_that_changed_after_it_was_shown_invites_nobody(
        world, change: Callable[[Any, Meeting], None]):
    meeting = make_meeting(world, capacity=4)
    world.draft = make_meeting(world, SATURDAY, status="draft", title="Nog niet open")
    world.earlier = factories.member(world.mare, name="Eerder", email="eerder@example.org")
    services.invite(world.team_noord, meeting.id, [world.earlier.id], now=NOW)
    db.session.commit()
    shown = plan(world)
    before, mail_before = invitations(), len(outbox())

    change(world, meeting)
    db.session.commit()
    after_change = invitations()
    with pytest.raises(DomainError) as refused:
        invite_as_planned(world.team_noord, "noord", shown.fingerprint, shown.pairs, now=NOW)
    db.session.rollback()

    assert refused.value.message == str(PLAN_CHANGED)
    assert invitations() == after_change
    assert len(outbox()) == mail_before + (1 if change is _invited_by_hand else 0)
    assert plan(world).fingerprint != shown.fingerprint
    assert after_change - before <= {(meeting.id, world.people[0].id)}


@pytest.mark.parametrize("fingerprint", ["", "0" * 64, "ä" * 64, "x"])
def test_a_fingerprint_that_was_not_shown_invites_nobody(world, fingerprint):
    make_meeting(world, capacity=2)
    shown = plan(world)

    with pytest.raises(DomainError):
        invite_as_planned(world.team_noord, "noord", fingerprint, shown.pairs, now=NOW)
    db.session.rollback()

    assert invitations() == set() and outbox() == []


def test_the_same_plan_sent_twice_invites_once(world):
    make_meeting(world, capacity=2)
    shown = plan(world)

    first = carry_out(world, shown)
    mail = len(outbox())
    second = carry_out(world, shown)

    assert (first.emailed, first.already) == (2, False)
    assert (second.emailed, second.letters, second.already) == (0, 0, True)
    assert invitations() == shown_pairs(shown)
    assert len(outbox()) == mail
    count = db.session.scalar(select(func.count()).select_from(Invitation))
    assert count == 2


def test_pairs_that_were_not_invited_do_not_pass_for_a_plan_carried_out(world):
    make_meeting(world, capacity=2)
    shown = plan(world)
    carry_out(world, shown)
    others = plan(world)  # a plan without places: the other two members, unplaced
    faked = " ".join(f"{shown.meetings[0].meeting.id}-{m}" for m in others.suggestion.unplaced)

    with pytest.raises(DomainError):
        invite_as_planned(world.team_noord, "noord", "0" * 64, faked, now=NOW)
    db.session.rollback()
    with pytest.raises(DomainError):
        invite_as_planned(world.team_noord, "noord", "0" * 64, "not-a-pair 1-x", now=NOW)
    db.session.rollback()

    assert invitations() == shown_pairs(shown)


def test_only_the_gebied_team_and_administrators_may_invite_the_plan(world):
    make_meeting(world, capacity=2)
    shown = plan(world)
    team_zuid = factories.user(Role.TEAM, areas=[world.zuid])
    db.session.commit()

    for user in (team_zuid, world.clerk):
        with pytest.raises(NotFound):
            invite_as_planned(user, "noord", shown.fingerprint, shown.pairs, now=NOW)
        db.session.rollback()
    assert invitations() == set()
    report = invite_as_planned(world.admin, "noord", shown.fingerprint, shown.pairs, now=NOW)
    assert report.emailed == 2
