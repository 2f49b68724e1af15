"""Suggest which panel members to invite to which meeting of a gebied.

A gebied often plans several meetings at once, each for some of its wijken and at a certain
moment (a weekday evening, a Saturday morning, …). ``suggest`` spreads the members who have
not been invited yet over those meetings: only to a meeting for their own wijk, preferably
at a moment they said suits them, never more than the places left. It is a pure function
on small value objects; ``suggest_for_area`` loads those from the database for one gebied.
The result is a suggestion for the area team, nothing is invited or changed.

``plan_for_area`` adds what the spread page shows (the meetings with their places, the
drafts left out, the members' names) and a fingerprint of it; ``invite_as_planned`` invites
the plan only when it is still the plan the team saw (same fingerprint), and does so once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select, tuple_, update

from panel.areas.models import Area, Neighbourhood
from panel.auth.models import User
from panel.auth.permissions import managed_area, may_manage_meetings, require_staff
from panel.days import LOCAL
from panel.db import db, flushed_connection, utcnow
from panel.errors import DomainError, NotFound
from panel.meetings import services
from panel.meetings.models import Invitation, Meeting, MeetingStatus, Reply, meeting_neighbourhood
from panel.signups.models import MemberStatus, PanelMember

SUNDAY = "sunday"  # the moment of a Sunday meeting: no stated availability names it

# Why a member is unplaced, or placed at a moment they did not state.
NO_MEETING = "no-meeting"  # no upcoming meeting for their wijk
NO_PLACE = "no-place"  # the meetings for their wijk have no place left for them
OTHER_MOMENT = "other-moment"  # placed, but at a moment that is not in their availability

REASON_LABELS = {
    NO_MEETING: _l("There is no meeting for this wijk."),
    NO_PLACE: _l("The meetings for this wijk are full."),
    OTHER_MOMENT: _l("The resident did not choose this moment."),
}


@dataclass(frozen=True)
class Candidate:
    """A panel member who could be invited: their wijk and the moments that suit them.

    An empty ``availability`` means the member did not say; every moment suits them.
    """

    member_id: int
    neighbourhood_id: int
    availability: frozenset[str] = frozenset()

    def fits(self, moment: str) -> bool:
        """True when ``moment`` is one of the member's moments (or they named none)."""
        return not self.availability or moment in self.availability


@dataclass(frozen=True)
class Slot:
    """A meeting to fill: the wijken it is for, its moment (an availability token, see
    ``moment_of``) and the number of places left."""

    meeting_id: int
    neighbourhood_ids: frozenset[int]
    moment: str
    places: int


@dataclass
class Suggestion:
    """Who to invite where.

    ``assignments`` maps every meeting id to the ids of the members suggested for it (sorted);
    ``unplaced`` lists the members who got no meeting (sorted); ``reasons`` maps a member id
    to ``NO_MEETING`` or ``NO_PLACE`` for each unplaced member, and to ``OTHER_MOMENT`` for a
    placed member whose meeting is not at a moment they stated. ``REASON_LABELS`` has a
    translated text for each reason.
    """

    assignments: dict[int, list[int]] = field(default_factory=dict)
    unplaced: list[int] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)

    @property
    def placed(self) -> int:
        """How many members were given a meeting."""
        return sum(len(ids) for ids in self.assignments.values())


def moment_of(starts_at: datetime) -> str:
    """The availability token for a meeting starting at ``starts_at`` (an aware datetime),
    judged in Europe/Amsterdam time.

    Monday to Friday: before 12:00 ``weekday-morning``, 12:00–17:59 ``weekday-afternoon``,
    from 18:00 ``weekday-evening``. Saturday the same: ``saturday-morning``,
    ``saturday-afternoon``, ``saturday-evening``. Sunday: ``sunday``, which suits only
    members who named no moments. Raises ValueError for a naive datetime.
    """
    if starts_at.tzinfo is None:
        raise ValueError("naive datetimes are not accepted; pass an aware datetime")
    local = starts_at.astimezone(LOCAL)
    weekday = local.weekday()
    if weekday == 6:
        return SUNDAY
    day = "saturday" if weekday == 5 else "weekday"
    if local.hour < 12:
        return f"{day}-morning"
    if local.hour < 18:
        return f"{day}-afternoon"
    return f"{day}-evening"


