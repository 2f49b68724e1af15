"""Planning meetings, inviting panel members, and replies with limited places.

Places are never overbooked: a place is taken only by a conditional UPDATE on
``meeting.seats_taken`` (``... WHERE seats_taken < capacity``), which both SQLite and
PostgreSQL execute atomically, so of two replies for the last place exactly one gets it and
the other goes on the waitlist. A place on the waitlist gets the next number of the meeting's
``waitlist_counter`` through an unconditional UPDATE … RETURNING, which locks the meeting's
row until the reply is committed: people joining the waitlist at the same moment get their
numbers one after the other, and a waitlist position counted after that UPDATE sees everyone
ahead (see :func:`reply`).

A meeting *has started* once it is open and its start has come (``Meeting.has_started``,
derived from the time, nothing stored): from then on it takes no replies and no invitations,
and it is shown as past.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from panel.areas.models import Area, Neighbourhood
from panel.auth.models import User, user_area
from panel.auth.permissions import (
    managed_area,
    may_manage_meetings,
    require,
    require_manages,
    visible_areas,
)
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.i18n import locale_of
from panel.meetings import calendar
from panel.meetings.models import (
    Invitation,
    Meeting,
    MeetingKind,
    MeetingStatus,
    PollSlot,
    PollVote,
    Reply,
    ReplyStatus,
    meeting_neighbourhood,
)
from panel.meetings.times import day_bounds, local_today, to_utc
from panel.security import hash_token, new_token
from panel.signups import letters
from panel.signups.models import MemberStatus, PanelMember
from panel.signups.services import member_leaving, new_short_code, send_member_mail
from panel.urls import absolute_url

MAX_CAPACITY = 1000
ICS_TYPE = "text/calendar; method={method}; charset=UTF-8"
REPLY_GONE = _l("You can no longer reply to this meeting.")
REPLY_STARTED = _l("This meeting has already started. You can no longer reply.")


# --- reading and access -------------------------------------------------------------------

def meetings_for(user: User) -> Select[tuple[Meeting]]:
    """Meetings of the gebieden ``user`` may see (clerks see all, as aggregates)."""
    areas = visible_areas(user).with_only_columns(Area.id)
    return select(Meeting).where(Meeting.area_id.in_(areas))


def list_for(user: User) -> list[Meeting]:
    return list(db.session.scalars(
        meetings_for(user).options(selectinload(Meeting.area),
                                   selectinload(Meeting.neighbourhoods))
        .order_by(Meeting.starts_at.is_(None), Meeting.starts_at.desc())))


@dataclass
class StaffOverview:
    """The staff list of meetings: those still to come (soonest first, polls without a date
    last) and those whose start has come (most recent first)."""

    upcoming: list[Meeting]
    past: list[Meeting]
    today: set[int]  # ids of upcoming meetings that start today (Dutch date)
    now: datetime  # the moment the lists were made


def staff_overview(user: User, now: datetime | None = None) -> StaffOverview:
    now = now or utcnow()
    meetings = list_for(user)
    upcoming = sorted((m for m in meetings if not m.is_past(now)),
                      key=lambda m: (m.starts_at is None, m.starts_at or now, m.id))
    past = [m for m in meetings if m.is_past(now)]
    start, end = day_bounds(local_today(now))
    today = {m.id for m in upcoming if m.starts_at is not None and start <= m.starts_at < end}
    return StaffOverview(upcoming=upcoming, past=past, today=today, now=now)


def get_for(user: User, meeting_id: int) -> Meeting:
    """A meeting ``user`` may see. Raises NotFound otherwise."""
    meeting = db.session.scalars(meetings_for(user).where(Meeting.id == meeting_id)).first()
    if meeting is None:
        raise NotFound()
    return meeting


def managed(user: User, meeting_id: int) -> Meeting:
    """A meeting ``user`` may change: admins, and team members of its gebied. Raises
    NotFound for other gebieden and PermissionDenied for clerks."""
    require(may_manage_meetings(user))
    meeting = get_for(user, meeting_id)
    require_manages(user, meeting.area)
    return meeting


def team_of(area: Area) -> list[User]:
    """The active team members of a gebied (who can be listed as present)."""
    return list(db.session.scalars(
        select(User).join(user_area, user_area.c.user_id == User.id)
        .where(user_area.c.area_id == area.id, User.active.is_(True)).order_by(User.name)))


# --- planning -----------------------------------------------------------------------------

@dataclass
class MeetingData:
    title: str
    description: str
    agenda: str
    kind: str
    venue: str
    address: str
    accessibility: str
    online_url: str
    day: date | None
    start: time | None
    end: time | None
    capacity: int
    neighbourhood_codes: list[str] = field(default_factory=list)
    team_ids: list[int] = field(default_factory=list)


def _times(data: MeetingData) -> tuple[datetime, datetime]:
    if data.day is None or data.start is None or data.end is None:
        raise DomainError(_l("Fill in the date, the start time and the end time."))
    starts, ends = to_utc(data.day, data.start), to_utc(data.day, data.end)
    if ends <= starts:
        raise DomainError(_l("The meeting must end after it starts."))
    return starts, ends


def _check(data: MeetingData, area: Area) -> tuple[list[Neighbourhood], list[User]]:
    if not data.title.strip():
        raise DomainError(_l("Fill in a title."))
    if data.kind not in MeetingKind.__members__.values():
        raise DomainError(_l("Choose the kind of meeting."))
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise DomainError(_l("The number of places must be between 1 and %(max)s.",
                             max=MAX_CAPACITY))
    if data.kind in (MeetingKind.IN_PERSON, MeetingKind.HYBRID) and \
            not (data.venue.strip() and data.address.strip()):
        raise DomainError(_l("Fill in the venue and its address."))
    if data.kind in (MeetingKind.ONLINE, MeetingKind.HYBRID) and \
            not data.online_url.strip().startswith(("https://", "http://")):
        raise DomainError(_l("Fill in the link to the online meeting (starting with "
                             "https://)."))
    wijken = [n for n in area.neighbourhoods if n.code in set(data.neighbourhood_codes)]
    if not wijken or len(wijken) != len(set(data.neighbourhood_codes)):
        raise DomainError(_l("Choose at least one wijk of this gebied."))
    team = team_of(area)
    chosen = [u for u in team if u.id in set(data.team_ids)]
    if len(chosen) != len(set(data.team_ids)):
        raise DomainError(_l("Choose team members of this gebied."))
    return wijken, chosen


def clashes(area: Area, venue: str, starts: datetime, ends: datetime,
            exclude_id: int | None = None) -> list[str]:
    """Warnings: the venue is booked at that time, or the gebied already meets then."""
    overlapping = select(Meeting).where(
        Meeting.status != MeetingStatus.CANCELLED.value, Meeting.starts_at < ends,
        Meeting.ends_at > starts)
    if exclude_id is not None:
        overlapping = overlapping.where(Meeting.id != exclude_id)
    warnings = []
    if venue.strip():
        booked = db.session.scalars(overlapping.where(
            func.lower(Meeting.venue) == venue.strip().lower())).first()
        if booked is not None:
            warnings.append(str(_l("%(venue)s is already booked at that time, for "
                                   "“%(title)s”.", venue=venue.strip(), title=booked.title)))
    same_area = db.session.scalars(overlapping.where(Meeting.area_id == area.id)).first()
    if same_area is not None:
        warnings.append(str(_l("This gebied already has a meeting at that time: "
                               "“%(title)s”.", title=same_area.title)))
    return warnings


def _apply(meeting: Meeting, data: MeetingData, wijken: list[Neighbourhood],
           team: list[User]) -> None:
    meeting.title = data.title.strip()
    meeting.description = data.description.strip()
    meeting.agenda = data.agenda.strip()
    meeting.kind = data.kind
    in_person = data.kind != MeetingKind.ONLINE
    meeting.venue = data.venue.strip() if in_person else ""
    meeting.address = data.address.strip() if in_person else ""
    meeting.accessibility = data.accessibility.strip()
    meeting.online_url = data.online_url.strip() if data.kind != MeetingKind.IN_PERSON else ""
    meeting.capacity = data.capacity
    meeting.neighbourhoods = wijken
    meeting.team = team


def _not_in_the_past(starts: datetime) -> None:
    if starts <= utcnow():
        raise DomainError(_l("This moment has passed. Choose a date and time in the "
                             "future."))


def create(user: User, area_code: str, data: MeetingData,
           accept_warnings: bool = False) -> tuple[Meeting | None, list[str]]:
    """Plan a meeting (as a draft), in the future. Returns ``(meeting, warnings)``; when
    there are warnings and they were not accepted, nothing is saved and the meeting is
    None. Raises DomainError for invalid input."""
    area = managed_area(user, area_code)
    wijken, team = _check(data, area)
    starts, ends = _times(data)
    _not_in_the_past(starts)
    warnings = clashes(area, data.venue, starts, ends)
    if warnings and not accept_warnings:
        return None, warnings
    meeting = Meeting(area=area, created_by_id=user.id, starts_at=starts, ends_at=ends,
                      status=MeetingStatus.DRAFT.value)
    _apply(meeting, data, wijken, team)
    db.session.add(meeting)
    db.session.flush()
    return meeting, warnings


def update_meeting(user: User, meeting_id: int, data: MeetingData,
                   accept_warnings: bool = False) -> tuple[Meeting | None, list[str]]:
    """Change a meeting. When its time or place changes, everyone with a place or on the
    waitlist gets an email with the updated calendar file (same UID, higher SEQUENCE).
    More places move people up from the waitlist; fewer places than people already
    coming are refused, and so is a new time in the past. Returns ``(meeting, warnings)``
    like :func:`create`. Raises DomainError."""
    meeting = managed(user, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError(_l("This meeting is cancelled and cannot be changed."))
    if meeting.has_started():
        raise DomainError(_l("This meeting has already started. It can no longer be "
                             "changed."))
    wijken, team = _check(data, meeting.area)
    if data.capacity < meeting.seats_taken:
        raise DomainError(_l("%(num)s people are already coming. Choose at least %(num)s "
                             "places.", num=meeting.seats_taken))
    starts, ends = _times(data) if meeting.status != MeetingStatus.POLL or data.day \
        else (meeting.starts_at, meeting.ends_at)
    if starts != meeting.starts_at:
        _not_in_the_past(starts)
    warnings = clashes(meeting.area, data.venue, starts, ends, exclude_id=meeting.id) \
        if starts and ends else []
    if warnings and not accept_warnings:
        return None, warnings
    before = (meeting.starts_at, meeting.ends_at, meeting.kind, meeting.venue, meeting.address,
              meeting.online_url)
    _apply(meeting, data, wijken, team)
    meeting.starts_at, meeting.ends_at = starts, ends
    if meeting.status == MeetingStatus.OPEN and starts <= utcnow():
        raise DomainError(_l("An open meeting cannot be moved to the past."))
    changed = before != (meeting.starts_at, meeting.ends_at, meeting.kind, meeting.venue,
                         meeting.address, meeting.online_url)
    db.session.flush()
    if changed:
        meeting.sequence += 1
        if meeting.status == MeetingStatus.OPEN:
            _notify(meeting, "meeting_changed", _l("Changed: %(title)s", title=meeting.title),
                    "REQUEST")
    if meeting.status == MeetingStatus.OPEN:
        promote_waiting(meeting)
    db.session.flush()
    return meeting, warnings


def open_for_replies(user: User, meeting_id: int) -> Meeting:
    """Open a planned meeting for replies (and show it publicly). Raises DomainError for a
    meeting without a time or in the past."""
    meeting = managed(user, meeting_id)
    if meeting.status != MeetingStatus.DRAFT:
        raise DomainError(_l("Only a planned meeting can be opened."))
    if meeting.starts_at is None or meeting.starts_at <= utcnow():
        raise DomainError(_l("A meeting in the past cannot be opened for replies."))
    meeting.status = MeetingStatus.OPEN.value
    db.session.flush()
    return meeting


def cancel(user: User, meeting_id: int) -> Meeting:
    """Cancel a meeting: everyone with a place or on the waitlist gets an email with a
    calendar cancellation (METHOD:CANCEL). Raises DomainError once the meeting has
    started."""
    meeting = managed(user, meeting_id)
    if meeting.status == MeetingStatus.CANCELLED:
        return meeting
    if meeting.has_started():
        raise DomainError(_l("This meeting has already started. It can no longer be "
                             "cancelled."))
    was_open = meeting.status == MeetingStatus.OPEN
    meeting.status = MeetingStatus.CANCELLED.value
    meeting.sequence += 1
    db.session.flush()
    if was_open:
        _notify(meeting, "meeting_cancelled", _l("Cancelled: %(title)s", title=meeting.title),
                "CANCEL")
    return meeting


# --- mail ---------------------------------------------------------------------------------

def ics_attachment(meeting: Meeting, method: str, language: str = "nl") -> \
        tuple[str, str, bytes]:
    """The meeting as a calendar file for an email, in the recipient's language."""
    base = absolute_url("site.home").rstrip("/")
    with force_locale(locale_of(language)):
        body = calendar.event_ics(meeting, method=method, base_url=base,
                                  organizer=current_app.config["PANEL_MAIL_FROM"])
    return ("uitnodiging.ics", ICS_TYPE.format(method=method), body)


