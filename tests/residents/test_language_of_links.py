"""A resident who opens a personal link, or their own page, reads it in their own language
(the one their emails are in), unless they chose another with the language switch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from panel.meetings import services as meetings
from panel.signups.models import LinkPurpose
from panel.signups.services import issue_link
from tests import factories
from tests.meetings.helpers import meeting_data


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    item.english = factories.member(item.mare, "Olga Petrova", "olga@example.org",
                                    language="en")
    item.pending = factories.member(item.mare, "Kees Bos", "kees@example.org",
                                    status="pending", language="en")
    meeting, _ = meetings.create(item.team_noord, "noord", meeting_data())
    meetings.open_for_replies(item.team_noord, meeting.id)
    item.reply = meetings._invitation(meeting, item.english)
    item.confirm = issue_link(item.pending, LinkPurpose.CONFIRM, timedelta(days=1))
    item.leave = issue_link(item.english, LinkPurpose.LEAVE, timedelta(days=1))
    item.access = issue_link(item.english, LinkPurpose.ACCESS, timedelta(days=1))
    session.commit()
    return item


def _page(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_the_links_in_an_english_email_open_english_pages(app, world) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    reply = _page(client, f"/antwoord/{world.reply}")
    assert '<html lang="en"' in reply and "Yes, I am coming" in reply
    assert "Ja, ik kom" not in reply
    confirm = _page(app.test_client(), f"/aanmelden/bevestigen/{world.confirm}")
    assert '<html lang="en"' in confirm
    leave = _page(app.test_client(), f"/afmelden/{world.leave}")
    assert '<html lang="en"' in leave
    own = _page(app.test_client(), f"/mijn/link/{world.access}")
    assert '<html lang="en"' in own and "My page" in own
    # Public pages of someone who is not signed in stay Dutch.
    assert '<html lang="nl"' in _page(app.test_client(), "/bijeenkomsten")


def test_the_language_switch_wins_over_the_residents_language(app, world) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.set_cookie("lang", "nl")
    reply = _page(client, f"/antwoord/{world.reply}")
    assert '<html lang="nl"' in reply and "Ja, ik kom" in reply
