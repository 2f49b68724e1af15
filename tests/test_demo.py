"""The demo municipality."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from panel.areas.models import Area, Neighbourhood
from panel.auth.models import User
from panel.db import db
from panel.demo.services import DEMO_PASSWORD
from tests import factories


def test_seed_demo_loads_five_gebieden_with_the_pilot_wijken(runner, client, session):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "beheer@demo.example" in result.output and DEMO_PASSWORD in result.output
    assert db.session.scalar(select(func.count(Area.id))) == 5
    names = set(db.session.scalars(select(Neighbourhood.name)))
    assert {"De Mare", "Overdie"} <= names
    roles = sorted(db.session.scalars(select(User.role)))
    assert roles.count("team") == 5 and roles.count("admin") == 1 and roles.count("clerk") == 1
    home = client.get("/").get_data(as_text=True)
    assert "Demo-omgeving" in home and "Gemeente Alkmaar (demo)" in home
    logo = re.search(r'<img class="wp-brand__logo" src="(/logo\?v=[0-9a-f]{16})" alt="">', home)
    assert logo, "the demo municipality shows its (made-up) logo"
    answer = client.get(logo.group(1))
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert b"<script" not in answer.data
    login = factories.login(client, "team-noord@demo.example", DEMO_PASSWORD)
    assert login.status_code == 302


def test_seed_demo_leaves_a_filled_database_alone(runner, session):
    factories.user()
    session.commit()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "niet leeg" in result.output
    assert db.session.scalar(select(func.count(Area.id))) == 0