def _reply_url(invitation_token: str) -> str:
    return absolute_url("meetings.reply", token=invitation_token)


def _notify(meeting: Meeting, template: str, subject: object, method: str) -> None:
    """Email everyone with a place or on the waitlist about a change or a cancellation."""
    replies = db.session.scalars(select(Reply).where(
        Reply.meeting_id == meeting.id,
        Reply.status.in_([ReplyStatus.ATTENDING.value, ReplyStatus.WAITING.value])))
    for item in replies:
        if item.member.status == MemberStatus.MEMBER:
            send_member_mail(item.member, subject, template, meeting=meeting,
                             attachments=[ics_attachment(meeting, method,
                                                         item.member.language)])


# --- invitations --------------------------------------------------------------------------

@dataclass
class InviteReport:
    emailed: int = 0
    letters: int = 0
    already: int = 0


def invite(user: User, meeting_id: int, member_ids: Sequence[int] | None = None,
           now: datetime | None = None) -> InviteReport:
    """Invite the panel members of the meeting's wijken who were not invited yet (or only
    ``member_ids`` among them). Members with email get the invitation with yes/no links
    and a calendar file; the others are marked for a printed letter. Raises DomainError
    when the meeting is not open or has started."""
    meeting = managed(user, meeting_id)
    _require_invitable(meeting, now)
    query = select(PanelMember).where(
        PanelMember.status == MemberStatus.MEMBER.value,
        PanelMember.neighbourhood_id.in_([n.id for n in meeting.neighbourhoods]))
    if member_ids is not None:
        query = query.where(PanelMember.id.in_(list(member_ids)))
    invited = set(db.session.scalars(select(Invitation.member_id).where(
        Invitation.meeting_id == meeting.id, Invitation.poll_only.is_(False))))
    report = InviteReport()
    for member in db.session.scalars(query.order_by(PanelMember.id)):
        if member.id in invited:
            report.already += 1
            continue
        token = _invitation(meeting, member)
        if member.email:
            send_member_mail(member, _l("Invitation: %(title)s", title=meeting.title),
                             "meeting_invitation", meeting=meeting,
                             reply_url=_reply_url(token),
                             attachments=[ics_attachment(meeting, "REQUEST", member.language)])
            report.emailed += 1
        else:
            report.letters += 1
    db.session.flush()
    return report


