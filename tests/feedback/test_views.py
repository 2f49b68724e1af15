"""Feedback through the web (Flask test client): residents telling the area team what they
see, the public "you said, we did" pages, the team's triage, what was raised at meetings,
actions and the emails about them, meeting evaluations, themes and CSRF."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from panel.db import db, utcnow
from panel.feedback import services
from panel.feedback.models import (
    Action,
    ActionUpdate,
    Evaluation,
    FeedbackItem,
    Notification,
    Theme,
)
from panel.mail.models import OutboxMessage
from panel.meetings import services as meeting_services
from panel.meetings.models import Meeting
from panel.meetings.times import to_local
from panel.signups.models import PanelMember
from tests.mailbox import link_in, outbox

QUOTE = "Er wordt elke avond veel te hard gereden op de Kanaalweg."
SECRET = "Meneer Jansen van nummer 12 rijdt altijd te hard, bel hem op 06-12345678."
MEETING = "Wijkpanel De Mare"  # the title of the ``open_meeting`` fixture
NOT_POSSIBLE = "Deze verandering van status kan niet."


# --- helpers ------------------------------------------------------------------------------

def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def resident_client(app: Flask, member: PanelMember) -> FlaskClient:
    """A browser in which ``member`` opened their personal link."""
    client = app.test_client()
    with client.session_transaction() as browser_session:
        browser_session["resident_id"] = member.id
    return client


def feedback_form(**overrides: str) -> dict[str, str]:
    data = {"theme": "verkeer", "wijk": "WK036101", "place": "Bij de school",
            "text": QUOTE}
    data.update(overrides)
    return data


def all_items() -> list[FeedbackItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)))


def fresh_item(item_id: int) -> FeedbackItem:
    db.session.expire_all()
    return db.session.get(FeedbackItem, item_id)


def fresh_action(action_id: int) -> Action:
    db.session.expire_all()
    return db.session.get(Action, action_id)


def item_count() -> int:
    return db.session.scalar(select(func.count(FeedbackItem.id))) or 0


def raise_item(member: PanelMember, words: str = QUOTE, theme: str = "verkeer",
               wijk: str = "", **fields: object) -> FeedbackItem:
    """``member`` gave feedback (through the service); ``fields`` set what the team did
    with it since (review, public_text, status, …)."""
    item = services.submit(member, theme, wijk, "", words)
    for name, value in fields.items():
        setattr(item, name, value)
    db.session.commit()
    return item


def theme_section(page: str, code: str) -> str:
    """The part of the public page about one theme."""
    found = re.search(rf'<section[^>]*aria-labelledby="t-{code}">(.*?)</section>', page,
                      re.DOTALL)
    assert found, f"no section for theme {code}"
    return found.group(1)


def long_date(value: date) -> str:
    return format_date(value, "long", locale="nl")


def new_action(client: FlaskClient, items: list[int], area: str = "noord",
               **overrides: object):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {"title": "Drempels op de Kanaalweg",
                               "description": "De gemeente legt twee drempels.",
                               "owner": "Gemeente, team verkeer", "due_date": "2031-06-30",
                               "items": [str(i) for i in items], "meetings": []}
    data.update(overrides)
    return client.post(f"/beheer/gebieden/{area}/acties/nieuw", data=data)


def created_action(response) -> Action:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, text(response)
    found = re.fullmatch(r"/beheer/acties/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return fresh_action(int(found.group(1)))


def update(client: FlaskClient, action_id: int, status: str, progress: int = 0,
           note: str = ""):  # type: ignore[no-untyped-def]
    return client.post(f"/beheer/acties/{action_id}",
                       data={"status": status, "progress": str(progress), "note": note})


def news(to: str | None = None) -> list[OutboxMessage]:
    """Emails about an action (not the other mail in the outbox)."""
    return [m for m in outbox(to) if "/terugkoppeling/" in m.text_body]


def keep_attendance(world, meeting: Meeting, present: set[int]) -> None:  # type: ignore[no-untyped-def]
    meeting_services.record_attendance(world.team_noord, meeting.id, present, 0,
                                       "Goede avond.",
                                       now=meeting.starts_at + timedelta(hours=1))
    db.session.commit()


# --- residents giving feedback ------------------------------------------------------------

def test_without_a_personal_link_the_feedback_page_sends_the_resident_to_mijn(client, world):
    response = client.get("/mijn/melding")
    assert response.status_code == 302
    assert response.headers["Location"] == "/mijn"
    response = client.post("/mijn/melding", data=feedback_form())
    assert response.headers["Location"] == "/mijn"
    assert item_count() == 0


def test_the_feedback_page_offers_the_themes_and_chooses_the_residents_wijk(app, world):
    page = text(resident_client(app, world.anna).get("/mijn/melding"))
    assert re.search(r'<input[^>]*name="theme"[^>]*type="radio"[^>]*value="verkeer"', page)
    assert re.search(r'<input[^>]*name="theme"[^>]*type="radio"[^>]*value="jeugd"', page)
    assert "Verkeer" in page and "Jongeren" in page
    assert re.search(r'<option selected value="WK036101">De Mare</option>', page)
    assert re.search(r'<option value="WK036104">Vroonermeer</option>', page)
    assert "Bij nood belt u 112." in page


def test_the_feedback_page_for_zeno_chooses_his_own_wijk(app, world):
    page = text(resident_client(app, world.zeno).get("/mijn/melding"))
    assert re.search(r'<option selected value="WK036104">Vroonermeer</option>', page)
    assert not re.search(r'<option selected value="WK036101">', page)


def test_giving_feedback_stores_it_with_member_theme_wijk_and_place(app, world):
    client = resident_client(app, world.anna)
    response = client.post("/mijn/melding", data=feedback_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/mijn"
    assert "Dank u wel. Het gebiedsteam leest het." in text(client.get("/mijn"))
    [item] = all_items()
    assert item.member_id == world.anna.id
    assert item.theme.code == "verkeer"
    assert item.neighbourhood.code == "WK036101"
    assert (item.place, item.text) == ("Bij de school", QUOTE)
    assert (item.source, item.status, item.review) == ("resident", "new", "pending")
    assert item.meeting_id is None and item.public_text == ""
    assert item.flagged is False


def test_a_resident_can_raise_something_about_another_wijk(app, world):
    client = resident_client(app, world.anna)
    response = client.post("/mijn/melding", data=feedback_form(wijk="WK036104",
                                                               theme="jeugd"))
    assert response.status_code == 302
    [item] = all_items()
    assert (item.neighbourhood.code, item.theme.code) == ("WK036104", "jeugd")


@pytest.mark.parametrize(("words", "place"), [
    ("Bel mij op 06-12345678 als het weer gebeurt.", ""),
    ("Meneer Jansen rijdt elke ochtend veel te hard.", ""),
    ("Er wordt te hard gereden.", "voor het huis van meneer Jansen"),
])
def test_text_that_may_name_someone_is_stored_flagged(app, world, words, place):
    client = resident_client(app, world.anna)
    response = client.post("/mijn/melding", data=feedback_form(text=words, place=place))
    assert response.status_code == 302
    [item] = all_items()
    assert item.flagged is True
    assert item.text == words and item.review == "pending"


@pytest.mark.parametrize("words", ["", "   \n  "])
def test_empty_feedback_shows_a_dutch_message_and_stores_nothing(app, world, words):
    client = resident_client(app, world.anna)
    response = client.post("/mijn/melding", data=feedback_form(text=words))
    page = text(response)
    assert response.status_code == 200
    assert "Schrijf wat u ons wilt vertellen." in page
    assert 'value="Bij de school"' in page  # what was typed is kept
    assert item_count() == 0


def test_feedback_without_a_theme_asks_to_choose_one(app, world):
    data = feedback_form()
    del data["theme"]
    response = resident_client(app, world.anna).post("/mijn/melding", data=data)
    assert response.status_code == 200
    assert "Kies een onderwerp." in text(response)
    assert item_count() == 0


def test_an_invited_member_must_confirm_before_giving_feedback(app, world):
    client = resident_client(app, world.ivo)
    response = client.post("/mijn/melding", data=feedback_form())
    assert response.status_code == 200
    assert "Bevestig eerst uw plek in het panel." in text(response)
    assert item_count() == 0


def test_the_eleventh_feedback_within_an_hour_is_refused(app, world, rate_limits):
    client = resident_client(app, world.anna)
    for n in range(10):
        response = client.post("/mijn/melding", data=feedback_form(text=f"Melding {n}."))
        assert response.status_code == 302, n
    response = client.post("/mijn/melding", data=feedback_form(text="Nog een melding."))
    assert response.status_code == 429
    assert item_count() == 10


# --- the public page: you said, we did ----------------------------------------------------

@pytest.fixture
def raised(world):  # type: ignore[no-untyped-def]
    """In De Mare: one published quote (edited by the team), one unchecked item that names
    someone, one checked item not to be quoted (all traffic) and one unchecked item about
    young people. In Vroonermeer: one published quote."""
    return {
        "quoted": raise_item(world.anna, "Er wordt hier echt te hard gereden, vooral door "
                             "die ene auto.", review="approved", public_text=QUOTE,
                             place="Voor Kanaalweg 12"),
        "secret": raise_item(world.anna, SECRET),
        "hidden": raise_item(world.bram, "Het is gevaarlijk om over te steken.",
                             review="hidden"),
        "young": raise_item(world.bram, "Jongeren hangen bij het winkelcentrum.",
                            theme="jeugd"),
        "zuid": raise_item(world.zeno, "Geen verlichting in het park.",
                           review="approved", public_text="Het park is donker."),
    }


def test_the_public_page_counts_everything_raised_per_theme(client, world, raised):
    response = client.get("/terugkoppeling/WK036101")
    page = text(response)
    assert response.status_code == 200
    assert "De Mare" in page
    assert "Inwoners meldden dit minder dan 5 keer." in theme_section(page, "verkeer")
    assert "Inwoners meldden dit minder dan 5 keer." in theme_section(page, "jeugd")
    assert page.index('id="t-verkeer"') < page.index('id="t-jeugd"')


def test_the_public_page_quotes_only_checked_and_approved_words(client, world, raised):
    page = text(client.get("/terugkoppeling/WK036101"))
    assert f"“{QUOTE}”" in theme_section(page, "verkeer")
    assert "die ene auto" not in page  # the words before the team edited them
    assert "Meneer Jansen" not in page and "06-12345678" not in page  # not checked
    assert "gevaarlijk om over te steken" not in page  # checked: not to be quoted
    assert "winkelcentrum" not in page
    assert "Het park is donker." not in page  # another wijk
    assert "Kanaalweg 12" not in page  # places are not shown either
    assert "Wat inwoners zeiden" not in theme_section(page, "jeugd")


def test_the_public_page_never_shows_who_raised_something(client, world, raised):
    page = text(client.get("/terugkoppeling/WK036101"))
    for member in (world.anna, world.bram):
        assert member.name not in page
        assert member.name.split()[-1] not in page
        assert member.email not in page


def test_the_public_page_shows_the_actions_for_the_wijk_with_status_and_dates(
        app, login_as, world, raised):
    team = login_as("noord@example.org")
    action = created_action(new_action(team, [raised["quoted"].id, raised["secret"].id]))
    update(team, action.id, "in_progress", 40, "De eerste drempel ligt er.")
    action = fresh_action(action.id)
    page = text(app.test_client().get("/terugkoppeling/WK036101"))
    traffic = theme_section(page, "verkeer")
    assert traffic.count("Drempels op de Kanaalweg") == 1  # answers two items, shown once
    assert "De gemeente legt twee drempels." in traffic
    assert "Bezig" in traffic and "40% klaar" in traffic
    assert f"Gestart op {long_date(to_local(action.created_at).date())}" in traffic
    assert f"Klaar vóór {long_date(date(2031, 6, 30))}" in traffic
    assert f"Laatst gewijzigd {long_date(to_local(action.updated_at).date())}" in traffic
    assert "De eerste drempel ligt er." not in page  # the team's log stays inside
    assert "Drempels op de Kanaalweg" not in theme_section(page, "jeugd")
    assert "Nog geen actie" in theme_section(page, "jeugd")
    assert "Drempels op de Kanaalweg" not in text(
        app.test_client().get("/terugkoppeling/WK036104"))


def test_a_declined_quote_shows_the_reason_residents_can_read(client, world, raised):
    item = fresh_item(raised["quoted"].id)
    item.status, item.status_reason = "declined", "De weg is al een 30 km-zone."
    db.session.commit()
    page = text(client.get("/terugkoppeling/WK036101"))
    assert 'Niet opgepakt: <span lang="nl">De weg is al een 30 km-zone.</span>' in \
        theme_section(page, "verkeer")


def test_a_wijk_without_feedback_says_nothing_was_raised(client, world):
    response = client.get("/terugkoppeling/WK036104")
    assert response.status_code == 200
    assert "Voor deze wijk is nog niets gemeld." in text(response)


def test_an_unknown_wijk_is_not_found(client, world):
    assert client.get("/terugkoppeling/WK999999").status_code == 404


def test_the_overview_lists_every_wijk(client, world):
    response = client.get("/terugkoppeling")
    page = text(response)
    assert response.status_code == 200
    assert 'href="/terugkoppeling/WK036101">De Mare</a>' in page
    assert 'href="/terugkoppeling/WK036104">Vroonermeer</a>' in page
    assert "Gebied Noord" in page and "Gebied Zuid" in page


def test_the_wijk_results_page_links_to_the_feedback_page(client, world):
    response = client.get("/wijken/WK036101")
    assert response.status_code == 200
    assert 'href="/terugkoppeling/WK036101"' in text(response)


def test_the_wijk_results_page_with_published_results_links_to_the_feedback_page(
        client, world):
    from panel.results.models import Edition, Indicator, Result

    indicator = Indicator(code="onveilig", name_nl="Voelt zich wel eens onveilig",
                          name_en="Ever feels unsafe", unit="percentage",
                          higher_is_better=False, position=1)
    edition = Edition(year=2023, published=True)
    db.session.add_all([indicator, edition])
    db.session.flush()
    db.session.add(Result(edition_id=edition.id, indicator_id=indicator.id,
                          area_level="neighbourhood", area_code="WK036101", value=45.0,
                          respondents=150))
    db.session.commit()
    page = text(client.get("/wijken/WK036101"))
    assert "Voelt zich wel eens onveilig" in page
    assert 'href="/terugkoppeling/WK036101"' in page


# --- the team's triage --------------------------------------------------------------------

def test_team_noord_sees_the_items_of_its_own_gebied_only(login_as, world, raised):
    old = fresh_item(raised["young"].id)
    old.created_at = utcnow() - timedelta(days=45)
    db.session.commit()
    response = login_as("noord@example.org").get("/beheer/meldingen")
    page = text(response)
    assert response.status_code == 200
    assert "Meneer Jansen" in page  # the team reads everything, also unchecked words
    assert "(controleren: persoonsgegevens?)" in page
    assert "gevaarlijk om over te steken" in page and "winkelcentrum" in page
    assert "Geen verlichting in het park" not in page
    assert "Vroonermeer" not in page
    row = re.search(r'gebied=noord">Noord</a></th>(.*?)</tr>', page, re.DOTALL)
    assert row, "no row for Noord in the table of open items by age"
    assert re.findall(r">(\d+)</td>", row.group(1)) == ["3", "0", "1", "0"]
    assert 'gebied=zuid"' not in page


def test_the_admin_sees_the_items_of_every_gebied(login_as, world, raised):
    page = text(login_as("admin@example.org").get("/beheer/meldingen"))
    assert "Geen verlichting in het park" in page and "winkelcentrum" in page


def test_an_item_of_another_gebied_is_not_found_for_the_team(login_as, world, raised):
    team = login_as("noord@example.org")
    assert team.get(f"/beheer/meldingen/{raised['zuid'].id}").status_code == 404
    response = team.post(f"/beheer/meldingen/{raised['zuid'].id}",
                         data={"do": "hide", "review-public_text": ""})
    assert response.status_code == 404
    assert fresh_item(raised["zuid"].id).review == "approved"
    response = team.get(f"/beheer/meldingen/{raised['secret'].id}")
    assert response.status_code == 200
    assert "06-12345678" in text(response)


def test_the_clerk_may_not_triage(login_as, world, raised):
    clerk = login_as("clerk@example.org")
    assert clerk.get("/beheer/meldingen").status_code == 403
    assert clerk.get(f"/beheer/meldingen/{raised['secret'].id}").status_code == 403
    response = clerk.post(f"/beheer/meldingen/{raised['secret'].id}",
                          data={"do": "publish", "review-public_text": "Te hard gereden."})
    assert response.status_code == 403
    assert fresh_item(raised["secret"].id).review == "pending"


def test_publishing_checked_words_puts_the_quote_on_the_public_page(app, login_as, world, raised):
    team = login_as("noord@example.org")
    item_id = raised["secret"].id
    response = team.post(f"/beheer/meldingen/{item_id}", data={
        "do": "publish", "review-public_text": "Een buurtbewoner rijdt altijd te hard."})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/beheer/meldingen/{item_id}"
    assert "De controle is opgeslagen." in text(team.get(response.headers["Location"]))
    item = fresh_item(item_id)
    assert (item.review, item.flagged) == ("approved", False)
    assert item.reviewed_by_id == world.team_noord.id and item.reviewed_at is not None
    assert item.text == SECRET  # the original words are kept for the team
    page = text(app.test_client().get("/terugkoppeling/WK036101"))
    assert "“Een buurtbewoner rijdt altijd te hard.”" in theme_section(page, "verkeer")
    assert "Meneer Jansen" not in page


def test_publishing_words_that_still_contain_a_phone_number_is_refused(app, login_as, world,
                                                                       raised):
    team = login_as("noord@example.org")
    item_id = raised["secret"].id
    response = team.post(f"/beheer/meldingen/{item_id}", data={
        "do": "publish", "review-public_text": "Bel hem op 06-12345678."})
    assert response.status_code == 200
    assert "De tekst lijkt nog persoonsgegevens te bevatten: telefoonnummer." in text(response)
    item = fresh_item(item_id)
    assert (item.review, item.public_text, item.flagged) == ("pending", "", True)
    assert "06-12345678" not in text(app.test_client().get("/terugkoppeling/WK036101"))


def test_hiding_keeps_the_words_off_the_page_but_counts_them(app, login_as, world, raised):
    team = login_as("noord@example.org")
    item_id = raised["quoted"].id
    response = team.post(f"/beheer/meldingen/{item_id}",
                         data={"do": "hide", "review-public_text": QUOTE})
    assert response.status_code == 302
    item = fresh_item(item_id)
    assert (item.review, item.public_text) == ("hidden", "")
    page = text(app.test_client().get("/terugkoppeling/WK036101"))
    assert QUOTE not in page
    assert "Inwoners meldden dit minder dan 5 keer." in theme_section(page, "verkeer")
    assert "Niet geciteerd (wel meegeteld)." in text(team.get(f"/beheer/meldingen/{item_id}"))


def set_status(client: FlaskClient, item_id: int, status: str, partner: str = "",
               reason: str = ""):  # type: ignore[no-untyped-def]
    return client.post(f"/beheer/meldingen/{item_id}", data={
        "do": "status", "status-status": status, "status-partner": partner,
        "status-reason": reason})


def test_declining_needs_a_reason_residents_can_read(login_as, world, raised):
    team = login_as("noord@example.org")
    item_id = raised["secret"].id
    response = set_status(team, item_id, "declined")
    assert response.status_code == 200
    assert "Schrijf de reden waarom het niet wordt opgepakt." in text(response)
    assert fresh_item(item_id).status == "new"
    response = set_status(team, item_id, "declined", reason="Dit is een zaak voor de politie.")
    assert response.status_code == 302
    assert "De status is opgeslagen." in text(team.get(response.headers["Location"]))
    item = fresh_item(item_id)
    assert (item.status, item.status_reason) == ("declined", "Dit is een zaak voor de politie.")


def test_passing_on_needs_the_partner(app, login_as, world, raised):
    team = login_as("noord@example.org")
    item_id = raised["quoted"].id
    response = set_status(team, item_id, "passed_on")
    assert response.status_code == 200
    assert "Kies de partner aan wie het is doorgegeven." in text(response)
    assert fresh_item(item_id).status == "new"
    assert set_status(team, item_id, "passed_on", partner="police").status_code == 302
    item = fresh_item(item_id)
    assert (item.status, item.partner) == ("passed_on", "police")
    page = text(app.test_client().get("/terugkoppeling/WK036101"))
    assert "Doorgegeven aan een partner: Politie" in page


def test_a_done_item_cannot_be_declined(login_as, world, raised):
    team = login_as("noord@example.org")
    item_id = raised["quoted"].id
    assert set_status(team, item_id, "done").status_code == 302
    response = set_status(team, item_id, "declined", reason="Toch niet.")
    assert response.status_code == 200
    assert NOT_POSSIBLE in text(response)
    item = fresh_item(item_id)
    assert (item.status, item.status_reason) == ("done", "")
    assert set_status(team, item_id, "handling").status_code == 302  # it may be reopened
    assert fresh_item(item_id).status == "handling"


def test_the_team_filters_the_items(login_as, world, raised):
    team = login_as("noord@example.org")
    page = text(team.get("/beheer/meldingen?thema=jeugd"))
    assert "winkelcentrum" in page and "Meneer Jansen" not in page
    page = text(team.get("/beheer/meldingen?controleren=1"))
    assert "Meneer Jansen" in page
    assert "gevaarlijk om over te steken" not in page and "winkelcentrum" not in page
    set_status(team, raised["young"].id, "handling")
    page = text(team.get("/beheer/meldingen?gebied=noord&status=handling"))
    assert "winkelcentrum" in page and "Meneer Jansen" not in page
    assert "Geen verlichting" not in text(team.get("/beheer/meldingen?gebied=zuid"))


def test_the_team_corrects_the_reason_of_a_declined_item(app, login_as, world, raised):
    team = login_as("noord@example.org")
    item_id = raised["quoted"].id
    set_status(team, item_id, "declined", reason="Dit is een zaak voor de politie.")
    response = set_status(team, item_id, "declined",
                          reason="De weg is al een 30 km-zone. De politie controleert.")
    assert response.status_code == 302
    assert fresh_item(item_id).status_reason == \
        "De weg is al een 30 km-zone. De politie controleert."
    page = text(app.test_client().get("/terugkoppeling/WK036101"))
    assert "De politie controleert." in page


def test_the_team_corrects_the_partner_an_item_was_passed_to(login_as, world, raised):
    team = login_as("noord@example.org")
    item_id = raised["quoted"].id
    set_status(team, item_id, "passed_on", partner="police")
    assert set_status(team, item_id, "passed_on", partner="housing").status_code == 302
    assert fresh_item(item_id).partner == "housing"


# --- what was raised at a meeting ---------------------------------------------------------

def test_the_team_records_what_the_group_raised_at_a_meeting(login_as, world, open_meeting):
    team = login_as("noord@example.org")
    path = f"/beheer/bijeenkomsten/{open_meeting.id}/melding"
    page = text(team.get(path))
    assert f"Vastleggen wat is genoemd: {MEETING}" in page
    assert '<option value="WK036101">De Mare</option>' in page
    assert "Vroonermeer" not in page
    response = team.post(path, data=feedback_form(theme="jeugd", place="Speeltuin",
                                                  text="Jongeren hangen bij de speeltuin."))
    assert response.status_code == 302
    assert response.headers["Location"] == path
    [item] = all_items()
    assert (item.source, item.meeting_id, item.member_id) == ("meeting", open_meeting.id, None)
    assert item.created_by_id == world.team_noord.id
    assert (item.theme.code, item.neighbourhood.code, item.place) == \
        ("jeugd", "WK036101", "Speeltuin")
    page = text(team.get(f"/beheer/meldingen/{item.id}"))
    assert f"Genoemd op een bijeenkomst: {MEETING}" in page


def test_a_wijk_that_is_not_part_of_the_meeting_is_refused(login_as, world, open_meeting):
    team = login_as("noord@example.org")
    response = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/melding",
                         data=feedback_form(wijk="WK036104"))
    assert response.status_code == 200
    assert "Ongeldige keuze." in text(response)
    assert item_count() == 0


def test_a_meeting_of_another_gebied_is_not_found_for_the_team(login_as, world, zuid_meeting):
    team = login_as("noord@example.org")
    path = f"/beheer/bijeenkomsten/{zuid_meeting.id}/melding"
    assert team.get(path).status_code == 404
    assert team.post(path, data=feedback_form(wijk="WK036104")).status_code == 404
    assert item_count() == 0
    assert team.post(f"/beheer/bijeenkomsten/{zuid_meeting.id}/evaluatie").status_code == 404
    clerk = login_as("clerk@example.org")
    assert clerk.get(path).status_code == 403
    assert clerk.post(path, data=feedback_form(wijk="WK036104")).status_code == 403
    admin = login_as("admin@example.org")
    assert admin.post(path, data=feedback_form(wijk="WK036104")).status_code == 302
    [item] = all_items()
    assert item.meeting_id == zuid_meeting.id


# --- actions ------------------------------------------------------------------------------

def test_the_team_starts_an_action_for_items_and_a_meeting(login_as, world, raised, open_meeting):
    team = login_as("noord@example.org")
    form = text(team.get(f"/beheer/gebieden/noord/acties/nieuw?melding={raised['quoted'].id}"))
    assert re.search(rf'<input checked[^>]*value="{raised["quoted"].id}"', form)
    assert "Geen verlichting" not in form and "Het park is donker." not in form
    response = new_action(team, [raised["quoted"].id, raised["secret"].id],
                          meetings=[str(open_meeting.id)])
    action = created_action(response)
    assert (action.title, action.owner, action.due_date, action.status) == (
        "Drempels op de Kanaalweg", "Gemeente, team verkeer", date(2031, 6, 30), "planned")
    assert action.area.code == "noord"
    assert sorted(i.id for i in action.items) == sorted([raised["quoted"].id,
                                                         raised["secret"].id])
    assert [m.id for m in action.meetings] == [open_meeting.id]
    assert {i.status for i in action.items} == {"handling"}
    assert "De actie is opgeslagen." in text(team.get(f"/beheer/acties/{action.id}"))
    listing = text(team.get("/beheer/acties"))
    assert "Drempels op de Kanaalweg" in listing and "Gepland" in listing
    assert f'href="/beheer/acties/{action.id}"' in listing


def test_an_action_cannot_answer_items_of_another_gebied(login_as, world, raised):
    team = login_as("noord@example.org")
    response = new_action(team, [raised["quoted"].id, raised["zuid"].id])
    assert response.status_code == 404
    assert new_action(team, [raised["zuid"].id], area="zuid").status_code == 404
    assert db.session.scalar(select(func.count(Action.id))) == 0
    assert fresh_item(raised["quoted"].id).status == "new"


def test_the_team_changes_what_an_action_answers(login_as, world, raised):
    team = login_as("noord@example.org")
    action = created_action(new_action(team, [raised["quoted"].id]))
    path = f"/beheer/acties/{action.id}/bewerken"
    form = text(team.get(path))
    assert re.search(rf'<input checked[^>]*value="{raised["quoted"].id}"', form)
    assert 'value="Drempels op de Kanaalweg"' in form
    response = team.post(path, data={
        "title": "Drempels en een flitspaal", "description": "", "owner": "",
        "due_date": "", "items": [str(raised["quoted"].id), str(raised["hidden"].id)]})
    assert response.headers["Location"] == f"/beheer/acties/{action.id}"
    action = fresh_action(action.id)
    assert action.title == "Drempels en een flitspaal" and action.due_date is None
    assert sorted(i.id for i in action.items) == sorted([raised["quoted"].id,
                                                         raised["hidden"].id])
    # like a new action: what it now answers is being handled
    assert fresh_item(raised["hidden"].id).status == "handling"
    response = team.post(path, data={"title": "Ook het park", "items": [
        str(raised["quoted"].id), str(raised["zuid"].id)]})
    assert response.status_code == 404
    assert fresh_action(action.id).title == "Drempels en een flitspaal"


@pytest.fixture
def action(login_as, world, raised):  # type: ignore[no-untyped-def]
    """Team Noord's action answering Anna's published quote."""
    team = login_as("noord@example.org")
    return created_action(new_action(team, [raised["quoted"].id]))


def test_a_status_change_emails_the_resident_once(login_as, world, action):
    team = login_as("noord@example.org")
    assert news() == []  # starting an action is not news yet
    response = update(team, action.id, "in_progress", 30, "De aannemer is gevraagd.")
    assert response.status_code == 302
    assert "De update is opgeslagen." in text(team.get(response.headers["Location"]))
    [message] = news()
    assert message.to_address == "anna@example.org"
    assert message.subject == "Nieuws over uw melding: Drempels op de Kanaalweg"
    body = message.text_body
    assert "Beste Anna Zeldenrust," in body
    assert "U vertelde ons iets over De Mare." in body
    assert "Status: Bezig" in body and "De aannemer is gevraagd." in body
    assert "http://wijkpanel.test/terugkoppeling/WK036101" in body
    assert link_in(message, "/afmelden/")
    assert link_in(message, "/mijn/link/")

    assert update(team, action.id, "in_progress", 60).status_code == 302  # same status
    assert update(team, action.id, "in_progress", 60, "Alleen een notitie.").status_code == 302
    assert len(news()) == 1
    assert update(team, action.id, "done").status_code == 302
    assert [m.to_address for m in news()] == ["anna@example.org"] * 2
    assert "Status: Afgerond" in news()[-1].text_body
    assert db.session.scalar(select(func.count(Notification.id))) == 2
    action = fresh_action(action.id)
    assert (action.status, action.progress) == ("done", 100)


def test_the_log_shows_every_update(login_as, world, action):
    team = login_as("noord@example.org")
    update(team, action.id, "in_progress", 30, "De aannemer is gevraagd.")
    update(team, action.id, "in_progress", 60, "De eerste drempel ligt er.")
    page = text(team.get(f"/beheer/acties/{action.id}"))
    log = page[page.index("Logboek"):]
    assert "Gepland" in log
    assert "Bezig" in log and "(30%)" in log and "De aannemer is gevraagd." in log
    assert "(60%)" in log and "De eerste drempel ligt er." in log
    assert log.index("De aannemer is gevraagd.") < log.index("De eerste drempel ligt er.")
    entries = db.session.scalars(select(ActionUpdate).where(
        ActionUpdate.action_id == action.id).order_by(ActionUpdate.id)).all()
    assert [(e.status_from, e.status_to, e.progress) for e in entries] == [
        ("", "planned", 0), ("planned", "in_progress", 30), ("in_progress", "in_progress", 60)]


def test_a_resident_who_chose_english_gets_the_news_in_english(login_as, world):
    item = raise_item(world.bram, "The street lights are broken.")
    team = login_as("noord@example.org")
    action = created_action(new_action(team, [item.id]))
    update(team, action.id, "in_progress", 10)
    [message] = news()
    assert message.to_address == "bram@example.org"
    assert message.subject == "News about what you raised: Drempels op de Kanaalweg"
    assert "Hello Bram Bakker," in message.text_body
    assert "Status: In progress" in message.text_body
    assert "Bezig" not in message.text_body
    assert link_in(message, "/afmelden/")


def test_one_action_for_two_residents_emails_both(login_as, world):
    anna = raise_item(world.anna, QUOTE)
    bram = raise_item(world.bram, "Cars drive far too fast here.")
    again = raise_item(world.anna, "En 's nachts ook.")  # Anna twice: still one email
    team = login_as("noord@example.org")
    action = created_action(new_action(team, [anna.id, bram.id, again.id]))
    update(team, action.id, "in_progress", 10)
    assert sorted(m.to_address for m in news()) == ["anna@example.org", "bram@example.org"]


def test_the_email_is_about_the_wijk_the_resident_raised_it_for(app, login_as, world):
    """Anna lives in De Mare but told the team about Vroonermeer (gebied Zuid)."""
    item = raise_item(world.anna, "Geen verlichting bij het station.", wijk="WK036104")
    admin = login_as("admin@example.org")
    action = created_action(new_action(admin, [item.id], area="zuid",
                                       title="Lampen bij het station"))
    update(admin, action.id, "in_progress", 10)
    [message] = news("anna@example.org")
    assert "U vertelde ons iets over Vroonermeer." in message.text_body
    assert "http://wijkpanel.test/terugkoppeling/WK036104" in message.text_body
    page = text(app.test_client().get(link_in(message, "/terugkoppeling/")))
    assert "Lampen bij het station" in page


def test_an_item_answered_by_two_actions_shows_both(app, login_as, world, raised, action):
    team = login_as("noord@example.org")
    second = created_action(new_action(team, [raised["quoted"].id],
                                       title="Extra controles door de politie"))
    page = text(team.get(f"/beheer/meldingen/{raised['quoted'].id}"))
    assert f'href="/beheer/acties/{action.id}">Drempels op de Kanaalweg</a>' in page
    assert f'href="/beheer/acties/{second.id}">Extra controles door de politie</a>' in page
    public = theme_section(text(app.test_client().get("/terugkoppeling/WK036101")), "verkeer")
    assert "Drempels op de Kanaalweg" in public and "Extra controles door de politie" in public


def test_the_clerk_can_read_an_action_but_not_update_it(login_as, world, action):
    clerk = login_as("clerk@example.org")
    response = clerk.get(f"/beheer/acties/{action.id}")
    page = text(response)
    assert response.status_code == 200
    assert "Drempels op de Kanaalweg" in page
    assert 'name="note"' not in page
    assert "Drempels op de Kanaalweg" in text(clerk.get("/beheer/acties"))
    response = update(clerk, action.id, "done", 100, "Klaar.")
    assert response.status_code in (403, 404)
    assert fresh_action(action.id).status == "planned"
    assert len(fresh_action(action.id).updates) == 1
    assert news() == []
    assert clerk.get(f"/beheer/acties/{action.id}/bewerken").status_code in (403, 404)


def test_an_action_of_another_gebied_is_not_found_for_the_team(login_as, world, raised):
    admin = login_as("admin@example.org")
    action = created_action(new_action(admin, [raised["zuid"].id], area="zuid",
                                       title="Lampen in het park"))
    team = login_as("noord@example.org")
    assert team.get(f"/beheer/acties/{action.id}").status_code == 404
    assert update(team, action.id, "done").status_code == 404
    assert "Lampen in het park" not in text(team.get("/beheer/acties"))
    assert fresh_action(action.id).status == "planned"


# --- meeting evaluations ------------------------------------------------------------------

def evaluation_mails() -> list[OutboxMessage]:
    return [m for m in outbox() if "Hoe was de bijeenkomst?" in m.subject
            or "How was the meeting?" in m.subject]


def test_evaluations_can_only_be_asked_after_attendance_is_kept(login_as, world, open_meeting):
    team = login_as("noord@example.org")
    response = team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/evaluatie")
    assert response.headers["Location"] == f"/beheer/bijeenkomsten/{open_meeting.id}"
    assert "Houd eerst de aanwezigheid bij." in text(team.get(response.headers["Location"]))
    assert evaluation_mails() == []


def test_the_people_who_came_are_asked_once_to_rate_the_meeting(login_as, world, open_meeting):
    keep_attendance(world, open_meeting, {world.anna.id, world.bram.id})
    team = login_as("noord@example.org")
    path = f"/beheer/bijeenkomsten/{open_meeting.id}/evaluatie"
    response = team.post(path)
    assert response.headers["Location"] == f"/beheer/bijeenkomsten/{open_meeting.id}"
    assert "2 aanwezigen is om hun mening gevraagd." in text(
        team.get(response.headers["Location"]))
    assert sorted(m.to_address for m in evaluation_mails()) == ["anna@example.org",
                                                                "bram@example.org"]
    [dutch] = [m for m in evaluation_mails() if m.to_address == "anna@example.org"]
    assert dutch.subject == f"Hoe was de bijeenkomst? {MEETING}"
    assert f"Dank u wel dat u naar {MEETING} kwam." in dutch.text_body
    assert link_in(dutch, "/afmelden/")
    response = team.post(path)
    assert response.headers["Location"] == f"/beheer/bijeenkomsten/{open_meeting.id}"
    assert "0 aanwezigen is om hun mening gevraagd." in text(
        team.get(response.headers["Location"]))
    assert len(evaluation_mails()) == 2
    assert db.session.scalar(select(func.count(Evaluation.id))) == 2


def test_an_attendee_rates_the_meeting_from_their_own_page(app, login_as, world, open_meeting):
    keep_attendance(world, open_meeting, {world.anna.id, world.bram.id})
    team = login_as("noord@example.org")
    team.post(f"/beheer/bijeenkomsten/{open_meeting.id}/evaluatie")
    [message] = [m for m in evaluation_mails() if m.to_address == "anna@example.org"]

    anna = app.test_client()
    assert anna.get(link_in(message, "/mijn/link/")).headers["Location"] == "/mijn"
    path = f"/mijn/evaluatie/{open_meeting.id}"
    my_page = text(anna.get("/mijn"))
    assert f'href="{path}"' in my_page
    assert f'Geef uw mening over <span lang="nl">{MEETING}</span>' in my_page
    form = text(anna.get(path))
    assert "Hoe was de bijeenkomst?" in form and 'name="rating"' in form

    response = anna.post(path, data={"rating": "7", "comments": ""})
    assert response.status_code == 200
    assert "Ongeldige keuze." in text(response)
    response = anna.post(path, data={"comments": "Fijne avond."})
    assert response.status_code == 200
    assert "Kies een cijfer." in text(response)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Evaluation.rating))) == 0

    response = anna.post(path, data={"rating": "4", "comments": "Fijne avond."})
    assert response.headers["Location"] == "/mijn"
    my_page = text(anna.get("/mijn"))
    assert "Dank u wel voor uw mening." in my_page
    assert f'href="{path}"' not in my_page
    resident_client(app, world.bram).post(path, data={"rating": "5"})

    page = text(team.get(f"/beheer/bijeenkomsten/{open_meeting.id}"))
    assert "Gemiddeld cijfer (2 antwoorden)" in page
    assert "4,5" in page
    db.session.expire_all()
    rated = db.session.scalars(select(Evaluation).where(
        Evaluation.member_id == world.anna.id)).one()
    assert (rated.rating, rated.comments) == (4, "Fijne avond.")
    assert rated.answered_at is not None


def test_a_member_who_was_not_asked_cannot_rate_the_meeting(app, login_as, world, open_meeting):
    keep_attendance(world, open_meeting, {world.anna.id})
    login_as("noord@example.org").post(
        f"/beheer/bijeenkomsten/{open_meeting.id}/evaluatie")
    path = f"/mijn/evaluatie/{open_meeting.id}"
    bram = resident_client(app, world.bram)  # did not come
    assert bram.get(path).status_code == 404
    assert bram.post(path, data={"rating": "1"}).status_code == 404
    assert resident_client(app, world.zeno).get(path).status_code == 404
    assert resident_client(app, world.ivo).get(path).status_code == 404
    assert app.test_client().get(path).headers["Location"] == "/mijn"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Evaluation.rating))) == 0


# --- themes -------------------------------------------------------------------------------

def save_theme(client: FlaskClient, code: str, name_nl: str, name_en: str,
               active: bool = True):  # type: ignore[no-untyped-def]
    data = {"code": code, "name_nl": name_nl, "name_en": name_en}
    if active:
        data["active"] = "y"
    return client.post("/beheer/themas", data=data)


def themes_by_code() -> dict[str, Theme]:
    db.session.expire_all()
    return {t.code: t for t in db.session.scalars(select(Theme))}


def test_the_admin_adds_a_theme_that_residents_can_choose(app, login_as, world):
    admin = login_as("admin@example.org")
    page = text(admin.get("/beheer/themas"))
    assert "Verkeer / Traffic (verkeer)" in page
    response = save_theme(admin, "overlast", "Overlast", "Nuisance")
    assert response.headers["Location"] == "/beheer/themas"
    assert "Het onderwerp is opgeslagen." in text(admin.get("/beheer/themas"))
    assert themes_by_code()["overlast"].active is True
    page = text(resident_client(app, world.anna).get("/mijn/melding"))
    assert re.search(r'<input[^>]*value="overlast"', page) and "Overlast" in page


def test_the_admin_changes_a_theme_by_its_code(app, login_as, world):
    admin = login_as("admin@example.org")
    assert save_theme(admin, "Verkeer", "Verkeer en parkeren",
                      "Traffic and parking").status_code == 302
    themes = themes_by_code()
    assert len(themes) == 2
    assert (themes["verkeer"].name_nl, themes["verkeer"].name_en) == (
        "Verkeer en parkeren", "Traffic and parking")
    assert "Verkeer en parkeren" in text(resident_client(app, world.anna).get("/mijn/melding"))


def test_a_deactivated_theme_is_no_longer_offered_but_still_counted(app, login_as, world):
    raise_item(world.anna, QUOTE)
    admin = login_as("admin@example.org")
    assert save_theme(admin, "verkeer", "Verkeer", "Traffic", active=False).status_code == 302
    assert themes_by_code()["verkeer"].active is False
    assert "Verkeer / Traffic (verkeer) – niet in gebruik" in text(admin.get("/beheer/themas"))
    anna = resident_client(app, world.anna)
    page = text(anna.get("/mijn/melding"))
    assert not re.search(r'<input[^>]*value="verkeer"', page)
    assert re.search(r'<input[^>]*value="jeugd"', page)
    response = anna.post("/mijn/melding", data=feedback_form(theme="verkeer"))
    assert response.status_code == 200
    assert item_count() == 1
    public = text(app.test_client().get("/terugkoppeling/WK036101"))
    assert "Inwoners meldden dit minder dan 5 keer." in theme_section(public, "verkeer")


def test_the_team_may_not_manage_themes(login_as, world):
    team = login_as("noord@example.org")
    assert team.get("/beheer/themas").status_code == 403
    assert save_theme(team, "overlast", "Overlast", "Nuisance").status_code == 403
    assert "overlast" not in themes_by_code()


# --- CSRF ---------------------------------------------------------------------------------

def test_feedback_without_a_csrf_token_is_refused(app, world, csrf_enabled):
    client = resident_client(app, world.anna)
    response = client.post("/mijn/melding", data=feedback_form())
    assert response.status_code == 400
    assert item_count() == 0
    page = text(client.get("/mijn/melding"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    response = client.post("/mijn/melding", data=feedback_form(csrf_token=token.group(1)))
    assert response.status_code == 302
    assert item_count() == 1
