"""The public page of a meeting is built from plain values (one statement, its texts
translated once per language, the date written with the language's pattern): it shows what
the facts of a meeting (``meetings/_facts.html``) show on every other page, in both
languages, and the date as the ``moment`` and ``time_only`` filters write it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string

from panel.db import db
from panel.meetings import services
from panel.meetings.models import Meeting
from panel.meetings.views import _labels, _when
from tests.statements import counting

FACTS = '{% set show_link = False %}{% include "meetings/_facts.html" %}'


def _normal(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def _facts_elsewhere(app, meeting_id: int, language: str) -> str:  # type: ignore[no-untyped-def]
    """The facts as the shared template shows them for the meeting (the reply and staff
    pages), with its wijken and started as the public page says."""
    meeting = db.session.get(Meeting, meeting_id)
    with app.test_request_context(headers={"Cookie": f"lang={language}"}):
        html = render_template_string(FACTS, meeting=meeting, started=meeting.has_started(),
                                      **_labels())
    return _normal(html)


def _facts_on_the_page(client, meeting_id: int, language: str) -> str:  # type: ignore[no-untyped-def]
    client.set_cookie("lang", language)
    soup = BeautifulSoup(client.get(f"/bijeenkomsten/{meeting_id}").get_data(as_text=True),
                         "html.parser")
    facts = soup.select_one("dl.wp-data")
    assert facts is not None
    parts = [str(facts)]
    for sibling in facts.find_next_siblings():  # description, agenda: up to the links
        if sibling.find("a"):
            break
        parts.append(str(sibling))
    return _normal("".join(parts))


def _change(meeting: Meeting, how: str) -> None:
    if how == "no wijken, no venue, no end":
        meeting.neighbourhoods = []
        meeting.venue = meeting.accessibility = meeting.agenda = ""
        meeting.ends_at = None
    elif how == "winter, online, lines to leave out":
        meeting.starts_at = datetime(2031, 1, 7, 18, 5, tzinfo=UTC)
        meeting.ends_at = datetime(2031, 1, 7, 19, 0, tzinfo=UTC)
        meeting.kind = "online"
        meeting.description = "Eerste regel.\n\n  \nTweede <regel> & meer."
        meeting.agenda = "Welkom\n\nVragen"
    elif how == "started":
        meeting.starts_at = datetime.now(UTC) - timedelta(minutes=5)
        meeting.ends_at = datetime.now(UTC) + timedelta(hours=1)
    elif how == "ended":
        meeting.starts_at = datetime.now(UTC) - timedelta(hours=3)
        meeting.ends_at = datetime.now(UTC) - timedelta(hours=1)
    elif how == "cancelled":
        meeting.status = "cancelled"
    elif how == "full":
        meeting.seats_taken = meeting.capacity + 2


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("how", ["as planned", "no wijken, no venue, no end",
                                 "winter, online, lines to leave out", "started", "ended",
                                 "cancelled", "full"])
def test_the_page_shows_the_facts_as_every_other_page_does(app, client, world, open_meeting,
                                                           how, language):
    meeting = db.session.get(Meeting, open_meeting.id)
    _change(meeting, how)
    db.session.commit()
    assert _facts_on_the_page(client, meeting.id, language) == \
        _facts_elsewhere(app, meeting.id, language)


def test_the_texts_follow_the_language(client, world, open_meeting):
    dutch = client.get(f"/bijeenkomsten/{open_meeting.id}").get_data(as_text=True)
    assert "Plaatsen over" in dutch and "Zet in mijn agenda" in dutch and "Op locatie" in dutch
    client.set_cookie("lang", "en")
    english = client.get(f"/bijeenkomsten/{open_meeting.id}").get_data(as_text=True)
    assert "Places left" in english and "Add to my calendar" in english
    assert "In person" in english and "Plaatsen over" not in english


def test_the_page_is_read_in_one_statement(app, client, world, open_meeting, monkeypatch):
    """The ETag and the page come from the same statement (the others read the page
    header's municipality)."""
    path = f"/bijeenkomsten/{open_meeting.id}"
    monkeypatch.setitem(app.config, "PANEL_ETAG_SECONDS", 0)
    monkeypatch.setitem(app.config, "PANEL_PAGE_CACHE_MB", 0)
    with counting(db.engine) as seen:
        assert client.get(path).status_code == 200
    assert len([s for s in seen if "FROM meeting" in s]) == 1
    assert all("FROM meeting" in s or "FROM municipality" in s for s in seen), seen


def test_the_page_has_two_wijken_in_order_and_none_when_it_has_none(client, world,
                                                                   open_meeting):
    meeting = db.session.get(Meeting, open_meeting.id)
    meeting.neighbourhoods.append(world.vrooner)
    db.session.commit()
    assert services.public_meeting_page(meeting.id).wijken == ("De Mare", "Vroonermeer")
    meeting.neighbourhoods = []
    db.session.commit()
    page = services.public_meeting_page(meeting.id)
    assert page.wijken == () and page.places_left == 3


def _moments() -> list[tuple[datetime, datetime | None]]:
    """Starts every 7 hours and 5 minutes through 2027 (both clock changes and every
    weekday and month), with an end 90 minutes later; and one without an end."""
    start = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    moments: list[tuple[datetime, datetime | None]] = [(start, None)]
    while start.year == 2027:
        moments.append((start, start + timedelta(minutes=90)))
        start += timedelta(hours=7, minutes=5)
    return moments


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_date_is_written_as_the_filters_write_it(app, world, open_meeting, language):
    template = "{{ s|moment }} – {{ e|time_only }}"
    moments = _moments()
    with app.test_request_context(headers={"Cookie": f"lang={language}"}):
        for starts_at, ends_at in moments:
            page = services.public_meeting_page(open_meeting.id)._replace(
                starts_at=starts_at, ends_at=ends_at)
            assert _when(page) == render_template_string(template, s=starts_at, e=ends_at)
        assert _when(page._replace(starts_at=None)) == ""
    assert len(moments) > 1000