def _require_invitable(meeting: Meeting, now: datetime | None = None) -> None:
    """Invitations and letters only for an open meeting that has not started."""
    if meeting.has_started(now):
        raise DomainError(_l("This meeting has already started. You can no longer invite "
                             "anyone."))
    if meeting.status != MeetingStatus.OPEN:
        raise DomainError(_l("Open the meeting for replies before you invite."))


def _invitation(meeting: Meeting, member: PanelMember, poll_only: bool = False) -> str:
    """Create (or renew the link of) a member's invitation; returns the reply token."""
    token, token_hash = new_token()
    existing = db.session.scalars(select(Invitation).where(
        Invitation.meeting_id == meeting.id, Invitation.member_id == member.id)).first()
    if existing is None:
        db.session.add(Invitation(meeting_id=meeting.id, member_id=member.id,
                                  token_hash=token_hash, poll_only=poll_only,
                                  channel="email" if member.email else "letter"))
    else:
        existing.token_hash = token_hash
        existing.poll_only = existing.poll_only and poll_only
    return token


def invitation_by_token(token: str) -> Invitation:
    """The invitation of a reply link. Raises DomainError when it no longer works."""
    invitation = db.session.scalars(select(Invitation).where(
        Invitation.token_hash == hash_token(token))).first()
    if invitation is None or invitation.member.status != MemberStatus.MEMBER:
        raise DomainError(REPLY_GONE)
    return invitation


