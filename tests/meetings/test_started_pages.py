"""A meeting that has started, through the web: residents see the meeting with a friendly
message instead of reply buttons, staff see it as past with no invitations left to send,
and after its end the team is asked for attendance and the report."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from docx import Document
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import func, select

from panel.db import db, utcnow
from panel.mail.models import OutboxMessage
from panel.meetings import services
from panel.meetings.models import Invitation, Meeting, Reply
from panel.meetings.times import to_local
from panel.signups.models import PanelMember
from tests.mailbox import link_in, outbox
from tests.meetings.helpers import meeting_data

TITLE = "Wijkpanel De Mare"  # the title of the ``open_meeting`` fixture
STARTED = "Deze bijeenkomst is al begonnen. U kunt niet meer antwoorden."
ENDED = "Deze bijeenkomst is geweest. U kunt niet meer antwoorden."


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def move(meeting_id: int, starts: timedelta, ends: timedelta) -> None:
    """Move the meeting to start and end at these offsets from now, straight in the
    database (as time passing would)."""
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting_id)
    meeting.starts_at, meeting.ends_at = utcnow() + starts, utcnow() + ends
    db.session.commit()


def under_way(meeting_id: int) -> None:
    move(meeting_id, -timedelta(minutes=30), timedelta(hours=1))


def held(meeting_id: int, days: int = 1) -> None:
    move(meeting_id, -timedelta(days=days), -timedelta(days=days) + timedelta(minutes=90))


def reply_of(meeting_id: int, member: PanelMember) -> Reply | None:
    db.session.expire_all()
    return db.session.scalars(select(Reply).where(Reply.meeting_id == meeting_id,
                                                  Reply.member_id == member.id)).first()


def invite_and_reply(world, meeting: Meeting) -> None:  # type: ignore[no-untyped-def]
    services.invite(world.team_noord, meeting.id)
    services.reply(meeting, world.members[1], True)
    db.session.commit()


def reply_path(email: str) -> str:
    return link_in([m for m in outbox(email) if "/antwoord/" in m.text_body][-1], "/antwoord/")


# --- staff --------------------------------------------------------------------------------

def test_a_meeting_held_45_days_ago_is_past_and_invites_nobody(login_as, world, open_meeting):
    held(open_meeting.id, days=45)
    team = login_as("noord@example.org")

    listing = text(team.get("/beheer/bijeenkomsten"))
    upcoming, past = listing.split("Bijeenkomsten die geweest zijn</h2>")
    assert TITLE not in upcoming and TITLE in past
    assert "Geweest" in past and "Open voor aanmeldingen" not in listing

    detail = text(team.get(f"/beheer/bijeenkomsten/{open_meeting.id}"))
    assert "<strong>Geweest</strong>" in detail
    assert "Panelleden van deze wijken uitnodigen" not in detail
    assert "/uitnodigen" not in detail and "/brieven" not in detail
    assert "/annuleren" not in detail and "/bewerken" not in detail

    response = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/uitnodigen",
                         follow_redirects=True)
    assert "Deze bijeenkomst is al begonnen. U kunt niemand meer uitnodigen." in text(response)
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_staff_cannot_enter_replies_letters_or_cancel_once_it_has_started(
        login_as, world, open_meeting):
    invite_and_reply(world, open_meeting)
    under_way(open_meeting.id)
    team = login_as("noord@example.org")
    base = f"/beheer/bijeenkomsten/{open_meeting.id}"

    detail = text(team.get(base))
    assert "Antwoord per telefoon of post" not in detail and f"{base}/antwoord/" not in detail
    assert "Deze bijeenkomst is begonnen. Antwoorden en uitnodigen kan niet meer." in detail

    page = text(team.post(f"{base}/antwoord/{world.members[2].id}", data={"answer": "yes"},
                          follow_redirects=True))
    assert "Deze bijeenkomst is al begonnen. U kunt geen antwoorden meer invoeren." in page
    assert reply_of(open_meeting.id, world.members[2]) is None

    response = team.post(f"{base}/brieven", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "U kunt niemand meer uitnodigen." in text(response)
    assert db.session.scalar(select(func.count(Invitation.id)).where(
        Invitation.letter_printed_at.is_not(None))) == 0

    page = text(team.post(f"{base}/annuleren", follow_redirects=True))
    assert "Deze bijeenkomst is al begonnen. U kunt de bijeenkomst niet meer afgelasten." in page
    assert db.session.get(Meeting, open_meeting.id).status == "open"


def test_after_its_end_the_team_is_asked_for_attendance_and_the_report(
        login_as, world, open_meeting):
    invite_and_reply(world, open_meeting)
    team = login_as("noord@example.org")
    base = f"/beheer/bijeenkomsten/{open_meeting.id}"
    prompt = "Deze bijeenkomst is geweest. Vul in wie er waren en schrijf een kort verslag."
    assert prompt not in text(team.get(base))

    held(open_meeting.id)
    detail = text(team.get(base))
    assert prompt in detail and f'href="{base}/aanwezigheid"' in detail

    team.post(f"{base}/aanwezigheid", data={"present": [str(world.members[1].id)],
                                            "extra_attendees": "1", "report": "Goed."})
    assert prompt not in text(team.get(base))


# --- residents ----------------------------------------------------------------------------

def test_a_reply_link_after_the_start_shows_the_meeting_and_a_friendly_message(
        app, world, open_meeting):
    invite_and_reply(world, open_meeting)
    under_way(open_meeting.id)
    browser = app.test_client()
    for member in (world.members[1], world.members[2]):
        path = reply_path(member.email)
        response = browser.get(path)
        page = text(response)
        assert response.status_code == 200
        assert STARTED in page
        assert TITLE in page and "Buurthuis De Mare" in page and "Geen trappen" in page
        assert 'name="answer"' not in page and "Plaatsen over" not in page

        response = browser.post(path, data={"answer": "no"}, follow_redirects=True)
        assert response.status_code == 200 and response.request.path == path
        assert STARTED in text(response) and TITLE in text(response)
    assert reply_of(open_meeting.id, world.members[1]).status == "attending"
    assert reply_of(open_meeting.id, world.members[2]) is None
    assert db.session.get(Meeting, open_meeting.id).seats_taken == 1

    held(open_meeting.id)
    page = text(browser.get(reply_path(world.members[1].email)))
    assert ENDED in page and "Komt" in page


def test_a_letter_code_after_the_start_leads_to_the_past_meeting(app, login_as, world,
                                                                 open_meeting):
    services.invite(world.team_noord, open_meeting.id)
    db.session.commit()
    team = login_as("noord@example.org")
    letters = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/brieven")
    document = Document(io.BytesIO(letters.get_data()))
    [code] = re.findall(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b",
                        "\n".join(p.text for p in document.paragraphs))
    held(open_meeting.id, days=3)

    oma: FlaskClient = app.test_client()
    assert oma.post("/code", data={"code": code}).headers["Location"] == "/mijn"
    page = text(oma.get("/mijn"))
    assert "Uw bijeenkomsten" not in page
    past = page.split("Bijeenkomsten die geweest zijn</h2>")[1]
    assert TITLE in past and "Geweest" in past
    path = f"/mijn/bijeenkomsten/{open_meeting.id}"
    assert f'href="{path}"' in past and "Bekijk de bijeenkomst en geef antwoord" not in page

    response = oma.post(path, data={"answer": "yes"}, follow_redirects=True)
    assert response.status_code == 200 and response.request.path == path
    assert ENDED in text(response) and TITLE in text(response)
    assert "Deze bijeenkomst is al begonnen. U kunt niet meer antwoorden." in text(response)
    assert reply_of(open_meeting.id, world.offline) is None


def test_my_page_lists_past_meetings_apart(app, world, open_meeting):
    later, _ = services.create(world.team_noord, "noord", meeting_data(
        title="Tweede avond", day=to_local(utcnow() + timedelta(days=20)).date()))
    services.open_for_replies(world.team_noord, later.id)
    for meeting in (open_meeting, later):
        services.invite(world.team_noord, meeting.id)
    services.reply(open_meeting, world.members[1], True)
    db.session.commit()
    browser = app.test_client()
    browser.get(link_in(outbox("lid1@example.org")[-1], "/mijn/link/"))

    page = text(browser.get("/mijn"))
    assert "Bijeenkomsten die geweest zijn" not in page
    upcoming = page.split("Uw bijeenkomsten</h2>")[1]
    assert upcoming.index(TITLE) < upcoming.index("Tweede avond")

    held(open_meeting.id)
    page = text(browser.get("/mijn"))
    upcoming, past = page.split("Uw bijeenkomsten</h2>")[1].split(
        "Bijeenkomsten die geweest zijn</h2>")
    assert "Tweede avond" in upcoming and TITLE not in upcoming
    assert TITLE in past and "Uw antwoord: Komt" in past



# --- the public ---------------------------------------------------------------------------

def test_the_public_sees_a_past_meeting_as_past_and_its_calendar_files_still_work(
        client, world, open_meeting):
    invite_and_reply(world, open_meeting)
    assert "Plaatsen over" in text(client.get(f"/bijeenkomsten/{open_meeting.id}"))
    under_way(open_meeting.id)
    page = text(client.get(f"/bijeenkomsten/{open_meeting.id}"))
    assert "Deze bijeenkomst is al begonnen. U kunt niet meer antwoorden." in page
    held(open_meeting.id)

    response = client.get(f"/bijeenkomsten/{open_meeting.id}")
    page = text(response)
    assert response.status_code == 200
    assert ENDED in page and TITLE in page and "Buurthuis De Mare" in page
    assert "Plaatsen over" not in page and "Bent u uitgenodigd?" not in page
    assert TITLE not in text(client.get("/bijeenkomsten"))

    single = client.get(f"/bijeenkomsten/{open_meeting.id}.ics")
    assert single.status_code == 200
    [event] = Calendar.from_ical(single.get_data()).walk("VEVENT")
    assert str(event["UID"]) == open_meeting.uid and str(event["STATUS"]) == "CONFIRMED"
    feed = Calendar.from_ical(client.get("/gebieden/noord/agenda.ics").get_data())
    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [open_meeting.uid]
