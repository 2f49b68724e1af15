"""Joining, confirming, the resident's own page, leaving, letter codes, and the staff pages
about panel members and the survey import, through the web (Flask test client)."""

from __future__ import annotations

import csv
import io
import json
import re
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from docx import Document
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from panel.db import db
from panel.signups import services
from panel.signups.models import ImportRecord, PanelMember
from tests import factories
from tests.mailbox import link_in, outbox

EMAIL = "piet@example.org"
VERSION = "2026-1"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- helpers ------------------------------------------------------------------------------

def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def join_data(**overrides: str) -> dict[str, str]:
    data = {"name": "Piet Jansen", "email": EMAIL, "phone": "", "postcode": "1801 AA",
            "house_number": "12", "neighbourhood": "", "language": "nl",
            "statement_version": VERSION, "consent": "y"}
    data.update(overrides)
    return data


def member_count() -> int:
    return db.session.scalar(select(func.count(PanelMember.id))) or 0


def member_with(email: str) -> PanelMember:
    return db.session.scalars(select(PanelMember).where(PanelMember.email == email)).one()


def confirm_path(email: str = EMAIL) -> str:
    return link_in(outbox(email)[-1], "/aanmelden/bevestigen/")


def join_and_confirm(client: FlaskClient, email: str = EMAIL) -> PanelMember:
    """Join online and click the confirmation button: the member's page is open in
    ``client`` and the welcome email is in the outbox."""
    assert client.post("/aanmelden", data=join_data(email=email)).status_code == 302
    response = client.post(confirm_path(email), data={"statement_version": VERSION})
    assert response.headers["Location"] == "/mijn"
    return member_with(email)


def csrf_token(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get(path)))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def comparable(response) -> tuple[int, list[tuple[str, str]], bytes]:  # type: ignore[no-untyped-def]
    """Everything a visitor can see of a response, except the date."""
    headers = sorted((k, v) for k, v in response.headers.items() if k != "Date")
    return response.status_code, headers, response.get_data()


@pytest.fixture
def people(world):  # type: ignore[no-untyped-def]
    """Anna and Bram live in De Mare (gebied Noord), Zeno in Vroonermeer (gebied Zuid)."""
    anna = factories.member(world.mare, "Anna de Vries", "anna@example.org",
                            street="Marelaan", house_number="1", postcode="1801AA",
                            city="Alkmaar")
    bram = factories.member(world.mare, "Bram Bakker", None, status="invited",
                            source="survey", street="Marelaan", house_number="3",
                            postcode="1801AA", city="Alkmaar")
    zeno = factories.member(world.vrooner, "Zeno Zuidema", "zeno@example.org",
                            status="invited", source="survey", postcode="1804AA",
                            house_number="7")
    db.session.commit()
    return SimpleNamespace(anna=anna, bram=bram, zeno=zeno)


# --- joining ------------------------------------------------------------------------------

def test_the_join_form_shows_the_statement_and_its_version(client, world):
    response = client.get("/aanmelden")
    page = text(response)
    assert response.status_code == 200
    assert "Versie 2026-1" in page
    assert re.search(r'name="statement_version" type="hidden" value="2026-1"', page)
    assert "Wij gebruiken uw gegevens alleen voor het wijkpanel." in page
    assert 'name="consent"' in page


def test_joining_sends_one_email_and_says_to_check_it(client, world):
    response = client.post("/aanmelden", data=join_data())
    assert response.status_code == 302
    assert response.headers["Location"] == "/aanmelden/verstuurd"
    member = member_with(EMAIL)
    assert (member.status, member.neighbourhood.code) == ("pending", "WK036101")
    [message] = outbox()
    assert message.to_address == EMAIL
    assert "/aanmelden/bevestigen/" in message.text_body
    assert "Kijk in uw e-mail" in text(client.get(response.headers["Location"]))


def test_joining_twice_looks_the_same_and_creates_no_second_member(client, world):
    first = client.post("/aanmelden", data=join_data(email="Piet@Example.org"),
                        follow_redirects=True)
    again = client.post("/aanmelden", data=join_data(email="PIET@EXAMPLE.ORG",
                                                     name="Iemand Anders"),
                        follow_redirects=True)
    assert [r.headers["Location"] for r in first.history] == ["/aanmelden/verstuurd"]
    assert [r.headers["Location"] for r in again.history] == ["/aanmelden/verstuurd"]
    assert first.history[0].get_data() == again.history[0].get_data()
    assert comparable(first) == comparable(again)
    assert member_count() == 1
    assert member_with(EMAIL).name == "Piet Jansen"  # the second form changes nothing
    assert len(outbox(EMAIL)) == 2  # a new confirmation link


