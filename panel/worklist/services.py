"""What needs doing now, in the gebieden a staff member works in: one count per kind of
work, each with the page where the work is done.

The counts come from a fixed number of statements whatever the size of the municipality:
one for the gebieden, one for the meetings of the next 14 days (each with its own counts
as correlated subqueries), and one for every other count (one pass over the feedback
waiting for a check, and a subquery per count, each read from an index that holds only
what it counts, or little more), which also says whether the list goes out by email every
week.

Days are Dutch days: "the next 14 days" runs from now to midnight in Europe/Amsterdam at
the end of the 14th day after today, and a due date is overdue from the day after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import (
    Date,
    Integer,
    Select,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)

from panel.areas.models import Area, Neighbourhood
from panel.auth.models import User
from panel.auth.permissions import (
    may_edit_motions,
    may_manage_feedback,
    may_manage_meetings,
    may_manage_members,
    require_staff,
    sees_all_areas,
    visible_areas_statement,
)
from panel.db import UTCDateTime, db, flushed_connection, plan_generically, utcnow
from panel.errors import NotFound
from panel.feedback.models import Action, FeedbackItem
from panel.feedback.services import Due, due_bounds, due_condition, waiting_for_check
from panel.mail import services as mail
from panel.meetings.models import (
    Invitation,
    Meeting,
    MeetingStatus,
    Reply,
    ReplyStatus,
    meeting_neighbourhood,
)
from panel.meetings.models import unrecorded as meeting_unrecorded
from panel.meetings.times import LOCAL, day_bounds, local_today
from panel.motions.models import MotionRequest, RequestStatus
from panel.motions.services import DUE_DAYS
from panel.signups.models import MemberStatus, PanelMember
from panel.urls import UrlBuilder
from panel.worklist.models import WeeklyWorkList

MEETING_DAYS = 14  # meetings starting today or in the next 14 days
MOTION_DAYS = DUE_DAYS  # motion requests due within 30 days


# --- the lines ----------------------------------------------------------------------------

# ``ngettext(singular, plural, number, **variables)``: Flask-Babel's, or one that takes its
# strings from a catalogue looked up once (the start page, see ``worklist.views``).
Plural = Callable[..., str]

# How a line reads, per kind: a fixed statement with the count in it.
_TEXTS: dict[str, Callable[[Plural, int], str]] = {
    "meetings_unrecorded": lambda ngettext, n: ngettext(
        "%(num)s meeting has ended without attendance or a short report",
        "%(num)s meetings have ended without attendance or a short report", n),
    "feedback_14": lambda ngettext, n: ngettext(
        "%(num)s item has been waiting for a check for more than 14 days",
        "%(num)s items have been waiting for a check for more than 14 days", n),
    "feedback_7": lambda ngettext, n: ngettext(
        "%(num)s item has been waiting for a check for more than 7 days",
        "%(num)s items have been waiting for a check for more than 7 days", n),
    "actions_overdue": lambda ngettext, n: ngettext(
        "%(num)s action is past its due date", "%(num)s actions are past their due date", n),
    "motions_overdue": lambda ngettext, n: ngettext(
        "%(num)s motion request is past its deadline",
        "%(num)s motion requests are past their deadline", n),
    "feedback_new": lambda ngettext, n: ngettext(
        "%(num)s item is waiting for a check", "%(num)s items are waiting for a check",
        n),
    "actions_due": lambda ngettext, n: ngettext(
        "%(num)s action is due within 14 days", "%(num)s actions are due within 14 days", n),
    "actions_stale": lambda ngettext, n: ngettext(
        "%(num)s action has had no progress for 30 days",
        "%(num)s actions have had no progress for 30 days", n),
    "polls": lambda ngettext, n: ngettext(
        "%(num)s date poll is waiting for a choice", "%(num)s date polls are waiting for a choice",
        n),
    "call_requests": lambda ngettext, n: ngettext(
        "%(num)s person asked to be called", "%(num)s people asked to be called", n),
    "awaiting_confirmation": lambda ngettext, n: ngettext(
        "%(num)s member is waiting for a confirmation by phone or post",
        "%(num)s members are waiting for a confirmation by phone or post", n),
    "motions_due": lambda ngettext, n: ngettext(
        "%(num)s motion request is due within 30 days",
        "%(num)s motion requests are due within 30 days", n),
    # The lines of one meeting.
    "not_open": lambda ngettext, n: ngettext(
        "Not open for replies yet", "Not open for replies yet", n),
    "waiting": lambda ngettext, n: ngettext(
        "%(num)s person on the waitlist", "%(num)s people on the waitlist", n),
    "not_invited": lambda ngettext, n: ngettext(
        "%(num)s member not invited yet", "%(num)s members not invited yet", n),
    "letters_to_print": lambda ngettext, n: ngettext(
        "%(num)s letter still to print", "%(num)s letters still to print", n),
    "letters_unanswered": lambda ngettext, n: ngettext(
        "%(num)s letter without a reply: enter replies received by phone or post",
        "%(num)s letters without a reply: enter replies received by phone or post", n),
}


_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})
LETTERS_ANCHOR = "brieven"  # the id of the letters' part of a meeting's staff page
MOTIONS_ANCHOR = "verzoeken"  # the motion requests due, on the list of motions


class Line(NamedTuple):
    """One count on the work list and the page where the work is done. ``urgent`` lines
    stand out (something is late). (Named tuples: a list has dozens, each made at once.)"""

    kind: str
    count: int
    endpoint: str
    params: Mapping[str, Any] = _NO_PARAMS
    urgent: bool = False
    anchor: str = ""  # the part of the page, as ``#anchor`` after the link

    def href(self, path: str) -> str:
        """``path`` (the page's address) with the line's anchor, if any."""
        return f"{path}#{self.anchor}" if self.anchor else path

    @property
    def text(self) -> str:
        """The statement in the current language (also in an email's ``force_locale``)."""
        return self.say(ngettext)

    def say(self, plural: Plural) -> str:
        """The statement, translated by ``plural`` (an ``ngettext``)."""
        return _TEXTS[self.kind](plural, self.count)


class MeetingWork(NamedTuple):
    """A meeting in the next 14 days and what it still needs."""

    meeting_id: int
    title: str
    area_name: str
    starts_at: datetime
    capacity: int
    taken: int
    lines: list[Line]

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.taken)

    @property
    def places_text(self) -> str:
        return self.places(ngettext)

    def places(self, ngettext: Plural) -> str:
        """How many places are taken and free, translated by ``ngettext``."""
        return ngettext("%(num)s of %(capacity)s places taken, %(free)s free",
                        "%(num)s of %(capacity)s places taken, %(free)s free",
                        self.taken, capacity=self.capacity, free=self.free)

    @property
    def open(self) -> bool:
        """Open for replies (a planned meeting still has to be opened)."""
        return not any(line.kind == "not_open" for line in self.lines)


@dataclass(frozen=True)
class AreaChoice:
    code: str
    name: str


@dataclass
class WorkList:
    """The urgent lines, the meetings of the next 14 days, and the other lines; empty
    lines are left out. ``areas`` are the gebieden the list may be narrowed to (only when
    there is more than one) and ``area_code`` the chosen one ("" for all)."""

    urgent: list[Line]
    meetings: list[MeetingWork]
    other: list[Line]
    areas: list[AreaChoice]
    area_code: str
    weekly: bool

    @property
    def empty(self) -> bool:
        return not (self.urgent or self.meetings or self.other)

    @property
    def size(self) -> int:
        return len(self.urgent) + len(self.meetings) + len(self.other)


# --- Dutch days ---------------------------------------------------------------------------

def meeting_window(now: datetime) -> tuple[datetime, datetime]:
    """From now to the end of the 14th day after today, in Dutch time."""
    return now, day_bounds(local_today(now) + timedelta(days=MEETING_DAYS))[1]


# --- counting -----------------------------------------------------------------------------

def _count(query: Select[Any]) -> Any:
    return query.with_only_columns(func.count()).scalar_subquery()


def _meeting_lines(row: Any) -> list[Line]:
    target = {"meeting_id": row.id}
    if row.status == MeetingStatus.DRAFT:
        return [Line("not_open", 1, "meetings.staff_detail", target, urgent=True)]
    lines = []
    # All on the meeting's page; the letters are printed with a button in its part
    # "letters" (printing is a form: a link cannot do it).
    for kind, count, anchor in (
            ("waiting", row.waiting, ""),
            ("not_invited", max(0, row.not_invited), ""),
            ("letters_to_print", row.letters_to_print, LETTERS_ANCHOR),
            ("letters_unanswered", row.letters_unanswered, "")):
        if count:
            lines.append(Line(kind, count, "meetings.staff_detail", target, anchor=anchor))
    return lines


# The statements are built once, with bound parameters (``_parameters``), and used again
# on every request: building them and working out their cache keys cost SQLAlchemy more
# than the database needs to run them. They run on the session's connection: they load
# no objects, so the ORM's work for each statement would be for nothing. Lists of values
# are single parameters (``literal``, ``_area_ids``): SQLAlchemy writes a list parameter
# into the statement's text again on every request.

def _param(name: str, kind: Any) -> Any:
    return bindparam(name, type_=kind)


@cache
def _areas_statement(every: bool) -> Select[Any]:
    """The gebieden the user may see (``visible_areas_statement``), by name."""
    return visible_areas_statement(every).with_only_columns(Area.id, Area.code, Area.name)


def _area_ids(count: int) -> list[Any]:
    """The gebieden counted: ``count`` parameters ``area_0``, ``area_1``, … (the statements
    are built once per number of gebieden). Not a subquery with the area rule: PostgreSQL
    would plan the statement again on every request, which takes twice as long as running
    it; not a list parameter, which SQLAlchemy writes into the statement's text on every
    request."""
    return [bindparam(f"area_{number}", type_=Integer()) for number in range(count)]


@cache
def _upcoming_statement(areas: int) -> Select[Any]:
    """The meetings of the next 14 days with their counts. The index on status and start
    finds them (the index on the gebied would read every meeting the gebied ever had)."""
    meeting_id = Meeting.id
    letters = select(Invitation.id).join(PanelMember, PanelMember.id == Invitation.member_id) \
        .where(Invitation.meeting_id == meeting_id, Invitation.poll_only.is_(False),
               Invitation.channel == "letter",
               PanelMember.status == MemberStatus.MEMBER.value)
    # Subqueries two levels down name the meeting of the outer row explicitly.
    replied = exists().where(Reply.meeting_id == meeting_id,
                             Reply.member_id == Invitation.member_id).correlate_except(Reply)
    wijken = select(meeting_neighbourhood.c.neighbourhood_id).where(
        meeting_neighbourhood.c.meeting_id == meeting_id).correlate(Meeting)
    # Not invited yet: the members of its wijken less the members with an invitation.
    # Invitations go only to members of the meeting's wijken, and counting them is cheaper
    # than looking one up for every member (a member who moved to another wijk since is
    # the rare exception: the count never goes below 0).
    members = select(PanelMember.id).where(PanelMember.status == MemberStatus.MEMBER.value,
                                           PanelMember.neighbourhood_id.in_(wijken))
    invited = select(Invitation.id).join(PanelMember, PanelMember.id == Invitation.member_id) \
        .where(Invitation.meeting_id == meeting_id, Invitation.poll_only.is_(False),
               PanelMember.status == MemberStatus.MEMBER.value)
    return (
        select(Meeting.id, Meeting.title, Meeting.status, Meeting.starts_at, Meeting.capacity,
               Meeting.seats_taken, Area.name.label("area_name"),
               _count(select(Reply.id).where(Reply.meeting_id == meeting_id,
                                             Reply.status == ReplyStatus.WAITING.value))
               .label("waiting"),
               (_count(members) - _count(invited)).label("not_invited"),
               _count(letters.where(Invitation.letter_printed_at.is_(None)))
               .label("letters_to_print"),
               _count(letters.where(Invitation.letter_printed_at.is_not(None), ~replied))
               .label("letters_unanswered"))
        .join(Area, Area.id == Meeting.area_id)
        .where(Meeting.area_id.in_(_area_ids(areas)),
               Meeting.status.in_([literal(MeetingStatus.OPEN.value),
                                   literal(MeetingStatus.DRAFT.value)]),
               Meeting.starts_at >= _param("now", UTCDateTime()),
               Meeting.starts_at < _param("window_end", UTCDateTime()))
        .order_by(Meeting.starts_at, Meeting.id))


@cache
def _counts_statement(areas: int) -> Select[Any]:
    """Every other count (and the one meeting a count of one links to), and whether the
    list goes out by email every week, in one statement: one row."""
    now, today = _param("now", UTCDateTime()), _param("today", Date())
    bounds = {"today": today, "soon_until": _param("soon_until", Date()),
              "quiet_since": _param("quiet_since", UTCDateTime())}
    area_ids = _area_ids(areas)
    wijken = select(Neighbourhood.id).where(Neighbourhood.area_id.in_(area_ids))
    # Each count with the first of its meetings. The meetings that ended unrecorded come
    # from the partial index on the few without attendance or a report; the date polls
    # from the index on the status (a few per gebied).
    unrecorded = select(
        func.count().label("meetings_unrecorded"),
        func.min(Meeting.id).label("meetings_unrecorded_id"),
    ).where(meeting_unrecorded(), Meeting.area_id.in_(area_ids), Meeting.ends_at < now) \
        .subquery("unrecorded")
    polls = select(
        func.count().label("polls"),
        func.min(Meeting.id).label("polls_id"),
    ).where(Meeting.status == MeetingStatus.POLL.value, Meeting.area_id.in_(area_ids)) \
        .subquery("polls")
    # Reactions waiting for a check: more than 14 days, more than 7 days, all. One pass
    # over the index on wijk, review and date.
    feedback = select(
        func.count().filter(FeedbackItem.created_at < _param("late_14", UTCDateTime()))
        .label("feedback_14"),
        func.count().filter(FeedbackItem.created_at < _param("late_7", UTCDateTime()))
        .label("feedback_7"),
        func.count().label("feedback_new"),
    ).where(FeedbackItem.neighbourhood_id.in_(wijken), waiting_for_check()) \
        .subquery("feedback")
    members = select(PanelMember.id).where(PanelMember.neighbourhood_id.in_(wijken))
    actions = select(Action.id).where(Action.area_id.in_(area_ids))
    requests = select(MotionRequest.id).where(MotionRequest.status == RequestStatus.OPEN.value,
                                              MotionRequest.deadline.is_not(None))
    return select(
        unrecorded, polls, feedback,
        # Without an email address, as the member list filters them (the line's link):
        # from the index on wijk, status and email.
        _count(members.where(PanelMember.status == MemberStatus.INVITED.value,
                             PanelMember.email.is_(None)))
        .label("awaiting_confirmation"),
        _count(members.where(PanelMember.status != MemberStatus.LEFT.value,
                             PanelMember.call_requested_at.is_not(None)))
        .label("call_requests"),
        # From the index on gebied, status, due date and creation.
        _count(actions.where(due_condition(Due.OVERDUE, bounds))).label("actions_overdue"),
        _count(actions.where(due_condition(Due.SOON, bounds))).label("actions_due"),
        _count(actions.where(due_condition(Due.QUIET, bounds))).label("actions_stale"),
        _count(requests.where(MotionRequest.deadline < today)).label("motions_overdue"),
        _count(requests.where(MotionRequest.deadline >= today,
                              MotionRequest.deadline <= _param("motions_until", Date())))
        .label("motions_due"),
        exists().where(WeeklyWorkList.user_id == bindparam("user_id")).label("weekly")) \
        .select_from(unrecorded.join(polls, true()).join(feedback, true()))  # one row each


def _parameters(user: User, area_ids: list[int], now: datetime) -> dict[str, Any]:
    """The values of the statements' parameters: the user, the gebieden, and the days and
    times that decide what is late or soon, in Dutch days."""
    bounds = due_bounds(now)
    return {"user_id": user.id, **{f"area_{n}": id_ for n, id_ in enumerate(area_ids)},
            "now": now,
            "window_end": meeting_window(now)[1],
            "today": bounds["today"], "soon_until": bounds["soon_until"],
            "quiet_since": bounds["quiet_since"],
            "motions_until": bounds["today"] + timedelta(days=MOTION_DAYS),
            "late_14": now - timedelta(days=14), "late_7": now - timedelta(days=7)}


def _meeting_target(count: int, first_id: int | None) -> tuple[str, dict[str, Any]]:
    """One meeting: its page; several: the list of meetings."""
    if count == 1 and first_id is not None:
        return "meetings.staff_detail", {"meeting_id": first_id}
    return "meetings.staff_list", {}


def _lines(user: User, counts: Any, area_code: str) -> list[Line]:
    """Every line with work, the most urgent first (the order of the kinds below)."""
    area = {"gebied": area_code} if area_code else {}
    meetings, feedback = may_manage_meetings(user), may_manage_feedback(user)
    # Motions belong to no gebied: a list narrowed to one gebied leaves them out.
    motions, members = may_edit_motions(user) and not area_code, may_manage_members(user)
    candidates: list[Line] = []
    if meetings and counts.meetings_unrecorded:
        endpoint, params = _meeting_target(counts.meetings_unrecorded,
                                           counts.meetings_unrecorded_id)
        candidates.append(Line("meetings_unrecorded", counts.meetings_unrecorded, endpoint,
                               params, urgent=True))
    if feedback:
        # The feedback counts include each other (older than 14 days is older than 7 days,
        # and waiting): a line that counts no more than the line before it says nothing
        # new.
        if counts.feedback_14:
            candidates.append(Line("feedback_14", counts.feedback_14, "feedback.items",
                                   {**area, "te_controleren": "1", "ouder_dan": "14"},
                                   urgent=True))
        if counts.feedback_7 != counts.feedback_14:
            candidates.append(Line("feedback_7", counts.feedback_7, "feedback.items",
                                   {**area, "te_controleren": "1", "ouder_dan": "7"},
                                   urgent=True))
        if counts.actions_overdue:
            candidates.append(Line("actions_overdue", counts.actions_overdue, "feedback.actions",
                                   {**area, "termijn": Due.OVERDUE.value}, urgent=True))
    if motions and counts.motions_overdue:
        candidates.append(Line("motions_overdue", counts.motions_overdue, "motions.index",
                               urgent=True, anchor=MOTIONS_ANCHOR))
    if feedback:
        if counts.feedback_new != counts.feedback_7:
            candidates.append(Line("feedback_new", counts.feedback_new, "feedback.items",
                                   {**area, "te_controleren": "1"}))
        for kind, due in (("actions_due", Due.SOON), ("actions_stale", Due.QUIET)):
            if getattr(counts, kind):
                candidates.append(Line(kind, getattr(counts, kind), "feedback.actions",
                                       {**area, "termijn": due.value}))
    if meetings and counts.polls:
        endpoint, params = _meeting_target(counts.polls, counts.polls_id)
        candidates.append(Line("polls", counts.polls, endpoint, params))
    if members:
        if counts.call_requests:
            candidates.append(Line("call_requests", counts.call_requests, "signups.members",
                                   {**area, "bellen": "1"}))
        if counts.awaiting_confirmation:
            candidates.append(Line("awaiting_confirmation", counts.awaiting_confirmation,
                                   "signups.members",
                                   {**area, "status": MemberStatus.INVITED.value,
                                    "zonder_email": "1"}))
    if motions and counts.motions_due:
        candidates.append(Line("motions_due", counts.motions_due, "motions.index",
                               anchor=MOTIONS_ANCHOR))
    return candidates



def work_list(user: User, area_code: str = "", now: datetime | None = None) -> WorkList:
    """The work list of ``user``: for an area team member their own gebieden, for an
    administrator (and the clerk's office, which sees motions only) every gebied, narrowed
    to ``area_code`` when given. Raises NotFound for a gebied ``user`` may not see.
    Counted for every request: a staff member who just did something sees it counted,
    whichever worker answers."""
    require_staff(user)
    now = now or utcnow()
    connection = flushed_connection()
    areas = connection.execute(_areas_statement(sees_all_areas(user)),
                               {"visible_to": user.id}).all()
    chosen = [row for row in areas if row.code == area_code] if area_code else areas
    if area_code and not chosen:
        raise NotFound()  # not a gebied of this user's
    # Lines per gebied only for those who work in gebieden: the clerk's office sees the
    # motions only, so its counts go over no gebied at all (an empty list: no rows read).
    in_areas = may_manage_meetings(user) or may_manage_feedback(user) \
        or may_manage_members(user)
    if not in_areas:
        chosen = []
    values = _parameters(user, [row.id for row in chosen], now)
    if area_code or not sees_all_areas(user):
        # A team's own gebieden, or one chosen gebied: the plan made once fits every run
        # (the last statements of the request; see plan_generically). Over every gebied the
        # best plan depends on the values, and PostgreSQL's own choice is kept.
        plan_generically(connection)
    meetings = [MeetingWork(meeting_id=row.id, title=row.title, area_name=row.area_name,
                            starts_at=row.starts_at, capacity=row.capacity,
                            taken=row.seats_taken, lines=_meeting_lines(row))
                for row in connection.execute(_upcoming_statement(len(chosen)), values)] \
        if may_manage_meetings(user) else []
    counts = connection.execute(_counts_statement(len(chosen)), values).one()
    lines = _lines(user, counts, area_code)
    # The clerk's office counts motions, which belong to no gebied: nothing to choose.
    choices = [AreaChoice(row.code, row.name) for row in areas] \
        if len(areas) > 1 and may_manage_meetings(user) else []
    return WorkList(urgent=[line for line in lines if line.urgent], meetings=meetings,
                    other=[line for line in lines if not line.urgent], areas=choices,
                    area_code=area_code, weekly=bool(counts.weekly))


# --- the weekly email ---------------------------------------------------------------------

def set_weekly(user: User, wanted: bool) -> bool:
    """Turn the weekly email of ``user``'s work list on or off; returns the new state."""
    require_staff(user)
    row = db.session.get(WeeklyWorkList, user.id)
    if wanted and row is None:
        db.session.add(WeeklyWorkList(user_id=user.id))
    elif not wanted and row is not None:
        db.session.delete(row)
    db.session.flush()
    return wanted


def due_for_weekly(now: datetime) -> list[User]:
    """Active staff members who asked for the weekly email and did not get it in the last
    six days (so the command may run daily, or twice, without sending it twice a week)."""
    return list(db.session.scalars(
        select(User).join(WeeklyWorkList, WeeklyWorkList.user_id == User.id)
        .where(User.active.is_(True),
               or_(WeeklyWorkList.last_sent_at.is_(None),
                   WeeklyWorkList.last_sent_at < now - timedelta(days=6)))
        .order_by(User.id)))


def mark_sent(user: User, now: datetime) -> None:
    db.session.execute(
        WeeklyWorkList.__table__.update().where(WeeklyWorkList.user_id == user.id)
        .values(last_sent_at=now))



@dataclass(frozen=True)
class Linked:
    """A line with its absolute link, for the email."""

    line: Line
    url: str


WEEKLY_DAY = 0  # Monday
WEEKLY_HOUR = 7  # from 07:00 Dutch time


def weekly_due(now: datetime) -> bool:
    """Whether the weekly lists go out at ``now``: on Monday from 07:00 in the Netherlands
    (the jobs timer runs every few minutes; the first run from then sends them)."""
    local = now.astimezone(LOCAL)
    return local.weekday() == WEEKLY_DAY and local.hour >= WEEKLY_HOUR


def send_weekly(now: datetime | None = None, any_day: bool = False) -> int:
    """Queue the work list for every staff member who asked for it and did not get it in
    the last six days; a list without work is not sent. Outside Monday from 07:00 (Dutch
    time) nothing is sent unless ``any_day``. Returns how many were queued. Safe to run
    every few minutes: nobody gets it twice in a week."""
    now = now or utcnow()
    if not (any_day or weekly_due(now)):
        return 0
    link = UrlBuilder()
    sent = 0
    for user in due_for_weekly(now):
        work = work_list(user, now=now)
        if work.empty:
            continue

        def linked(lines: list[Line]) -> list[Linked]:
            return [Linked(line, line.href(link(line.endpoint, **line.params)))
                    for line in lines]

        meetings = [(item, link("meetings.staff_detail", meeting_id=item.meeting_id),
                     linked(item.lines)) for item in work.meetings]
        mail.queue(user.email, _l("Your work list for this week"), "work_list",
                   {"user": user, "urgent": linked(work.urgent), "meetings": meetings,
                    "other": linked(work.other), "start_url": link("auth.dashboard")})
        mark_sent(user, now)
        sent += 1
    return sent
