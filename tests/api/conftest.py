"""Fixtures for the open-data API: the demo municipality with a finalised motion report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from panel import create_app
from panel.api.views import bp as api_blueprint
from panel.auth.models import Role, User
from panel.db import db, utcnow
from panel.demo.services import seed_demo
from panel.motions import services as motion_services
from tests.api.helpers import DRAFT_ONLY, REFERENCE, Demo


@pytest.fixture(scope="session")
def app(app: Flask) -> Iterator[Flask]:
    """The test app with the API. Until the factory registers the blueprint, a second app
    with the same settings gets it (Flask refuses new blueprints once an app has answered
    a request)."""
    if "api" in app.blueprints:
        yield app
        return
    with_api = create_app(dict(app.config), instance_path=Path(app.instance_path))
    with_api.register_blueprint(api_blueprint)
    yield with_api
    with with_api.app_context():
        db.engine.dispose()


def add_motion_reports() -> Demo:
    """A motion with a final report (version 1) and a newer draft (version 2), and a
    second motion with only a draft; committed by the caller."""
    clerk = db.session.scalars(select(User).where(User.role == Role.CLERK.value)).one()
    today = utcnow().date()
    motion = motion_services.save_motion(clerk, motion_services.MotionData(
        reference=REFERENCE, title="Motie wijkpanels voor veiligheid", adopted_on=date(2026, 3, 12),
        text="Verzoekt het college om per gebied een wijkpanel in te richten.",
        area_codes=["noord", "west"], theme_codes=["verkeer", "jeugd"],
        requests=[motion_services.RequestData("Richt in elk gebied een wijkpanel in.",
                                              today + timedelta(days=200))]))
    final = motion_services.start_report(clerk, motion.id, today - timedelta(days=90), today)
    motion_services.finalise(clerk, final.id)
    motion_services.start_report(clerk, motion.id, today - timedelta(days=30), today)
    draft_only = motion_services.save_motion(clerk, motion_services.MotionData(
        reference=DRAFT_ONLY, title="Motie nog niet gerapporteerd", adopted_on=date(2026, 6, 1),
        text=""))
    motion_services.start_report(clerk, draft_only.id, today - timedelta(days=30), today)
    return Demo(motion_id=motion.id, draft_motion_id=draft_only.id)


@pytest.fixture
def demo(app: Flask) -> Demo:
    """The demo municipality (areas, members, meetings, results, feedback) plus the motion
    reports, committed, so that requests see them."""
    with app.app_context():
        seed_demo()
        result = add_motion_reports()
        db.session.commit()
    return result