def invitation_for(member: PanelMember, meeting_id: int) -> Invitation:
    """A signed-in resident's invitation to a meeting. Raises NotFound."""
    invitation = db.session.scalars(select(Invitation).where(
        Invitation.meeting_id == meeting_id, Invitation.member_id == member.id,
        Invitation.poll_only.is_(False))).first()
    if invitation is None:
        raise NotFound()
    return invitation


def _letter_invitations(meeting_id: int) -> Select[tuple[Invitation]]:
    """The invitations to a meeting that go by letter, of members still in the panel."""
    return select(Invitation).join(PanelMember, Invitation.member_id == PanelMember.id).where(
        Invitation.meeting_id == meeting_id, Invitation.poll_only.is_(False),
        Invitation.channel == "letter", PanelMember.status == MemberStatus.MEMBER.value)


@dataclass
class LetterCounts:
    total: int = 0  # invitations that go by letter
    to_print: int = 0  # of which the letter was never printed


def letter_counts(meeting: Meeting) -> LetterCounts:
    """How many invitations to the meeting go by letter, and how many are still to print."""
    rows = db.session.execute(
        _letter_invitations(meeting.id).with_only_columns(
            func.count(Invitation.id),
            func.count(Invitation.id).filter(Invitation.letter_printed_at.is_(None)))).one()
    return LetterCounts(total=rows[0] or 0, to_print=rows[1] or 0)


def letter_recipients(user: User, meeting_id: int, again: bool = False,
                      now: datetime | None = None) -> list[tuple[PanelMember, str]]:
    """The members whose invitation goes by letter and was not printed yet (with ``again``:
    all of them), each with a fresh reply token for the letter; their invitations are marked
    as printed now. Printing again renews the links, so letters printed before stop
    working. Raises DomainError when the meeting is not open or has started."""
    now = now or utcnow()
    meeting = managed(user, meeting_id)
    _require_invitable(meeting, now)
    query = _letter_invitations(meeting.id)
    if not again:
        query = query.where(Invitation.letter_printed_at.is_(None))
    invitations = list(db.session.scalars(
        query.options(selectinload(Invitation.member)).order_by(PanelMember.name,
                                                                PanelMember.id)))
    recipients = []
    for invitation in invitations:
        recipients.append((invitation.member, _invitation(meeting, invitation.member)))
        invitation.letter_printed_at = now
    db.session.flush()
    return recipients


# --- replies and places -------------------------------------------------------------------

def _take_seat(meeting_id: int) -> bool:
    taken = db.session.execute(
        update(Meeting).where(Meeting.id == meeting_id, Meeting.seats_taken < Meeting.capacity)
        .values(seats_taken=Meeting.seats_taken + 1)
        .execution_options(synchronize_session=False)).rowcount
    return taken == 1


def _release_seat(meeting_id: int) -> None:
    db.session.execute(
        update(Meeting).where(Meeting.id == meeting_id, Meeting.seats_taken > 0)
        .values(seats_taken=Meeting.seats_taken - 1)
        .execution_options(synchronize_session=False))


def _reply_row(meeting: Meeting, member: PanelMember) -> Reply:
    """The member's reply row, created when missing. Two clicks at once create one row:
    the insert skips a row that already exists (no savepoint needed)."""
    values = {"meeting_id": meeting.id, "member_id": member.id,
              "status": ReplyStatus.DECLINED.value, "replied_at": utcnow()}
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(Reply).values(**values).on_conflict_do_nothing(
        index_elements=["meeting_id", "member_id"]))
    return db.session.scalars(select(Reply).where(
        Reply.meeting_id == meeting.id, Reply.member_id == member.id)
        .execution_options(populate_existing=True)).one()


def _next_waiting_number(meeting_id: int) -> int:
    """The next waitlist number of the meeting. The UPDATE has no condition, so it always
    locks the meeting's row (PostgreSQL) until the transaction ends: whoever joins the
    waitlist at the same moment waits here until this reply is committed."""
    number = db.session.execute(
        update(Meeting).where(Meeting.id == meeting_id)
        .values(waitlist_counter=Meeting.waitlist_counter + 1)
        .returning(Meeting.waitlist_counter)
        .execution_options(synchronize_session=False)).scalar_one()
    return int(number)


