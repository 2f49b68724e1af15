"""Forms that guide their user after a wrong submit: the page title starts with "Fout:" /
"Error:", an error summary at the top lists every problem as a link to its input, and each
invalid field, group or checkbox says so (``aria-invalid``) with its message tied to it
(``aria-describedby``). One macro does it everywhere (``templates/macros/forms.html``)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask, flash, get_flashed_messages, render_template_string
from flask.testing import FlaskClient
from wtforms import FieldList, Form, FormField, HiddenField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired

from panel.db import utcnow
from panel.demo.services import DEMO_PASSWORD, seed_demo
from panel.errors import DomainError
from panel.form_errors import Problem, form_problems
from panel.meetings import services as meetings
from panel.meetings.times import to_local
from panel.outcome import outcome
from panel.signups.residents import RESIDENT
from tests import factories
from tests.meetings.helpers import meeting_data

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
JOIN = "/aanmelden"
NEW_MEETING = "/beheer/gebieden/noord/bijeenkomsten/nieuw"


def soup_of(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def title(soup: BeautifulSoup) -> str:
    return soup.title.get_text(" ", strip=True) if soup.title else ""


def summary_links(soup: BeautifulSoup) -> dict[str, str]:
    """The summary's links: target id → text."""
    summary = soup.find(attrs={"data-error-summary": True})
    assert isinstance(summary, Tag), "no error summary"
    return {str(a["href"]).removeprefix("#"): a.get_text(strip=True)
            for a in summary.find_all("a", href=True)}


def described_by(element: Tag) -> list[str]:
    return str(element.get("aria-describedby", "")).split()


def assert_invalid(soup: BeautifulSoup, element_id: str, message: str | None = None) -> Tag:
    """The element is marked invalid and described by an error message that exists."""
    element = soup.find(id=element_id)
    assert isinstance(element, Tag), element_id
    assert element.get("aria-invalid") == "true", element
    errors = [soup.find(id=i) for i in described_by(element) if i.endswith("-error")]
    assert errors and all(isinstance(e, Tag) for e in errors), element
    if message is not None:
        assert any(message in e.get_text() for e in errors if e), (element_id, errors)
    return element


def in_days(days: int) -> str:
    return to_local(utcnow() + timedelta(days=days)).date().isoformat()


def meeting_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Veilig in De Mare", "kind": "in_person", "venue": "Buurthuis De Mare",
        "address": "Marelaan 1", "day": in_days(21), "start": "19:30", "end": "21:00",
        "capacity": "20", "wijken": ["WK036101"]}
    data.update(overrides)
    return data


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    session.commit()
    return item


def english(client: FlaskClient) -> FlaskClient:
    client.get("/taal/en")
    return client


# --- joining ---------------------------------------------------------------------------

def test_a_wrong_join_names_each_problem_and_leads_to_its_field(client, world) -> None:
    soup = soup_of(client.post(JOIN, data={"language": "nl"}))

    assert title(soup).startswith("Fout: ")
    summary = soup.find(attrs={"data-error-summary": True})
    assert summary is not None and summary.get("tabindex") == "-1"
    assert summary.has_attr("autofocus")
    assert summary.find(attrs={"role": "alert"}).find("h2").get_text(strip=True) == \
        "Er ging iets mis"
    links = summary_links(soup)
    assert links == {"name": "Vul uw naam in.", "email": "Vul uw e-mailadres in.",
                     "consent": "U kunt alleen meedoen als u akkoord gaat."}
    for target in links:
        assert_invalid(soup, target, links[target])
    # The consent checkbox: its own message, tied to it.
    consent = soup.find(id="consent")
    assert consent["type"] == "checkbox" and described_by(consent) == ["consent-error"]
    assert soup.find(id="email") and described_by(soup.find(id="email")) == \
        ["email-hint", "email-error"]
    # Valid fields are not marked, their hints stay tied.
    house = soup.find(id="house_number")
    assert not house.has_attr("aria-invalid") and described_by(house) == ["house_number-hint"]
    script = soup.find("script", src=re.compile(r"/static/js/forms\.js"))
    assert script is not None and script.has_attr("defer")


def test_the_first_visit_has_no_summary_and_no_error_title(client, world) -> None:
    soup = soup_of(client.get(JOIN))

    assert not title(soup).startswith(("Fout", "Error"))
    assert soup.find(attrs={"data-error-summary": True}) is None
    assert soup.find(attrs={"aria-invalid": True}) is None


