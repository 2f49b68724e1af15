"""The parts of the layout a worker renders once and keeps (``panel.templating.kept_part``):
each page still marks its own menu item, each reader sees the menu of their own
capabilities and their own address, each language its own words, and a renamed
municipality shows at once in the worker that renamed it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select, update

from panel.areas.models import Municipality
from panel.auth.models import Role
from panel.db import db
from tests import factories
from tests.statements import counting


@pytest.fixture
def staff(session: object) -> None:
    factories.municipality()
    noord = factories.area("noord", "Noord")
    factories.user(Role.ADMIN, "beheer@example.org")
    factories.user(Role.TEAM, "team@example.org", areas=[noord])
    db.session.commit()


def _menu(html: str, label: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    nav = soup.find("nav", attrs={"aria-label": label})
    assert nav is not None, label
    return [link.get_text(strip=True) for link in nav.find_all("a")]


def _current(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [link.get_text(strip=True) for link in soup.select('a[aria-current="page"]')]


def test_each_page_marks_its_own_menu_item(client: object) -> None:
    assert _current(client.get("/bijeenkomsten").get_data(as_text=True)) == ["Bijeenkomsten"]
    assert _current(client.get("/aanmelden").get_data(as_text=True)) == ["Aanmelden"]
    assert _current(client.get("/privacy").get_data(as_text=True)) == []


def test_each_reader_gets_the_menu_of_their_capabilities_and_their_own_address(
        staff: None, login_as: Any) -> None:
    admin = login_as("beheer@example.org")
    team = login_as("team@example.org")
    for _ in range(2):  # the second time from the kept parts
        admin_page = admin.get("/beheer/").get_data(as_text=True)
        team_page = team.get("/beheer/").get_data(as_text=True)
        assert "Accounts" in _menu(admin_page, "Menu voor medewerkers")
        assert "Accounts" not in _menu(team_page, "Menu voor medewerkers")
        assert "beheer@example.org" in admin_page and "team@example.org" not in admin_page
        assert "team@example.org" in team_page and "beheer@example.org" not in team_page
    assert _current(team.get("/beheer/leden").get_data(as_text=True)) == ["Panelleden"]
    assert _current(team.get("/beheer/").get_data(as_text=True)) == ["Start"]


def test_each_language_gets_its_own_words(client: object) -> None:
    assert "Bijeenkomsten" in _menu(client.get("/").get_data(as_text=True), "Hoofdmenu")
    client.get("/taal/en")
    assert "Meetings" in _menu(client.get("/").get_data(as_text=True), "Main menu")


@pytest.fixture
def header_kept_an_hour(app: Flask) -> Iterator[None]:
    app.config["PANEL_ETAG_SECONDS"] = 3600
    yield
    app.config["PANEL_ETAG_SECONDS"] = 1


def test_the_municipality_in_the_header_is_read_once_while_trusted_and_again_after_a_commit(
        app: Flask, client: object, session: object, header_kept_an_hour: None) -> None:
    factories.municipality(name="Testgemeente")
    db.session.commit()
    assert "Testgemeente" in client.get("/privacy").get_data(as_text=True)
    with counting(db.engine) as statements:
        client.get("/toegankelijkheid")
    assert not [s for s in statements if "municipality" in s.lower()]
    # Renamed outside the ORM session's commit (as another worker would): still trusted.
    with db.engine.begin() as connection:
        connection.execute(update(Municipality).values(name="Andere naam"))
    assert "Testgemeente" in client.get("/toegankelijkheid").get_data(as_text=True)
    # A commit in this worker forgets what it trusted.
    db.session.execute(select(Municipality)).all()
    db.session.commit()
    page = client.get("/toegankelijkheid").get_data(as_text=True)
    assert "Andere naam" in page and "Testgemeente" not in page
