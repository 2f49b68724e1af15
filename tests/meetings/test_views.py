"""Meetings through the web (Flask test client): the public pages and calendar files,
replying by personal link, the resident's own page, and the staff pages for planning,
date polls, inviting, letters and keeping attendance (spreading the panel:
test_spread_views.py)."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import func, select

from panel.db import db, utcnow
from panel.mail.models import OutboxMessage
from panel.meetings import services
from panel.meetings.models import Invitation, Meeting, PollSlot, Reply
from panel.meetings.times import LOCAL, to_local
from panel.signups.models import PanelMember
from tests import factories
from tests.mailbox import link_in, outbox
from tests.meetings.helpers import meeting_data

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE = "Wijkpanel De Mare"  # the title of the ``open_meeting`` fixture


# --- helpers ------------------------------------------------------------------------------

def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def in_days(days: int) -> date:
    return to_local(utcnow() + timedelta(days=days)).date()


def plan_form(**overrides: object) -> dict[str, object]:
    """What a team member types into the form for a new meeting."""
    data: dict[str, object] = {
        "title": "Veilig in De Mare", "description": "We praten over veiligheid.",
        "agenda": "Welkom\nUitkomsten monitor", "kind": "in_person",
        "venue": "Buurthuis De Mare", "address": "Marelaan 1, Alkmaar",
        "accessibility": "Geen trappen", "online_url": "",
        "day": in_days(21).isoformat(), "start": "19:30", "end": "21:00", "capacity": "20",
        "wijken": ["WK036101"], "team": []}
    data.update(overrides)
    return data


def meeting_count() -> int:
    return db.session.scalar(select(func.count(Meeting.id))) or 0


def fresh(meeting_id: int) -> Meeting:
    db.session.expire_all()
    return db.session.get(Meeting, meeting_id)


def reply_of(meeting_id: int, member: PanelMember) -> Reply | None:
    db.session.expire_all()
    return db.session.scalars(select(Reply).where(Reply.meeting_id == meeting_id,
                                                  Reply.member_id == member.id)).first()


def reply_path(email: str) -> str:
    """The /antwoord/<token> path in the latest invitation to ``email``."""
    invitations = [m for m in outbox(email) if "/antwoord/" in m.text_body]
    assert invitations, f"no invitation for {email}"
    return link_in(invitations[-1], "/antwoord/")


def invite_by_button(login_as: Callable[[str], FlaskClient], meeting_id: int) -> None:
    team = login_as("noord@example.org")
    response = team.post(f"/beheer/bijeenkomsten/{meeting_id}/uitnodigen",
                         follow_redirects=True)
    assert response.request.path == f"/beheer/bijeenkomsten/{meeting_id}"
    assert "uitnodigingen per e-mail verstuurd" in text(response)


def answer(app: Flask, member: PanelMember, yes: bool) -> tuple[FlaskClient, str]:
    """The member opens the link in their invitation and presses yes or no. Returns the
    member's browser (now signed in) and the page it lands on."""
    browser = app.test_client()
    path = reply_path(member.email)
    response = browser.post(path, data={"answer": "yes" if yes else "no"},
                            follow_redirects=True)
    assert response.request.path == path
    return browser, text(response)


def ics_events(body: bytes) -> list:  # type: ignore[type-arg]
    return list(Calendar.from_ical(body).walk("VEVENT"))


def attachment_calendar(message: OutboxMessage) -> Calendar:
    [attachment] = json.loads(message.attachments)
    assert attachment["filename"].endswith(".ics")
    return Calendar.from_ical(base64.b64decode(attachment["data"]))


def zuid_meeting(world) -> Meeting:  # type: ignore[no-untyped-def]
    """An open meeting of gebied Zuid, planned by the administrator."""
    meeting, _ = services.create(world.admin, "zuid", meeting_data(
        title="Wijkpanel Vroonermeer", venue="Wijkcentrum Vroonermeer",
        neighbourhood_codes=["WK036104"]))
    services.open_for_replies(world.admin, meeting.id)
    db.session.commit()
    return meeting


def move_into_the_past(meeting_id: int) -> None:
    """The meeting took place: its times are moved back, straight in the database."""
    meeting = fresh(meeting_id)
    meeting.starts_at = utcnow() - timedelta(hours=2)
    meeting.ends_at = utcnow() - timedelta(minutes=30)
    db.session.commit()


def document_text(body: bytes) -> str:
    document = Document(io.BytesIO(body))
    words = [p.text for p in document.paragraphs]
    words += [cell.text for table in document.tables for row in table.rows
              for cell in row.cells]
    return "\n".join(words)


# --- public pages and calendar files ------------------------------------------------------

def test_the_public_list_shows_open_meetings_per_gebied_with_places_but_no_names(
        client, world, open_meeting):
    zuid_meeting(world)
    services.create(world.team_noord, "noord", meeting_data(title="Nog een concept",
                                                            day=in_days(30)))
    services.reply(open_meeting, world.members[1], True)
    db.session.commit()

    response = client.get("/bijeenkomsten")
    page = text(response)
    assert response.status_code == 200
    assert "Gebied Noord" in page and "Gebied Zuid" in page
    noord = page.split("Gebied Noord")[1].split("Gebied Zuid")[0]
    assert TITLE in noord and "nog 2 plekken" in noord
    assert "Wijkpanel Vroonermeer" in page.split("Gebied Zuid")[1]
    assert "Nog een concept" not in page
    assert "Lid 1" not in page and "example.org" not in page
    assert "/gebieden/noord/agenda.ics" in page