def test_a_wrong_join_in_english(client, world) -> None:
    soup = soup_of(english(client).post(JOIN, data={"language": "en", "name": "Piet",
                                                     "email": "piet@example.org"}))

    assert title(soup).startswith("Error: ")
    assert soup.find(attrs={"data-error-summary": True}).find("h2").get_text(strip=True) == \
        "There is a problem"
    assert summary_links(soup) == {"consent": "You can only join if you agree."}
    assert_invalid(soup, "consent", "You can only join if you agree.")


def test_a_service_error_on_the_join_form_lands_in_the_summary(client, world) -> None:
    """The postcode is unknown: the service's message is put on the wijk field."""
    soup = soup_of(client.post(JOIN, data={
        "name": "Piet", "email": "piet@example.org", "postcode": "9999ZZ",
        "house_number": "1", "language": "nl", "consent": "y",
        "statement_version": world.statement.version}))

    assert title(soup).startswith("Fout: ")
    links = summary_links(soup)
    assert list(links) == ["neighbourhood"]
    assert_invalid(soup, "neighbourhood", links["neighbourhood"])


def test_a_refused_call_request_shows_the_page_with_its_error_at_the_number(
        client, world, session) -> None:
    """Asking to be called posts to its own address; a refused number comes back as the
    own page with the error at the number and in the summary, not as a flashed message."""
    member = factories.member(world.mare, "Piet Jansen", "piet@example.org")
    session.commit()
    with client.session_transaction() as cookie:
        cookie[RESIDENT] = member.id
    assert not title(soup_of(client.get("/mijn"))).startswith("Fout")

    soup = soup_of(client.post("/mijn/bellen", data={"phone": ""}))
    assert title(soup).startswith("Fout: ")
    links = summary_links(soup)
    assert list(links) == ["call-phone"]
    assert "Vul uw telefoonnummer in" in links["call-phone"]
    assert_invalid(soup, "call-phone", links["call-phone"])


def test_a_flashed_error_puts_error_in_the_title(app: Flask) -> None:
    """A service that refused what was sent and redirected (a flashed error) also marks
    the next page's title."""
    page = "{{ 'yes' if page_has_errors() else 'no' }}"
    for flashed, expected in [([], "no"), (["success"], "no"), (["success", "error"], "yes")]:
        with app.test_request_context("/"):
            for category in flashed:
                flash("Dat kan niet.", category)
            assert render_template_string(page) == expected, flashed


# --- planning a meeting ----------------------------------------------------------------

def test_a_meeting_without_date_and_times_shows_it_at_each_input(login_as, world) -> None:
    team = login_as("noord@example.org")
    soup = soup_of(team.post(NEW_MEETING, data=meeting_form(day="", start="", end="")))

    assert title(soup).startswith("Fout: ")
    assert summary_links(soup) == {"day": "Vul de datum in.", "start": "Vul de begintijd in.",
                                   "end": "Vul de eindtijd in."}
    for target, message in summary_links(soup).items():
        assert_invalid(soup, target, message)
    # The date/time group: marked invalid, described by its fields' messages, which it holds.
    group = soup.find(id="tijd")
    assert group.name == "fieldset" and group.get("aria-invalid") == "true"
    assert described_by(group) == ["day-error", "start-error", "end-error"]
    assert all(group.find(id=i) for i in described_by(group))


def test_a_wrong_date_and_an_end_before_the_start(login_as, world) -> None:
    team = login_as("noord@example.org")
    soup = soup_of(team.post(NEW_MEETING, data=meeting_form(day="2030-13-45", start="21:00",
                                                             end="19:30")))

    links = summary_links(soup)
    assert list(links) == ["day", "end"]
    assert links["end"] == "De bijeenkomst moet eindigen na de begintijd."
    assert_invalid(soup, "day")
    assert_invalid(soup, "end", links["end"])
    assert not soup.find(id="start").has_attr("aria-invalid")


def test_groups_link_to_their_first_option(login_as, world) -> None:
    team = login_as("noord@example.org")
    soup = soup_of(team.post(NEW_MEETING, data=meeting_form(wijken=[], title="",
                                                             venue="")))

    links = summary_links(soup)
    assert list(links) == ["title", "venue", "wijken-0"]
    assert links["wijken-0"] == "Kies minstens één wijk van dit gebied."
    assert soup.find(id="wijken-0")["type"] == "checkbox"
    fieldset = assert_invalid(soup, "wijken", links["wijken-0"])
    assert fieldset.name == "fieldset" and fieldset.find(id="wijken-error")


