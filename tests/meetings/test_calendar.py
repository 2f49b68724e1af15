"""iCalendar files for meetings: one event (download, invitation, cancellation) and feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from panel.auth.models import Role
from panel.db import db
from panel.meetings.calendar import event_ics, feed_ics
from panel.meetings.models import Invitation, Meeting, MeetingKind, MeetingStatus, Reply
from panel.security import new_token
from tests import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
BASE_URL = "http://wijkpanel.test"
_areas = iter(range(1, 10_000))


def make_meeting(starts_at: datetime | None = datetime(2027, 5, 12, 17, 30, tzinfo=UTC),
                 duration: timedelta = timedelta(hours=2), **fields: object) -> Meeting:
    area = factories.area(f"gebied{next(_areas)}")
    values: dict[str, object] = {
        "title": "Bijeenkomst wijkpanel Noord",
        "description": "We praten over veiligheid in de wijk.",
        "venue": "Buurthuis De Mare",
        "address": "Marelaan 1, 1801 AA Alkmaar",
        "capacity": 30,
        "status": MeetingStatus.OPEN.value,
        **fields,
    }
    meeting = Meeting(area=area, starts_at=starts_at,
                      ends_at=starts_at + duration if starts_at else None, **values)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def parse(data: bytes) -> icalendar.Calendar:
    assert isinstance(data, bytes)
    calendar = icalendar.Calendar.from_ical(data)
    assert isinstance(calendar, icalendar.Calendar)
    return calendar


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


# --- one event ------------------------------------------------------------------------------


def test_event_file_parses_and_holds_one_event_and_its_time_zone(session):
    meeting = make_meeting()
    data = event_ics(meeting)

    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    calendar = parse(data)
    assert str(calendar["PRODID"]) == "-//Wijkpanel//NL"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    event = only_event(calendar)
    assert str(event["UID"]) == meeting.uid
    assert event["SEQUENCE"] == 0
    assert str(event["SUMMARY"]) == "Bijeenkomst wijkpanel Noord"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Buurthuis De Mare, Marelaan 1, 1801 AA Alkmaar"
    assert str(event["DESCRIPTION"]) == "We praten over veiligheid in de wijk."
    assert "URL" not in event
    stamp = event.decoded("DTSTAMP")
    assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)
    assert event.decoded("DTSTART") == meeting.starts_at
    assert event.decoded("DTEND") == meeting.ends_at
    timezones = calendar.walk("VTIMEZONE")
    assert len(timezones) == 1
    assert str(timezones[0]["TZID"]) == "Europe/Amsterdam"
    # The time zone comes before the event that uses it.
    assert data.index(b"BEGIN:VTIMEZONE") < data.index(b"BEGIN:VEVENT")


def test_uid_stays_the_same_and_sequence_follows_the_meeting_through_a_change(session):
    meeting = make_meeting()
    first = only_event(parse(event_ics(meeting, "REQUEST")))

    meeting.starts_at += timedelta(days=7)
    meeting.ends_at += timedelta(days=7)
    meeting.venue = "Wijkcentrum"
    meeting.sequence += 1
    db.session.flush()
    second = only_event(parse(event_ics(meeting, "REQUEST")))

    assert str(first["UID"]) == str(second["UID"]) == meeting.uid
    assert (first["SEQUENCE"], second["SEQUENCE"]) == (0, 1)
    assert second.decoded("DTSTART") - first.decoded("DTSTART") == timedelta(days=7)
    assert str(second["LOCATION"]).startswith("Wijkcentrum")


@pytest.mark.parametrize(("method", "status"), [("PUBLISH", "CONFIRMED"),
                                                ("REQUEST", "CONFIRMED"),
                                                ("CANCEL", "CANCELLED"),
                                                ("request", "CONFIRMED")])
def test_method_is_written_and_cancel_cancels(session, method, status):
    meeting = make_meeting()
    calendar = parse(event_ics(meeting, method))

    assert str(calendar["METHOD"]) == method.upper()
    assert str(only_event(calendar)["STATUS"]) == status


def test_a_cancelled_meeting_is_cancelled_in_every_file(session):
    meeting = make_meeting(status=MeetingStatus.CANCELLED.value)
    for method in ("PUBLISH", "REQUEST", "CANCEL"):
        assert str(only_event(parse(event_ics(meeting, method)))["STATUS"]) == "CANCELLED"


def test_an_unknown_method_is_refused(session):
    with pytest.raises(ValueError):
        event_ics(make_meeting(), "COUNTER")


def test_a_meeting_without_a_start_time_is_refused(session):
    meeting = make_meeting(starts_at=None, status=MeetingStatus.POLL.value)
    with pytest.raises(ValueError):
        event_ics(meeting)


def test_a_meeting_without_an_end_time_has_no_dtend(session):
    meeting = make_meeting()
    meeting.ends_at = None
    event = only_event(parse(event_ics(meeting)))
    assert "DTEND" not in event
    assert event.decoded("DTSTART") == meeting.starts_at


@pytest.mark.parametrize(("starts_at", "local_date", "offset", "zone_name"), [
    # Last Sunday of March 2027: the clocks went forward that night, so summer time (UTC+2).
    (datetime(2027, 3, 28, 17, 30, tzinfo=UTC), "20270328", timedelta(hours=2), "CEST"),
    # Last Sunday of October 2027: the clocks went back that night, so winter time (UTC+1).
    (datetime(2027, 10, 31, 18, 30, tzinfo=UTC), "20271031", timedelta(hours=1), "CET"),
])
def test_times_on_daylight_saving_days_are_local_with_the_right_offset(
        session, starts_at, local_date, offset, zone_name):
    meeting = make_meeting(starts_at=starts_at, duration=timedelta(hours=2))
    data = event_ics(meeting)

    assert f"DTSTART;TZID=Europe/Amsterdam:{local_date}T193000\r\n".encode() in data
    assert f"DTEND;TZID=Europe/Amsterdam:{local_date}T213000\r\n".encode() in data
    calendar = parse(data)
    event = only_event(calendar)
    start = event.decoded("DTSTART")
    assert start.replace(tzinfo=None) == datetime(int(local_date[:4]), int(local_date[4:6]),
                                                  int(local_date[6:]), 19, 30)
    assert start.utcoffset() == offset
    assert start.astimezone(UTC) == starts_at
    assert event.decoded("DTEND").astimezone(UTC) == starts_at + timedelta(hours=2)

    # The VTIMEZONE in the file (not only the zone database of the reader) gives the
    # same moment: a calendar without its own copy of Europe/Amsterdam gets it right too.
    timezone = calendar.walk("VTIMEZONE")[0]
    described = timezone.to_tz(lookup_tzid=False)
    local = start.replace(tzinfo=described)
    assert local.utcoffset() == offset
    assert local.tzname() == zone_name
    assert local.astimezone(UTC) == starts_at
    offsets = {str(sub["TZNAME"]): sub["TZOFFSETTO"].td for sub in timezone.subcomponents}
    assert offsets == {"CET": timedelta(hours=1), "CEST": timedelta(hours=2)}


def test_in_person_online_and_hybrid_places_and_descriptions(session):
    link = "https://meet.example.org/wijkpanel-noord"
    in_person = make_meeting(agenda="1. Opening\n2. Inbraken", online_url=link)
    online = make_meeting(kind=MeetingKind.ONLINE.value, venue="", address="",
                          online_url=link)
    hybrid = make_meeting(kind=MeetingKind.HYBRID.value, online_url=link)

    event = only_event(parse(event_ics(in_person, base_url=BASE_URL + "/")))
    assert str(event["LOCATION"]) == "Buurthuis De Mare, Marelaan 1, 1801 AA Alkmaar"
    assert str(event["DESCRIPTION"]) == ("We praten over veiligheid in de wijk.\n\n"
                                         "Agenda:\n1. Opening\n2. Inbraken")
    assert link not in str(event["DESCRIPTION"])  # an in-person meeting has no link
    assert str(event["URL"]) == f"{BASE_URL}/bijeenkomsten/{in_person.id}"

    event = only_event(parse(event_ics(online, base_url=BASE_URL)))
    assert str(event["LOCATION"]) == link
    assert str(event["DESCRIPTION"]).endswith(f"Online meedoen: {link}")
    assert str(event["URL"]) == f"{BASE_URL}/bijeenkomsten/{online.id}"

    event = only_event(parse(event_ics(hybrid)))
    assert str(event["LOCATION"]) == "Buurthuis De Mare, Marelaan 1, 1801 AA Alkmaar"
    assert str(event["DESCRIPTION"]).endswith(f"Online meedoen: {link}")


def test_a_public_file_leaves_the_online_link_out(session):
    link = "https://meet.example.org/wijkpanel-noord"
    online = make_meeting(kind=MeetingKind.ONLINE.value, venue="", address="",
                          online_url=link)
    hybrid = make_meeting(kind=MeetingKind.HYBRID.value, online_url=link)

    event = only_event(parse(event_ics(online, base_url=BASE_URL, online_link=False)))
    assert "LOCATION" not in event
    assert str(event["DESCRIPTION"]) == "We praten over veiligheid in de wijk."
    event = only_event(parse(event_ics(hybrid, online_link=False)))
    assert str(event["LOCATION"]) == "Buurthuis De Mare, Marelaan 1, 1801 AA Alkmaar"
    feed = feed_ics([online, hybrid], "Wijkpanel Noord", online_link=False)
    assert b"meet.example.org" not in feed.replace(b"\r\n ", b"")


def test_text_with_commas_semicolons_and_line_breaks_survives(session):
    meeting = make_meeting(title="Veiligheid; inbraken, en overlast",
                           description="Regel één\nRegel twee; met, tekens\\")
    event = only_event(parse(event_ics(meeting)))
    assert str(event["SUMMARY"]) == "Veiligheid; inbraken, en overlast"
    assert str(event["DESCRIPTION"]) == "Regel één\nRegel twee; met, tekens\\"


def test_organizer_is_only_the_given_mailbox(session):
    meeting = make_meeting()
    assert "ORGANIZER" not in only_event(parse(event_ics(meeting, "REQUEST")))

    event = only_event(parse(event_ics(meeting, "REQUEST",
                                       organizer="Wijkpanel <wijkpanel@example.org>")))
    assert str(event["ORGANIZER"]) == "mailto:wijkpanel@example.org"
    assert event["ORGANIZER"].params["CN"] == "Wijkpanel"


# --- feed -----------------------------------------------------------------------------------


def test_feed_holds_every_dated_meeting_and_is_stable(session):
    later = make_meeting(starts_at=datetime(2027, 10, 31, 18, 30, tzinfo=UTC),
                         title="Najaar")
    cancelled = make_meeting(starts_at=datetime(2027, 6, 1, 17, 0, tzinfo=UTC),
                             title="Afgelast", status=MeetingStatus.CANCELLED.value)
    earlier = make_meeting(starts_at=datetime(2027, 3, 28, 17, 30, tzinfo=UTC),
                           title="Voorjaar")
    poll = make_meeting(starts_at=None, title="Datum nog niet bekend",
                        status=MeetingStatus.POLL.value)
    meetings = [later, cancelled, poll, earlier]

    data = feed_ics(meetings, "Wijkpanel Noord", base_url=BASE_URL)

    assert feed_ics(list(reversed(meetings)), "Wijkpanel Noord", base_url=BASE_URL) == data
    calendar = parse(data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Wijkpanel Noord"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Amsterdam"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in data
    assert len(calendar.walk("VTIMEZONE")) == 1
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Voorjaar", "Afgelast", "Najaar"]
    assert [str(e["UID"]) for e in events] == [earlier.uid, cancelled.uid, later.uid]
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CANCELLED", "CONFIRMED"]
    assert [e.decoded("DTSTAMP") for e in events] == [
        m.updated_at.replace(microsecond=0) for m in (earlier, cancelled, later)]
    assert [str(e["URL"]) for e in events] == [
        f"{BASE_URL}/bijeenkomsten/{m.id}" for m in (earlier, cancelled, later)]
    assert b"Datum nog niet bekend" not in data
    assert b"DTSTART;TZID=Europe/Amsterdam:20270328T193000\r\n" in data
    assert b"DTSTART;TZID=Europe/Amsterdam:20271031T193000\r\n" in data


def test_feed_changes_when_a_meeting_changes(session):
    meeting = make_meeting()
    before = feed_ics([meeting], "Wijkpanel Noord")
    meeting.updated_at = meeting.updated_at + timedelta(minutes=5)
    meeting.title = "Nieuwe titel"
    meeting.sequence += 1
    db.session.flush()
    after = feed_ics([meeting], "Wijkpanel Noord")
    assert after != before
    assert only_event(parse(after))["SEQUENCE"] == 1


def test_an_empty_feed_still_parses(session):
    calendar = parse(feed_ics([], "Wijkpanel Zuid"))
    assert calendar.walk("VEVENT") == []
    assert len(calendar.walk("VTIMEZONE")) == 1


# --- privacy --------------------------------------------------------------------------------


def test_no_resident_or_team_member_appears_in_any_file(session):
    meeting = make_meeting()
    team_member = factories.user(Role.TEAM, email="wijkagent.noord@example.org",
                                 areas=[meeting.area])
    team_member.name = "Wijkagent Willemsen"
    meeting.team = [team_member]
    meeting.created_by_id = team_member.id
    wijk = factories.neighbourhood(meeting.area)
    resident = factories.member(wijk, name="Anna de Vries", email="anna.devries@example.org",
                                phone="0612345678")
    db.session.add(Invitation(meeting=meeting, member=resident, token_hash=new_token()[1]))
    db.session.add(Reply(meeting=meeting, member=resident, status="attending"))
    db.session.flush()

    files = [event_ics(meeting, method, BASE_URL) for method in ("PUBLISH", "REQUEST", "CANCEL")]
    files.append(feed_ics([meeting], "Wijkpanel Noord", BASE_URL))

    for data in files:
        text = data.decode().lower()
        for secret in ("anna", "vries", "anna.devries@example.org", "0612345678",
                       "willemsen", "wijkagent.noord@example.org"):
            assert secret not in text
        for event in parse(data).walk("VEVENT"):
            assert "ATTENDEE" not in event
            assert "ORGANIZER" not in event
            assert "CONTACT" not in event
