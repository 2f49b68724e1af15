"""The indicators pages: the list by theme, creating and changing, the order, retiring,
deleting, loading a file or the catalogue; and figures shown with the indicator's
decimals."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from panel.auth.models import Role
from panel.db import db
from panel.results.models import Indicator
from panel.results.views import format_value
from tests import factories

ADMIN, TEAM, CLERK = "beheer@example.org", "noord@example.org", "griffie@example.org"
FORM = {"code": "overlast_drugs", "name_nl": "Ervaart veel overlast van drugs",
        "name_en": "", "explanation_nl": "Het deel van de inwoners.", "explanation_en": "",
        "unit": "percentage", "higher_is_better": "0", "decimals": "", "theme": "Overlast",
        "position": ""}


@pytest.fixture
def staff(survey, session):  # type: ignore[no-untyped-def]
    factories.user(Role.ADMIN, email=ADMIN)
    factories.user(Role.TEAM, email=TEAM, areas=[survey.mare.area])
    factories.user(Role.CLERK, email=CLERK)
    session.commit()
    return survey


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def indicator(code: str) -> Indicator | None:
    db.session.expire_all()
    return db.session.scalars(select(Indicator).where(Indicator.code == code)).first()


def test_the_list_shows_indicators_by_theme(staff, login_as):
    page = text(login_as(ADMIN).get("/beheer/indicatoren"))
    assert "<h1" in page and "Indicatoren" in page
    assert "Voelt zich wel eens onveilig" in page and "Rapportcijfer leefbaarheid" in page
    assert "percentage (0 tot 100)" in page and "rapportcijfer (1 tot 10)" in page
    assert "Zonder thema" in page  # the survey fixture's indicators have no theme
    assert page.index("Voelt zich wel eens onveilig") < page.index("Rapportcijfer")
    assert "In gebruik" in page and "Omlaag" in page
    assert 'href="/beheer/indicatoren/nieuw"' in page
    assert 'action="/beheer/indicatoren/veiligheidsmonitor"' in page


def test_the_pages_link_to_the_list(staff, login_as):
    client = login_as(ADMIN)
    editions = text(client.get("/beheer/resultaten"))
    assert editions.count('href="/beheer/indicatoren"') == 3  # menu, top, import section
    page = text(client.get("/beheer/indicatoren"))
    assert re.search(r'href="/beheer/indicatoren" aria-current="page"', page)
    team = text(login_as(TEAM).get("/beheer/resultaten"))
    assert 'href="/beheer/indicatoren"' not in team


@pytest.mark.parametrize("email", [TEAM, CLERK])
def test_only_admins_see_or_change_indicators(staff, login_as, email):
    client = login_as(email)
    for path in ("/beheer/indicatoren", "/beheer/indicatoren/nieuw",
                 "/beheer/indicatoren/onveilig/bewerken"):
        assert client.get(path).status_code == 403, path
    for path, form in (("/beheer/indicatoren/nieuw", FORM),
                       ("/beheer/indicatoren/onveilig/verplaatsen", {"richting": "omlaag"}),
                       ("/beheer/indicatoren/onveilig/buiten-gebruik", {"retired": "1"}),
                       ("/beheer/indicatoren/cijfer/verwijderen", {}),
                       ("/beheer/indicatoren", {}),
                       ("/beheer/indicatoren/veiligheidsmonitor", {})):
        assert client.post(path, data=form).status_code == 403, path
    assert indicator("cijfer") is not None and indicator("onveilig").retired_at is None
    assert indicator("overlast_drugs") is None


def test_anonymous_visitors_are_sent_to_the_login(staff, client):
    response = client.get("/beheer/indicatoren")
    assert response.status_code == 302 and "/beheer/inloggen" in response.headers["Location"]


def test_admin_creates_and_edits_an_indicator(staff, login_as):
    client = login_as(ADMIN)
    form = text(client.get("/beheer/indicatoren/nieuw"))
    assert "Nieuwe indicator" in form and 'name="decimals"' in form
    response = client.post("/beheer/indicatoren/nieuw", data=FORM)
    assert response.status_code == 302 and response.headers["Location"] == "/beheer/indicatoren"
    made = indicator("overlast_drugs")
    assert made is not None
    assert (made.unit, made.higher_is_better, made.decimals, made.name_en, made.position) == \
        ("percentage", False, 0, "Ervaart veel overlast van drugs", 3)
    assert "De indicator is opgeslagen." in text(client.get("/beheer/indicatoren"))

    edit = text(client.get("/beheer/indicatoren/overlast_drugs/bewerken"))
    assert "Indicator wijzigen" in edit and 'value="Ervaart veel overlast van drugs"' in edit
    assert re.search(r'name="position"[^>]*value="3"', edit)
    response = client.post("/beheer/indicatoren/overlast_drugs/bewerken",
                           data={**FORM, "decimals": "1", "position": "1", "unit": "score"})
    assert response.status_code == 302
    changed = indicator("overlast_drugs")
    assert (changed.unit, changed.decimals, changed.position) == ("score", 1, 1)


def test_wrong_input_is_shown_next_to_the_form(staff, login_as):
    client = login_as(ADMIN)
    page = text(client.post("/beheer/indicatoren/nieuw",
                            data={**FORM, "code": "Met Spatie", "decimals": "7"}))
    assert "Het aantal decimalen moet 0, 1, 2 of 3 zijn." in page
    page = text(client.post("/beheer/indicatoren/nieuw", data={**FORM, "code": "Met Spatie"}))
    assert "De code &#39;met spatie&#39; is niet goed." in page
    page = text(client.post("/beheer/indicatoren/nieuw", data={**FORM, "code": "onveilig"}))
    assert "Er is al een indicator met de code onveilig." in page
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == 2


def test_the_unit_of_an_indicator_with_results_stays(staff, login_as):
    client = login_as(ADMIN)
    edit = text(client.get("/beheer/indicatoren/onveilig/bewerken"))
    assert "Deze indicator heeft uitkomsten (5)" in edit
    assert "Deze indicator verwijderen" not in edit
    data = {**FORM, "code": "onveilig", "name_nl": "Onveilig", "unit": "mark"}
    page = text(client.post("/beheer/indicatoren/onveilig/bewerken", data=data))
    assert "Daarom kan de eenheid niet veranderen" in page
    assert indicator("onveilig").unit == "percentage"


def test_moving_retiring_and_deleting(staff, login_as):
    client = login_as(ADMIN)
    response = client.post("/beheer/indicatoren/onveilig/verplaatsen",
                           data={"richting": "omlaag"})
    assert response.headers["Location"] == "/beheer/indicatoren#indicator-onveilig"
    assert (indicator("cijfer").position, indicator("onveilig").position) == (1, 2)
    client.post("/beheer/indicatoren/onveilig/verplaatsen", data={"richting": "omhoog"})
    assert (indicator("onveilig").position, indicator("cijfer").position) == (1, 2)

    client.post("/beheer/indicatoren/onveilig/buiten-gebruik", data={"retired": "1"})
    assert indicator("onveilig").retired_at is not None
    page = text(client.get("/beheer/indicatoren"))
    assert "De indicator is buiten gebruik gezet." in page and "Buiten gebruik sinds" in page
    assert "Weer in gebruik nemen" in text(client.get("/beheer/indicatoren/onveilig/bewerken"))
    client.post("/beheer/indicatoren/onveilig/buiten-gebruik", data={"retired": "0"})
    assert indicator("onveilig").retired_at is None

    response = client.post("/beheer/indicatoren/onveilig/verwijderen")
    assert response.headers["Location"] == "/beheer/indicatoren/onveilig/bewerken"
    assert indicator("onveilig") is not None
    assert "kunt u hem niet verwijderen" in text(client.get(response.headers["Location"]))
    client.post("/beheer/indicatoren/nieuw", data=FORM)
    assert "Deze indicator verwijderen" in text(
        client.get("/beheer/indicatoren/overlast_drugs/bewerken"))
    response = client.post("/beheer/indicatoren/overlast_drugs/verwijderen")
    assert response.headers["Location"] == "/beheer/indicatoren"
    assert indicator("overlast_drugs") is None
    assert "De indicator is verwijderd." in text(client.get("/beheer/indicatoren"))
    assert client.get("/beheer/indicatoren/overlast_drugs/bewerken").status_code == 404


def test_uploading_a_file_checks_then_loads(staff, login_as):
    client = login_as(ADMIN)
    data = ("code;naam;eenheid;hoger_is_beter;thema\n"
            "verloedering;Fysieke verloedering;schaalscore;nee;Overlast\n")

    def upload(dry_run: bool) -> str:
        form = {"file": (io.BytesIO(data.encode()), "indicatoren.csv")}
        if dry_run:
            form["dry_run"] = "y"
        return text(client.post("/beheer/indicatoren", data=form,
                                content_type="multipart/form-data"))

    page = upload(dry_run=True)
    assert "Dit is een controle" in page and indicator("verloedering") is None
    page = upload(dry_run=False)
    assert "Het bestand is geladen" in page and "De indicatoren zijn opgeslagen." in page
    assert indicator("verloedering").unit == "score"
    assert "Fysieke verloedering" in page  # the list after the import

    data = "code;naam;eenheid;hoger_is_beter\nnieuw;Nieuw;liter;ja\n"
    page = upload(dry_run=False)
    assert "De eenheid &#39;liter&#39; kennen we niet." in page
    assert indicator("nieuw") is None


def test_one_click_loads_the_catalogue_and_again_changes_nothing(staff, login_as):
    client = login_as(ADMIN)
    page = text(client.post("/beheer/indicatoren/veiligheidsmonitor"))
    assert "Het bestand is geladen" in page
    assert "Rapportcijfer veiligheid woonbuurt" in page and "Slachtofferschap" in page
    total = db.session.scalar(select(func.count()).select_from(Indicator))
    assert total > 22
    page = text(client.post("/beheer/indicatoren/veiligheidsmonitor"))
    assert re.search(r"0 nieuw, 0 bijgewerkt, \d+ ongewijzigd", page), page
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == total


# --- figures with the indicator's decimals ------------------------------------------------

def test_a_wijk_page_shows_figures_with_the_indicators_decimals(staff, client, session):
    page = text(client.get("/wijken/WK036101"))
    assert "45%" in page and "32%" in page and "7,5" in page and "7,6" in page
    staff.unsafe.decimals = 1
    staff.mark.decimals = 2
    session.commit()
    page = text(client.get("/wijken/WK036101"))  # a new page, not the cached one
    assert "45,0%" in page and "32,0%" in page and "7,50" in page and "7,60" in page
    client.get("/taal/en")
    english = text(client.get("/wijken/WK036101"))
    assert "45.0%" in english and "7.50" in english and "45,0%" not in english


def test_figures_are_rounded_half_up(staff, app):
    with app.test_request_context("/"):
        assert format_value(staff.mark, 7.25) == "7,3"
        assert format_value(staff.unsafe, 32.5) == "33%"
        assert format_value(staff.unsafe, 32.4) == "32%"
        score = Indicator(code="s", name_nl="s", name_en="s", unit="score",
                          higher_is_better=False, decimals=1)
        assert format_value(score, 4.04) == "4,0"
        count = Indicator(code="c", name_nl="c", name_en="c", unit="count",
                          higher_is_better=False, decimals=0)
        assert format_value(count, 1234.0) == "1.234"


def test_a_retired_indicator_shows_only_where_it_has_results(staff, client, login_as):
    login_as(ADMIN).post("/beheer/indicatoren/cijfer/buiten-gebruik", data={"retired": "1"})
    page = text(client.get("/wijken/WK036101"))
    assert "Rapportcijfer leefbaarheid" in page  # it has results in 2023
    older = text(client.get("/wijken/WK036101?editie=2021"))
    assert "Rapportcijfer leefbaarheid" not in older and "Voelt zich wel eens" in older


def test_each_row_moves_with_one_form_and_the_page_token(staff, app, csrf_enabled):
    client = app.test_client()
    login = text(client.get("/beheer/inloggen"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    assert client.post("/beheer/inloggen", data={"csrf_token": token, "email": ADMIN,
                                                 "password": factories.PASSWORD}
                       ).status_code == 302
    page = text(client.get("/beheer/indicatoren"))
    forms = re.findall(r'<form method="post" class="wp-inline-form" '
                       r'action="/beheer/indicatoren/(\w+)/verplaatsen">(.*?)</form>', page,
                       re.S)
    assert [code for code, _body in forms] == ["onveilig", "cijfer"]
    buttons = [re.findall(r'name="richting" value="(\w+)"', body) for _code, body in forms]
    assert buttons == [["omlaag"], ["omhoog"]]  # the first row goes down, the last up
    tokens = {re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
              for _code, body in forms}
    assert len(tokens) == 1  # one token for the whole page

    path = "/beheer/indicatoren/onveilig/verplaatsen"
    assert client.post(path, data={"richting": "omlaag"}).status_code == 400
    assert indicator("onveilig").position == 1
    response = client.post(path, data={"csrf_token": tokens.pop(), "richting": "omlaag"})
    assert response.headers["Location"] == "/beheer/indicatoren#indicator-onveilig"
    assert (indicator("cijfer").position, indicator("onveilig").position) == (1, 2)