def reply(meeting: Meeting, member: PanelMember, coming: bool,
          entered_by: User | None = None, now: datetime | None = None) -> Reply:
    """Record a member's answer. Yes takes a place when one is left, otherwise the next
    number on the waitlist; no gives a place back, and the first person waiting gets it.
    Replies can change until the meeting starts. Raises DomainError when replying is closed
    (``REPLY_STARTED`` once the meeting has started).

    The first statement writes (the reply row), so on SQLite the transaction holds the
    database's write lock from its start and every later read sees all earlier replies; on
    PostgreSQL the seat and waitlist UPDATEs lock the meeting's row. Either way
    :func:`waiting_position` counted afterwards, in the same transaction or after the
    commit, is right also when many people reply at once."""
    now = now or utcnow()
    if meeting.has_started(now):
        raise DomainError(REPLY_STARTED)
    if meeting.status != MeetingStatus.OPEN or meeting.starts_at is None:
        raise DomainError(REPLY_GONE)
    row = _reply_row(meeting, member)
    row.entered_by_id = entered_by.id if entered_by else None
    current = row.status
    if coming and current not in (ReplyStatus.ATTENDING, ReplyStatus.WAITING):
        row.replied_at = now
        if _take_seat(meeting.id):
            row.status, row.waiting_since = ReplyStatus.ATTENDING.value, None
            row.waiting_number = None
        else:
            row.status, row.waiting_since = ReplyStatus.WAITING.value, now
            row.waiting_number = _next_waiting_number(meeting.id)
    elif not coming and current != ReplyStatus.DECLINED:
        row.replied_at = now
        row.status, row.waiting_since = ReplyStatus.DECLINED.value, None
        row.waiting_number = None
        row.reminder_sent_at = None
        if current == ReplyStatus.ATTENDING:
            _release_seat(meeting.id)
            db.session.flush()
            promote_waiting(meeting)
    db.session.flush()
    db.session.expire(meeting, ["seats_taken", "waitlist_counter"])
    return row


@member_leaving.connect
def _give_back_places(member: PanelMember, **_: object) -> None:
    """A member who leaves the panel gives back their places in meetings that are still to
    come; the first people waiting move up."""
    rows = db.session.scalars(select(Reply).join(Meeting).where(
        Reply.member_id == member.id, Meeting.status == MeetingStatus.OPEN.value,
        Meeting.starts_at > utcnow(),
        Reply.status.in_([ReplyStatus.ATTENDING.value, ReplyStatus.WAITING.value])))
    for row in list(rows):
        reply(row.meeting, member, False)


