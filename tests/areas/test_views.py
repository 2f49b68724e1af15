"""Areas through the web and the command line, and the area rule for each role."""

from __future__ import annotations

import io

import pytest
from flask_babel import gettext as _
from sqlalchemy import func, select

from panel.areas.models import Area, Neighbourhood
from panel.auth.models import Role
from panel.db import db
from panel.importing import ImportReport, Line, Status
from tests import factories
from tests.areas.test_services import GOOD_CSV


@pytest.fixture
def municipality_with_teams(session):
    factories.municipality()
    noord, zuid = factories.area("noord", "Noord"), factories.area("zuid", "Zuid")
    factories.neighbourhood(noord, "WK036101", "De Mare")
    factories.neighbourhood(zuid, "WK036104", "Vroonermeer")
    factories.user(Role.ADMIN, email="admin@example.org")
    factories.user(Role.TEAM, email="noord@example.org", areas=[noord])
    factories.user(Role.CLERK, email="clerk@example.org")
    session.commit()


def test_team_member_sees_own_gebied_and_gets_404_for_another(client, municipality_with_teams):
    factories.login(client, "noord@example.org")
    own = client.get("/beheer/gebieden/noord")
    assert own.status_code == 200 and "De Mare" in own.get_data(as_text=True)
    other = client.get("/beheer/gebieden/zuid")
    assert other.status_code == 404
    assert "Vroonermeer" not in other.get_data(as_text=True)
    listing = client.get("/beheer/gebieden").get_data(as_text=True)
    assert "Noord" in listing and "Zuid" not in listing
    start = client.get("/beheer/").get_data(as_text=True)
    assert "/beheer/gebieden/noord" in start and "/beheer/gebieden/zuid" not in start


def test_team_member_cannot_change_areas(client, municipality_with_teams):
    factories.login(client, "noord@example.org")
    for url in ("/beheer/gebieden/nieuw", "/beheer/gebieden/noord/bewerken",
                "/beheer/wijken/nieuw", "/beheer/wijken/WK036101/bewerken",
                "/beheer/buurten/nieuw", "/beheer/gebieden/laden", "/beheer/gemeente"):
        assert client.get(url).status_code == 403, url
    response = client.post("/beheer/gebieden/noord/bewerken",
                           data={"code": "noord", "name": "Gekaapt"})
    assert response.status_code == 403
    assert db.session.scalars(select(Area.name).where(Area.code == "noord")).one() == "Noord"


def test_clerk_sees_every_gebied_but_changes_nothing(client, municipality_with_teams):
    factories.login(client, "clerk@example.org")
    listing = client.get("/beheer/gebieden").get_data(as_text=True)
    assert "Noord" in listing and "Zuid" in listing
    assert "Nieuw gebied" not in listing
    assert client.get("/beheer/gebieden/nieuw").status_code == 403


def test_admin_adds_a_gebied_wijk_and_buurt_by_hand(client, municipality_with_teams):
    factories.login(client, "admin@example.org")
    assert client.post("/beheer/gebieden/nieuw",
                       data={"code": "west", "name": "West"}).status_code == 302
    assert client.post("/beheer/wijken/nieuw", data={
        "code": "WK036102", "name": "Overdie", "area": "west", "cbs_year": "2023"}
    ).status_code == 302
    assert client.post("/beheer/buurten/nieuw", data={
        "code": "BU03610201", "name": "Oud Overdie", "neighbourhood": "WK036102",
        "cbs_year": "2023"}).status_code == 302
    page = client.get("/beheer/gebieden/west").get_data(as_text=True)
    assert "Overdie" in page and "Oud Overdie" in page


def test_admin_gets_a_clear_message_for_a_bad_code(client, municipality_with_teams):
    factories.login(client, "admin@example.org")
    response = client.post("/beheer/wijken/nieuw", data={
        "code": "WK12", "name": "Fout", "area": "noord", "cbs_year": "2023"})
    assert response.status_code == 200
    assert "geen CBS-wijkcode" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Neighbourhood.id))) == 2


def test_admin_renames_a_wijk_and_moves_it(client, municipality_with_teams):
    factories.login(client, "admin@example.org")
    form = client.get("/beheer/wijken/WK036101/bewerken").get_data(as_text=True)
    assert 'value="De Mare"' in form
    client.post("/beheer/wijken/WK036101/bewerken", data={
        "code": "WK036101", "name": "De Mare-Oost", "area": "zuid", "cbs_year": "2024"})
    wijk = db.session.scalars(select(Neighbourhood).where(Neighbourhood.code == "WK036101")).one()
    assert (wijk.name, wijk.area.code, wijk.cbs_year) == ("De Mare-Oost", "zuid", 2024)


def test_admin_uploads_a_file_first_checked_then_saved(client, municipality_with_teams):
    factories.login(client, "admin@example.org")
    data = GOOD_CSV.replace("noord", "west").replace("Noord", "West").encode()
    checked = client.post("/beheer/gebieden/laden", data={
        "file": (io.BytesIO(data), "gebieden.csv"), "dry_run": "y"},
        content_type="multipart/form-data").get_data(as_text=True)
    assert _("This is a check: nothing has been changed yet.") in checked
    assert db.session.scalar(select(func.count(Area.id))) == 2
    saved = client.post("/beheer/gebieden/laden", data={
        "file": (io.BytesIO(data), "gebieden.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "Het bestand is geladen" in saved
    assert db.session.scalar(select(func.count(Area.id))) == 3


def test_upload_with_errors_shows_each_line(client, municipality_with_teams):
    factories.login(client, "admin@example.org")
    data = (b"niveau;code;naam;hoort_bij;cbs_jaar\nwijk;WK99;X;noord;2023\n"
            b"buurt;BU03610901;Y;WK036109;2023\n")
    page = client.post("/beheer/gebieden/laden", data={
        "file": (io.BytesIO(data), "gebieden.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "Het bestand heeft fouten" in page
    assert "WK99" in page and "WK036109" in page


def test_load_areas_command(runner, tmp_path, session):
    factories.municipality()
    session.commit()
    path = tmp_path / "gebieden.csv"
    path.write_bytes(GOOD_CSV.encode())
    checked = runner.invoke(args=["load-areas", str(path), "--dry-run"])
    four_new = ImportReport(lines=[Line(n) for n in range(2, 6)]).summary_line()
    assert checked.exit_code == 0 and four_new in checked.output
    assert db.session.scalar(select(func.count(Area.id))) == 0
    saved = runner.invoke(args=["load-areas", str(path)])
    assert saved.exit_code == 0 and "opgeslagen" in saved.output
    again = runner.invoke(args=["load-areas", str(path)])
    assert ImportReport(lines=[Line(n, Status.UNCHANGED) for n in range(2, 6)]).summary_line() \
        in again.output


def test_load_areas_command_fails_on_a_bad_file(runner, tmp_path):
    path = tmp_path / "gebieden.csv"
    path.write_bytes(b"niveau,code,naam,hoort_bij,cbs_jaar\nbuurt,BU1,X,WK036101,2023\n")
    result = runner.invoke(args=["load-areas", str(path)])
    assert result.exit_code == 1
    assert "regel 2" in result.output and "afgewezen" in result.output
