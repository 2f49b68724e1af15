"""The language of parts (WCAG 3.1.2): on English pages the municipality's own words, which
are Dutch (meeting titles, venues, descriptions, agendas, residents' quotes, actions), carry
``lang="nl"``, so a screen reader speaks them as Dutch; the page's own texts stay English.
And a visitor who reads the site in English gets English preselected for emails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from panel.db import db, utcnow
from panel.demo.services import seed_demo
from panel.feedback.models import Action, FeedbackItem, Review
from panel.meetings.models import Meeting
from panel.signups import services as signups
from panel.signups.models import LinkPurpose, MemberStatus, PanelMember


@pytest.fixture
def demo(app: Flask, session) -> None:  # type: ignore[no-untyped-def]
    seed_demo()
    db.session.commit()


def in_english(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.get("/taal/en")
    return client


def language_of(html: str, text: str) -> str:
    """The language a screen reader uses for ``text`` on the page: the ``lang`` of the
    nearest element around it (the page's own, on ``<html>``, when none closer has one)."""
    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main")
    assert isinstance(main, Tag)
    node = main.find(string=lambda s: s is not None and text in s)
    assert node is not None, f"{text!r} is not on the page"
    for parent in node.parents:
        if isinstance(parent, Tag) and parent.has_attr("lang"):
            return str(parent["lang"])
    raise AssertionError("the page has no language")


def _meeting(upcoming: bool = True) -> Meeting:
    order = Meeting.starts_at.desc() if upcoming else Meeting.starts_at
    return db.session.scalars(select(Meeting).order_by(order)).first()


def test_a_meeting_page_in_english_marks_the_municipalitys_words_as_dutch(app, demo):
    meeting = _meeting()
    html = in_english(app).get(f"/bijeenkomsten/{meeting.id}").get_data(as_text=True)
    assert language_of(html, "Agenda") == "en"
    assert language_of(html, "Places left") == "en"
    dutch = [meeting.title, meeting.venue, meeting.accessibility,
             *meeting.description.splitlines(), *meeting.agenda.splitlines()]
    assert {text: language_of(html, text) for text in dutch} == {text: "nl" for text in dutch}


def test_the_meeting_list_and_home_page_mark_titles_and_venues(app, demo):
    meeting = _meeting()
    client = in_english(app)
    listing = client.get("/bijeenkomsten").get_data(as_text=True)
    assert language_of(listing, meeting.title) == "nl"
    assert language_of(listing, meeting.venue) == "nl"
    assert language_of(listing, "Meetings of the wijkpanels") == "en"
    soonest = db.session.scalars(select(Meeting).where(Meeting.starts_at > utcnow())
                                 .order_by(Meeting.starts_at)).first()
    assert language_of(client.get("/").get_data(as_text=True), soonest.title) == "nl"


def test_a_feedback_page_in_english_marks_quotes_and_actions_as_dutch(app, demo):
    quote = db.session.scalars(select(FeedbackItem).where(
        FeedbackItem.review == Review.APPROVED.value).order_by(FeedbackItem.id)).first()
    action = db.session.scalars(select(Action).where(Action.description != "")).first()
    code = quote.neighbourhood.code
    html = in_english(app).get(f"/terugkoppeling/{code}").get_data(as_text=True)
    assert language_of(html, quote.public_text) == "nl"
    assert language_of(html, action.title) == "nl"
    assert language_of(html, action.description) == "nl"
    assert language_of(html, "What residents said") == "en"
    assert language_of(html, "What we did") == "en"


def test_my_page_and_the_reply_page_in_english_mark_meeting_titles_as_dutch(app, demo):
    member = db.session.scalars(select(PanelMember).where(
        PanelMember.status == MemberStatus.MEMBER.value, PanelMember.email.is_not(None),
        PanelMember.language == "en").order_by(PanelMember.id)).first()
    token = signups.issue_link(member, LinkPurpose.ACCESS, timedelta(days=1))
    db.session.commit()
    client = in_english(app)
    html = client.get(f"/mijn/link/{token}", follow_redirects=True).get_data(as_text=True)
    meetings = db.session.scalars(select(Meeting).where(
        Meeting.area_id == member.neighbourhood.area_id).order_by(Meeting.starts_at)).all()
    assert meetings, "the demo has meetings in every gebied"
    for meeting in meetings:
        assert language_of(html, meeting.title) == "nl"
    assert language_of(html, "Your data") == "en"
    reply = client.get(f"/mijn/bijeenkomsten/{meetings[-1].id}").get_data(as_text=True)
    assert language_of(reply, meetings[-1].title) == "nl"
    assert language_of(reply, meetings[-1].venue) == "nl"
    assert language_of(reply, "Your reply") == "en"


def test_dutch_pages_stay_dutch_throughout(app, demo):
    meeting = _meeting()
    client = app.test_client()
    client.get("/taal/nl")
    html = client.get(f"/bijeenkomsten/{meeting.id}").get_data(as_text=True)
    assert language_of(html, meeting.title) == "nl"
    assert language_of(html, "Agenda") == "nl"


# --- the language for emails on /aanmelden ----------------------------------------------------

def _checked_language(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [str(radio["value"]) for radio in soup.select('input[name="language"]')
            if radio.has_attr("checked")]


def test_joining_in_english_preselects_english_emails(app, demo):
    html = in_english(app).get("/aanmelden").get_data(as_text=True)
    assert _checked_language(html) == ["en"]
    assert language_of(html, "Nederlands") == "nl"  # each language named in itself
    assert language_of(html, "Language for emails") == "en"


def test_joining_in_dutch_preselects_dutch_emails(app, demo):
    client = app.test_client()
    assert _checked_language(client.get("/aanmelden").get_data(as_text=True)) == ["nl"]
    client.get("/taal/nl")
    assert _checked_language(client.get("/aanmelden").get_data(as_text=True)) == ["nl"]


def test_the_choice_made_is_kept_when_the_form_comes_back(app, demo):
    """A form sent back with an error keeps the language the visitor chose, not the page's."""
    response = in_english(app).post("/aanmelden", data={
        "name": "Piet Jansen", "email": "", "phone": "", "postcode": "1810AA",
        "house_number": "1", "neighbourhood": "", "language": "nl",
        "statement_version": "2026-1", "consent": "y"})
    assert _checked_language(response.get_data(as_text=True)) == ["nl"]