def test_the_public_page_of_a_meeting_shows_the_facts_and_a_draft_is_not_found(
        client, world, open_meeting):
    draft, _ = services.create(world.team_noord, "noord", meeting_data(title="Concept",
                                                                       day=in_days(30)))
    services.reply(open_meeting, world.members[1], True)
    db.session.commit()

    page = text(client.get(f"/bijeenkomsten/{open_meeting.id}"))
    assert TITLE in page and "Buurthuis De Mare" in page and "Geen trappen" in page
    assert "Plaatsen over" in page and "2 / 3" in page
    assert "Lid 1" not in page and "example.org" not in page
    assert client.get(f"/bijeenkomsten/{draft.id}").status_code == 404
    assert client.get(f"/bijeenkomsten/{draft.id}.ics").status_code == 404
    assert client.get("/bijeenkomsten/999999").status_code == 404


def test_a_meeting_as_a_calendar_file_keeps_its_uid_and_names_no_residents(
        client, world, open_meeting):
    services.invite(world.team_noord, open_meeting.id)
    services.reply(open_meeting, world.members[1], True)
    db.session.commit()

    response = client.get(f"/bijeenkomsten/{open_meeting.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    [event] = ics_events(response.get_data())
    assert str(event["UID"]) == open_meeting.uid
    assert str(event["SUMMARY"]) == TITLE
    assert event.decoded("DTSTART") == open_meeting.starts_at.astimezone(LOCAL)
    body = response.get_data(as_text=True)
    assert "Lid " not in body and "Oma" not in body and "example.org" not in body


def test_the_calendar_of_a_gebied_lists_its_public_meetings_only(client, world, open_meeting):
    draft, _ = services.create(world.team_noord, "noord", meeting_data(title="Concept",
                                                                       day=in_days(30)))
    zuid = zuid_meeting(world)
    services.reply(open_meeting, world.members[1], True)
    db.session.commit()

    response = client.get("/gebieden/noord/agenda.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = ics_events(response.get_data())
    assert [str(e["UID"]) for e in events] == [open_meeting.uid]
    assert draft.uid not in response.get_data(as_text=True)
    assert zuid.uid not in response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    assert "Lid " not in body and "example.org" not in body

    zuid_feed = client.get("/gebieden/zuid/agenda.ics")
    assert [str(e["UID"]) for e in ics_events(zuid_feed.get_data())] == [zuid.uid]
    assert client.get("/gebieden/nergens/agenda.ics").status_code == 404


def test_the_public_calendar_files_leave_the_online_link_out(app, login_as, client, world,
                                                            open_meeting):
    """As on the meeting's public page: the link to join online reaches the members who
    have a place, not everyone who downloads the file."""
    link = "https://meet.example.nl/wijkpanel-noord"
    open_meeting.kind, open_meeting.online_url = "hybrid", link
    db.session.commit()
    single = client.get(f"/bijeenkomsten/{open_meeting.id}.ics").get_data(as_text=True)
    feed = client.get("/gebieden/noord/agenda.ics").get_data(as_text=True)
    assert str(open_meeting.uid) in single and str(open_meeting.uid) in feed
    assert "meet.example.nl" not in single.replace("\r\n ", "")
    assert "meet.example.nl" not in feed.replace("\r\n ", "")

    invite_by_button(login_as, open_meeting.id)
    _, page = answer(app, world.members[1], yes=True)
    assert link in page  # the member with a place finds it on the reply page


def test_the_calendar_of_a_gebied_goes_back_one_year(client, world, open_meeting):
    recent, old = (services.create(world.admin, "noord", meeting_data(title=title),
                                   accept_warnings=True)[0]
                   for title in ("Vorig voorjaar", "Twee winters terug"))
    for meeting, days in ((recent, 360), (old, 370)):
        services.open_for_replies(world.admin, meeting.id)
        meeting.starts_at = utcnow() - timedelta(days=days)
        meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    db.session.commit()
    events = ics_events(client.get("/gebieden/noord/agenda.ics").get_data())
    assert [str(e["UID"]) for e in events] == [recent.uid, open_meeting.uid]


def test_a_cancelled_meeting_stays_in_the_calendar_as_cancelled(login_as, client, world,
                                                                open_meeting):
    team = login_as("noord@example.org")
    team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/annuleren")
    [event] = ics_events(client.get("/gebieden/noord/agenda.ics").get_data())
    assert str(event["UID"]) == open_meeting.uid and str(event["STATUS"]) == "CANCELLED"
    single = Calendar.from_ical(client.get(f"/bijeenkomsten/{open_meeting.id}.ics").get_data())
    assert str(single["METHOD"]) == "CANCEL"
    assert TITLE not in text(client.get("/bijeenkomsten"))


# --- replying by personal link ------------------------------------------------------------

def test_opening_the_reply_link_shows_the_meeting_but_changes_nothing(app, login_as, world,
                                                                      open_meeting):
    invite_by_button(login_as, open_meeting.id)
    message = outbox("lid1@example.org")[-1]
    assert message.subject == f"Uitnodiging: {TITLE}"
    path = link_in(message, "/antwoord/")

    browser = app.test_client()
    for _ in range(2):  # a mail scanner, then the resident
        response = browser.get(path)
        page = text(response)
        assert response.status_code == 200
        assert "Hallo Lid 1. U bent uitgenodigd voor deze bijeenkomst." in page
        assert TITLE in page and "Buurthuis De Mare" in page
        assert "Ja, ik kom" in page and 'name="answer" value="no"' in page
        assert "U heeft nog geen antwoord gegeven." in page
        assert response.headers["Cache-Control"] == "no-store"
    assert reply_of(open_meeting.id, world.members[1]) is None
    assert fresh(open_meeting.id).seats_taken == 0
    assert "Stuur mij een link" in text(browser.get("/mijn"))  # not signed in by a GET


def test_yes_gives_a_place_and_the_fourth_yes_goes_on_the_waitlist(app, login_as, world,
                                                                   open_meeting):
    invite_by_button(login_as, open_meeting.id)
    for member in world.members[1:4]:
        _, page = answer(app, member, yes=True)
        assert "Dank u wel. U heeft een plek. Tot dan!" in page
        assert "U komt. U heeft een plek." in page
    _, page = answer(app, world.members[4], yes=True)
    assert "De bijeenkomst is vol. U staat op de wachtlijst met nummer 1." in page
    assert "U staat op de wachtlijst. Uw nummer: 1." in page
    _, page = answer(app, world.members[5], yes=True)
    assert "wachtlijst met nummer 2." in page and "Uw nummer: 2." in page

    assert fresh(open_meeting.id).seats_taken == 3
    statuses = [reply_of(open_meeting.id, m).status for m in world.members[1:6]]
    assert statuses == ["attending"] * 3 + ["waiting"] * 2
    assert "Vol: u kunt op de wachtlijst" in text(app.test_client().get("/bijeenkomsten"))
    assert "Geen: de bijeenkomst is vol. U kunt op de wachtlijst." in \
        text(app.test_client().get(f"/bijeenkomsten/{open_meeting.id}"))


def test_a_reply_by_phone_to_a_full_meeting_says_it_went_on_the_waitlist(
        app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    team = login_as("noord@example.org")
    base = f"/beheer/bijeenkomsten/{open_meeting.id}/antwoord"
    said = [text(team.post(f"{base}/{member.id}", data={"answer": "yes"},
                           follow_redirects=True)) for member in world.members[:5]]
    assert all("Het antwoord is opgeslagen. Deze bewoner heeft een plek." in page
               for page in said[:3])
    assert "De bijeenkomst is vol. Deze bewoner staat op de wachtlijst met nummer 1. " \
        "Zeg dat er nog geen plek is." in said[3]
    assert "wachtlijst met nummer 2." in said[4]
    # The reply page: the second on the waitlist is not told the next place is theirs.
    page = text(app.test_client().get(reply_path(world.members[4].email)))
    assert "Uw nummer: 2." in page and "Die gaan op volgorde van de wachtlijst." in page
    assert "Dan is die voor u." not in page
    # Someone who has not replied yet is told before saying yes.
    page = text(app.test_client().get(reply_path(world.members[5].email)))
    assert "De bijeenkomst is vol. Zegt u ja? Dan komt u op de wachtlijst." in page


def test_attendance_is_offered_once_the_meeting_has_started(login_as, world, open_meeting):
    team = login_as("noord@example.org")
    attendance = f"/beheer/bijeenkomsten/{open_meeting.id}/aanwezigheid"
    assert attendance not in text(team.get(f"/beheer/bijeenkomsten/{open_meeting.id}"))
    open_meeting.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert attendance in text(team.get(f"/beheer/bijeenkomsten/{open_meeting.id}"))


def test_a_no_gives_the_place_to_the_first_on_the_waitlist_who_gets_an_email(
        app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    for member in world.members[1:6]:
        answer(app, member, yes=True)
    waiting_browser = app.test_client()
    first_waiting = world.members[4]
    assert "Uw nummer: 1." in text(waiting_browser.get(reply_path(first_waiting.email)))

    _, page = answer(app, world.members[2], yes=False)
    assert "Dank u wel voor uw bericht. U komt niet." in page
    assert "U komt niet." in page and "Ja, ik kom" in page  # can change back

    assert reply_of(open_meeting.id, world.members[2]).status == "declined"
    assert reply_of(open_meeting.id, first_waiting).status == "attending"
    assert reply_of(open_meeting.id, world.members[5]).status == "waiting"
    assert fresh(open_meeting.id).seats_taken == 3
    [moved_up] = [m for m in outbox(first_waiting.email)
                  if m.subject == f"U heeft een plek: {TITLE}"]
    assert str(attachment_calendar(moved_up).walk("VEVENT")[0]["UID"]) == open_meeting.uid
    assert "U komt. U heeft een plek." in text(waiting_browser.get(
        reply_path(first_waiting.email)))
    assert "Uw nummer: 1." in text(app.test_client().get(reply_path(world.members[5].email)))


def test_a_reply_can_be_changed_until_the_meeting_starts(app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    member = world.members[1]
    browser, page = answer(app, member, yes=False)
    assert reply_of(open_meeting.id, member).status == "declined"
    assert fresh(open_meeting.id).seats_taken == 0

    path = reply_path(member.email)
    page = text(browser.post(path, data={"answer": "yes"}, follow_redirects=True))
    assert "U komt. U heeft een plek." in page
    assert reply_of(open_meeting.id, member).status == "attending"
    browser.post(path, data={"answer": "yes"})  # a double click keeps one place
    assert fresh(open_meeting.id).seats_taken == 1

    browser.post(path, data={"answer": "no"})
    assert reply_of(open_meeting.id, member).status == "declined"
    assert fresh(open_meeting.id).seats_taken == 0
    assert db.session.scalar(select(func.count(Reply.id))) == 1


def test_an_unknown_reply_link_is_gone(client, world, open_meeting):
    response = client.get("/antwoord/made-up-token")
    assert response.status_code == 410
    assert "Deze link werkt niet meer" in text(response)
    assert "U kunt niet meer reageren op deze bijeenkomst." in text(response)
    assert client.post("/antwoord/made-up-token", data={"answer": "yes"}).status_code == 410
    assert db.session.scalar(select(func.count(Reply.id))) == 0


def test_after_cancelling_the_link_says_replying_is_closed(app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    answer(app, world.members[1], yes=True)
    team = login_as("noord@example.org")
    cancelled = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/annuleren",
                          follow_redirects=True)
    assert "De bijeenkomst is afgelast. Iedereen die zou komen krijgt een e-mail." in \
        text(cancelled)
    assert fresh(open_meeting.id).status == "cancelled"
    [cancel_mail] = [m for m in outbox("lid1@example.org")
                     if m.subject == f"Afgelast: {TITLE}"]
    assert str(attachment_calendar(cancel_mail)["METHOD"]) == "CANCEL"

    browser = app.test_client()
    for member in (world.members[1], world.members[2]):
        path = reply_path(member.email)
        page = text(browser.get(path))
        assert "U kunt niet meer reageren op deze bijeenkomst." in page
        assert "Ja, ik kom" not in page and 'name="answer"' not in page
        browser.post(path, data={"answer": "yes"})
    assert reply_of(open_meeting.id, world.members[1]).status == "attending"
    assert reply_of(open_meeting.id, world.members[2]) is None
    assert fresh(open_meeting.id).seats_taken == 1


def test_a_member_with_a_place_who_leaves_the_panel_gives_the_place_to_the_waitlist(
        app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    leaver, _ = answer(app, world.members[1], yes=True)
    for member in world.members[2:5]:
        answer(app, member, yes=True)
    assert reply_of(open_meeting.id, world.members[4]).status == "waiting"
    path = reply_path("lid1@example.org")

    response = leaver.post("/mijn/afmelden", follow_redirects=True)
    assert "U bent uit het wijkpanel gestapt" in text(response)
    assert app.test_client().get(path).status_code == 410

    assert reply_of(open_meeting.id, world.members[4]).status == "attending"
    assert fresh(open_meeting.id).seats_taken == 3
    assert [m.subject for m in outbox("lid4@example.org")][-1] == f"U heeft een plek: {TITLE}"


def test_my_page_lists_the_meeting_with_my_reply(app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    for member in world.members[1:4]:
        answer(app, member, yes=True)
    coming, _ = answer(app, world.members[1], yes=True)
    waiting, _ = answer(app, world.members[4], yes=True)

    page = text(coming.get("/mijn"))
    assert "Uw bijeenkomsten" in page and TITLE in page and "Komt" in page
    assert f"/mijn/bijeenkomsten/{open_meeting.id}" in page
    assert "Op de wachtlijst (nummer 1)" in text(waiting.get("/mijn"))


def test_my_meeting_page_works_for_an_invited_resident_only(app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    resident = app.test_client()
    resident.get(link_in(outbox("lid2@example.org")[-1], "/mijn/link/"))
    path = f"/mijn/bijeenkomsten/{open_meeting.id}"
    response = resident.get(path)
    assert response.status_code == 200
    assert "Hallo Lid 2. U bent uitgenodigd voor deze bijeenkomst." in text(response)
    assert response.headers["Cache-Control"] == "no-store"
    page = text(resident.post(path, data={"answer": "yes"}, follow_redirects=True))
    assert "U komt. U heeft een plek." in page
    assert reply_of(open_meeting.id, world.members[2]).status == "attending"

    assert app.test_client().get(path).headers["Location"] == "/mijn"  # not signed in

    stranger = app.test_client()
    stranger.post("/mijn/link", data={"email": "zuid@example.org"})
    stranger.get(link_in(outbox("zuid@example.org")[-1], "/mijn/link/"))
    assert "Hallo Zuid Lid" in text(stranger.get("/mijn"))
    assert stranger.get(path).status_code == 404
    assert stranger.post(path, data={"answer": "yes"}).status_code == 404
    assert reply_of(open_meeting.id, world.other) is None


def test_replying_without_csrf_token_is_refused(app, world, open_meeting, csrf_enabled):
    services.invite(world.team_noord, open_meeting.id)
    db.session.commit()
    path = reply_path("lid1@example.org")
    browser = app.test_client()

    response = browser.post(path, data={"answer": "yes"})
    assert response.status_code == 400
    assert reply_of(open_meeting.id, world.members[1]) is None
    assert fresh(open_meeting.id).seats_taken == 0
    assert "Stuur mij een link" in text(browser.get("/mijn"))  # not signed in

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      text(browser.get(path))).group(1)
    response = browser.post(path, data={"answer": "yes", "csrf_token": token})
    assert response.status_code == 302
    assert reply_of(open_meeting.id, world.members[1]).status == "attending"


# --- staff: planning ----------------------------------------------------------------------

def test_the_team_plans_a_meeting_with_the_form(login_as, world):
    team = login_as("noord@example.org")
    page = text(team.get("/beheer/gebieden/noord/bijeenkomsten/nieuw"))
    assert "Nieuwe bijeenkomst voor gebied Noord" in page
    assert 'value="WK036101"' in page and 'value="WK036104"' not in page
    assert f'value="{world.team_noord.id}"' in page

    response = team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw",
                         data=plan_form(team=[str(world.team_noord.id)]))
    meeting = db.session.scalars(select(Meeting)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/beheer/bijeenkomsten/{meeting.id}"
    local = to_local(meeting.starts_at)
    assert (meeting.title, meeting.status, meeting.capacity) == ("Veilig in De Mare", "draft", 20)
    assert (local.date(), local.hour, local.minute) == (in_days(21), 19, 30)
    assert to_local(meeting.ends_at).hour == 21
    assert [n.code for n in meeting.neighbourhoods] == ["WK036101"]
    assert [u.id for u in meeting.team] == [world.team_noord.id]
    assert meeting.area.code == "noord" and meeting.created_by_id == world.team_noord.id

    detail = text(team.get(response.headers["Location"]))
    assert "De bijeenkomst is opgeslagen." in detail
    assert "Gepland, nog niet open" in detail and "Openen voor aanmeldingen" in detail


def test_a_second_meeting_at_the_same_time_and_place_needs_the_warnings_accepted(login_as, world):
    team = login_as("noord@example.org")
    team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw", data=plan_form())
    assert meeting_count() == 1

    response = team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw",
                         data=plan_form(title="Tweede avond"))
    page = text(response)
    assert response.status_code == 200
    assert "Kijk hiernaar voordat u opslaat:" in page
    assert "Buurthuis De Mare is op dat moment al bezet, voor “Veilig in De Mare”." in page
    assert "Dit gebied heeft op dat moment al een bijeenkomst: “Veilig in De Mare”." in page
    assert 'name="accept_warnings"' in page
    assert 'value="Tweede avond"' in page  # what was typed is kept
    assert meeting_count() == 1

    response = team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw",
                         data=plan_form(title="Tweede avond", accept_warnings="y"))
    assert response.status_code == 302
    assert meeting_count() == 2


def test_a_time_that_does_not_exist_shows_a_message(login_as, world):
    team = login_as("noord@example.org")
    response = team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw",
                         data=plan_form(day="2027-03-28", start="02:30", end="04:00"))
    assert response.status_code == 200
    assert "Deze tijd bestaat niet op die dag, omdat de klok vooruit gaat." in text(response)
    assert meeting_count() == 0


def test_bad_input_shows_a_message_and_saves_nothing(login_as, world):
    team = login_as("noord@example.org")
    response = team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw",
                         data=plan_form(wijken=["WK036104"]))
    assert response.status_code == 200
    assert meeting_count() == 0
    response = team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw",
                         data=plan_form(end="19:00"))
    assert response.status_code == 200
    assert meeting_count() == 0


def test_the_team_cannot_see_or_touch_meetings_of_another_gebied(login_as, world):
    zuid = zuid_meeting(world)
    team = login_as("noord@example.org")
    base = f"/beheer/bijeenkomsten/{zuid.id}"
    responses = {
        "create page": team.get("/beheer/gebieden/zuid/bijeenkomsten/nieuw"),
        "create": team.post("/beheer/gebieden/zuid/bijeenkomsten/nieuw",
                            data=plan_form(wijken=["WK036104"])),
        "detail": team.get(base),
        "edit page": team.get(f"{base}/bewerken"),
        "edit": team.post(f"{base}/bewerken", data=plan_form(wijken=["WK036104"])),
        "invite": team.post(f"{base}/uitnodigen"),
        "cancel": team.post(f"{base}/annuleren"),
        "attendance page": team.get(f"{base}/aanwezigheid"),
        "attendance": team.post(f"{base}/aanwezigheid",
                                data={"present": [str(world.other.id)]}),
        "letters": team.post(f"{base}/brieven"),
        "reply by phone": team.post(f"{base}/antwoord/{world.other.id}",
                                    data={"answer": "yes"}),
    }
    assert {k: r.status_code for k, r in responses.items()} == dict.fromkeys(responses, 404)
    meeting = fresh(zuid.id)
    assert (meeting.status, meeting.title, meeting.seats_taken) == \
        ("open", "Wijkpanel Vroonermeer", 0)
    assert meeting_count() == 1
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert outbox() == []
    assert "Wijkpanel Vroonermeer" not in text(team.get("/beheer/bijeenkomsten"))


def test_the_clerk_sees_the_meetings_but_cannot_plan_or_act(login_as, world, open_meeting):
    services.invite(world.team_noord, open_meeting.id)
    services.reply(open_meeting, world.members[1], True)
    db.session.commit()
    clerk = login_as("clerk@example.org")

    page = text(clerk.get("/beheer/bijeenkomsten"))
    assert TITLE in page and "Open voor aanmeldingen" in page
    assert "Bijeenkomst plannen" not in page
    assert "/bijeenkomsten/nieuw" not in page and "/spreiding" not in page

    detail = text(clerk.get(f"/beheer/bijeenkomsten/{open_meeting.id}"))
    assert TITLE in detail
    assert "Lid 1" not in detail and "Bijeenkomst wijzigen" not in detail
    assert "/uitnodigen" not in detail

    base = f"/beheer/bijeenkomsten/{open_meeting.id}"
    responses = {
        "create page": clerk.get("/beheer/gebieden/noord/bijeenkomsten/nieuw"),
        "create": clerk.post("/beheer/gebieden/noord/bijeenkomsten/nieuw", data=plan_form()),
        "edit": clerk.get(f"{base}/bewerken"),
        "invite": clerk.post(f"{base}/uitnodigen"),
        "cancel": clerk.post(f"{base}/annuleren"),
        "attendance": clerk.get(f"{base}/aanwezigheid"),
    }
    assert {k: r.status_code for k, r in responses.items()} == dict.fromkeys(responses, 403)
    assert meeting_count() == 1 and fresh(open_meeting.id).status == "open"


def test_a_meeting_in_the_past_is_not_planned_or_opened(app, login_as, world):
    team = login_as("noord@example.org")
    refused = team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw",
                        data=plan_form(day=in_days(-3).isoformat()))
    assert "Dit moment is al voorbij. Kies een datum en tijd in de toekomst." in text(refused)
    assert db.session.scalars(select(Meeting)).all() == []
    # A planned meeting whose moment went by without being opened: no button to open it,
    # and opening it all the same is refused.
    team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw", data=plan_form())
    meeting = db.session.scalars(select(Meeting)).one()
    meeting.starts_at -= timedelta(days=30)
    meeting.ends_at -= timedelta(days=30)
    db.session.commit()
    page = text(team.get(f"/beheer/bijeenkomsten/{meeting.id}"))
    assert f"/beheer/bijeenkomsten/{meeting.id}/openen" not in page
    response = team.post(f"/beheer/bijeenkomsten/{meeting.id}/openen", follow_redirects=True)
    assert response.request.path == f"/beheer/bijeenkomsten/{meeting.id}"
    assert "Een bijeenkomst in het verleden kan niet open voor aanmeldingen." in text(response)
    assert fresh(meeting.id).status == "draft"
    assert "Veilig in De Mare" not in text(app.test_client().get("/bijeenkomsten"))


def test_opening_a_planned_meeting_shows_it_to_the_public(login_as, client, world):
    team = login_as("noord@example.org")
    team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw", data=plan_form())
    meeting = db.session.scalars(select(Meeting)).one()
    assert "Veilig in De Mare" not in text(client.get("/bijeenkomsten"))
    response = team.post(f"/beheer/bijeenkomsten/{meeting.id}/openen", follow_redirects=True)
    assert "De bijeenkomst is open voor aanmeldingen." in text(response)
    assert fresh(meeting.id).status == "open"
    assert "Veilig in De Mare" in text(client.get("/bijeenkomsten"))


def test_moving_an_open_meeting_emails_the_attendees_an_updated_calendar_file(
        app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    answer(app, world.members[1], yes=True)
    answer(app, world.members[2], yes=False)
    uid, day = open_meeting.uid, to_local(open_meeting.starts_at).date()
    before = len(outbox())
    team = login_as("noord@example.org")

    page = text(team.get(f"/beheer/bijeenkomsten/{open_meeting.id}/bewerken"))
    assert f'value="{day.isoformat()}"' in page and 'value="19:30"' in page

    response = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/bewerken", data=plan_form(
        title=TITLE, day=day.isoformat(), start="20:00", end="21:30", capacity="3"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/beheer/bijeenkomsten/{open_meeting.id}"
    meeting = fresh(open_meeting.id)
    assert (to_local(meeting.starts_at).hour, to_local(meeting.starts_at).minute) == (20, 0)
    assert meeting.sequence == 1

    new_mail = outbox()[before:]
    assert [m.to_address for m in new_mail] == ["lid1@example.org"]  # not those who said no
    [changed] = new_mail
    assert changed.subject == f"Gewijzigd: {TITLE}"
    calendar = attachment_calendar(changed)
    [event] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART").astimezone(LOCAL).replace(tzinfo=None) == \
        datetime.combine(day, datetime.min.time()).replace(hour=20)
    public = Calendar.from_ical(app.test_client().get(
        f"/bijeenkomsten/{open_meeting.id}.ics").get_data())
    assert int(public.walk("VEVENT")[0]["SEQUENCE"]) == 1


def test_changing_only_the_description_sends_no_email(app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    answer(app, world.members[1], yes=True)
    day = to_local(open_meeting.starts_at).date()
    before = len(outbox())
    team = login_as("noord@example.org")
    team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/bewerken", data=plan_form(
        title=TITLE, venue="Buurthuis De Mare", address="Marelaan 1, Alkmaar",
        day=day.isoformat(), start="19:30", end="21:00", capacity="3",
        description="Nieuwe tekst."))
    meeting = fresh(open_meeting.id)
    assert meeting.description == "Nieuwe tekst." and meeting.sequence == 0
    assert len(outbox()) == before


def test_moving_a_meeting_onto_another_one_needs_the_warnings_accepted(login_as, world,
                                                                       open_meeting):
    other, _ = services.create(world.team_noord, "noord", meeting_data(
        title="Andere avond", venue="Wijkcentrum", day=in_days(20)))
    db.session.commit()
    team = login_as("noord@example.org")
    moved = plan_form(title="Andere avond", venue="Wijkcentrum",
                      day=to_local(open_meeting.starts_at).date().isoformat(), start="20:00",
                      end="22:00", capacity="3")

    response = team.post(f"/beheer/bijeenkomsten/{other.id}/bewerken", data=moved)
    assert response.status_code == 200
    assert f"Dit gebied heeft op dat moment al een bijeenkomst: “{TITLE}”." in text(response)
    assert to_local(fresh(other.id).starts_at).date() == in_days(20)

    response = team.post(f"/beheer/bijeenkomsten/{other.id}/bewerken",
                         data={**moved, "accept_warnings": "y"})
    assert response.status_code == 302
    assert to_local(fresh(other.id).starts_at).hour == 20


def test_a_cancelled_meeting_cannot_be_changed(login_as, world, open_meeting):
    team = login_as("noord@example.org")
    team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/annuleren")
    assert "Bijeenkomst wijzigen" not in text(team.get(
        f"/beheer/bijeenkomsten/{open_meeting.id}"))
    response = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/bewerken",
                         data=plan_form(title="Toch weer"))
    assert response.status_code == 200
    assert "Deze bijeenkomst is afgelast en kan niet meer veranderen." in text(response)
    meeting = fresh(open_meeting.id)
    assert (meeting.title, meeting.status) == (TITLE, "cancelled")


