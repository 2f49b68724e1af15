"""What the meeting pages say after an action: messages and warnings that repeat what staff
typed (a venue, a title) are shown as text, never as HTML; and the staff page of a meeting
shows what feedback adds to it (the meetings package does not import feedback)."""

from __future__ import annotations

from datetime import date, timedelta

from flask.testing import FlaskClient

from panel.db import utcnow
from panel.meetings.times import to_local

NEW = "/beheer/gebieden/noord/bijeenkomsten/nieuw"


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def in_days(days: int) -> date:
    return to_local(utcnow() + timedelta(days=days)).date()


def plan(team: FlaskClient, **overrides: object):  # type: ignore[no-untyped-def]
    """A team member fills in the form for a new meeting in De Mare and saves it."""
    data: dict[str, object] = {
        "title": "Veilig in De Mare", "description": "", "agenda": "", "kind": "in_person",
        "venue": "Buurthuis De Mare", "address": "Marelaan 1, Alkmaar", "accessibility": "",
        "online_url": "", "day": in_days(21).isoformat(), "start": "19:30", "end": "21:00",
        "capacity": "20", "wijken": ["WK036101"], "team": []}
    data.update(overrides)
    return team.post(NEW, data=data)


def test_a_clash_warning_shows_the_typed_venue_and_title_as_text(login_as, world):
    team = login_as("noord@example.org")
    assert plan(team, title="<i>Eerste</i>", venue="<b>x</b>").status_code == 302

    response = plan(team, title="Tweede", venue="<b>x</b>")
    page = text(response)
    assert response.status_code == 200
    assert ("&lt;b&gt;x&lt;/b&gt; is op dat moment al bezet, voor "
            "“&lt;i&gt;Eerste&lt;/i&gt;”.") in page
    assert "<b>x</b>" not in page and "<i>Eerste</i>" not in page


def test_the_titles_of_meetings_not_open_yet_are_said_as_text(login_as, world, open_meeting):
    team = login_as("noord@example.org")
    assert plan(team, title="<b>Plan</b>", day=in_days(20).isoformat()).status_code == 302

    page = text(team.get("/beheer/gebieden/noord/spreiding"))
    assert "Niet in het plan: nog niet open" in page
    assert "&lt;b&gt;Plan&lt;/b&gt;" in page
    assert "<b>Plan</b>" not in page


def test_a_domain_error_is_said_once_and_saves_nothing(login_as, world, open_meeting):
    team = login_as("noord@example.org")
    response = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/peiling",
                         follow_redirects=True)
    page = text(response)
    assert response.request.path == f"/beheer/bijeenkomsten/{open_meeting.id}"
    assert page.count("Deze bijeenkomst heeft geen datumprikker.") == 1


def test_the_staff_page_shows_the_feedback_links_to_the_team_only(login_as, world,
                                                                 open_meeting):
    record = f'href="/beheer/bijeenkomsten/{open_meeting.id}/melding"'
    ask = f'action="/beheer/bijeenkomsten/{open_meeting.id}/evaluatie"'
    page = text(login_as("noord@example.org").get(f"/beheer/bijeenkomsten/{open_meeting.id}"))
    assert record in page
    assert ask not in page  # only once attendance is kept
    page = text(login_as("clerk@example.org").get(f"/beheer/bijeenkomsten/{open_meeting.id}"))
    assert record not in page and ask not in page