def test_known_and_unknown_emails_get_byte_identical_responses(app, world):
    join_and_confirm(app.test_client())
    mails_before = len(outbox())

    def join_as(email: str, **kwargs: bool):  # type: ignore[no-untyped-def]
        return app.test_client().post("/aanmelden", data=join_data(email=email), **kwargs)

    def ask_link(email: str, **kwargs: bool):  # type: ignore[no-untyped-def]
        return app.test_client().post("/mijn/link", data={"email": email}, **kwargs)

    assert comparable(join_as(EMAIL)) == comparable(join_as("new@example.org"))
    assert comparable(join_as(EMAIL, follow_redirects=True)) == \
        comparable(join_as("other@example.org", follow_redirects=True))
    assert comparable(ask_link(EMAIL)) == comparable(ask_link("stranger@example.org"))
    assert comparable(ask_link(EMAIL, follow_redirects=True)) == \
        comparable(ask_link("nobody@example.org", follow_redirects=True))
    assert ask_link(EMAIL).headers["Location"] == "/mijn/link-verstuurd"
    # Behind the identical pages, the member got mail about the membership, the strangers
    # who asked for a link were told that no membership was found, and the new people got
    # a confirmation link.
    sent = [m.to_address for m in outbox()[mails_before:]]
    assert set(sent) == {EMAIL, "new@example.org", "other@example.org",
                         "stranger@example.org", "nobody@example.org"}
    assert sent.count(EMAIL) == 5
    assert "/aanmelden" in outbox("stranger@example.org")[0].text_body


def test_unknown_postcode_asks_for_the_wijk_and_choosing_one_works(client, world):
    response = client.post("/aanmelden", data=join_data(postcode="9999 ZZ"))
    page = text(response)
    assert response.status_code == 200
    assert "Wij kennen deze postcode niet. Kies uw wijk uit de lijst." in page
    assert 'name="neighbourhood"' in page and 'class="wp-details"' not in page  # list open
    assert 'value="9999 ZZ"' in page and 'value="Piet Jansen"' in page
    assert member_count() == 0 and outbox() == []

    response = client.post("/aanmelden", data=join_data(postcode="9999 ZZ",
                                                        neighbourhood="WK036104"))
    assert response.headers["Location"] == "/aanmelden/verstuurd"
    member = member_with(EMAIL)
    assert (member.neighbourhood.code, member.postcode) == ("WK036104", "9999ZZ")


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("email", "piet-at-example.org", "Dit is geen geldig e-mailadres."),
    ("postcode", "12345", "Dit is geen Nederlandse postcode."),
    ("house_number", "twaalf", "Dit is geen huisnummer."),
    ("consent", "", "U kunt alleen meedoen als u akkoord gaat."),
    ("name", "", "Vul uw naam in."),
])
def test_invalid_join_input_shows_a_dutch_message_and_keeps_what_was_typed(
        client, world, field, typed, message):
    data = join_data(**{field: typed})
    if field == "consent":
        del data["consent"]
    response = client.post("/aanmelden", data=data)
    page = text(response)
    assert response.status_code == 200
    assert message in page
    for name, value in data.items():
        if name in ("name", "email", "postcode", "house_number") and value:
            assert f'value="{value}"' in page, name
    assert member_count() == 0 and outbox() == []


def _field_errors(page: str) -> dict[str, str]:
    """The error summary's links (field id -> message) of a page."""
    summary = page.split('id="foutmeldingen"', 1)[1].split("</div>", 1)[0]
    return dict(re.findall(r'<a[^>]*href="#([^"]+)"[^>]*>([^<]*)</a>', summary))


def test_every_wrong_field_of_the_join_form_shows_its_message_at_once(client, world):
    """A resident with several typos sees them all in one go, each linked from the summary
    to its field and shown at the field, not one service error at a time."""
    data = join_data(email="ria@", postcode="1234", house_number="", phone="abc")
    del data["consent"]
    page = text(client.post("/aanmelden", data=data))
    assert _field_errors(page) == {
        "email": "Dit is geen geldig e-mailadres.",
        "phone": "Dit is geen telefoonnummer. Bijvoorbeeld: 072 123 45 67.",
        "postcode": "Dit is geen Nederlandse postcode. Een postcode ziet eruit als 1823 AB.",
        "house_number": "Vul uw huisnummer in.",
        "consent": "U kunt alleen meedoen als u akkoord gaat.",
    }
    for field, message in _field_errors(page).items():  # and at the field itself
        assert f'id="{field}-error">{message}<' in page, field
    assert member_count() == 0 and outbox() == []


def test_a_postcode_without_a_house_number_is_marked_at_the_house_number(client, world):
    page = text(client.post("/aanmelden", data=join_data(house_number="")))
    assert _field_errors(page) == {"house_number": "Vul uw huisnummer in."}


# --- rate limits --------------------------------------------------------------------------

