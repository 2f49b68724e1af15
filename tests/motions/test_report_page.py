"""The report page: computed once, long lists shortened, the actions paged; the page to
print and the downloads keep every row."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from panel.db import db
from panel.feedback.models import Action
from panel.meetings.models import Meeting
from panel.motions import services
from tests import factories

ACTIONS = 60  # three pages of 25, 25 and 10
MEETINGS = 23
FIRST_DAY = date(2025, 1, 1)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _title(number: int) -> str:
    return f"Actie {number:02d} in Noord"


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """A motion about gebied Noord with 60 actions (one a day, ``Actie 01`` the oldest) and
    23 meetings in the period, and a draft report over 2025."""
    item = factories.panel_world()
    session.add_all([Action(area=item.noord, title=_title(n), owner="Team Noord",
                            status="in_progress", progress=n,
                            created_at=_moment(FIRST_DAY + timedelta(days=n)))
                     for n in range(1, ACTIONS + 1)])
    session.add_all([Meeting(area=item.noord, title=f"Wijkavond {n:02d}", status="open",
                             starts_at=_moment(FIRST_DAY + timedelta(days=10 * n)))
                     for n in range(1, MEETINGS + 1)])
    motion = services.save_motion(item.clerk, services.MotionData(
        reference="M2025-001", title="Veilig in Noord", adopted_on=date(2024, 12, 1),
        text="De raad verzoekt...", area_codes=["noord"]))
    report = services.start_report(item.clerk, motion.id, date(2025, 1, 1),
                                   date(2025, 12, 31))
    session.commit()
    return SimpleNamespace(**vars(item), report=report,
                           path=f"/beheer/moties/rapportages/{report.id}")


def _page(client, world, query: str = "") -> str:  # type: ignore[no-untyped-def]
    """The report page in English (the new texts have no Dutch in the catalog yet)."""
    factories.login(client, "clerk@example.org")
    client.set_cookie("lang", "en")
    response = client.get(world.path + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(page: str, key: str) -> str:
    """The HTML of one table's section of the page."""
    start = page.index(f'id="section-{key}"')
    end = page.find("</section>", start)
    return page[start:end]


def _actions_shown(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"Actie (\d\d) in Noord", _section(page, "acties"))]


def _current_page(page: str) -> int:
    nav = _section(page, "acties")
    found = re.search(r'aria-current="page"><strong>(\d+)</strong>', nav)
    assert found, "no current page in the pagination"
    return int(found.group(1))


def test_the_page_shows_the_newest_actions_and_links_to_the_other_pages(client, world):
    page = _page(client, world)
    assert _actions_shown(page) == list(range(60, 35, -1))
    actions = _section(page, "acties")
    assert "Actions 1 to 25 of 60, newest first." in actions
    assert "The complete list is in the downloads and on the page to print." in actions
    assert '<nav class="wp-pagination" aria-label="Pages of the actions">' in actions
    assert "Actions, page 1 of 3" in actions  # the table's caption
    assert _current_page(page) == 1
    assert 'aria-label="Page 2"' in actions
    assert f'href="{world.path}?pagina=2#section-acties"' in actions
    assert "Next page" in actions and "Previous page" not in actions
    assert "This page shows the most recent part of long lists." in page


def test_the_other_pages_of_actions(client, world):
    second = _page(client, world, "?pagina=2")
    assert _actions_shown(second) == list(range(35, 10, -1))
    assert _current_page(second) == 2
    assert "Previous page" in second and "Next page" in second
    last = _page(client, world, "?pagina=3")
    assert _actions_shown(last) == list(range(10, 0, -1))
    assert "Actions 51 to 60 of 60, newest first." in last
    assert "Next page" not in last


@pytest.mark.parametrize(("query", "expected"), [
    ("?pagina=abc", 1), ("?pagina=0", 1), ("?pagina=-4", 1), ("?pagina=", 1),
    ("?pagina=2.5", 1), ("?pagina=99999", 3), ("?pagina=" + "9" * 40, 3),
])
def test_a_wrong_page_number_shows_the_nearest_page(client, world, query, expected):
    page = _page(client, world, query)
    assert _current_page(page) == expected
    assert len(_actions_shown(page)) == (10 if expected == 3 else 25)


def test_the_timeline_and_the_meetings_show_the_most_recent(client, world):
    page = _page(client, world)
    timeline = _section(page, "tijdlijn")
    assert "The 20 most recent of 84 events, newest first." in timeline
    assert timeline.count('<tr class="utrecht-table__row">') == 21  # the header and 20
    assert "Actie 60 in Noord" in timeline and "Actie 40 in Noord" not in timeline
    meetings = _section(page, "bijeenkomsten")
    assert "The 20 most recent of 23 meetings, newest first." in meetings
    assert "Wijkavond 23" in meetings and "Wijkavond 03" not in meetings


