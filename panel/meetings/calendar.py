"""iCalendar files for meetings: one event (download, invitation, update, cancellation) or a
feed that residents can subscribe to.

Times are written in local time with ``TZID=Europe/Amsterdam`` and a matching VTIMEZONE
(built from the zoneinfo database by the ``icalendar`` library), so an event shows at the
right local time in every calendar program, on both sides of a daylight-saving change.

Privacy: these files hold only what is public about a meeting (title, description, agenda,
place, page). No resident, attendee, organiser or team member is ever listed. The online link
is written only where the caller asks for it (``online_link``): in the files sent to invited
members, not in the public downloads, just as the public page leaves it out.

Strings (the agenda heading, the online link line) are in the current Flask-Babel locale;
wrap a call in ``force_locale(language)`` to write the file in a resident's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration

from panel.db import utcnow
from panel.meetings.models import Meeting, MeetingKind, MeetingStatus
from panel.meetings.times import LOCAL

__all__ = ["METHODS", "PRODID", "TZID", "event_ics", "feed_ics"]

PRODID = "-//Wijkpanel//NL"
TZID = "Europe/Amsterdam"
METHODS = frozenset({"PUBLISH", "REQUEST", "CANCEL"})
FEED_REFRESH = timedelta(hours=1)


def _meeting_url(meeting: Meeting, base_url: str) -> str:
    """The public page of the meeting, or "" without a base URL."""
    if not base_url:
        return ""
    return f"{base_url.rstrip('/')}/bijeenkomsten/{meeting.id}"


def _is_online(meeting: Meeting) -> bool:
    return meeting.kind == MeetingKind.ONLINE.value


def _online_url(meeting: Meeting) -> str:
    return (meeting.online_url or "").strip()


def _has_online_link(meeting: Meeting, online_link: bool = True) -> bool:
    return online_link and bool(_online_url(meeting)) and meeting.kind in (
        MeetingKind.ONLINE.value, MeetingKind.HYBRID.value)


def _place(meeting: Meeting, online_link: bool) -> str:
    """Venue and address; for an online meeting (or a hybrid one without a place) the link,
    when it may be written."""
    place = ", ".join(part.strip() for part in (meeting.venue or "", meeting.address or "")
                      if part.strip())
    if _is_online(meeting) or (not place and _has_online_link(meeting, online_link)):
        return _online_url(meeting) if online_link else ""
    return place


def _description(meeting: Meeting, online_link: bool) -> str:
    """Description, agenda and (online or hybrid) the link to join, separated by blank lines."""
    parts = [(meeting.description or "").strip()]
    agenda = (meeting.agenda or "").strip()
    if agenda:
        parts.append(f"{_('Agenda')}:\n{agenda}")
    if _has_online_link(meeting, online_link):
        parts.append(_("Join online: %(url)s", url=_online_url(meeting)))
    return "\n\n".join(part for part in parts if part)


def _is_cancelled(meeting: Meeting, method: str) -> bool:
    return method == "CANCEL" or meeting.status == MeetingStatus.CANCELLED.value


def _timezone(meetings: Sequence[Meeting]) -> Timezone:
    """The VTIMEZONE for Europe/Amsterdam, covering the years of the meetings.

    Covering only those years keeps the file small and the output stable; a calendar that
    only reads the first transition of each kind still gets the right one for a single
    event. Without dated meetings the library's default range (1970-2038) is used.
    """
    years: list[int] = []
    for meeting in meetings:
        for moment in (meeting.starts_at, meeting.ends_at):
            if moment is not None:
                years.append(moment.astimezone(LOCAL).year)
    if not years:
        return Timezone.from_tzinfo(LOCAL, tzid=TZID)
    return Timezone.from_tzinfo(LOCAL, tzid=TZID, first_date=date(min(years), 1, 1),
                                last_date=date(max(years) + 1, 1, 1))


def _event(meeting: Meeting, stamp: datetime, method: str, base_url: str,
           organizer: str, online_link: bool) -> Event:
    """One VEVENT for a meeting with a start time."""
    if meeting.starts_at is None:
        raise ValueError("a meeting without a start time cannot be put in a calendar")
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence or 0)
    event.add("dtstamp", stamp)
    event.add("dtstart", meeting.starts_at.astimezone(LOCAL))
    if meeting.ends_at is not None and meeting.ends_at > meeting.starts_at:
        event.add("dtend", meeting.ends_at.astimezone(LOCAL))
    if meeting.updated_at is not None:
        event.add("last-modified", meeting.updated_at)
    event.add("summary", meeting.title)
    description = _description(meeting, online_link)
    if description:
        event.add("description", description)
    place = _place(meeting, online_link)
    if place:
        event.add("location", place)
    url = _meeting_url(meeting, base_url)
    if url:
        event.add("url", url)
    display_name, address = parseaddr(organizer)
    if address:
        contact = vCalAddress(f"mailto:{address}")
        if display_name:
            contact.params["CN"] = display_name
        event.add("organizer", contact)
    event.add("status", "CANCELLED" if _is_cancelled(meeting, method) else "CONFIRMED")
    return event


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _check_method(method: str) -> str:
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    return method


def event_ics(meeting: Meeting, method: str = "PUBLISH", base_url: str = "", *,
              organizer: str = "", online_link: bool = True) -> bytes:
    """A calendar file with one event for ``meeting``.

    ``method`` is "PUBLISH" for a download, "REQUEST" for an email invitation or an update,
    "CANCEL" for a cancellation. UID is ``meeting.uid`` (the same through every change) and
    SEQUENCE is ``meeting.sequence``, so the caller raises ``meeting.sequence`` on every
    change of date, time or place (and on cancelling) before sending a new file. STATUS is
    CANCELLED for "CANCEL" or a cancelled meeting, otherwise CONFIRMED. DTSTAMP is now.

    ``base_url`` (e.g. PANEL_BASE_URL) adds the URL of the meeting's public page.
    ``organizer`` is an optional address such as PANEL_MAIL_FROM (``Name <box@host>`` or a
    plain address), the panel's own mailbox and never a person's, written as ORGANIZER;
    RFC 5546 asks for one with REQUEST and CANCEL. ``online_link=False`` leaves the online
    link out (a public download).

    Raises ValueError for a meeting without ``starts_at`` or an unknown method.
    """
    method = _check_method(method)
    if meeting.starts_at is None:
        raise ValueError("a meeting without a start time cannot be put in a calendar")
    calendar = _calendar(method)
    calendar.add_component(_timezone([meeting]))
    calendar.add_component(_event(meeting, utcnow().replace(microsecond=0), method, base_url,
                                  organizer.strip(), online_link))
    return calendar.to_ical()


def feed_ics(meetings: Sequence[Meeting], name: str, base_url: str = "", *,
             online_link: bool = True) -> bytes:
    """A subscribable calendar (METHOD PUBLISH) called ``name`` with one event per meeting.

    Meetings without a start time (a date poll still running) are left out; cancelled ones
    stay in with STATUS CANCELLED, so subscribers see the cancellation. The caller chooses
    which meetings to publish (e.g. open and cancelled ones, not drafts). Events are ordered
    by start time and DTSTAMP is the meeting's ``updated_at``, so the same meetings give the
    same bytes (fit for an ETag and caching). Calendars are asked to refresh every hour.
    ``online_link=False`` leaves the online links out (a public feed).
    """
    dated = sorted((m for m in meetings if m.starts_at is not None),
                   key=lambda m: (m.starts_at, m.id or 0))
    calendar = _calendar("PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TZID)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    calendar.add_component(_timezone(dated))
    for meeting in dated:
        stamp = meeting.updated_at or meeting.created_at or utcnow()
        calendar.add_component(_event(meeting, stamp.replace(microsecond=0), "PUBLISH",
                                      base_url, "", online_link))
    return calendar.to_ical()
