"""One indicator for every area (``/uitkomsten/<code>``): the map, the tables, the download,
the editions, the slide, suppression everywhere, ETags and a constant number of statements."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select, update

from panel.areas.boundaries_importer import BoundariesImporter
from panel.areas.models import Neighbourhood
from panel.auth.models import Role
from panel.db import db
from panel.results import overview
from panel.results.models import Edition, Indicator, Result
from tests import factories
from tests.results.helpers import add
from tests.statements import counting

SVG = "{http://www.w3.org/2000/svg}"


def load_shapes(codes: list[str], columns: int = 10, size: int = 1000) -> None:
    """Squares (of 1 km) in RD New for the wijken ``codes``, through the real importer."""
    features = []
    for index, code in enumerate(codes):
        x = 110_000 + (index % columns) * 1000
        y = 520_000 - (index // columns) * 1000
        ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
        features.append({"type": "Feature",
                         "properties": {"wijkcode": code, "gemeentecode": "GM0361"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    data = {"type": "FeatureCollection", "features": features,
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}}
    report = BoundariesImporter(None).run(json.dumps(data).encode(), "wijken.geojson")
    assert report.applied, report


def page_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def the_map(page: str) -> ET.Element:
    found = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" class="wp-map__svg".*?</svg>',
                      page, re.S)
    assert found, "no map on the page"
    return ET.fromstring(found.group(0))


def map_links(page: str) -> dict[str, str]:
    return {a.get("href"): a.get("aria-label") for a in the_map(page).iter(f"{SVG}a")}


def table_rows(page: str, caption_id: str) -> list[list[str]]:
    table = page[page.index(f'id="{caption_id}"'):]
    table = table[:table.index("</table>")]
    rows = []
    for row in re.findall(r"<tr class=\"utrecht-table__row\">(.*?)</tr>", table, re.S)[1:]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
    return rows


def csv_rows(client, path: str) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def mapped(survey, session):  # type: ignore[no-untyped-def]
    """The survey with shapes for its two wijken and a figure for gebied Noord (with more
    respondents than its two wijken: Klein's cannot be worked out from it)."""
    load_shapes([survey.mare.code, survey.small.code])
    db.session.add(Result(edition_id=survey.new.id, indicator_id=survey.unsafe.id,
                          area_level="area", area_code="noord", value=46.0, respondents=400,
                          ci_low=38.3, ci_high=53.7))
    session.commit()
    return survey


@pytest.fixture
def demo(session):  # type: ignore[no-untyped-def]
    from panel.demo.services import seed_demo

    seed_demo()
    session.commit()


# --- the page -----------------------------------------------------------------------------

def test_the_page_shows_the_municipality_gebieden_map_and_table(client, mapped):
    page = page_of(client, "/uitkomsten/onveilig")
    assert "Voelt zich wel eens onveilig: alle wijken" in page
    assert "Uitkomsten van de veiligheidsmonitor 2023." in page
    areas = table_rows(page, "gebieden-caption")
    assert areas == [["Hele gemeente", "32%", "2.400", "30%–34%", ""],
                     ["Gebied Noord", "46%", "400", "38%–54%", "slechter"]]
    assert map_links(page) == {"/wijken/WK036101": "De Mare: 45%",
                               "/wijken/WK036106": "Klein: te weinig deelnemers"}
    wijken = table_rows(page, "wijken-caption")
    assert wijken == [["De Mare", "Noord", "45%", "150", "37%–53%", "slechter"],
                      ["Klein", "Noord", "te weinig deelnemers", "", "", "niet te vergelijken"]]
    # The table comes straight after the map (and its legend).
    assert page.index("wp-map__svg") < page.index("wp-map-legend") < page.index("wijken-caption")
    assert '<a class="utrecht-link" href="/wijken/WK036101">De Mare</a>' in page


def test_without_shapes_only_the_table_and_a_sentence(client, survey):
    page = page_of(client, "/uitkomsten/onveilig")
    assert "Er is nog geen kaart van de wijken." in page
    assert "wp-map__svg" not in page and "<svg" not in page
    assert [row[0] for row in table_rows(page, "wijken-caption")] == ["De Mare", "Klein"]


def test_too_few_respondents_is_shown_nowhere(client, mapped):
    page = page_of(client, "/uitkomsten/onveilig")
    # Klein: 50% from 12 respondents (interval 22 to 78).
    for hidden in ("50%", ">12<", "22%", "78%"):
        assert hidden not in page, hidden
    svg = the_map(page)
    klein = next(a for a in svg.iter(f"{SVG}a") if a.get("href") == "/wijken/WK036106")
    assert klein.find(f"{SVG}path").get("fill") == "url(#wp-map-suppressed)"
    assert "te weinig deelnemers" in page[page.index("wp-map-legend"):]
    rows = csv_rows(client, "/uitkomsten/onveilig.csv")
    assert ["Klein", "Noord", "te weinig deelnemers", "", "", "niet te vergelijken"] in rows
    assert not any(cell in ("50%", "12", "22%–78%") for row in rows for cell in row)
    # Sorting by the respondents does not give the small count away: it always comes last.
    for order in ("op", "af"):
        sorted_page = page_of(client, f"/uitkomsten/onveilig?sorteer=respondenten&volgorde={order}")
        assert table_rows(sorted_page, "wijken-caption")[-1][0] == "Klein"


def test_the_indicators_decimals_everywhere(client, mapped, session):
    mark = session.get(Indicator, mapped.mark.id)
    mark.decimals = 2
    session.commit()
    page = page_of(client, "/uitkomsten/cijfer")
    assert table_rows(page, "gebieden-caption")[0][1:4] == ["7,60", "2.400", "7,50–7,70"]
    assert table_rows(page, "wijken-caption")[0][2:5] == ["7,50", "150", "7,30–7,70"]
    assert map_links(page)["/wijken/WK036101"] == "De Mare: 7,50"
    assert ">7,50</text>" in page
    rows = csv_rows(client, "/uitkomsten/cijfer.csv")
    assert rows[1][2:5] == ["7,60", "2.400", "7,50–7,70"]


def test_the_download_has_the_pages_rows_and_the_year_in_every_header(client, mapped):
    rows = csv_rows(client, "/uitkomsten/onveilig.csv?editie=2023&sorteer=waarde&volgorde=af")
    assert rows[0] == ["Wijk", "Gebied", "Cijfer 2023", "Deelnemers 2023", "Marge 2023",
                       "Vergeleken met de gemeente in 2023"]
    assert rows[1] == ["Hele gemeente", "", "32%", "2.400", "30%–34%", ""]
    assert rows[2] == ["", "Noord", "46%", "400", "38%–54%", "slechter"]
    page = page_of(client, "/uitkomsten/onveilig?editie=2023&sorteer=waarde&volgorde=af")
    assert [row for row in rows[3:]] == table_rows(page, "wijken-caption")
    older = csv_rows(client, "/uitkomsten/onveilig.csv?editie=2021")
    assert older[0][2:4] == ["Cijfer 2021", "Deelnemers 2021"]
    assert ["De Mare", "Noord", "40%", "140", "32%–48%", "niet te vergelijken"] in older


def test_the_download_is_safe_in_a_spreadsheet(client, mapped, session):
    wijk = session.get(Neighbourhood, mapped.mare.id)
    wijk.name = "=HYPERLINK(\"http://evil\")"
    session.commit()
    rows = csv_rows(client, "/uitkomsten/onveilig.csv")
    assert any(row[0] == "'=HYPERLINK(\"http://evil\")" for row in rows)
    page = page_of(client, "/uitkomsten/onveilig")
    assert "=HYPERLINK(&#34;http://evil&#34;): 45%" in page  # escaped in the map


def test_sorting_with_links_and_aria_sort(client, survey, session):
    other = factories.neighbourhood(survey.mare.area, "WK036107", "Aadorp")
    add(survey.new, survey.unsafe, other.code, 20.0, 90, (12.0, 28.0))
    session.commit()
    page = page_of(client, "/uitkomsten/onveilig")
    assert [r[0] for r in table_rows(page, "wijken-caption")] == ["Aadorp", "De Mare", "Klein"]
    assert re.search(r'<th [^>]*aria-sort="ascending">\s*<a [^>]*sorteer=wijk&amp;volgorde=af',
                     page)
    page = page_of(client, "/uitkomsten/onveilig?sorteer=waarde&volgorde=af")
    assert [r[0] for r in table_rows(page, "wijken-caption")] == ["De Mare", "Aadorp", "Klein"]
    assert page.count("aria-sort=") == 1
    assert re.search(r'aria-sort="descending">\s*<a [^>]*sorteer=waarde&amp;volgorde=op', page)
    page = page_of(client, "/uitkomsten/onveilig?sorteer=waarde&volgorde=op")
    assert [r[0] for r in table_rows(page, "wijken-caption")] == ["Aadorp", "De Mare", "Klein"]
    page = page_of(client, "/uitkomsten/onveilig?sorteer=onzin")
    assert 'aria-sort="ascending"' in page


def test_edition_links_and_unpublished_editions_for_staff_only(client, mapped, login_as):
    page = page_of(client, "/uitkomsten/onveilig")
    assert 'href="/uitkomsten/onveilig?editie=2021"' in page
    assert "2025" not in page
    assert client.get("/uitkomsten/onveilig?editie=2025").status_code == 404
    assert client.get("/uitkomsten/onveilig.csv?editie=2025").status_code == 404
    assert client.get("/uitkomsten/onveilig/presentatie?editie=2025").status_code == 404
    older = page_of(client, "/uitkomsten/onveilig?editie=2021")
    assert '<span aria-current="true">2021</span>' in older
    assert map_links(older)["/wijken/WK036101"] == "De Mare: 40%"

    factories.user(Role.TEAM, email="team@example.org", areas=[mapped.mare.area])
    db.session.commit()
    staff = login_as("team@example.org")
    page = page_of(staff, "/uitkomsten/onveilig")
    assert "2025 (niet gepubliceerd)" in page
    draft = page_of(staff, "/uitkomsten/onveilig?editie=2025")
    assert "Nog niet gepubliceerd" in draft and "De Mare: 20%" in draft


def test_unknown_indicator_is_404(client, survey):
    assert client.get("/uitkomsten/bestaat-niet").status_code == 404
    assert client.get("/uitkomsten/bestaat-niet.csv").status_code == 404


def test_no_published_edition_yet(client, survey, session):
    session.execute(update(Edition).values(published=False))
    session.commit()
    page = page_of(client, "/uitkomsten/onveilig")
    assert "Er zijn nog geen uitkomsten gepubliceerd." in page


def test_in_english(client, mapped):
    client.set_cookie("lang", "en")
    page = page_of(client, "/uitkomsten/onveilig")
    assert "Ever feels unsafe: all wijken" in page
    assert map_links(page)["/wijken/WK036106"] == "Klein: too few respondents"
    assert csv_rows(client, "/uitkomsten/onveilig.csv")[0][2] == "Figure 2023"


# --- links to the page and the slide ------------------------------------------------------

def test_linked_from_every_chart_and_from_the_wijk_list(client, mapped):
    wijk = page_of(client, "/wijken/WK036101")
    assert wijk.count('href="/uitkomsten/onveilig?editie=2023"') == 1
    assert wijk.count('href="/uitkomsten/cijfer?editie=2023"') == 1
    index = page_of(client, "/wijken")
    assert 'href="/uitkomsten/onveilig"' in index and 'href="/uitkomsten/cijfer"' in index


def test_the_map_as_a_slide(client, mapped):
    first = page_of(client, "/uitkomsten/onveilig/presentatie")
    assert "wp-presenting" in first and "1 van 2" in first
    assert map_links(first)["/wijken/WK036101"] == "De Mare: 45%"
    assert 'rel="next" href="/uitkomsten/cijfer/presentatie?editie=2023"' in first
    assert 'rel="prev"' not in first
    second = page_of(client, "/uitkomsten/cijfer/presentatie?editie=2023")
    assert "2 van 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    slide = page_of(client, "/wijken/WK036101/presentatie")
    assert 'href="/uitkomsten/onveilig/presentatie?editie=2023"' in slide


def test_the_slide_without_shapes_shows_the_table(client, survey):
    slide = page_of(client, "/uitkomsten/onveilig/presentatie")
    assert "<svg" not in slide and "wijken-caption" in slide


# --- worked out once: ETags, kept maps and statements --------------------------------------

def test_etag_and_304_until_the_data_or_the_shapes_change(app, client, mapped):
    app.config["PANEL_ETAG_SECONDS"] = 0
    try:
        first = client.get("/uitkomsten/onveilig")
        etag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "no-cache"
        again = client.get("/uitkomsten/onveilig", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        with db.engine.begin() as connection:  # another worker changes a figure
            connection.execute(update(Result).where(Result.area_code == "WK036101")
                               .values(value=Result.value + 1))
        changed = client.get("/uitkomsten/onveilig", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and "De Mare: 46%" in changed.get_data(as_text=True)
        etag = changed.headers["ETag"]
        load_shapes([mapped.mare.code], size=800)  # a new shape
        db.session.commit()
        assert client.get("/uitkomsten/onveilig",
                          headers={"If-None-Match": etag}).status_code == 200
    finally:
        app.config["PANEL_ETAG_SECONDS"] = 1


def test_the_map_is_built_once_per_edition_and_data(app, client, mapped, monkeypatch):
    app.config.update(PANEL_ETAG_SECONDS=0, PANEL_PAGE_CACHE_MB=0)
    built: list[str] = []
    real = overview._build

    def counted(source, link):  # type: ignore[no-untyped-def]
        built.append(source.edition.year)
        return real(source, link)

    monkeypatch.setattr(overview, "_build", counted)
    try:
        for path in ("/uitkomsten/onveilig", "/uitkomsten/onveilig?sorteer=waarde",
                     "/uitkomsten/onveilig.csv", "/uitkomsten/onveilig/presentatie"):
            assert client.get(path).status_code == 200
        assert built == [2023]
        client.get("/uitkomsten/onveilig?editie=2021")
        assert built == [2023, 2021]
        client.set_cookie("lang", "en")  # another language: built again, in English
        client.get("/uitkomsten/onveilig")
        assert built == [2023, 2021, 2023]
        with db.engine.begin() as connection:
            connection.execute(update(Result).where(Result.area_code == "WK036101")
                               .values(respondents=151))
        assert "151" in client.get("/uitkomsten/onveilig").get_data(as_text=True)
        assert len(built) == 4
    finally:
        app.config.update(PANEL_ETAG_SECONDS=1, PANEL_PAGE_CACHE_MB=32)


def populate(count: int) -> None:
    """A municipality of ``count`` wijken over four gebieden, each with a shape and a figure
    (every fifth with too few respondents), and a figure per gebied."""
    factories.municipality("GM0361")
    areas = [factories.area(f"gebied{n}", f"Gebied {n}") for n in range(4)]
    indicator = Indicator(code="onveilig", name_nl="Onveilig", name_en="Unsafe",
                          unit="percentage", higher_is_better=False)
    edition = Edition(year=2023, published=True)
    db.session.add_all([indicator, edition])
    db.session.flush()
    add(edition, indicator, "GM0361", 30.0, 4000, (29.0, 31.0))
    codes = []
    for n in range(count):
        wijk = factories.neighbourhood(areas[n % 4], f"WK0361{n:02d}", f"Wijk {n}")
        codes.append(wijk.code)
        add(edition, indicator, wijk.code, 20.0 + n % 17, 10 if n % 5 == 0 else 100 + n,
            (15.0 + n % 17, 25.0 + n % 17))
    for area in areas:
        db.session.add(Result(edition_id=edition.id, indicator_id=indicator.id,
                              area_level="area", area_code=area.code, value=31.0,
                              respondents=900))
    db.session.commit()
    load_shapes(codes)
    db.session.commit()


def _clear_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def test_statements_do_not_grow_with_the_number_of_wijken(app, client, session):
    app.config.update(PANEL_ETAG_SECONDS=0, PANEL_PAGE_CACHE_MB=0)
    counts = {}
    try:
        for size in (3, 40):
            populate(size)
            overview.forget()
            with counting(db.engine) as seen:
                page = page_of(client, "/uitkomsten/onveilig")  # built
                built = len(seen)
                seen.clear()
                page_of(client, "/uitkomsten/onveilig?sorteer=waarde")  # kept
                kept = len(seen)
                seen.clear()
                csv_rows(client, "/uitkomsten/onveilig.csv")
                download = len(seen)
            assert len(map_links(page)) == size
            counts[size] = (built, kept, download)
            _clear_tables()
    finally:
        app.config.update(PANEL_ETAG_SECONDS=1, PANEL_PAGE_CACHE_MB=32)
    assert counts[3] == counts[40], counts
    built, kept, download = counts[3]
    assert kept < built and kept <= 10, counts


def test_the_fingerprint_is_a_few_plain_statements(app, mapped):
    with app.test_request_context("/uitkomsten/onveilig"), counting(db.engine) as seen:
        source = overview.overview_fingerprint("onveilig")
    assert len(seen) <= 6
    assert not any(isinstance(value, db.Model) for value in vars(source).values())
    assert source.edition.year == 2023 and len(source.results) == 4


# --- on the demo, with its real shapes ----------------------------------------------------

def test_the_demo_map(client, demo):
    page = page_of(client, "/uitkomsten/onveilig_buurt")
    links = map_links(page)
    wijken = db.session.scalars(select(Neighbourhood.code)).all()
    assert set(links) == {f"/wijken/{code}" for code in wijken}
    assert links["/wijken/WK036109"] == "Koedijk: te weinig deelnemers"  # 18 respondents
    assert all(re.fullmatch(r"[^:]+: \d+%", name) for href, name in links.items()
               if href != "/wijken/WK036109")
    koedijk = next(r for r in table_rows(page, "wijken-caption") if r[0] == "Koedijk")
    assert koedijk[2:5] == ["te weinig deelnemers", "", ""]
    assert ">18<" not in page
    legend = page[page.index("wp-map-legend"):page.index("wijken-caption")]
    assert "te weinig deelnemers" in legend
    assert len(re.findall(r"\d+% tot en met \d+%|<span>\d+%</span>", legend)) >= 2