def test_a_short_report_shows_everything_without_pages(client, session):
    item = factories.panel_world()
    session.add(Action(area=item.noord, title="De enige actie", created_at=_moment(FIRST_DAY)))
    motion = services.save_motion(item.clerk, services.MotionData(
        reference="M1", title="Kort", adopted_on=date(2024, 12, 1), text="",
        area_codes=["noord"]))
    report = services.start_report(item.clerk, motion.id, date(2025, 1, 1), date(2025, 12, 31))
    session.commit()
    page = _page(client, SimpleNamespace(path=f"/beheer/moties/rapportages/{report.id}"))
    assert "De enige actie" in page
    assert "wp-pagination" not in page
    assert "most recent part of long lists" not in page
    assert "Newest first." in _section(page, "acties")


def test_the_report_is_computed_once_per_request(client, world, monkeypatch):
    calls = []
    build = services._build_with_key

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        return build(*args, **kwargs)

    monkeypatch.setattr(services, "_build_with_key", counted)
    _page(client, world)
    assert len(calls) == 1


def test_the_print_page_and_every_download_hold_every_action(client, world):
    factories.login(client, "clerk@example.org")
    titles = {_title(n) for n in range(1, ACTIONS + 1)}

    printed = client.get(f"{world.path}/afdruk").get_data(as_text=True)
    assert {t for t in titles if t in printed} == titles
    assert "wp-pagination" not in printed
    assert printed.count("Wijkavond") >= 2 * MEETINGS  # the meetings and the timeline

    content = json.loads(client.get(f"{world.path}/export.json").data)
    assert [a["title"] for a in content["actions"]] == [_title(n) for n in range(1, 61)]
    assert len(content["meetings"]) == MEETINGS
    assert len(content["timeline"]) == 1 + MEETINGS + ACTIONS

    workbook = load_workbook(io.BytesIO(client.get(f"{world.path}/export.xlsx").data))
    sheet = workbook["Acties"]
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == titles

    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{world.path}/export.zip").data))
    actions_csv = archive.read("08-acties.csv").decode("utf-8-sig")
    assert {t for t in titles if t in actions_csv} == titles
    assert len(archive.read("03-tijdlijn.csv").decode("utf-8-sig").splitlines()) == \
        1 + 1 + MEETINGS + ACTIONS

    document = Document(io.BytesIO(client.get(f"{world.path}/export.docx").data))
    cells = {cell.text for table in document.tables for row in table.rows
             for cell in row.cells}
    assert titles <= cells


def test_the_pages_in_dutch(client, world):
    factories.login(client, "clerk@example.org")
    page = client.get(world.path + "?pagina=2").get_data(as_text=True)
    actions = _section(page, "acties")
    assert _actions_shown(page) == list(range(35, 10, -1))
    assert "Vorige pagina" in actions and "Volgende pagina" in actions


@pytest.mark.parametrize(("page", "pages", "links"), [
    (1, 1, []), (2, 3, [1, 2, 3]), (1, 26, [1, 2, 3, None, 26]),
    (6, 26, [1, None, 4, 5, 6, 7, 8, None, 26]), (26, 26, [1, None, 24, 25, 26]),
])
def test_the_page_links_show_the_first_the_last_and_the_nearest_pages(page, pages, links):
    from panel.motions.views import _pager

    assert _pager(services.Excerpt(1, 25, 25 * pages, page, pages)) == links


def test_the_kept_tables_are_the_tables_built_for_the_request(app, client, world):
    """The tables of the page are kept per worker by the report's figures, page and
    language; what is kept is what a page built from scratch shows, and a change shows."""
    def page(query: str) -> str:  # without the CSRF tokens, signed anew every second
        return re.sub(r'name="csrf_token" value="[^"]*"', "", _page(client, world, query))

    first = page("?pagina=2")
    assert page("?pagina=2") == first
    app.config.update(PANEL_ETAG_SECONDS=0)
    try:
        services.forget()
        assert page("?pagina=2") == first
        assert page("?pagina=3") != first
        client.set_cookie("lang", "nl")
        dutch = client.get(world.path + "?pagina=2").get_data(as_text=True)
        assert "Acties, pagina 2 van" in dutch
        action = db.session.scalars(select(Action).where(Action.title.like("Actie % in Noord"))
                                    .order_by(Action.created_at.desc())).first()
        action.title = "Hernoemde actie"
        db.session.commit()
        assert "Hernoemde actie" in _page(client, world)
    finally:
        app.config.update(PANEL_ETAG_SECONDS=1)
