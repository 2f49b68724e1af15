"""The municipality page, the gebied pages and the trend of an indicator: both years side by
side with the decimals of the source, CSV downloads with the year in every header,
suppression of small counts, unpublished editions for staff only, ETags, kept charts and a
fixed number of statements."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from sqlalchemy import update

from panel.auth.models import Role
from panel.db import db
from panel.results import linechart, trends
from panel.results.models import Edition, Result
from tests import factories
from tests.results.trend_data import municipality_over_time
from tests.statements import counting

MARK_TREND = "/uitkomsten/rapportcijfer/ontwikkeling/GM0361"
NUISANCE_TREND = "/uitkomsten/overlast/ontwikkeling/GM0361"


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    made = municipality_over_time()
    factories.user(Role.TEAM, email="team@example.org", areas=[])
    session.commit()
    return made


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def cells(page: str) -> list[list[str]]:
    """The text of every table row on the page (header cells and data cells)."""
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        texts = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        found.append([re.sub(r"<[^>]+>", "", t).strip() for t in texts])
    return found


# --- the municipality page ----------------------------------------------------------------

def test_the_municipality_page_shows_both_years_side_by_side_with_their_decimals(
        client, world):
    page = client.get("/uitkomsten").get_data(as_text=True)
    assert "Veiligheid in Testgemeente" in page
    table = cells(page)
    assert ["Onderwerp", "Cijfer 2015", "Deelnemers 2015", "Cijfer 2019", "Deelnemers 2019",
            "Vergeleken met 2015"] in table
    assert ["Rapportcijfer veiligheid buurt", "7,3", "4.000", "7,5", "4.000",
            "beter dan 2015"] in table
    assert ["Ervaart veel overlast", "13%", "4.000", "11%", "4.000", "beter dan 2015"] in table
    assert "7,30" not in page and "13,0%" not in page
    assert page.count('role="img"') == 2  # a small line chart per indicator
    assert 'href="/uitkomsten/rapportcijfer/ontwikkeling/GM0361"' in page
    assert 'href="/uitkomsten/rapportcijfer"' in page  # the indicator's overview per wijk


def test_the_results_menu_leads_to_the_municipality_then_gebieden_and_wijken(client, world):
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<a class="utrecht-link" href="/uitkomsten"[^>]*>Uitkomsten</a>', home)
    page = client.get("/uitkomsten").get_data(as_text=True)
    assert 'href="/wijken"' in page and 'href="/gebieden/noord"' in page
    wijken = client.get("/wijken").get_data(as_text=True)
    assert 'href="/uitkomsten"' in wijken and 'href="/gebieden/noord"' in wijken


def test_the_municipality_download_holds_the_columns_and_years_of_the_page(client, world):
    page = client.get("/uitkomsten").get_data(as_text=True)
    response = client.get("/uitkomsten.csv")
    assert response.mimetype == "text/csv"
    assert "veiligheidsmonitor-GM0361.csv" in response.headers["Content-Disposition"]
    rows = rows_of(response.data)
    assert rows == [
        ["Thema", "Onderwerp", "Cijfer 2015", "Deelnemers 2015", "Cijfer 2019",
         "Deelnemers 2019", "Vergeleken met 2015"],
        ["Veiligheidsgevoel", "Rapportcijfer veiligheid buurt", "7,3", "4.000", "7,5", "4.000",
         "beter dan 2015"],
        ["Overlast", "Ervaart veel overlast", "13%", "4.000", "11%", "4.000", "beter dan 2015"],
    ]
    table = cells(page)
    assert rows[0][1:] in table and all(row[1:] in table for row in rows[1:])


def test_without_a_municipality_or_results_the_page_says_so(client, session):
    assert "nog geen uitkomsten gepubliceerd" in client.get("/uitkomsten").get_data(
        as_text=True)
    factories.municipality()
    session.commit()
    assert "nog geen uitkomsten gepubliceerd" in client.get("/uitkomsten").get_data(
        as_text=True)


# --- the trend ----------------------------------------------------------------------------

def test_the_trend_shows_every_edition_in_a_chart_and_a_table(client, world):
    page = client.get(MARK_TREND).get_data(as_text=True)
    assert "<h1 class=\"utrecht-heading-1\">Rapportcijfer veiligheid buurt</h1>" in page
    table = cells(page)
    assert table[0] == ["Jaar", "Cijfer", "Deelnemers", "Marge",
                        "Verschil met de vorige keer"]
    assert table[1:] == [["2019", "7,5", "4.000", "7,4–7,6", "beter dan 2015"],
                         ["2015", "7,3", "4.000", "7,2–7,4", ""]]
    [chart] = re.findall(r"<svg.*?</svg>", page, re.S)
    assert 'role="img"' in chart and "wp-chart__band" in chart
    assert chart.count("wp-chart__marker") == 2
    assert "2015: 7,3 (marge 7,2 tot 7,4); 2019: 7,5 (marge 7,4 tot 7,6)." in chart
    nuisance = cells(client.get(NUISANCE_TREND).get_data(as_text=True))
    assert nuisance[1:] == [["2019", "11%", "4.000", "10%–12%", "beter dan 2015"],
                            ["2015", "13%", "4.000", "12%–14%", ""]]


def test_the_trend_download_holds_the_rows_of_the_table(client, world):
    page = cells(client.get(MARK_TREND).get_data(as_text=True))
    response = client.get(MARK_TREND + ".csv")
    assert response.mimetype == "text/csv"
    assert rows_of(response.data) == page


@pytest.mark.parametrize(("area", "name", "newest"), [
    ("GM0361", "Testgemeente", "11%"), ("noord", "gebied Noord", "15%"),
    ("NOORD", "gebied Noord", "15%"), ("WK036101", "De Mare", "16%"),
    ("wk036101", "De Mare", "16%")])
def test_a_trend_exists_for_the_municipality_a_gebied_and_a_wijk(client, world, area, name,
                                                                 newest):
    page = client.get(f"/uitkomsten/overlast/ontwikkeling/{area}").get_data(as_text=True)
    assert f"Zo is dit in {name} veranderd" in page
    assert cells(page)[1][:2] == ["2019", newest]


@pytest.mark.parametrize("path", [
    "/uitkomsten/bestaat-niet/ontwikkeling/GM0361",
    "/uitkomsten/overlast/ontwikkeling/GM0999",  # another municipality
    "/uitkomsten/overlast/ontwikkeling/WK999999",
    "/uitkomsten/overlast/ontwikkeling/zuid",
    "/uitkomsten/overlast/ontwikkeling/" + "x" * 41,
    "/uitkomsten/overlast/ontwikkeling/zuid.csv",
    "/uitkomsten/overlast/ontwikkeling/zuid/presentatie",
    "/gebieden/zuid", "/gebieden/zuid.csv",
])
def test_unknown_indicators_and_areas_are_404(client, world, path):
    assert client.get(path).status_code == 404


def test_the_wijk_page_links_to_the_trend_of_each_indicator(client, world):
    page = client.get("/wijken/WK036101").get_data(as_text=True)
    assert 'href="/uitkomsten/rapportcijfer/ontwikkeling/WK036101"' in page
    assert 'href="/uitkomsten/overlast/ontwikkeling/WK036101"' in page
    assert "Vergeleken met 2015: " in page  # still says whether the change is meaningful


def test_the_trend_can_be_presented_as_a_slide(client, world):
    first = client.get("/uitkomsten/rapportcijfer/ontwikkeling/WK036101/presentatie")
    page = first.get_data(as_text=True)
    assert "wp-presenting" in page and "1 van 2" in page
    assert 'rel="next" href="/uitkomsten/overlast/ontwikkeling/WK036101/presentatie"' in page
    assert 'rel="prev"' not in page and 'role="img"' in page
    second = client.get("/uitkomsten/overlast/ontwikkeling/WK036101/presentatie")
    assert "2 van 2" in second.get_data(as_text=True)
    slide = client.get("/wijken/WK036101/presentatie").get_data(as_text=True)
    assert 'href="/uitkomsten/rapportcijfer/ontwikkeling/WK036101/presentatie"' in slide


# --- the gebied page ----------------------------------------------------------------------

def test_the_gebied_page_compares_the_gebied_with_the_municipality(client, world):
    page = client.get("/gebieden/noord").get_data(as_text=True)
    assert "Veiligheid in gebied Noord" in page
    assert 'href="/wijken/WK036101"' in page and 'href="/wijken/WK036106"' in page
    table = cells(page)
    assert ["Onderwerp", "Cijfer 2015", "Deelnemers 2015", "Cijfer 2019", "Deelnemers 2019",
            "Gemeente 2019", "Vergeleken met de gemeente", "Vergeleken met 2015"] in table
    assert ["Rapportcijfer veiligheid buurt", "7,1", "900", "7,3", "900", "7,5",
            "slechter dan de gemeente", "beter dan 2015"] in table
    assert ["Ervaart veel overlast", "17%", "900", "15%", "900", "11%",
            "slechter dan de gemeente", "beter dan 2015"] in table
    assert 'href="/uitkomsten/overlast/ontwikkeling/noord"' in page
    rows = rows_of(client.get("/gebieden/noord.csv").data)
    assert rows[0] == ["Thema"] + table[0]
    assert all(row[1:] in table for row in rows[1:])
    assert client.get("/gebieden/noord/agenda.ics").status_code == 200  # still there


def test_a_gebied_without_its_own_figures_points_to_its_wijken(client, world, session):
    zuid = factories.area("zuid", "Zuid")
    factories.neighbourhood(zuid, "WK036104", "Vroonermeer")
    session.commit()
    page = client.get("/gebieden/zuid").get_data(as_text=True)
    assert "geen cijfers voor het hele gebied" in page
    assert 'href="/wijken/WK036104"' in page


# --- small counts and unpublished editions ------------------------------------------------

def test_too_few_respondents_hide_the_figure_and_its_count_everywhere(client, world):
    trend = client.get("/uitkomsten/overlast/ontwikkeling/WK036106").get_data(as_text=True)
    table = cells(trend)
    assert table[1:] == [["2019", "te weinig deelnemers", "", "", "niet te vergelijken met 2015"],
                         ["2015", "te weinig deelnemers", "", "", ""]]
    assert "16%" not in trend and ">12<" not in trend
    [chart] = re.findall(r"<svg.*?</svg>", trend, re.S)
    assert "wp-chart__marker" not in chart and "te weinig deelnemers" in chart
    rows = rows_of(client.get("/uitkomsten/overlast/ontwikkeling/WK036106.csv").data)
    assert all("12" not in row[2] for row in rows[1:])
    wijk = cells(client.get("/wijken/WK036106").get_data(as_text=True))
    assert ["Klein 2019", "te weinig deelnemers", ""] in wijk  # no count beside it
    wijk_csv = rows_of(client.get("/wijken/WK036106.csv").data)
    assert wijk_csv[1][-3] == "" and "12" not in wijk_csv[1]


def test_the_minimum_is_the_setting(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PANEL_MIN_RESPONDENTS", 10)
    table = cells(client.get("/uitkomsten/overlast/ontwikkeling/WK036106").get_data(
        as_text=True))
    assert table[1][:3] == ["2019", "16%", "12"]


def test_unpublished_editions_are_for_staff_only_and_marked(client, world, login_as):
    public = client.get("/uitkomsten").get_data(as_text=True)
    assert "2023" not in public and "6,1" not in public
    assert "2023" not in client.get(MARK_TREND).get_data(as_text=True)
    assert "2023" not in client.get("/uitkomsten.csv").get_data(as_text=True)
    assert "2023" not in client.get(MARK_TREND + ".csv").get_data(as_text=True)

    staff = login_as("team@example.org")
    page = staff.get("/uitkomsten").get_data(as_text=True)
    assert "Cijfer 2023 (nog niet gepubliceerd)" in page and "6,1" in page
    assert "Nog niet gepubliceerd: alleen medewerkers zien dit." in page
    trend = staff.get(MARK_TREND).get_data(as_text=True)
    assert ["2023 (nog niet gepubliceerd)", "6,1", "4.100", "6,0–6,2", "slechter dan 2019"] \
        in cells(trend)
    assert "wp-chart__marker--marked" in trend
    assert "Alleen medewerkers zien de jaren met “nog niet gepubliceerd”." in trend
    assert "2023 (nog niet gepubliceerd): 6,1" in trend  # in the chart's description
    rows = rows_of(staff.get("/uitkomsten.csv").data)
    assert "Cijfer 2023 (nog niet gepubliceerd)" in rows[0]


# --- caching ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/uitkomsten", "/gebieden/noord", MARK_TREND])
def test_public_pages_answer_304_until_their_data_changes(client, world, session, path):
    first = client.get(path)
    etag = first.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    session.execute(update(Result).where(Result.area_code.in_(["GM0361", "noord"]))
                    .values(respondents=Result.respondents + 1))
    session.commit()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    etag = changed.headers["ETag"]
    session.execute(update(Edition).where(Edition.year == 2023).values(published=True))
    session.commit()
    published = client.get(path, headers={"If-None-Match": etag})
    assert published.status_code == 200 and published.headers["ETag"] != etag
    if path != "/gebieden/noord":  # the gebied has no figures in 2023
        assert "2023" in published.get_data(as_text=True)


def test_charts_are_drawn_once_per_change_of_their_data(client, world, session, app,
                                                         monkeypatch):
    monkeypatch.setitem(app.config, "PANEL_PAGE_CACHE_MB", 0)
    monkeypatch.setitem(app.config, "PANEL_ETAG_SECONDS", 0)
    trends.forget_charts()
    drawn: list[str] = []
    real = linechart.line_chart

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        drawn.append(kwargs["chart_id"])
        return real(*args, **kwargs)

    monkeypatch.setattr(linechart, "line_chart", counted)
    first = client.get(MARK_TREND).get_data(as_text=True)
    assert drawn == ["trend-chart"]
    assert client.get(MARK_TREND).get_data(as_text=True) == first
    assert drawn == ["trend-chart"]  # kept
    session.execute(update(Result).where(Result.area_code == "GM0361")
                    .values(value=Result.value - 0.1))
    session.commit()
    changed = client.get(MARK_TREND).get_data(as_text=True)
    assert drawn == ["trend-chart", "trend-chart"] and "7,2" in changed


# --- statements -----------------------------------------------------------------------------

PAGES = ("/uitkomsten", "/uitkomsten.csv", "/gebieden/noord", "/gebieden/noord.csv",
         MARK_TREND, MARK_TREND + ".csv", "/uitkomsten/rapportcijfer/ontwikkeling/noord",
         "/uitkomsten/rapportcijfer/ontwikkeling/WK036101/presentatie",
         "/api/v1/indicatoren/overlast/resultaten",
         "/api/v1/indicatoren/overlast/ontwikkeling/WK036101")


def _statements(app: Flask) -> dict[str, int]:
    client = app.test_client()
    counts = {}
    with app.app_context():
        engine = db.engine
    with counting(engine) as seen:
        for path in PAGES:
            assert client.get(path).status_code == 200, path
            seen.clear()
            assert client.get(path).status_code == 200, path
            counts[path] = len(seen)
    return counts


def _empty() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def test_statements_do_not_grow_with_wijken_or_editions(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "PANEL_PAGE_CACHE_MB", 0)
    monkeypatch.setitem(app.config, "PANEL_ETAG_SECONDS", 0)
    municipality_over_time(wijken=2, years=(2015, 2019))
    session.commit()
    small = _statements(app)
    _empty()
    municipality_over_time(wijken=9, years=(2011, 2013, 2015, 2017, 2019, 2021, 2023),
                           draft=2025)
    session.commit()
    large = _statements(app)
    assert large == small
    assert max(small.values()) <= 13, small