def test_the_sixth_join_within_a_minute_is_refused(client, world, rate_limits):
    statuses = [client.post("/aanmelden", data=join_data()).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert "Te veel pogingen" in text(client.post("/aanmelden", data=join_data()))
    assert member_count() == 1


def test_asking_for_links_and_trying_codes_are_rate_limited(client, world, rate_limits):
    links = [client.post("/mijn/link", data={"email": EMAIL}).status_code for _ in range(6)]
    assert links == [302] * 5 + [429]
    codes = [client.post("/code", data={"code": "AAAA-BBBB"}).status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]
    code_links = [client.get("/code/AAAABBBB").status_code for _ in range(11)]
    assert code_links == [410] * 10 + [429]


# --- confirming ---------------------------------------------------------------------------

def test_opening_the_confirmation_link_does_not_confirm_but_shows_a_button(client, world):
    client.post("/aanmelden", data=join_data())
    for _ in range(2):  # a mail scanner, then the resident
        response = client.get(confirm_path())
        assert response.status_code == 200
        assert "Ja, ik doe mee in het wijkpanel" in text(response)
        assert response.headers["Cache-Control"] == "no-store"
    assert member_with(EMAIL).status == "pending"
    assert "Stuur mij een link" in text(client.get("/mijn"))  # not signed in by a GET


def test_confirming_signs_in_and_a_double_click_gets_410(client, world):
    client.post("/aanmelden", data=join_data())
    path = confirm_path()
    response = client.post(path, data={"statement_version": VERSION}, follow_redirects=True)
    assert response.request.path == "/mijn"
    assert "Dank u wel. U zit nu in het wijkpanel van De Mare." in text(response)
    member = member_with(EMAIL)
    assert member.status == "member" and member.confirmed_at is not None

    second = client.post(path, data={"statement_version": VERSION})
    assert second.status_code == 410
    assert "Deze link werkt niet meer" in text(second)
    assert member_count() == 1
    assert len(member_with(EMAIL).consents) == 1


def test_an_unknown_confirmation_link_is_gone(client, world):
    assert client.get("/aanmelden/bevestigen/made-up-token").status_code == 410
    response = client.post("/aanmelden/bevestigen/made-up-token",
                           data={"statement_version": VERSION})
    assert response.status_code == 410
    assert "Deze link werkt niet meer" in text(response)


def test_a_new_statement_published_while_confirming_asks_to_read_it_again(client, world):
    client.post("/aanmelden", data=join_data())
    path = confirm_path()
    assert "Versie 2026-1" in text(client.get(path))
    services.publish_statement(world.admin, "2026-2", "Nieuwe tekst over uw gegevens.", "New text.")
    db.session.commit()

    response = client.post(path, data={"statement_version": VERSION})  # read the old text
    page = text(response)
    assert response.status_code == 200
    assert "De tekst over uw gegevens is veranderd. Lees hem opnieuw." in page
    assert "Nieuwe tekst over uw gegevens." in page and "Versie 2026-2" in page
    assert "Deze link werkt niet meer" not in page  # the link still works
    assert member_with(EMAIL).status == "pending"

    response = client.post(path, data={"statement_version": "2026-2"})
    assert response.headers["Location"] == "/mijn"
    assert member_with(EMAIL).status == "member"


# --- the resident's own page --------------------------------------------------------------

def test_my_page_without_a_session_asks_for_the_email_address(client, world):
    response = client.get("/mijn")
    assert response.status_code == 200
    assert "Stuur mij een link" in text(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_my_page_shows_my_wijk_and_consent_and_is_not_cached(client, world):
    join_and_confirm(client)
    response = client.get("/mijn")
    page = text(response)
    assert "Hallo Piet Jansen" in page
    assert "U zit in het wijkpanel van De Mare." in page
    assert "Uw toestemming" in page and "versie 2026-1" in page
    assert "Online formulier, bevestigd per e-mail" in page
    assert response.headers["Cache-Control"] == "no-store"


def test_updating_my_details(client, world):
    join_and_confirm(client)
    response = client.post("/mijn", data={
        "name": "Piet  Jansen-Smit", "email": "Piet.Smit@Example.org", "phone": "072 123 45 67",
        "language": "en", "accessibility_needs": "Een plek zonder trap",
        "availability": ["weekday-evening", "saturday-morning"]})
    assert response.status_code == 302 and response.headers["Location"] == "/mijn"
    assert "Uw gegevens zijn opgeslagen." in text(client.get("/mijn"))
    member = member_with("piet.smit@example.org")
    assert (member.name, member.phone, member.language) == \
        ("Piet Jansen-Smit", "072 123 45 67", "en")
    assert member.accessibility_needs == "Een plek zonder trap"
    assert member.availability_slots == ["weekday-evening", "saturday-morning"]


def test_bad_details_show_a_message_and_change_nothing(client, world):
    join_and_confirm(client)
    response = client.post("/mijn", data={
        "name": "Ander Naam", "email": "not-an-email", "phone": "", "language": "nl",
        "accessibility_needs": "", "availability": []})
    assert response.status_code == 200
    assert "Dit is geen geldig e-mailadres." in text(response)
    member = member_with(EMAIL)
    assert member.name == "Piet Jansen"


def test_downloading_my_data_as_json_and_csv(client, world):
    assert client.get("/mijn/gegevens.json").headers["Location"] == "/mijn"  # no session
    join_and_confirm(client)

    as_json = client.get("/mijn/gegevens.json")
    assert as_json.mimetype == "application/json"
    assert as_json.headers["Cache-Control"] == "no-store"
    assert "attachment" in as_json.headers["Content-Disposition"]
    data = json.loads(as_json.get_data())
    assert data["member"]["email"] == EMAIL
    assert data["member"]["wijk"] == {"code": "WK036101", "name": "De Mare"}
    assert [(c["statement_version"], c["channel"], c["withdrawn_at"])
            for c in data["consents"]] == [(VERSION, "online", None)]

    as_csv = client.get("/mijn/gegevens.csv")
    assert as_csv.mimetype == "text/csv"
    assert as_csv.headers["Cache-Control"] == "no-store"
    body = as_csv.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["soort", "veld", "waarde"]
    assert ["gegevens", "email", EMAIL] in rows
    assert any(r[0] == "toestemming" and r[1] == f"{VERSION} online" for r in rows)


def test_the_link_from_an_email_opens_my_page_without_the_token_in_the_address(app, world):
    join_and_confirm(app.test_client())
    path = link_in(outbox(EMAIL)[-1], "/mijn/link/")  # in the welcome email
    token = path.rsplit("/", 1)[1]
    other_device = app.test_client()
    response = other_device.get(path, follow_redirects=True)
    assert [r.headers["Location"] for r in response.history] == ["/mijn"]
    assert response.request.path == "/mijn" and token not in response.request.url
    assert "Hallo Piet Jansen" in text(response)


def test_asking_for_a_link_sends_one_that_opens_my_page(app, world):
    join_and_confirm(app.test_client())
    client = app.test_client()
    response = client.post("/mijn/link", data={"email": " PIET@example.org "},
                           follow_redirects=True)
    assert "We hebben een e-mail gestuurd naar het adres dat u invulde." in text(response)
    message = outbox(EMAIL)[-1]
    assert "U vroeg om een link naar uw eigen pagina." in message.text_body
    response = client.get(link_in(message, "/mijn/link/"), follow_redirects=True)
    assert "Hallo Piet Jansen" in text(response)


def test_closing_my_page_ends_the_session(client, world):
    join_and_confirm(client)
    response = client.post("/mijn/uitloggen")
    assert response.status_code == 302
    assert "Stuur mij een link" in text(client.get("/mijn"))


# --- leaving ------------------------------------------------------------------------------

def test_leaving_from_my_page_asks_first_then_erases_everything(client, world):
    member = join_and_confirm(client)
    member_id = member.id
    access_link = link_in(outbox(EMAIL)[-1], "/mijn/link/")

    question = client.get("/mijn/afmelden")
    assert "Wilt u uit het wijkpanel van De Mare stappen?" in text(question)
    assert "Ja, ik stap uit het panel" in text(question)
    assert member_with(EMAIL).status == "member"

    response = client.post("/mijn/afmelden", follow_redirects=True)
    assert response.request.path == "/afgemeld"
    assert "U bent uit het wijkpanel gestapt" in text(response)
    gone = db.session.get(PanelMember, member_id)
    assert gone.status == "left" and gone.left_at is not None
    assert (gone.name, gone.email, gone.phone, gone.postcode, gone.street) == \
        ("", None, "", "", "")
    assert all(c.withdrawn_at is not None for c in gone.consents)
    assert outbox(EMAIL) == []  # queued and sent mail to the address is gone too
    assert "Stuur mij een link" in text(client.get("/mijn"))  # the session has ended
    assert client.get(access_link).status_code == 410


def test_the_leave_link_in_an_email_asks_first(app, world):
    join_and_confirm(app.test_client())
    path = link_in(outbox(EMAIL)[-1], "/afmelden/")
    response = app.test_client().get(path)  # a mail scanner opening the link
    assert response.status_code == 200
    assert "Ja, ik stap uit het panel" in text(response)
    assert f'action="{path}"' in text(response)
    assert member_with(EMAIL).status == "member"


def test_one_click_unsubscribe_works_with_csrf_protection_on(app, world, csrf_enabled):
    # Joining and confirming with real CSRF tokens, as a browser does.
    client = app.test_client()
    token = csrf_token(client, "/aanmelden")
    assert client.post("/aanmelden", data={**join_data(), "csrf_token": token}) \
        .status_code == 302
    path = confirm_path()
    token = csrf_token(client, path)
    assert client.post(path, data={"statement_version": VERSION, "csrf_token": token}) \
        .headers["Location"] == "/mijn"
    welcome = outbox(EMAIL)[-1]
    assert json.loads(welcome.headers)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    leave_path = link_in(welcome, "/afmelden/")
    access_path = link_in(welcome, "/mijn/link/")
    member_id = member_with(EMAIL).id

    # The mail program posts by itself: no cookies, no CSRF token (RFC 8058).
    response = app.test_client().post(
        leave_path, data=b"List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded")
    assert response.status_code < 400
    member = db.session.get(PanelMember, member_id)
    assert member.status == "left" and member.email is None and member.name == ""
    assert app.test_client().get(access_path).status_code == 410
    assert app.test_client().get(leave_path).status_code == 410
    assert "Stuur mij een link" in text(client.get("/mijn"))


# --- letters and codes --------------------------------------------------------------------

@pytest.fixture
def letter(world):  # type: ignore[no-untyped-def]
    """A member without email who got a letter with a short code."""
    member = factories.member(world.mare, "Bep Bos", None, street="Marelaan",
                              house_number="5", postcode="1801AA", city="Alkmaar")
    code = services.new_short_code(member)
    db.session.commit()
    return SimpleNamespace(member=member, code=code)


def test_the_code_from_a_letter_opens_my_page(client, letter):
    response = client.post("/code", data={"code": f" {letter.code.lower()} "})
    assert response.status_code == 302 and response.headers["Location"] == "/mijn"
    page = text(client.get("/mijn"))
    assert "Hallo Bep Bos" in page and "De Mare" in page


def test_the_code_link_opens_my_page(client, letter):
    response = client.get(f"/code/{letter.code.replace('-', '')}", follow_redirects=True)
    assert response.request.path == "/mijn"
    assert "Hallo Bep Bos" in text(response)


def test_a_wrong_code_shows_a_message(client, letter):
    wrong = "ZZZZ-ZZZZ" if letter.code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    response = client.post("/code", data={"code": wrong})
    assert response.status_code == 200
    assert "Deze code klopt niet. Kijk goed naar de code in uw brief." in text(response)
    assert client.get(f"/code/{wrong}").status_code == 410
    assert "Stuur mij een link" in text(client.get("/mijn"))


# --- staff: members -----------------------------------------------------------------------

def test_the_team_sees_its_own_members_and_counts_but_not_other_gebieden(login_as, people):
    team = login_as("noord@example.org")
    response = team.get("/beheer/leden")
    page = text(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Anna de Vries" in page and "anna@example.org" in page and "Bram Bakker" in page
    assert "Zeno" not in page and "zeno@example.org" not in page
    assert "Panelleden per wijk" in page
    assert re.search(r'scope="row">De Mare</th>\s*<td[^>]*>1</td>\s*<td[^>]*>1</td>', page)
    assert "Vroonermeer" not in page.split('id="counts-caption"')[1].split("</table>")[0]
    assert "2 panelleden gevonden." in page


def test_a_member_of_another_gebied_is_not_found_for_the_team(login_as, people):
    team = login_as("noord@example.org")
    assert team.get(f"/beheer/leden/{people.anna.id}").status_code == 200
    response = team.get(f"/beheer/leden/{people.zeno.id}")
    assert response.status_code == 404
    assert "Zeno" not in text(response)


def test_the_clerk_sees_counts_only(login_as, people):
    clerk = login_as("clerk@example.org")
    response = clerk.get("/beheer/leden")
    page = text(response)
    assert response.status_code == 200
    assert "Panelleden per wijk" in page
    assert re.search(r'scope="row">De Mare</th>\s*<td[^>]*>1</td>\s*<td[^>]*>1</td>', page)
    assert re.search(r'scope="row">Vroonermeer</th>\s*<td[^>]*>0</td>\s*<td[^>]*>1</td>', page)
    for personal in ("Anna", "anna@example.org", "Bram", "Zeno", "zeno@example.org",
                     "Marelaan", "@example.org"):
        assert personal not in page.replace("clerk@example.org", ""), personal
    assert clerk.get("/beheer/leden/export.csv").status_code == 403
    assert clerk.get("/beheer/leden/export.xlsx").status_code == 403
    assert clerk.get(f"/beheer/leden/{people.anna.id}").status_code == 403


def test_exports_hold_the_teams_members_only_and_are_formula_safe(login_as, world, people):
    factories.member(world.mare, '=HYPERLINK("http://x")', "formula@example.org")
    db.session.commit()
    team = login_as("noord@example.org")

    response = team.get("/beheer/leden/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    header, *rows = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""),
                               delimiter=";")
    names = {row[header.index("naam")] for row in rows}
    assert names == {"Anna de Vries", "Bram Bakker", '\'=HYPERLINK("http://x")'}
    assert all(row[header.index("wijkcode")] == "WK036101" for row in rows)
    # In words, as the list shows them (and in Dutch, as the column names are).
    assert {row[header.index("status")] for row in rows} <= {"Lid", "Uitgenodigd", "Afgemeld",
                                                           "Wacht op bevestiging per e-mail"}
    assert "Lid" in {row[header.index("status")] for row in rows}
    assert {row[header.index("taal")] for row in rows} <= {"Nederlands", "Engels"}

    response = team.get("/beheer/leden/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    names = {row[header.index("naam")] for row in rows}
    assert names == {"Anna de Vries", "Bram Bakker", '\'=HYPERLINK("http://x")'}
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert "zeno@example.org" not in body.decode("utf-8-sig")


def test_letters_for_the_teams_members_are_a_word_document(login_as, people):
    team = login_as("noord@example.org")
    response = team.post("/beheer/leden/brieven",
                         data={"member": [str(people.anna.id), str(people.bram.id)]})
    assert response.status_code == 200
    assert response.mimetype == DOCX
    assert response.headers["Cache-Control"] == "no-store"
    document = Document(io.BytesIO(response.get_data()))
    words = "\n".join(p.text for p in document.paragraphs)
    words += "\n".join(cell.text for table in document.tables for row in table.rows
                       for cell in row.cells)
    assert "Anna de Vries" in words and "Bram Bakker" in words
    assert people.anna.short_code_hash and people.bram.short_code_hash


def test_letters_for_a_member_of_another_gebied_are_refused(login_as, people):
    team = login_as("noord@example.org")
    response = team.post("/beheer/leden/brieven",
                         data={"member": [str(people.anna.id), str(people.zeno.id)]})
    assert response.status_code == 404
    assert response.mimetype != DOCX
    assert people.anna.short_code_hash is None and people.zeno.short_code_hash is None


def test_staff_register_a_resident_who_agreed_on_paper(login_as, world):
    team = login_as("noord@example.org")
    assert team.get("/beheer/leden/nieuw").status_code == 200
    response = team.post("/beheer/leden/nieuw", data={
        "name": "Cor Claassen", "email": "", "phone": "072 555 12 34", "street": "Marelaan",
        "house_number": "9", "postcode": "1801 AA", "city": "Alkmaar", "wijk": "WK036101",
        "language": "nl", "channel": "paper"}, follow_redirects=True)
    assert "De inwoner is nu lid van het panel." in text(response)
    member = db.session.scalars(select(PanelMember)).one()
    assert response.request.path == f"/beheer/leden/{member.id}"
    assert (member.name, member.status, member.source, member.postcode) == \
        ("Cor Claassen", "member", "staff", "1801AA")
    [consent] = member.consents
    assert (consent.channel, consent.recorded_by_id, consent.statement.version) == \
        ("paper", world.team_noord.id, VERSION)
    assert "Op papier" in text(response)


def test_registering_shows_every_mistake_at_once_and_checks_the_postcodes_wijk(
        login_as, world):
    admin = login_as("admin@example.org")
    form = {"name": "", "email": "cor@", "phone": "", "street": "", "house_number": "",
            "postcode": "9999", "city": "", "wijk": "", "language": "nl", "channel": "paper"}
    page = text(admin.post("/beheer/leden/nieuw", data=form))
    assert _field_errors(page) == {
        "name": "Vul de naam in.", "email": "Dit is geen geldig e-mailadres.",
        "postcode": "Dit is geen Nederlandse postcode. Een postcode ziet eruit als 1823 AB.",
        "wijk": "Kies een wijk uit de lijst."}
    # 1801 AA is in De Mare (the postcode table): not in Vroonermeer.
    wrong = {**form, "name": "Cor Claassen", "email": "cor@example.org",
             "postcode": "1801 AA", "house_number": "9", "wijk": world.vrooner.code}
    assert "Postcode 1801 AA ligt in wijk De Mare, niet in Vroonermeer." in \
        text(admin.post("/beheer/leden/nieuw", data=wrong))
    assert member_count() == 0
    unknown = {**wrong, "postcode": "9999 ZZ"}  # not in the table: staff may know better
    assert admin.post("/beheer/leden/nieuw", data=unknown).status_code == 302
    assert member_count() == 1


def test_the_team_cannot_register_a_resident_in_another_gebied(login_as, world):
    team = login_as("noord@example.org")
    assert "Vroonermeer" not in text(team.get("/beheer/leden/nieuw"))  # not offered
    response = team.post("/beheer/leden/nieuw", data={
        "name": "Zus Zuid", "email": "zus@example.org", "phone": "072 555 12 34",
        "street": "", "house_number": "", "postcode": "", "city": "", "wijk": "WK036104",
        "language": "nl", "channel": "phone"})
    assert response.status_code == 200
    assert 'id="wijk-error"' in text(response)
    assert member_count() == 0


def test_staff_confirm_an_invited_resident_who_said_yes_by_phone(login_as, world, people):
    team = login_as("noord@example.org")
    assert "Telefonisch" in text(team.get(f"/beheer/leden/{people.bram.id}"))
    response = team.post(f"/beheer/leden/{people.bram.id}/bevestigen",
                         data={"channel": "phone"}, follow_redirects=True)
    assert response.request.path == f"/beheer/leden/{people.bram.id}"
    assert "De plek is bevestigd." in text(response)
    bram = db.session.get(PanelMember, people.bram.id)
    assert bram.status == "member" and bram.confirmed_at is not None
    [consent] = bram.consents
    assert (consent.channel, consent.recorded_by_id) == ("phone", world.team_noord.id)


def test_the_team_cannot_confirm_a_member_of_another_gebied(login_as, people):
    team = login_as("noord@example.org")
    response = team.post(f"/beheer/leden/{people.zeno.id}/bevestigen", data={"channel": "phone"})
    assert response.status_code == 404
    zeno = db.session.get(PanelMember, people.zeno.id)
    assert zeno.status == "invited" and zeno.consents == []


def test_staff_take_a_resident_off_the_panel_and_the_data_is_erased(login_as, people):
    team = login_as("noord@example.org")
    response = team.post(f"/beheer/leden/{people.anna.id}/afmelden", follow_redirects=True)
    assert response.request.path == "/beheer/leden"
    assert "De inwoner is uit het panel gehaald. De gegevens zijn gewist." in text(response)
    anna = db.session.get(PanelMember, people.anna.id)
    assert (anna.status, anna.name, anna.email, anna.street, anna.postcode) == \
        ("left", "", None, "", "")
    assert team.post(f"/beheer/leden/{people.zeno.id}/afmelden").status_code == 404
    assert db.session.get(PanelMember, people.zeno.id).name == "Zeno Zuidema"


def test_the_clerk_cannot_act_on_members(login_as, people):
    clerk = login_as("clerk@example.org")
    responses = {
        "letters": clerk.post("/beheer/leden/brieven", data={"member": [str(people.anna.id)]}),
        "confirm": clerk.post(f"/beheer/leden/{people.bram.id}/bevestigen",
                              data={"channel": "phone"}),
        "remove": clerk.post(f"/beheer/leden/{people.anna.id}/afmelden"),
        "register": clerk.post("/beheer/leden/nieuw", data={
            "name": "Cor", "phone": "072 555 12 34", "wijk": "WK036101", "channel": "paper"}),
        "import": clerk.get("/beheer/import"),
    }
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 403)
    assert member_count() == 3
    assert db.session.get(PanelMember, people.bram.id).status == "invited"
    assert db.session.get(PanelMember, people.anna.id).short_code_hash is None


# --- staff: the survey import -------------------------------------------------------------

SURVEY = (
    "respondent;naam;e-mail;telefoon;postcode;huisnummer;wijkcode;wijkpanel\n"
    "R1;Anna de Vries;anna@example.org;;1801 AA;1;;ja\n"
    "R2;Bram Bakker;;072 123 45 67;;;WK036104;ja\n"
    "R3;Chantal Smit;chantal@example.org;;;;WK036101;nee\n"
)
MAPPING = {"map-respondent_id": "respondent", "map-name": "naam", "map-email": "e-mail",
           "map-phone": "telefoon", "map-postcode": "postcode", "map-house_number": "huisnummer",
           "map-wijk_code": "wijkcode", "map-panel_answer": "wijkpanel"}


def upload(client: FlaskClient, content: str, filename: str = "export.csv"):  # type: ignore[no-untyped-def]
    return client.post("/beheer/import", data={"file": (io.BytesIO(content.encode()), filename)},
                       content_type="multipart/form-data")


def result_rows(page: str) -> list[tuple[str, str]]:
    table = page.split('id="import-lines-caption"')[1].split("</table>")[0]
    return re.findall(r'<tr class="utrecht-table__row">\s*<td[^>]*>(\d+)</td>\s*'
                      r'<td[^>]*>([^<]*)</td>', table)


def test_uploading_a_survey_export_shows_a_dry_run_and_changes_nothing(login_as, world):
    team = login_as("noord@example.org")
    response = upload(team, SURVEY)
    assert response.status_code == 302
    assert re.fullmatch(r"/beheer/import/\d+", response.headers["Location"])
    review = team.get(response.headers["Location"])
    page = text(review)
    assert review.status_code == 200
    assert "Wat er zou gebeuren" in page
    # Bram lives in gebied Zuid, which is not team Noord's.
    assert result_rows(page) == [("2", "nieuw"), ("3", "afgewezen"), ("4", "overgeslagen")]
    assert "Deze wijk hoort niet bij uw gebieden." in page
    assert "Nu inlezen" in page
    assert member_count() == 0 and outbox() == []


def test_importing_the_upload_applies_it_and_erases_the_file(login_as, world):
    team = login_as("noord@example.org")
    location = upload(team, SURVEY).headers["Location"]
    record_id = int(location.rsplit("/", 1)[1])
    response = team.post(location, data={**MAPPING, "dry_run": "0"})
    page = text(response)
    assert response.status_code == 200
    assert "Ingelezen" in page
    assert result_rows(page) == [("2", "nieuw"), ("3", "afgewezen"), ("4", "overgeslagen")]
    anna = member_with("anna@example.org")
    assert (anna.status, anna.source, anna.respondent_id) == ("invited", "survey", "R1")
    assert member_count() == 1
    assert len(outbox("anna@example.org")) == 1  # the invitation to confirm
    record = db.session.get(ImportRecord, record_id)
    assert record.content is None and record.finished_at is not None
    assert record.row_count == 3
    # The counts, and the new people per wijk for the reports about some wijken.
    assert json.loads(record.summary)["new_per_wijk"] == {str(anna.neighbourhood_id): 1}
    assert "Opnieuw controleren" not in page  # done: nothing left to check
    # Back to the page later: what the import did (the file itself is gone).
    again = team.get(location)
    assert again.status_code == 200
    assert "1 nieuw, 0 bijgewerkt, 0 ongewijzigd, 1 overgeslagen, 1 afgewezen." in text(again)
    assert "Het bestand zelf is gewist." in text(again)
    assert team.post(location, data={**MAPPING, "dry_run": "0"}).status_code == 404
    assert login_as("admin@example.org").get(location).status_code == 404  # not theirs


def test_another_staff_member_cannot_open_my_upload(login_as, world):
    admin = login_as("admin@example.org")
    location = upload(admin, SURVEY).headers["Location"]
    team = login_as("noord@example.org")
    assert team.get(location).status_code == 404
    assert team.post(location, data={**MAPPING, "dry_run": "0"}).status_code == 404
    assert member_count() == 0
    record = db.session.get(ImportRecord, int(location.rsplit("/", 1)[1]))
    assert record.content is not None
    assert admin.get(location).status_code == 200


def test_a_file_with_other_headers_asks_which_column_holds_the_answer(login_as, world):
    team = login_as("noord@example.org")
    location = upload(team, "Respnr;Naam;Emailadres;Buurtcode;Vraag 17\n"
                            "R9;Dirk Dekker;dirk@example.org;WK036101;ja\n").headers["Location"]
    page = text(team.get(location))
    assert "Kies welke kolom het antwoord op de panelvraag bevat." in page
    assert "Nu inlezen" not in page
    assert '<option value="vraag 17" >vraag 17</option>' in page

    mapping = {"map-respondent_id": "respnr", "map-name": "naam", "map-email": "emailadres",
               "map-wijk_code": "buurtcode", "map-panel_answer": "vraag 17"}
    page = text(team.post(location, data={**mapping, "dry_run": "1"}))
    assert result_rows(page) == [("2", "nieuw")]
    assert '<option value="vraag 17" selected>vraag 17</option>' in page
    assert "Nu inlezen" in page and member_count() == 0

    team.post(location, data={**mapping, "dry_run": "0"})
    dirk = member_with("dirk@example.org")
    assert (dirk.name, dirk.neighbourhood.code, dirk.status) == \
        ("Dirk Dekker", "WK036101", "invited")


def test_an_unreadable_upload_shows_a_message(login_as, world):
    team = login_as("noord@example.org")
    response = upload(team, "", "leeg.csv")
    assert response.status_code == 200
    assert "Het bestand is leeg." in text(response)
    assert db.session.scalar(select(func.count(ImportRecord.id))) == 0


# --- security -----------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "data"), [
    ("/aanmelden", join_data()),
    ("/mijn/link", {"email": EMAIL}),
    ("/code", {"code": "AAAA-BBBB"}),
])
def test_resident_forms_without_csrf_token_are_refused(client, world, csrf_enabled, path,
                                                       data):
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert member_count() == 0 and outbox() == []


def test_signed_in_resident_forms_without_csrf_token_are_refused(app, world):
    client = app.test_client()
    client.post("/aanmelden", data=join_data())
    path = confirm_path()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(path, data={"statement_version": VERSION}).status_code == 400
        assert member_with(EMAIL).status == "pending"
        client.get(link_in(outbox(EMAIL)[-1], "/mijn/link/"))  # sign in with the link
        assert client.post("/mijn", data={"name": "X", "email": "x@example.org",
                                          "language": "nl"}).status_code == 400
        assert client.post("/mijn/bevestigen",
                           data={"statement_version": VERSION}).status_code == 400
        assert client.post("/mijn/afmelden").status_code == 400
        assert client.post("/mijn/uitloggen").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    member = member_with(EMAIL)
    assert (member.status, member.name) == ("pending", "Piet Jansen")


def test_staff_forms_without_csrf_token_are_refused(app, people, csrf_enabled):
    team = app.test_client()
    token = csrf_token(team, "/beheer/inloggen")
    assert team.post("/beheer/inloggen", data={"email": "noord@example.org",
                                               "password": factories.PASSWORD,
                                               "csrf_token": token}).status_code == 302
    refused = [
        team.post("/beheer/leden/nieuw", data={"name": "Cor", "phone": "072 555 12 34",
                                               "wijk": "WK036101", "channel": "paper"}),
        team.post("/beheer/leden/brieven", data={"member": [str(people.anna.id)]}),
        team.post(f"/beheer/leden/{people.bram.id}/bevestigen", data={"channel": "phone"}),
        team.post(f"/beheer/leden/{people.anna.id}/afmelden"),
        upload(team, SURVEY),
    ]
    assert [r.status_code for r in refused] == [400] * 5
    assert member_count() == 3
    assert db.session.get(PanelMember, people.anna.id).status == "member"
    assert db.session.get(PanelMember, people.bram.id).status == "invited"
    assert people.anna.short_code_hash is None


def test_the_residents_email_is_never_in_a_redirect(app, world):
    client = app.test_client()
    responses = []

    def go(method: str, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        response = client.open(path, method=method, follow_redirects=True, **kwargs)
        responses.extend([*response.history, response])
        return response

    go("GET", "/aanmelden")
    go("POST", "/aanmelden", data=join_data(postcode="9999 ZZ"))
    go("POST", "/aanmelden", data=join_data(email="not-an-email"))
    go("POST", "/aanmelden", data=join_data())
    go("POST", "/aanmelden", data=join_data())
    go("GET", confirm_path())
    go("POST", confirm_path(), data={"statement_version": VERSION})
    go("POST", "/mijn/link", data={"email": EMAIL})
    go("GET", link_in(outbox(EMAIL)[-1], "/mijn/link/"))
    go("POST", "/mijn", data={"name": "Piet Jansen", "email": EMAIL, "phone": "",
                              "language": "nl", "accessibility_needs": ""})
    go("GET", "/mijn/gegevens.json")
    go("POST", "/mijn/afmelden")
    go("POST", "/mijn/link", data={"email": EMAIL})

    assert len(responses) > 13
    for response in responses:
        for value in (response.headers.get("Location", ""), response.request.url):
            assert "example.org" not in value and quote(EMAIL) not in value, value