def suggest(members: Sequence[Candidate], meetings: Sequence[Slot]) -> Suggestion:
    """Spread ``members`` over ``meetings``. The rule, in order of importance:

    1. A member only goes to a meeting for their own wijk, and a meeting gets no more
       members than its places.
    2. As many members as possible get a meeting. Nobody is left out when some way of
       dividing the places would give them one: a member with few options is not pushed
       out by a member who could just as well go to another meeting.
    3. Among those ways, as many members as possible go to a meeting at a moment that
       suits them (members who named no moments fit every meeting). A member is placed at
       another moment only when the fitting meetings have no room left for them;
       ``reasons`` then says ``OTHER_MOMENT``, so the area team can ask first.
    4. Among those ways, the places are spread: the free places left are as even as
       possible, as if each next member went to the meeting with the most free places.
    5. Ties are settled in a fixed way (by meeting and member ids; among members with the
       same options, lower ids get a place, and a fitting one, first), so the same input
       always gives the same suggestion, whatever its order.

    This is a minimum-cost maximum flow over groups of members with the same options, small
    enough for a request: the size grows with the number of meetings and wijken, hardly with
    the number of members. Raises ValueError when a member or meeting id occurs twice.
    """
    candidates = sorted(members, key=lambda c: c.member_id)
    slots = sorted(meetings, key=lambda s: s.meeting_id)
    _check_unique([c.member_id for c in candidates], "member")
    _check_unique([s.meeting_id for s in slots], "meeting")
    suggestion = Suggestion(assignments={slot.meeting_id: [] for slot in slots})

    # Members with the same options are interchangeable: group them, key -> member ids.
    groups: dict[tuple[tuple[int, bool], ...], list[int]] = {}
    options_of: dict[tuple[int, frozenset[str]], tuple[tuple[int, bool], ...]] = {}
    for candidate in candidates:
        key = (candidate.neighbourhood_id, candidate.availability)
        options = options_of.get(key)
        if options is None:  # worked out once for each wijk and availability
            options = options_of[key] = tuple(
                (index, candidate.fits(slot.moment)) for index, slot in enumerate(slots)
                if candidate.neighbourhood_id in slot.neighbourhood_ids)
        if not options:
            suggestion.unplaced.append(candidate.member_id)
            suggestion.reasons[candidate.member_id] = NO_MEETING
            continue
        groups.setdefault(options, []).append(candidate.member_id)

    flows = _spread_groups(list(groups), [len(ids) for ids in groups.values()],
                           [max(0, slot.places) for slot in slots])
    for (options, member_ids), per_slot in zip(groups.items(), flows, strict=True):
        fits = dict(options)
        queue = iter(member_ids)  # lower member ids first, fitting meetings first
        for index, amount in sorted(per_slot.items(), key=lambda item: (not fits[item[0]],
                                                                          item[0])):
            for _ in range(amount):
                member_id = next(queue)
                suggestion.assignments[slots[index].meeting_id].append(member_id)
                if not fits[index]:
                    suggestion.reasons[member_id] = OTHER_MOMENT
        for member_id in queue:
            suggestion.unplaced.append(member_id)
            suggestion.reasons[member_id] = NO_PLACE

    for ids in suggestion.assignments.values():
        ids.sort()
    suggestion.unplaced.sort()
    return suggestion


def _check_unique(ids: list[int], what: str) -> None:
    if len(set(ids)) != len(ids):
        raise ValueError(f"a {what} id occurs more than once")


