"""Built public pages kept per worker by ETag (``panel.conditional``): a visitor without a
copy gets the kept page while its data is unchanged, and the new page as soon as it
changes; staff, flashed messages and the home page and API are covered too."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from bench.generate import Summary, populate
from panel.areas.models import Area, Neighbourhood
from panel.conditional import KeptPage, PageCache
from panel.db import db


@pytest.fixture
def world(app: Flask) -> Summary:
    with app.app_context():
        return populate(1)


# --- the cache itself ---------------------------------------------------------------------

def _page(size: int) -> KeptPage:
    return KeptPage(b"x" * size, "text/html", ())


def test_the_least_recently_used_page_goes_first_when_the_budget_is_full() -> None:
    pages = PageCache(budget=1000)
    pages.put("a", _page(200))
    pages.put("b", _page(200))
    pages.put("c", _page(200))
    assert pages.get("a") is not None  # a is now the most recently used
    pages.put("d", _page(200))
    pages.put("e", _page(200))  # 1000 bytes: all fit
    pages.put("f", _page(200))  # b goes
    assert pages.get("b") is None
    assert all(pages.get(key) is not None for key in "acdef")
    assert pages.size == 1000


def test_a_page_larger_than_a_quarter_of_the_budget_is_not_kept() -> None:
    pages = PageCache(budget=1000)
    pages.put("small", _page(100))
    pages.put("big", _page(251))
    assert pages.get("big") is None
    assert pages.get("small") is not None


def test_keeping_a_page_again_does_not_count_it_twice() -> None:
    pages = PageCache(budget=1000)
    pages.put("a", _page(300))
    pages.put("a", _page(100))
    assert pages.size == 100
    assert len(pages) == 1


# --- public pages -------------------------------------------------------------------------

PUBLIC = ("/", "/wijken/{wijk}", "/bijeenkomsten", "/terugkoppeling/{wijk}",
          "/api/v1/wijken/{wijk}/resultaten", "/api/v1/wijken/{wijk}/terugkoppeling",
          "/wijken/{wijk}.csv", "/uitkomsten.csv")


@pytest.mark.parametrize("path", PUBLIC)
def test_a_second_visitor_gets_the_kept_page_without_it_being_built(
        app: Flask, world: Summary, counted: list[str], etag_every_request: None,
        path: str) -> None:
    path = path.format(wijk=world.wijk_code)
    first = app.test_client().get(path)
    assert first.status_code == 200
    built = len(counted)
    counted.clear()
    second = app.test_client().get(path)
    assert second.status_code == 200
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.mimetype == first.mimetype
    assert second.headers.get("Content-Disposition") == first.headers.get("Content-Disposition")
    assert 0 < len(counted) < built  # only the rows of the ETag were read


@pytest.mark.parametrize("path", PUBLIC)
def test_within_the_kept_second_a_page_costs_no_statement(
        app: Flask, world: Summary, counted: list[str], path: str) -> None:
    path = path.format(wijk=world.wijk_code)
    first = app.test_client().get(path)
    counted.clear()
    assert app.test_client().get(path).data == first.data
    assert counted == []


def test_a_change_gives_every_visitor_the_new_page(app: Flask, world: Summary) -> None:
    path = f"/wijken/{world.wijk_code}"
    before = app.test_client().get(path)
    with app.app_context():
        wijk = db.session.scalars(select(Neighbourhood)
                                  .where(Neighbourhood.code == world.wijk_code)).one()
        wijk.name = "Nieuwe Wijknaam"
        db.session.commit()
    after = app.test_client().get(path)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert "Nieuwe Wijknaam" in after.get_data(as_text=True)


def test_the_home_page_shows_a_renamed_gebied_at_once(app: Flask, world: Summary) -> None:
    client = app.test_client()
    etag = client.get("/").headers["ETag"]
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304
    with app.app_context():
        area = db.session.scalars(select(Area).order_by(Area.id)).first()
        assert area is not None
        area.name = "Hernoemd Gebied"
        db.session.commit()
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert "Hernoemd Gebied" in again.get_data(as_text=True)


def test_each_language_has_its_own_kept_page(app: Flask, world: Summary) -> None:
    dutch = app.test_client().get("/bijeenkomsten")
    visitor = app.test_client()
    visitor.set_cookie("lang", "en")
    english = visitor.get("/bijeenkomsten")
    assert english.data != dutch.data
    assert 'lang="en"' in english.get_data(as_text=True)
    assert 'lang="nl"' in app.test_client().get("/bijeenkomsten").get_data(as_text=True)


def test_staff_get_a_page_built_for_them(app: Flask, world: Summary) -> None:
    """Staff also see an edition that is not published yet: never the visitors' page."""
    from panel.results.models import Edition
    from tests.test_query_counts import _client

    with app.app_context():
        newest = db.session.scalars(select(Edition).order_by(Edition.year.desc())).first()
        assert newest is not None
        newest.published = False
        db.session.commit()
    path = f"/wijken/{world.wijk_code}"
    public = app.test_client().get(path)
    assert "alleen medewerkers" not in public.get_data(as_text=True)
    staff = _client(app, "team", world).get(path)
    assert staff.status_code == 200
    assert "ETag" not in staff.headers
    assert "alleen medewerkers zien dit" in staff.get_data(as_text=True)
    assert app.test_client().get(path).data == public.data


def test_no_page_is_kept_when_the_cache_is_off(app: Flask, world: Summary,
                                               counted: list[str]) -> None:
    app.config.update(PANEL_PAGE_CACHE_MB=0, PANEL_ETAG_SECONDS=0)
    try:
        path = f"/terugkoppeling/{world.wijk_code}"
        app.test_client().get(path)
        built = len(counted)
        counted.clear()
        app.test_client().get(path)
        assert len(counted) == built
    finally:
        app.config.update(PANEL_PAGE_CACHE_MB=32, PANEL_ETAG_SECONDS=1)


def test_the_api_answers_304_from_the_data(app: Flask, world: Summary,
                                           counted: list[str]) -> None:
    path = f"/api/v1/wijken/{world.wijk_code}/resultaten"
    client = app.test_client()
    first = client.get(path)
    assert first.headers["Cache-Control"].startswith("public")
    counted.clear()
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"].startswith("public")
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert counted == []


def test_if_none_match_star_only_matches_a_page_that_exists(app: Flask,
                                                           world: Summary) -> None:
    client = app.test_client()
    assert client.get("/wijken/WK999999", headers={"If-None-Match": "*"}).status_code == 404
    assert client.get("/api/v1/wijken/WK999999/resultaten",
                      headers={"If-None-Match": "*"}).status_code == 404
    exists = client.get(f"/wijken/{world.wijk_code}", headers={"If-None-Match": "*"})
    assert exists.status_code == 304
    assert exists.headers["ETag"]