# --- staff: date polls --------------------------------------------------------------------

def poll_form(**overrides: object) -> dict[str, object]:
    data = plan_form(datum="peiling", day="", start="", end="", **{
        "poll-day1": in_days(20).isoformat(), "poll-start1": "19:30", "poll-end1": "21:00",
        "poll-day2": in_days(26).isoformat(), "poll-start2": "10:00", "poll-end2": "12:00"})
    data.update(overrides)
    return data


def test_the_panel_chooses_the_date_with_a_poll(app, login_as, world):
    team = login_as("noord@example.org")
    page = text(team.get("/beheer/gebieden/noord/bijeenkomsten/nieuw?datum=peiling"))
    assert 'name="poll-day1"' in page and 'name="poll-end2"' in page
    assert 'name="datum" value="peiling"' in page

    response = team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw", data=poll_form())
    assert response.status_code == 302
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.status == "poll" and meeting.starts_at is None
    assert len(meeting.slots) == 2

    asked = team.post(f"/beheer/bijeenkomsten/{meeting.id}/peiling", follow_redirects=True)
    assert "6 inwoners kregen een e-mail met de vraag welke datum hen past." in text(asked)
    poll_mail = outbox("lid1@example.org")[-1]
    assert "Welke datums passen u?" in poll_mail.text_body

    second_slot = ""
    for member, pick_both in ((world.members[1], True), (world.members[2], False)):
        resident = app.test_client()
        resident.get(link_in(outbox(member.email)[-1], "/mijn/link/"))
        assert f"/mijn/peiling/{meeting.id}" in text(resident.get("/mijn"))
        vote_page = text(resident.get(f"/mijn/peiling/{meeting.id}"))
        assert "Welke datums passen u?" in vote_page
        first_slot, second_slot = re.findall(r'name="slot" value="(\d+)"', vote_page)
        chosen = [first_slot, second_slot] if pick_both else [second_slot]
        response = resident.post(f"/mijn/peiling/{meeting.id}", data={"slot": chosen},
                                 follow_redirects=True)
        assert "Wij hebben opgeslagen welke datums u passen." in text(response)
        assert re.findall(r'name="slot" value="(\d+)" id="slot-\d+" checked',
                          text(response)) == chosen

    stranger = app.test_client()  # the poll is only for signed-in panel members
    assert stranger.get(f"/mijn/peiling/{meeting.id}").headers["Location"] == "/mijn"

    detail = text(team.get(f"/beheer/bijeenkomsten/{meeting.id}"))
    assert "Datum wordt gekozen" in detail
    counts = re.findall(r'utrecht-table__cell--numeric">(\d+)</td>',
                        detail.split('id="poll-caption"')[1].split("</table>")[0])
    assert counts == ["1", "2"]

    response = team.post(f"/beheer/bijeenkomsten/{meeting.id}/datum/{second_slot}",
                         follow_redirects=True)
    assert "De datum is gekozen." in text(response)
    meeting = fresh(meeting.id)
    local = to_local(meeting.starts_at)
    assert meeting.status == "draft"
    assert (local.date(), local.hour) == (in_days(26), 10)
    assert to_local(meeting.ends_at).hour == 12
    assert db.session.scalar(select(func.count(PollSlot.id))) == 0