def promote_waiting(meeting: Meeting) -> list[Reply]:
    """Give free places to the people with the lowest waitlist numbers; each gets an
    email."""
    promoted = []
    while True:
        candidate = db.session.scalars(
            select(Reply).where(Reply.meeting_id == meeting.id,
                                Reply.status == ReplyStatus.WAITING.value)
            .order_by(Reply.waiting_number.is_(None), Reply.waiting_number, Reply.waiting_since,
                      Reply.id).limit(1)).first()
        if candidate is None or not _take_seat(meeting.id):
            break
        claimed = db.session.execute(
            update(Reply).where(Reply.id == candidate.id,
                                Reply.status == ReplyStatus.WAITING.value)
            .values(status=ReplyStatus.ATTENDING.value, waiting_since=None,
                    waiting_number=None)
            .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            _release_seat(meeting.id)
            continue
        db.session.refresh(candidate)
        promoted.append(candidate)
        if candidate.member.status == MemberStatus.MEMBER:
            send_member_mail(candidate.member, _l("You have a place: %(title)s",
                                                  title=meeting.title),
                             "meeting_place", meeting=meeting,
                             attachments=[ics_attachment(meeting, "REQUEST",
                                                         candidate.member.language)])
    db.session.expire(meeting, ["seats_taken"])
    return promoted


def waiting_position(row: Reply) -> int | None:
    """1 for the first person on the waitlist, and so on; None when not waiting. Everyone
    with a lower number committed before this reply got its number (see :func:`reply`), so
    the count is complete as soon as the number is given."""
    if row.status != ReplyStatus.WAITING or row.waiting_number is None:
        return None
    ahead = db.session.scalar(select(func.count(Reply.id)).where(
        Reply.meeting_id == row.meeting_id, Reply.status == ReplyStatus.WAITING.value,
        Reply.waiting_number < row.waiting_number)) or 0
    return ahead + 1


def current_reply(meeting: Meeting, member: PanelMember) -> Reply | None:
    return db.session.scalars(select(Reply).where(Reply.meeting_id == meeting.id,
                                                  Reply.member_id == member.id)).first()


def staff_reply(user: User, meeting_id: int, member_id: int, coming: bool,
                now: datetime | None = None) -> Reply:
    """Staff enter a reply received by phone or post for a member of the meeting's wijken.
    Raises DomainError once the meeting has started."""
    now = now or utcnow()
    meeting = managed(user, meeting_id)
    if meeting.has_started(now):
        raise DomainError(_l("This meeting has already started. Replies can no longer be "
                             "entered."))
    member = db.session.get(PanelMember, member_id)
    if member is None or member.status != MemberStatus.MEMBER or \
            member.neighbourhood_id not in {n.id for n in meeting.neighbourhoods}:
        raise NotFound()
    _invitation_exists_or_create(meeting, member)
    return reply(meeting, member, coming, entered_by=user, now=now)


def _invitation_exists_or_create(meeting: Meeting, member: PanelMember) -> None:
    exists = db.session.scalars(select(Invitation.id).where(
        Invitation.meeting_id == meeting.id, Invitation.member_id == member.id)).first()
    if exists is None:
        _invitation(meeting, member)


# --- after the meeting --------------------------------------------------------------------

@dataclass
class AttendanceRow:
    member: PanelMember
    reply: Reply | None


def attendance_rows(user: User, meeting_id: int) -> list[AttendanceRow]:
    """Everyone invited to or replying for the meeting, for the attendance list."""
    meeting = managed(user, meeting_id)
    replies = {r.member_id: r for r in db.session.scalars(
        select(Reply).where(Reply.meeting_id == meeting.id))}
    member_ids = set(replies) | set(db.session.scalars(select(Invitation.member_id).where(
        Invitation.meeting_id == meeting.id, Invitation.poll_only.is_(False))))
    members = db.session.scalars(select(PanelMember).where(PanelMember.id.in_(member_ids))
                                 .order_by(PanelMember.name))
    return [AttendanceRow(member=m, reply=replies.get(m.id)) for m in members]


def walk_in_candidates(user: User, meeting_id: int) -> list[PanelMember]:
    """Members of the meeting's wijken who are not on the list yet (came without reply)."""
    meeting = managed(user, meeting_id)
    listed = {row.member.id for row in attendance_rows(user, meeting_id)}
    return [m for m in db.session.scalars(
        select(PanelMember).where(
            PanelMember.status == MemberStatus.MEMBER.value,
            PanelMember.neighbourhood_id.in_([n.id for n in meeting.neighbourhoods]))
        .order_by(PanelMember.name)) if m.id not in listed]


def record_attendance(user: User, meeting_id: int, present: set[int], extra_attendees: int,
                      report: str, now: datetime | None = None) -> Meeting:
    """Save who came (also people who came without replying), how many others came, and a
    short closing report. Only once the meeting has started. Raises DomainError."""
    meeting = managed(user, meeting_id)
    now = now or utcnow()
    if meeting.status == MeetingStatus.CANCELLED or meeting.starts_at is None \
            or meeting.starts_at > now:
        raise DomainError(_l("Attendance can be kept once the meeting has started."))
    if not 0 <= extra_attendees <= MAX_CAPACITY:
        raise DomainError(_l("The number of other people present is not valid."))
    allowed = {m.id for m in walk_in_candidates(user, meeting_id)} | \
        {row.member.id for row in attendance_rows(user, meeting_id)}
    if not present <= allowed:
        raise NotFound()
    replies = {r.member_id: r for r in db.session.scalars(
        select(Reply).where(Reply.meeting_id == meeting.id))}
    for member_id in allowed:
        row = replies.get(member_id)
        if member_id in present and row is None:
            db.session.add(Reply(meeting_id=meeting.id, member_id=member_id,
                                 status=ReplyStatus.WALK_IN.value, attended=True,
                                 entered_by_id=user.id, replied_at=now))
        elif row is not None:
            row.attended = member_id in present
    meeting.extra_attendees = extra_attendees
    meeting.report = report.strip()
    meeting.closed_at = now
    db.session.flush()
    return meeting


def present_count(meeting: Meeting) -> int:
    counted = db.session.scalar(select(func.count(Reply.id)).where(
        Reply.meeting_id == meeting.id, Reply.attended.is_(True))) or 0
    return counted + meeting.extra_attendees


def reply_counts(meeting: Meeting) -> dict[str, int]:
    rows = db.session.execute(select(Reply.status, func.count(Reply.id))
                              .where(Reply.meeting_id == meeting.id).group_by(Reply.status))
    counts = {status: count for status, count in rows}
    counts["invited"] = db.session.scalar(select(func.count(Invitation.id)).where(
        Invitation.meeting_id == meeting.id, Invitation.poll_only.is_(False))) or 0
    return counts


# --- public and resident views ------------------------------------------------------------

def upcoming_public(now: datetime | None = None, limit: int | None = None) -> list[Meeting]:
    """Open meetings that have not started, for everyone to see (no names)."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(Meeting).where(Meeting.status == MeetingStatus.OPEN.value,
                              Meeting.starts_at > now)
        .options(selectinload(Meeting.area), selectinload(Meeting.neighbourhoods))
        .order_by(Meeting.starts_at, Meeting.id).limit(limit)))


def upcoming_public_fingerprint(now: datetime | None = None,
                                limit: int | None = None) -> tuple[object, ...]:
    """The rows the public list of meetings is made from (the meetings of
    :func:`upcoming_public` and every gebied), as plain tuples and without building the
    page: the page's ETag is made from them (``panel.conditional``)."""
    now = now or utcnow()
    meetings = db.session.execute(
        select(Meeting.__table__).where(Meeting.status == MeetingStatus.OPEN.value,
                                        Meeting.starts_at > now)
        .order_by(Meeting.starts_at, Meeting.id).limit(limit)).all()
    areas = db.session.execute(select(Area.id, Area.code, Area.name).order_by(Area.id)).all()
    return [tuple(m) for m in meetings], [tuple(a) for a in areas]


def public_meeting(meeting_id: int) -> Meeting:
    """A meeting as the public may see it: open or cancelled ones only. Raises NotFound."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.status not in (MeetingStatus.OPEN, MeetingStatus.CANCELLED):
        raise NotFound()
    return meeting


class PublicMeeting(NamedTuple):
    """What the public page of a meeting shows, as plain values (no names of residents, no
    online link): the meeting's own columns, the names of its wijken and where it stands in
    time. Being a tuple of plain values it is also the page's fingerprint."""

    id: int
    title: str
    status: str
    kind: str
    venue: str
    address: str
    accessibility: str
    starts_at: datetime | None
    ends_at: datetime | None
    capacity: int
    seats_taken: int
    description: str
    agenda: str
    wijken: tuple[str, ...]  # by name, as the meeting's ``neighbourhoods``
    started: bool  # open and its start has come: no more replies, shown as past
    ended: bool

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)

    @property
    def is_open(self) -> bool:
        return self.status == MeetingStatus.OPEN

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED


