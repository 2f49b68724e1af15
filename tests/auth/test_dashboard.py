"""The staff start page (``/beheer/``): the gebieden of the signed-in staff member with their
number of wijken, and for administrators and the clerk's office the size of the
municipality, counted in the database (the work list above it: tests/worklist)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from panel.auth import dashboard
from panel.auth.models import Role, User
from panel.db import db
from tests import factories
from tests.statements import counting


@pytest.fixture
def city(session):  # type: ignore[no-untyped-def]
    """Noord (two wijken, three buurten), Zuid (one wijk, no buurten) and Leeg (no wijken);
    a team for Noord, an admin and a clerk."""
    factories.municipality()
    noord, zuid = factories.area("noord", "Noord"), factories.area("zuid", "Zuid")
    factories.area("leeg", "Leeg")
    mare = factories.neighbourhood(noord, "WK036101", "De Mare")
    elders = factories.neighbourhood(noord, "WK036102", "Aardswoud")
    factories.neighbourhood(zuid, "WK036104", "Vroonermeer")
    factories.district(mare, "BU03610101", "De Mare-Noord")
    factories.district(mare, "BU03610102", "De Mare-Zuid")
    factories.district(elders, "BU03610201", "Aardswoud-Oost")
    factories.user(Role.TEAM, email="noord@example.org", areas=[noord])
    factories.user(Role.ADMIN, email="admin@example.org")
    factories.user(Role.CLERK, email="clerk@example.org")
    factories.user(Role.TEAM, email="niets@example.org")
    session.commit()


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert factories.login(client, email).status_code == 302
    return client


def _figures(page: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))


def test_a_team_sees_its_own_gebied_with_its_wijken(app, city):
    page = signed_in(app, "noord@example.org").get("/beheer/").get_data(as_text=True)
    assert re.search(r'href="/beheer/gebieden/noord">Noord</a> \(2 wijken\)', page)
    assert "/beheer/gebieden/zuid" not in page and "/beheer/gebieden/leeg" not in page
    assert "Uw gebieden" in page
    # The municipality's size is no work of a team: its start page is its work list.
    assert _figures(page) == {}


@pytest.mark.parametrize("email", ["admin@example.org", "clerk@example.org"])
def test_admins_and_clerks_see_every_gebied(app, city, email):
    page = signed_in(app, email).get("/beheer/").get_data(as_text=True)
    listed = re.findall(r'href="/beheer/gebieden/(\w+)">(\w+)</a> \(([^)]+)\)', page)
    assert listed == [("leeg", "Leeg", "0 wijken"), ("noord", "Noord", "2 wijken"),
                      ("zuid", "Zuid", "1 wijk")]
    assert _figures(page) == {"Gebieden": "3", "Wijken": "3", "Buurten": "3"}


def test_a_team_without_gebieden_is_told_so(app, city):
    page = signed_in(app, "niets@example.org").get("/beheer/").get_data(as_text=True)
    assert "Er zijn geen gebieden om te laten zien." in page
    assert "/beheer/gebieden/" not in page.split("Uw gebieden")[1].split("Uw account")[0]


def test_two_queries_whatever_the_number_of_gebieden(app, city):
    with app.test_request_context():
        admin = db.session.scalars(select(User).where(User.email == "admin@example.org")).one()
        with counting(db.engine) as statements:
            data = dashboard.overview(admin)
    assert len(statements) == 2
    assert [(a.code, a.wijken) for a in data.areas] == [("leeg", 0), ("noord", 2), ("zuid", 1)]
    assert (data.totals.areas, data.totals.neighbourhoods, data.totals.districts) == (3, 3, 3)