def test_a_wrong_meeting_in_english(login_as, world) -> None:
    team = english(login_as("noord@example.org"))
    soup = soup_of(team.post(NEW_MEETING, data=meeting_form(start="")))

    assert title(soup).startswith("Error: ")
    assert summary_links(soup) == {"start": "Fill in the start time."}
    assert_invalid(soup, "start", "Fill in the start time.")
    assert soup.find(id="tijd").get("aria-invalid") == "true"


def test_date_poll_rows_are_checked_at_their_inputs(login_as, world) -> None:
    team = login_as("noord@example.org")
    poll = meeting_form(datum="peiling", day="", start="", end="",
                        **{"poll-day1": in_days(20), "poll-start1": "19:00",
                           "poll-end1": "20:00", "poll-day2": in_days(22)})
    soup = soup_of(team.post(f"{NEW_MEETING}?datum=peiling", data=poll))

    assert summary_links(soup) == {"poll-start2": "Vul de begintijd in.",
                                   "poll-end2": "Vul de eindtijd in."}
    assert soup.find(id="peiling").get("aria-invalid") == "true"

    one_date = {k: v for k, v in poll.items() if k != "poll-day2"}
    soup = soup_of(team.post(f"{NEW_MEETING}?datum=peiling", data=one_date))
    assert summary_links(soup) == {"poll-day2": "Stel minstens twee datums voor."}


def test_a_service_error_without_a_field_is_listed_in_the_summary(login_as, world,
                                                                    session) -> None:
    meeting, _ = meetings.create(world.team_noord, "noord", meeting_data())
    meetings.open_for_replies(world.team_noord, meeting.id)
    session.commit()
    team = login_as("noord@example.org")
    soup = soup_of(team.post(f"/beheer/bijeenkomsten/{meeting.id}/bewerken",
                             data=meeting_form(day=in_days(-2))))

    assert title(soup).startswith("Fout: ")
    summary = soup.find(attrs={"data-error-summary": True})
    assert [li.get_text(strip=True) for li in summary.find_all("li")] == \
        ["Dit moment is al voorbij. Kies een datum en tijd in de toekomst."]
    assert summary_links(soup) == {}  # it belongs to no single field
    assert not soup.find(class_="wp-messages")  # and is not shown twice


# --- the problems of a form ------------------------------------------------------------

class _Row(Form):
    text = StringField("Text", validators=[DataRequired("Fill in the text.")])


class _Sample(Form):
    token = HiddenField("Token", validators=[DataRequired("The form is too old.")])
    name = StringField("Name", validators=[DataRequired("Fill in a name.")])
    choice = RadioField("Choice", choices=[SelectChoice("a", "A"), SelectChoice("b", "B")],
                        validators=[DataRequired("Choose one.")])
    rows = FieldList(FormField(_Row), min_entries=2)


def test_form_problems_in_field_order_with_their_targets(app: Flask) -> None:
    with app.test_request_context():
        form = _Sample(data={"rows": [{"text": "ok"}, {"text": ""}]})
        assert not form.validate()
        form.form_errors.append("Saving failed.")

        assert form_problems(None, form) == [
            Problem("", "Saving failed."), Problem("", "The form is too old."),
            Problem("name", "Fill in a name."), Problem("choice-0", "Choose one."),
            Problem("rows-1-text", "Fill in the text.")]
        assert form_problems(_Sample()) == []


def test_outcome_puts_a_service_error_in_the_form_summary_not_in_a_flash(app: Flask) -> None:
    with app.test_request_context(method="POST"):
        form = _Sample(data={"name": "x"})
        with outcome(form=form) as saved:
            raise DomainError("There is already a motion <b>x</b>.")

        assert not saved
        assert form.form_errors == ["There is already a motion <b>x</b>."]
        assert get_flashed_messages() == []
        html = render_template_string(
            '{% from "macros/forms.html" import error_summary %}{{ error_summary(form) }}',
            form=form)
        assert "There is already a motion &lt;b&gt;x&lt;/b&gt;." in html


# --- every form page -------------------------------------------------------------------

FIELD_MACROS = re.compile(r"\b(field|radios|checkboxes|checkbox|file_field|upload_form)\(")


def _includers(name: str) -> list[Path]:
    return [p for p in TEMPLATES.rglob("*.html")
            if f'include "{name}"' in p.read_text(encoding="utf-8")]