_m = Meeting.__table__.c
# The meeting with the names of its wijken (one row per wijk; one row without a name when it
# has none): built once, the meeting's id bound at each execution.
_PUBLIC_MEETING = (
    select(_m.id, _m.title, _m.status, _m.kind, _m.venue, _m.address, _m.accessibility,
           _m.starts_at, _m.ends_at, _m.capacity, _m.seats_taken, _m.description, _m.agenda,
           Neighbourhood.name)
    .outerjoin(meeting_neighbourhood, meeting_neighbourhood.c.meeting_id == _m.id)
    .outerjoin(Neighbourhood, Neighbourhood.id == meeting_neighbourhood.c.neighbourhood_id)
    .where(_m.id == bindparam("meeting_id"))
    .order_by(Neighbourhood.name, Neighbourhood.id))
_PUBLIC_STATUSES = frozenset((MeetingStatus.OPEN.value, MeetingStatus.CANCELLED.value))


def public_meeting_page(meeting_id: int, now: datetime | None = None) -> PublicMeeting:
    """What ``/bijeenkomsten/<id>`` shows, in one statement and without ORM objects; the
    same tuple is the page's fingerprint (its ETag is made from it, ``panel.conditional``).
    It holds whether the meeting has started and ended, so the page changes when it starts
    or ends, without any row changing. Raises NotFound like :func:`public_meeting`."""
    rows = db.session.connection().execute(_PUBLIC_MEETING, {"meeting_id": meeting_id}).all()
    if not rows or rows[0][2] not in _PUBLIC_STATUSES:
        raise NotFound()
    (id_, title, status, kind, venue, address, accessibility, starts_at, ends_at, capacity,
     seats_taken, description, agenda, _name) = rows[0]
    now = now or utcnow()
    is_open = status == MeetingStatus.OPEN.value
    end = ends_at or starts_at
    return PublicMeeting(
        id_, title, status, kind, venue, address, accessibility, starts_at, ends_at, capacity,
        seats_taken, description, agenda,
        tuple(row[13] for row in rows if row[13] is not None),
        started=is_open and starts_at is not None and starts_at <= now,
        ended=is_open and end is not None and end <= now)


def meeting_calendar_fingerprint(meeting_id: int) -> tuple[object, ...] | None:
    """The row a meeting's public calendar file is made from (every column: the file
    writes its sequence and last change too), or None when the public may not see it. One
    statement; the file's ETag is made from it (``panel.conditional``)."""
    row = db.session.execute(select(Meeting.__table__).where(
        Meeting.id == meeting_id, Meeting.status.in_(_PUBLIC_STATUSES))).first()
    return tuple(row) if row else None


# How far back a gebied's calendar feed goes: a feed of every meeting ever held grows
# without end (and with it the time to write it); a calendar that subscribed keeps what it
# showed when a meeting drops out of the feed, or drops it, as its program chooses.
FEED_HISTORY = timedelta(days=365)


