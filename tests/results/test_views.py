"""The results pages, the CSV download, the presentation and the staff editions page."""

from __future__ import annotations

import csv
import io
import re

from panel.auth.models import Role
from tests import factories


def test_wijk_page_shows_charts_tables_and_comparisons(client, survey):
    page = client.get("/wijken/WK036101").get_data(as_text=True)
    assert "Veiligheid in De Mare" in page
    assert page.count('role="img"') == 2
    assert "45%" in page and "32%" in page and "40%" in page
    assert "Vergeleken met de gemeente: slechter." in page
    assert "Vergeleken met 2021: geen duidelijk verschil." in page
    assert "2025" not in page  # not published


def test_small_wijk_hides_its_figures(client, survey):
    page = client.get("/wijken/WK036106").get_data(as_text=True)
    assert "te weinig deelnemers" in page and '--numeric">50%</td>' not in page


def test_csv_download_holds_exactly_what_the_page_shows(client, survey):
    page = client.get("/wijken/WK036101").get_data(as_text=True)
    response = client.get("/wijken/WK036101.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Onderwerp"
    assert [r[0] for r in rows[1:]] == ["Voelt zich wel eens onveilig",
                                        "Rapportcijfer leefbaarheid"]
    for row in rows[1:]:
        for cell in row[1:4]:
            assert cell in page
        assert f"Vergeleken met de gemeente: {row[4]}." in page


def test_staff_see_unpublished_editions(client, survey):
    factories.user(Role.TEAM, email="team@example.org", areas=[survey.mare.area])
    assert client.get("/wijken/WK036101?editie=2025").status_code == 404
    factories.login(client, "team@example.org")
    page = client.get("/wijken/WK036101?editie=2025").get_data(as_text=True)
    assert "Nog niet gepubliceerd" in page and "20%" in page


def test_presentation_has_one_indicator_per_slide(client, survey):
    first = client.get("/wijken/WK036101/presentatie").get_data(as_text=True)
    assert "1 van 2" in first and 'rel="next"' in first and 'rel="prev"' not in first
    assert "wp-presenting" in first
    second = client.get("/wijken/WK036101/presentatie?dia=2").get_data(as_text=True)
    assert "Rapportcijfer leefbaarheid" in second and 'rel="next"' not in second
    assert "2 van 2" in client.get("/wijken/WK036101/presentatie?dia=99").get_data(as_text=True)


def test_unknown_wijk_is_404(client, survey):
    assert client.get("/wijken/WK999999").status_code == 404


def test_admin_publishes_and_imports(client, survey, session):
    factories.user(Role.ADMIN, email="admin@example.org")
    session.commit()
    factories.login(client, "admin@example.org")
    client.post("/beheer/resultaten/2025/publiceren", data={"published": "1"})
    assert "Nog niet gepubliceerd" not in client.get("/wijken/WK036101").get_data(as_text=True)
    assert "20%" in client.get("/wijken/WK036101").get_data(as_text=True)
    data = "jaar;code;indicator;waarde;respondenten\n2027;WK036101;onveilig;12,5;120\n"
    page = client.post("/beheer/resultaten", data={
        "file": (io.BytesIO(data.encode()), "uitkomsten.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "Het bestand is geladen" in page
    assert re.search(r"<th[^>]*>2027</th>", page)


def test_only_admins_publish_or_import(client, survey, session):
    factories.user(Role.CLERK, email="clerk@example.org")
    session.commit()
    factories.login(client, "clerk@example.org")
    assert client.get("/beheer/resultaten").status_code == 200
    assert client.post("/beheer/resultaten/2025/publiceren",
                       data={"published": "1"}).status_code == 403
    data = b"jaar;code;indicator;waarde\n2027;WK036101;onveilig;12,5\n"
    response = client.post("/beheer/resultaten", data={
        "file": (io.BytesIO(data), "uitkomsten.csv")}, content_type="multipart/form-data")
    assert response.status_code == 403