def test_a_date_poll_can_be_planned_with_csrf_protection_on(app, world, csrf_enabled):
    team = app.test_client()
    login_page = text(team.get("/beheer/inloggen"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert team.post("/beheer/inloggen", data={"email": "noord@example.org",
                                               "password": factories.PASSWORD,
                                               "csrf_token": token}).status_code == 302
    form_page = text(team.get("/beheer/gebieden/noord/bijeenkomsten/nieuw?datum=peiling"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form_page).group(1)
    response = team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw",
                         data=poll_form(csrf_token=token))
    assert response.status_code == 302
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.status == "poll" and len(meeting.slots) == 2


def test_the_team_cannot_act_on_a_poll_of_another_gebied(login_as, world):
    meeting = services.start_poll(world.admin, "zuid", meeting_data(
        neighbourhood_codes=["WK036104"]), [
        services.SlotData(in_days(10), time(19, 0), time(21, 0)),
        services.SlotData(in_days(11), time(19, 0), time(21, 0))])
    db.session.commit()
    slot_id = meeting.slots[0].id
    team = login_as("noord@example.org")
    assert team.post(f"/beheer/bijeenkomsten/{meeting.id}/peiling").status_code == 404
    assert team.post(f"/beheer/bijeenkomsten/{meeting.id}/datum/{slot_id}").status_code == 404
    assert fresh(meeting.id).status == "poll" and outbox() == []


# --- staff: attendance --------------------------------------------------------------------

def test_attendance_cannot_be_kept_before_the_meeting_starts(app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    answer(app, world.members[1], yes=True)
    team = login_as("noord@example.org")
    path = f"/beheer/bijeenkomsten/{open_meeting.id}/aanwezigheid"
    assert team.get(path).status_code == 200
    response = team.post(path, data={"present": [str(world.members[1].id)],
                                     "extra_attendees": "2", "report": "Te vroeg."})
    assert response.status_code == 200
    assert "De aanwezigheid kunt u bijhouden als de bijeenkomst begonnen is." in text(response)
    meeting = fresh(open_meeting.id)
    assert meeting.closed_at is None and meeting.report == "" and meeting.extra_attendees == 0
    assert reply_of(open_meeting.id, world.members[1]).attended is None


def test_after_the_meeting_the_team_keeps_attendance_and_a_report(app, login_as, world,
                                                                  open_meeting):
    invite_by_button(login_as, open_meeting.id)
    for member in world.members[1:4]:
        answer(app, member, yes=True)
    newcomer = factories.member(world.mare, name="Nieuw Lid", email="nieuw@example.org")
    db.session.commit()
    move_into_the_past(open_meeting.id)
    team = login_as("noord@example.org")
    path = f"/beheer/bijeenkomsten/{open_meeting.id}/aanwezigheid"

    page = text(team.get(path))
    assert "Lid 1 (Komt)" in page and "Oma Zonder Mail (geen antwoord)" in page
    assert "Nieuw Lid (kwam zonder aanmelding)" in page
    assert "Zuid Lid" not in page

    response = team.post(path, data={
        "present": [str(world.members[1].id), str(world.members[2].id), str(newcomer.id)],
        "extra_attendees": "2", "report": "Gesproken over jeugdoverlast."},
        follow_redirects=True)
    page = text(response)
    assert response.request.path == f"/beheer/bijeenkomsten/{open_meeting.id}"
    assert "Aanwezigheid en verslag zijn opgeslagen." in page
    assert re.search(r"<dt>Aanwezig</dt><dd>5</dd>", page)
    assert "Gesproken over jeugdoverlast." in page
    assert reply_of(open_meeting.id, world.members[1]).attended is True
    assert reply_of(open_meeting.id, world.members[3]).attended is False
    walk_in = reply_of(open_meeting.id, newcomer)
    assert (walk_in.status, walk_in.attended) == ("walk_in", True)
    meeting = fresh(open_meeting.id)
    assert (meeting.extra_attendees, meeting.closed_at is not None) == (2, True)

    again = text(team.get(path))  # the list shows who was marked
    assert re.search(rf'value="{world.members[1].id}"[^>]*checked|checked[^>]*value="'
                     rf'{world.members[1].id}"', again)


def test_a_member_of_another_gebied_cannot_be_marked_present(app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    answer(app, world.members[1], yes=True)
    move_into_the_past(open_meeting.id)
    team = login_as("noord@example.org")
    response = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/aanwezigheid", data={
        "present": [str(world.members[1].id), str(world.other.id)], "extra_attendees": "0",
        "report": ""})
    assert response.status_code == 404
    assert reply_of(open_meeting.id, world.other) is None
    assert reply_of(open_meeting.id, world.members[1]).attended is None
    assert fresh(open_meeting.id).closed_at is None


# --- staff: letters -----------------------------------------------------------------------

def test_letters_for_invited_members_without_email(app, login_as, world, open_meeting):
    invite_by_button(login_as, open_meeting.id)
    team = login_as("noord@example.org")
    response = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/brieven")
    assert response.status_code == 200
    assert response.mimetype == DOCX
    assert response.headers["Cache-Control"] == "no-store"
    assert f"uitnodigingen-{open_meeting.id}.docx" in response.headers["Content-Disposition"]
    words = document_text(response.get_data())
    assert "Oma Zonder Mail" in words and "Marelaan" in words
    assert TITLE in words
    assert "Lid 1" not in words  # members with email got an email, not a letter

    # Oma types the code from her letter on the website and replies on her own page.
    [code] = re.findall(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b", words)
    oma = app.test_client()
    assert oma.post("/code", data={"code": code}).headers["Location"] == "/mijn"
    page = text(oma.get("/mijn"))
    assert "Hallo Oma Zonder Mail" in page and TITLE in page
    oma.post(f"/mijn/bijeenkomsten/{open_meeting.id}", data={"answer": "yes"})
    assert reply_of(open_meeting.id, world.offline).status == "attending"


def test_no_letters_are_needed_when_everyone_invited_has_email(app, login_as, world, open_meeting):
    offline = db.session.get(PanelMember, world.offline.id)
    offline.email = "oma@example.org"
    db.session.commit()
    invite_by_button(login_as, open_meeting.id)
    team = login_as("noord@example.org")
    response = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/brieven",
                         follow_redirects=True)
    assert response.mimetype == "text/html"
    assert response.request.path == f"/beheer/bijeenkomsten/{open_meeting.id}"
    assert "Iedereen die is uitgenodigd heeft een e-mailadres. Er zijn geen brieven nodig." in \
        text(response)


def test_everything_is_answered_for_an_unsigned_visitor_with_the_login_page(client, world,
                                                                            open_meeting):
    for path in ("/beheer/bijeenkomsten", f"/beheer/bijeenkomsten/{open_meeting.id}",
                 "/beheer/gebieden/noord/bijeenkomsten/nieuw",
                 "/beheer/gebieden/noord/spreiding"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/beheer/inloggen" in response.headers["Location"]
    assert client.post(f"/beheer/bijeenkomsten/{open_meeting.id}/uitnodigen").status_code == 302
    assert outbox() == []


@pytest.mark.parametrize(("capacity", "message"), [
    ("0", "Het aantal plaatsen is minstens 1 en hoogstens 1000."),
    ("", "Vul het aantal plaatsen in."),
])
def test_a_wrong_number_of_places_is_named_as_such(login_as, world, capacity, message):
    team = login_as("noord@example.org")
    page = text(team.post("/beheer/gebieden/noord/bijeenkomsten/nieuw",
                          data=plan_form(capacity=capacity)))
    assert message in page
    assert "Nummer moet" not in page


def test_members_with_the_same_name_are_told_apart(login_as, world, open_meeting):
    """Two residents called the same: the reply list and the attendance list add the
    address, so a reply by phone goes to the right one."""
    twins = [factories.member(world.mare, "Karim Bos", f"karim{n}@example.org",
                              street="Laat", house_number=str(n), postcode="1811AB",
                              city="Alkmaar") for n in (1, 2)]
    for member in [*twins, world.members[1]]:
        services.staff_reply(world.team_noord, open_meeting.id, member.id, True)
    db.session.commit()
    team = login_as("noord@example.org")
    page = text(team.get(f"/beheer/bijeenkomsten/{open_meeting.id}"))
    assert "Karim Bos (Laat 1, 1811 AB Alkmaar)" in page
    assert 'aria-label="Karim Bos (Laat 2, 1811 AB Alkmaar) komt"' in page
    assert "Lid 1<" in page  # a name nobody shares stays as it is
    open_meeting.starts_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    attendance = text(team.get(f"/beheer/bijeenkomsten/{open_meeting.id}/aanwezigheid"))
    assert "Karim Bos (Laat 2, 1811 AB Alkmaar)" in attendance