def _spread_groups(groups: list[tuple[tuple[int, bool], ...]], sizes: list[int],
                   places: list[int]) -> list[dict[int, int]]:
    """How many members of each group go to each slot (index -> count), following the rule
    of ``suggest``: a minimum-cost maximum flow.

    Nodes: source, one per group, one per slot, sink. Source -> group carries the group's
    size; group -> slot costs ``mismatch`` when the slot's moment does not fit, else 0;
    slot -> sink carries the slot's places, the k-th place of a slot with p places costing
    k - p, so the emptiest meeting is the cheapest. ``mismatch`` is larger than any possible
    total of place costs, so fitting moments always win over spreading. Sending one member
    at a time along a cheapest path until no path is left gives the most members placed at
    the lowest cost (successive shortest paths).
    """
    source, first_group = 0, 1
    first_slot = first_group + len(groups)
    sink = first_slot + len(places)
    graph = _Graph(sink + 1)
    mismatch = 1 + sum(p * p for p in places)
    links: list[list[tuple[int, int]]] = []  # per group: (slot index, edge index)
    for number, (options, size) in enumerate(zip(groups, sizes, strict=True)):
        node = first_group + number
        graph.add(source, node, size, 0)
        links.append([(index, graph.add(node, first_slot + index, size, 0 if fits else mismatch))
                      for index, fits in options])
    for index, count in enumerate(places):
        if count > 0:
            graph.add(first_slot + index, sink, count, 1 - count, step=1)
    graph.min_cost_max_flow(source, sink)
    return [{index: graph.flow(first_group + number, edge) for index, edge in group_links
             if graph.flow(first_group + number, edge)}
            for number, group_links in enumerate(links)]


class _Graph:
    """A small flow network for ``_spread_groups``.

    An edge is ``[to, capacity left, cost of the next unit, index of its twin in to's list,
    step]``. An edge with a step models rising costs (the places of a meeting): every unit
    sent over it or its twin makes the next unit that way ``step`` dearer and the other way
    ``step`` cheaper, so the twin always refunds exactly the cost of the last unit sent.
    """

    def __init__(self, size: int) -> None:
        self.edges: list[list[list[int]]] = [[] for _ in range(size)]
        self.capacity: dict[tuple[int, int], int] = {}

    def add(self, start: int, end: int, capacity: int, cost: int, step: int = 0) -> int:
        """Add an edge and its residual twin; returns the edge's index in ``start``'s list."""
        self.edges[start].append([end, capacity, cost, len(self.edges[end]), step])
        self.edges[end].append([start, 0, step - cost, len(self.edges[start]) - 1, step])
        index = len(self.edges[start]) - 1
        self.capacity[(start, index)] = capacity
        return index

    def flow(self, start: int, index: int) -> int:
        """The flow sent over edge ``index`` of node ``start``."""
        return self.capacity[(start, index)] - self.edges[start][index][1]

    def _cheapest_path(self, source: int, sink: int) -> list[tuple[int, int]] | None:
        """The edges (node, index) of a cheapest path with room left, or None. Bellman-Ford
        with a queue (negative costs, but never a negative cycle), in a fixed order."""
        cost: list[int | None] = [None] * len(self.edges)
        previous: list[tuple[int, int] | None] = [None] * len(self.edges)
        waiting = [False] * len(self.edges)
        cost[source], waiting[source] = 0, True
        queue = deque([source])
        while queue:
            node = queue.popleft()
            waiting[node] = False
            here = cost[node]
            assert here is not None
            for index, (end, capacity, edge_cost, _twin, _step) in enumerate(self.edges[node]):
                there = cost[end]
                if capacity > 0 and (there is None or here + edge_cost < there):
                    cost[end], previous[end] = here + edge_cost, (node, index)
                    if not waiting[end]:
                        waiting[end] = True
                        queue.append(end)
        if cost[sink] is None:
            return None
        path, node = [], sink
        while node != source:
            step = previous[node]
            assert step is not None
            path.append(step)
            node = step[0]
        return path

    def min_cost_max_flow(self, source: int, sink: int) -> None:
        """Send one unit at a time along a cheapest path until no path is left. The network
        starts without any cycle, so it never has a negative one."""
        while (path := self._cheapest_path(source, sink)) is not None:
            for node, index in path:
                edge = self.edges[node][index]
                twin = self.edges[edge[0]][edge[3]]
                edge[1] -= 1
                twin[1] += 1
                edge[2] += edge[4]  # the next unit the same way costs more,
                twin[2] -= edge[4]  # and sending it back refunds the unit just sent


# --- the plan of a gebied -------------------------------------------------------------------

PLAN_CHANGED = _l("The plan changed after this page was shown, so nobody was invited. "
                  "Check the new plan below and invite again.")