def test_every_template_with_form_fields_shows_the_error_summary() -> None:
    """A page whose form can come back with errors starts with the summary; a part with
    fields (``_name.html``) is included only by pages that have one. Errors are written
    by the macros only, never by hand."""
    checked = 0
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name.startswith(("macros/", "emails/")):
            continue
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\.errors\s*(\||\}\}|\[)", source), \
            f"{name} writes an error by hand"
        if not FIELD_MACROS.search(source):
            continue
        checked += 1
        pages = _includers(name) if path.name.startswith("_") else [path]
        assert pages, f"{name} is not included anywhere"
        for page in pages:
            assert "error_summary(" in page.read_text(encoding="utf-8"), \
                f"{page.relative_to(TEMPLATES)} has form fields but no error_summary"
    assert checked > 30


def _own_forms(soup: BeautifulSoup, path: str) -> bool:
    """The page has a form posted to itself with fields to fill in."""
    for form in soup.find_all("form"):
        if str(form.get("method", "get")).lower() != "post" or \
                form.get("action") not in (None, "", path):
            continue
        if form.find_all(["textarea", "select"]) or [
                i for i in form.find_all("input")
                if i.get("type") not in ("hidden", "submit", "button")]:
            return True
    return False


def _crawl(client: FlaskClient, starts: list[str], per_kind: int = 2) -> list[str]:
    """The pages (from ``starts`` and their links) with a form posted to themselves."""
    adapter = client.application.url_map.bind("wijkpanel.test")
    queue, seen, kinds, found = list(starts), set(), Counter(), []
    while queue:
        path = queue.pop(0)
        try:
            endpoint = adapter.match(urlsplit(path).path, method="GET")[0]
        except Exception:  # noqa: BLE001 - not a page of the app
            continue
        if path in seen or kinds[endpoint] >= per_kind or endpoint.startswith(
                ("static", "site.language", "auth.logout", "residents.resident_logout")):
            continue
        seen.add(path)
        kinds[endpoint] += 1
        answer = client.get(path)
        if answer.status_code != 200 or answer.mimetype != "text/html":
            continue
        soup = soup_of(answer)
        if _own_forms(soup, path):
            found.append(path)
        for link in soup.find_all("a", href=True):
            parts = urlsplit(urljoin(path, str(link["href"])))
            if not parts.netloc and parts.path.startswith("/beheer"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def test_every_staff_form_sent_empty_shows_the_summary(app: Flask, session, login_as) -> None:
    """An administrator sends every form of the demo back empty: each page that shows an
    error message has the summary, with a link to every invalid input, and "Fout:"."""
    seed_demo()
    session.commit()
    admin = login_as("beheer@demo.example", password=DEMO_PASSWORD)
    forms = _crawl(admin, ["/beheer/", "/beheer/gemeente", "/beheer/themas",
                           "/beheer/accounts/nieuw", "/beheer/moties/nieuw",
                           "/beheer/indicatoren/nieuw", "/beheer/leden/nieuw",
                           "/beheer/toestemming", "/beheer/wachtwoord",
                           "/beheer/gebieden/noord/bijeenkomsten/nieuw"])
    with_errors = []
    for path in forms:
        answer = admin.post(path, data={})
        if answer.status_code != 200 or answer.mimetype != "text/html":
            continue
        soup = soup_of(answer)
        messages = soup.find_all(class_="utrecht-form-field-error-message")
        if not messages:
            continue
        with_errors.append(path)
        assert title(soup).startswith("Fout: "), path
        links = summary_links(soup)
        for message in messages:
            field_id = str(message["id"]).removesuffix("-error")
            element = soup.find(id=field_id)
            assert element is not None and element.get("aria-invalid") == "true", \
                (path, field_id)
            assert message["id"] in described_by(element), (path, field_id)
            first = element.find("input") if element.name == "fieldset" else element
            assert first is not None and first.get("id") in links, (path, field_id, links)
    assert len(with_errors) >= 10, with_errors


def test_a_message_that_names_no_field_gets_the_fields_label_in_the_summary(login_as, world):
    admin = login_as("admin@example.org")
    soup = soup_of(admin.post("/beheer/indicatoren/nieuw", data={
        "code": "", "name_nl": "", "unit": "percentage", "higher_is_better": "1"}))
    assert summary_links(soup) == {"code": "Code: Vul dit veld in.",
                                   "name_nl": "Naam in het Nederlands: Vul dit veld in."}
