"""An action's status and its due date are worded apart, in Dutch and in English, wherever
residents and staff read them: a finished action is "Afgerond" / "Completed" and its date
"Klaar vóór …" / "Due by …", so it never reads as finishing on a date still to come."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from babel.dates import format_date

from panel.feedback import services
from panel.i18n import locale_of
from panel.meetings.times import local_today
from tests.mailbox import outbox

TITLE = "Drempels op de Kanaalweg"


@pytest.fixture
def done_action(world, session):  # type: ignore[no-untyped-def]
    """A finished action, due 40 days from now, answering Anna's and Bram's feedback (Bram
    reads English); the words of both are published and the items are done."""
    items = []
    for member in (world.anna, world.bram):
        item = services.submit(member, "verkeer", "", "", "Er wordt te hard gereden.")
        services.review(world.team_noord, item.id, "Er wordt te hard gereden.", publish=True)
        items.append(item)
    action = services.create_action(world.team_noord, "noord", services.ActionData(
        TITLE, "De gemeente legt twee drempels.", "Gemeente", local_today() + timedelta(40),
        [item.id for item in items]))
    services.update_action(world.team_noord, action.id, "done", 100, "De drempels liggen er.")
    for item in items:
        services.set_status(world.team_noord, item.id, "done")
    session.commit()
    return action


def card(page: str) -> str:
    """The action's card on the public page."""
    found = re.search(rf'<li class="wp-card">(.*?{TITLE}.*?)</li>', page, re.DOTALL)
    assert found, "no card for the action"
    return found.group(1)


def due(action, language: str) -> str:  # type: ignore[no-untyped-def]
    return format_date(action.due_date, "long", locale=locale_of(language))


def test_a_done_action_with_a_future_due_date_reads_completed_in_dutch(client, done_action):
    page = client.get("/terugkoppeling/WK036101").get_data(as_text=True)
    words = card(page)
    assert "<strong>Afgerond</strong>" in words
    assert f"Klaar vóór {due(done_action, 'nl')}" in words
    assert "Klaar op" not in page
    assert not re.search(r"\bKlaar\b(?! vóór)", page)  # "Klaar" only as part of the due date
    assert page.count(">Afgerond<") == 3  # the action and the two items it answered


def test_a_done_action_with_a_future_due_date_reads_completed_in_english(client, done_action):
    client.set_cookie("lang", "en")
    page = client.get("/terugkoppeling/WK036101").get_data(as_text=True)
    words = card(page)
    assert "<strong>Completed</strong>" in words
    assert f"Due by {due(done_action, 'en')}" in words
    assert "Ready by" not in page


def test_the_email_about_a_finished_action_says_it_is_completed(done_action):
    [dutch] = outbox("anna@example.org")
    [english] = outbox("bram@example.org")
    assert "Status: Afgerond" in dutch.text_body and "Status: Afgerond" in dutch.html_body
    assert "Status: Completed" in english.text_body
    assert "Klaar" not in dutch.text_body


def test_the_staff_pages_word_status_and_due_date_apart(login_as, done_action):
    team = login_as("noord@example.org")
    page = team.get(f"/beheer/acties/{done_action.id}").get_data(as_text=True)
    assert "<dt>Klaar vóór</dt>" in page and "Afgerond (100%)" in page
    listing = team.get("/beheer/acties").get_data(as_text=True)
    assert "Klaar vóór" in listing and "Afgerond" in listing
    assert "Klaar op" not in page + listing
    form = team.get(f"/beheer/acties/{done_action.id}/bewerken").get_data(as_text=True)
    assert "Klaar vóór" in form and "Klaar op" not in form