_PAIR = re.compile(r"([0-9]{1,18})-([0-9]{1,18})")
_MOST_PAIRS = 20_000  # more than any gebied has members; a longer list is not a plan


@dataclass(frozen=True)
class Shown:
    """What the plan shows of a meeting, as plain values copied when the plan is worked
    out (the page needs no more of the meeting's object)."""

    id: int
    title: str
    starts_at: datetime | None = None
    capacity: int = 0

    @classmethod
    def of(cls, meeting: Meeting) -> Shown:
        return cls(meeting.id, meeting.title, meeting.starts_at, meeting.capacity)


@dataclass(frozen=True)
class PlannedMeeting:
    """An open meeting in the plan: its places as counted for the plan and who goes.

    ``open_invitations`` are invitations sent and not answered yet, of members still in
    the panel (a member who left can no longer reply, a reply of no is an answer);
    ``places`` are the places left for the plan: capacity minus seats taken minus open
    invitations, never below zero."""

    meeting: Shown
    seats_taken: int
    open_invitations: int
    places: int
    member_ids: list[int]


@dataclass(frozen=True)
class Unplaced:
    """Members of one wijk left out of the plan for one reason (``NO_MEETING`` or
    ``NO_PLACE``): the wijk's name and the members' names, in the order of their ids."""

    wijk: str
    reason: str
    names: list[str]