def _in_feed(area_id: int, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The conditions for a meeting in the gebied's feed: open or cancelled, with a start
    within the last :data:`FEED_HISTORY` or later."""
    return (Meeting.area_id == area_id, Meeting.status.in_(_PUBLIC_STATUSES),
            Meeting.starts_at >= now - FEED_HISTORY)


def area_calendar_fingerprint(code: str, now: datetime | None = None) -> tuple[object, ...]:
    """The rows a gebied's public calendar feed is made from: the gebied and the meetings of
    :func:`area_calendar`. Two statements, however many meetings there are."""
    area = db.session.execute(select(Area.id, Area.code, Area.name)
                              .where(Area.code == code)).first()
    if area is None:
        return (None,)
    meetings = db.session.execute(
        select(Meeting.__table__).where(*_in_feed(area.id, now or utcnow()))
        .order_by(Meeting.id)).all()
    return tuple(area), [tuple(m) for m in meetings]


def area_calendar(area_code: str, now: datetime | None = None) -> tuple[Area, list[Meeting]]:
    """A gebied and its public meetings (open and cancelled) of the last year and ahead,
    for the calendar feed."""
    area = db.session.scalars(select(Area).where(Area.code == area_code)).first()
    if area is None:
        raise NotFound()
    meetings = list(db.session.scalars(
        select(Meeting).where(*_in_feed(area.id, now or utcnow())).order_by(Meeting.starts_at)))
    return area, meetings


@dataclass
class MyMeeting:
    meeting: Meeting
    reply: Reply | None
    position: int | None
    past: bool = False  # its start has come (also when cancelled): listed apart


def my_meetings(member: PanelMember, now: datetime | None = None) -> list[MyMeeting]:
    """The meetings a resident was invited to, with their reply: those still to come first
    (soonest first, date polls last), then those whose start has come in the last 60 days
    (most recent first, marked ``past``)."""
    now = now or utcnow()
    invitations = db.session.scalars(
        select(Invitation).join(Meeting).where(
            Invitation.member_id == member.id, Meeting.status != MeetingStatus.DRAFT.value,
            or_(Meeting.starts_at.is_(None), Meeting.starts_at > now - timedelta(days=60)))
        .order_by(Meeting.starts_at.desc()))
    upcoming, past = [], []
    for invitation in invitations:
        meeting = invitation.meeting
        row = current_reply(meeting, member)
        item = MyMeeting(meeting, row, waiting_position(row) if row else None,
                         past=meeting.is_past(now))
        (past if item.past else upcoming).append(item)
    upcoming.sort(key=lambda i: (i.meeting.starts_at is None, i.meeting.starts_at or now))
    return upcoming + past


# --- date polls ---------------------------------------------------------------------------

@dataclass
class SlotData:
    day: date
    start: time
    end: time


def start_poll(user: User, area_code: str, data: MeetingData,
               slots: Sequence[SlotData]) -> Meeting:
    """Plan a meeting whose date is chosen with a poll: it gets candidate slots instead of a
    time. Raises DomainError."""
    area = managed_area(user, area_code)
    wijken, team = _check(data, area)
    if len(slots) < 2:
        raise DomainError(_l("Propose at least two dates."))
    meeting = Meeting(area=area, created_by_id=user.id, status=MeetingStatus.POLL.value)
    _apply(meeting, data, wijken, team)
    for slot in slots:
        starts, ends = to_utc(slot.day, slot.start), to_utc(slot.day, slot.end)
        if ends <= starts:
            raise DomainError(_l("The meeting must end after it starts."))
        if starts <= utcnow():
            raise DomainError(_l("Propose dates in the future."))
        meeting.slots.append(PollSlot(starts_at=starts, ends_at=ends))
    db.session.add(meeting)
    db.session.flush()
    return meeting


def invite_to_poll(user: User, meeting_id: int, now: datetime | None = None) -> InviteReport:
    """Ask the panel members of the meeting's wijken which dates suit them. Raises
    DomainError when every proposed date has come."""
    now = now or utcnow()
    meeting = managed(user, meeting_id)
    if meeting.status != MeetingStatus.POLL:
        raise DomainError(_l("This meeting has no date poll."))
    if all(slot.starts_at <= now for slot in meeting.slots):
        raise DomainError(_l("All proposed dates have passed. You can no longer ask the "
                             "panel."))
    report = InviteReport()
    invited = set(db.session.scalars(select(Invitation.member_id).where(
        Invitation.meeting_id == meeting.id)))
    for member in db.session.scalars(select(PanelMember).where(
            PanelMember.status == MemberStatus.MEMBER.value,
            PanelMember.neighbourhood_id.in_([n.id for n in meeting.neighbourhoods]))):
        if member.id in invited:
            report.already += 1
            continue
        _invitation(meeting, member, poll_only=True)
        if member.email:
            send_member_mail(member, _l("Which date suits you? %(title)s", title=meeting.title),
                             "poll_invitation", meeting=meeting,
                             poll_url=absolute_url("meetings.poll_vote", meeting_id=meeting.id))
            report.emailed += 1
        else:
            report.letters += 1
    db.session.flush()
    return report


def poll_for_member(member: PanelMember, meeting_id: int) -> tuple[Meeting, set[int]]:
    """A poll the member was invited to, and the slots they marked. Raises NotFound."""
    meeting = db.session.get(Meeting, meeting_id)
    invited = meeting is not None and db.session.scalars(select(Invitation.id).where(
        Invitation.meeting_id == meeting_id, Invitation.member_id == member.id)).first()
    if meeting is None or not invited or meeting.status != MeetingStatus.POLL:
        raise NotFound()
    marked = set(db.session.scalars(
        select(PollVote.slot_id).join(PollSlot, PollSlot.id == PollVote.slot_id)
        .where(PollSlot.meeting_id == meeting_id, PollVote.member_id == member.id)))
    return meeting, marked


def vote(member: PanelMember, meeting_id: int, slot_ids: set[int]) -> None:
    """Replace the member's marks in a poll with ``slot_ids``."""
    meeting, marked = poll_for_member(member, meeting_id)
    valid = {slot.id for slot in meeting.slots}
    wanted = slot_ids & valid
    for vote_row in db.session.scalars(select(PollVote).where(
            PollVote.member_id == member.id, PollVote.slot_id.in_(valid))):
        if vote_row.slot_id not in wanted:
            db.session.delete(vote_row)
    for slot_id in wanted - marked:
        db.session.add(PollVote(slot_id=slot_id, member_id=member.id))
    db.session.flush()


def poll_counts(user: User, meeting_id: int) -> list[tuple[PollSlot, int]]:
    meeting = managed(user, meeting_id)
    counts = dict(db.session.execute(
        select(PollVote.slot_id, func.count(PollVote.id)).join(PollSlot)
        .where(PollSlot.meeting_id == meeting.id).group_by(PollVote.slot_id)).tuples().all())
    return [(slot, counts.get(slot.id, 0)) for slot in meeting.slots]


def choose_slot(user: User, meeting_id: int, slot_id: int) -> Meeting:
    """End the poll: the chosen slot becomes the meeting's time (a planned meeting)."""
    meeting = managed(user, meeting_id)
    slot = next((s for s in meeting.slots if s.id == slot_id), None)
    if meeting.status != MeetingStatus.POLL or slot is None:
        raise NotFound()
    if slot.starts_at <= utcnow():
        raise DomainError(_l("This date has passed. Choose another date."))
    meeting.starts_at, meeting.ends_at = slot.starts_at, slot.ends_at
    meeting.status = MeetingStatus.DRAFT.value
    meeting.slots.clear()
    db.session.flush()
    return meeting


def meeting_letter(member: PanelMember, meeting: Meeting, reply_url: str) -> letters.Letter:
    """A printed invitation for a member without email: the QR code opens the reply page;
    the short code opens the resident's own page, where they can reply too."""
    code = new_short_code(member)
    place = ", ".join(p for p in (meeting.venue, meeting.address) if p) or meeting.online_url
    return letters.Letter(
        name=member.name, street=member.street, house_number=member.house_number,
        postcode=member.postcode, city=member.city, language=member.language,
        wijk_name=member.neighbourhood.name, short_code=code, url=reply_url,
        code_url=absolute_url("residents.code"), kind="meeting", meeting_title=meeting.title,
        meeting_starts=meeting.starts_at, meeting_place=place,
        meeting_accessibility=meeting.accessibility)