@dataclass
class AreaPlan:
    """What the spread page of a gebied shows: the gebied's name, the suggestion, the open
    meetings it fills (by id), the upcoming drafts it leaves out, the names of the members
    it names and the wijk of each (``wijk_of``, member id -> wijk name)."""

    area_name: str
    suggestion: Suggestion
    meetings: list[PlannedMeeting]
    drafts: list[Shown]
    names: dict[int, str]
    wijk_of: dict[int, str] = field(default_factory=dict)

    @cached_property
    def unplaced(self) -> list[Unplaced]:
        """The members without a place, by wijk (in the order of the wijken's names) and
        reason: hundreds of names read better in a few groups than in one list."""
        groups: dict[tuple[str, str], list[str]] = {}
        for member_id in self.suggestion.unplaced:
            key = (self.wijk_of.get(member_id, ""), self.suggestion.reasons[member_id])
            groups.setdefault(key, []).append(self.names[member_id])
        return [Unplaced(wijk=wijk, reason=reason, names=names)
                for (wijk, reason), names in sorted(groups.items(), key=lambda item: item[0])]

    @cached_property
    def pairs(self) -> str:
        """Who is invited where, as ``meeting-member`` pairs (sent back with the form, to
        recognise a plan that was carried out already)."""
        return " ".join(f"{entry.meeting.id}-{member_id}" for entry in self.meetings
                        for member_id in entry.member_ids)

    @cached_property
    def fingerprint(self) -> str:
        """A hash of everything the page shows that decides or explains the plan: each
        meeting's title, start and places (capacity, seats taken, open invitations) with
        the members suggested for it, the members without a place and the reasons, and the
        drafts left out. Any change in between (a member joined, left or replied, places
        or meetings changed) gives another fingerprint."""
        shown = {
            "meetings": [[entry.meeting.id, entry.meeting.title,
                          entry.meeting.starts_at.isoformat() if entry.meeting.starts_at
                          else None, entry.meeting.capacity, entry.seats_taken,
                          entry.open_invitations, entry.places, entry.member_ids]
                         for entry in self.meetings],
            "unplaced": self.suggestion.unplaced,
            "reasons": sorted(self.suggestion.reasons.items()),
            "drafts": [[draft.id, draft.title] for draft in self.drafts],
        }
        text = json.dumps(shown, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class SpreadReport:
    """What inviting the plan did: invitations emailed and letters to print, or
    ``already`` when the plan shown had been carried out before (a second click)."""

    emailed: int = 0
    letters: int = 0
    already: bool = False


def _managed_area(user: User, area_code: str) -> Area:
    require_staff(user)
    if not may_manage_meetings(user):
        raise NotFound()  # the clerk's office: as if the gebied were not there
    return managed_area(user, area_code)


def suggest_for_area(user: User, area_code: str, now: datetime | None = None) -> Suggestion:
    """The suggestion of ``plan_for_area`` alone."""
    return plan_for_area(user, area_code, now).suggestion


def plan_for_area(user: User, area_code: str, now: datetime | None = None) -> AreaPlan:
    """The plan for the upcoming meetings of gebied ``area_code``.

    Meetings: the open meetings of the gebied that start after ``now``, each with its
    places left for the plan (capacity minus seats taken minus open invitations, see
    ``PlannedMeeting``), so running the plan again never invites more people than there
    are places. Upcoming drafts are left out (nobody can be invited to a draft) and listed
    in ``drafts``. Members: panel members (status member) of the gebied's wijken who have
    no invitation (an invitation to a date poll only does not count, as in
    ``services.invite``) and no reply for any of those open meetings.

    Only administrators and members of the gebied's area team may ask; anyone else gets
    NotFound, also when the gebied does not exist (PermissionDenied for no active account).
    Reads only; changes nothing.

    Worked out for every request; ``invite_as_planned`` works it out again and invites
    nothing when it differs from the one shown.
    """
    return _plan(_managed_area(user, area_code), now or utcnow())


def _plan(area: Area, now: datetime) -> AreaPlan:
    upcoming = list(db.session.scalars(
        select(Meeting)
        .where(Meeting.area_id == area.id,
               Meeting.status.in_((MeetingStatus.OPEN.value, MeetingStatus.DRAFT.value)),
               Meeting.starts_at.is_not(None), Meeting.starts_at > now)
        .order_by(Meeting.starts_at, Meeting.id)
        .execution_options(populate_existing=True)
    ))
    drafts = [meeting for meeting in upcoming if meeting.status == MeetingStatus.DRAFT]
    meetings = sorted((meeting for meeting in upcoming if meeting.status == MeetingStatus.OPEN),
                      key=lambda meeting: meeting.id)
    meeting_ids = [meeting.id for meeting in meetings]

    answered = exists().where(Reply.meeting_id == Invitation.meeting_id,
                              Reply.member_id == Invitation.member_id)
    waiting_for_answer = dict(db.session.execute(
        select(Invitation.meeting_id, func.count())
        .join(PanelMember, PanelMember.id == Invitation.member_id)
        .where(Invitation.meeting_id.in_(meeting_ids), Invitation.poll_only.is_(False),
               PanelMember.status == MemberStatus.MEMBER.value, ~answered)
        .group_by(Invitation.meeting_id)
    ).tuples().all())
    places = {meeting.id: max(0, meeting.capacity - meeting.seats_taken
                              - waiting_for_answer.get(meeting.id, 0)) for meeting in meetings}
    # The wijken of each meeting as ids (loading them as objects cost more than the rest
    # of the meetings together).
    wijken_of: dict[int, set[int]] = {meeting_id: set() for meeting_id in meeting_ids}
    for meeting_id, wijk_id in db.session.execute(
            select(meeting_neighbourhood.c.meeting_id, meeting_neighbourhood.c.neighbourhood_id)
            .where(meeting_neighbourhood.c.meeting_id.in_(meeting_ids))).tuples():
        wijken_of[meeting_id].add(wijk_id)
    slots = [Slot(meeting_id=meeting.id,
                  neighbourhood_ids=frozenset(wijken_of[meeting.id]),
                  moment=moment_of(meeting.starts_at), places=places[meeting.id])
             for meeting in meetings if meeting.starts_at is not None]

    # Who is out of the plan already, in a statement of its own: a NOT EXISTS per member
    # probed the invitations and replies of every meeting for each of the gebied's members.
    taken = set(db.session.scalars(
        select(Invitation.member_id)
        .where(Invitation.meeting_id.in_(meeting_ids), Invitation.poll_only.is_(False))
        .union(select(Reply.member_id).where(Reply.meeting_id.in_(meeting_ids)))))
    # The gebied's wijken as a list of numbers (IN with values), neither a join nor a
    # subquery, and no ORDER BY: otherwise SQLite (which has no statistics) went through
    # every member of the municipality by the index on status (in the order of their ids)
    # and looked up each one's wijk (40-350 ms with 90,000 members); now it reads the
    # gebied's members from the index on (wijk, status).
    wijken = dict(db.session.execute(select(Neighbourhood.id, Neighbourhood.name)
                                     .where(Neighbourhood.area_id == area.id)).tuples().all())
    # Plain values, all at once: the ORM's handling of each of a few thousand rows cost
    # more than reading them.
    rows = [row for row in flushed_connection().execute(
        select(PanelMember.id, PanelMember.neighbourhood_id, PanelMember.availability,
               PanelMember.name)
        .where(PanelMember.neighbourhood_id.in_(list(wijken)),
               PanelMember.status == MemberStatus.MEMBER.value)
    ).all() if row[0] not in taken]  # unordered: ``suggest`` sorts by id
    moments = {text: frozenset(s for s in text.split(",") if s)  # a few distinct ones
               for text in {availability for _id, _wijk, availability, _name in rows}}
    candidates = [Candidate(member_id=member_id, neighbourhood_id=wijk,
                            availability=moments[availability])
                  for member_id, wijk, availability, _name in rows]
    suggestion = suggest(candidates, slots)
    planned = [PlannedMeeting(meeting=Shown.of(meeting), seats_taken=meeting.seats_taken,
                              open_invitations=waiting_for_answer.get(meeting.id, 0),
                              places=places[meeting.id],
                              member_ids=suggestion.assignments[meeting.id])
               for meeting in sorted(meetings, key=lambda m: (m.starts_at, m.id))]
    return AreaPlan(area_name=area.name, suggestion=suggestion, meetings=planned,
                    drafts=[Shown.of(draft) for draft in drafts],
                    names={member_id: name for member_id, _wijk, _moments, name in rows},
                    wijk_of={member_id: wijken[wijk] for member_id, wijk, _moments, _name
                             in rows})


def _hold_area(area: Area) -> None:
    """Start the transaction with a write on the gebied's row, so that two requests that
    invite for the same gebied (a double click, two team members) run one after the other:
    on PostgreSQL the UPDATE locks the row until the commit, on SQLite it takes the
    database's write lock before anything is read (see DEVELOPERS.md, places and
    concurrency). The row itself does not change."""
    db.session.execute(update(Area).where(Area.id == area.id).values(code=Area.code)
                       .execution_options(synchronize_session=False))


def _carried_out(area: Area, pairs: str) -> bool:
    """True when every ``meeting-member`` pair sent back is an invitation now (to a meeting
    of this gebied): the plan shown was invited before, by an earlier click."""
    wanted = {(int(meeting), int(member)) for meeting, member in _PAIR.findall(pairs or "")}
    if not wanted or len(wanted) > _MOST_PAIRS:
        return False
    found = db.session.scalar(
        select(func.count()).select_from(Invitation)
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .where(Meeting.area_id == area.id, Invitation.poll_only.is_(False),
               tuple_(Invitation.meeting_id, Invitation.member_id).in_(sorted(wanted))))
    return found == len(wanted)


def invite_as_planned(user: User, area_code: str, fingerprint: str, pairs: str = "",
                      now: datetime | None = None) -> SpreadReport:
    """Invite the plan of gebied ``area_code``, but only when it is still the plan the team
    saw: the plan is worked out again and its fingerprint must equal ``fingerprint`` (what
    the page carried). Otherwise nothing is invited and DomainError ``PLAN_CHANGED`` is
    raised, unless every pair of ``pairs`` (the plan shown, see ``AreaPlan.pairs``) has
    been invited already: then the plan was carried out by an earlier click and the report
    says ``already``. Requests for the same gebied run one after the other
    (``_hold_area``), so a double click invites once. Same access rules as
    ``plan_for_area``; flushes, never commits."""
    now = now or utcnow()
    area = _managed_area(user, area_code)
    _hold_area(area)
    plan = _plan(area, now)
    if not hmac.compare_digest(plan.fingerprint.encode(), (fingerprint or "").encode()):
        if _carried_out(area, pairs):
            return SpreadReport(already=True)
        raise DomainError(PLAN_CHANGED)
    report = SpreadReport()
    for entry in plan.meetings:
        if entry.member_ids:
            invited = services.invite(user, entry.meeting.id, entry.member_ids, now=now)
            report.emailed += invited.emailed
            report.letters += invited.letters
    return report
