"""Shared bits of the API tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from panel import create_app
from panel.api.http import API_VERSION
from panel.api.views import bp as api_blueprint
from panel.db import db
from tests.statements import counting

REFERENCE = "M2026-07"  # the motion with a final report (version 1) and a draft (version 2)
DRAFT_ONLY = "M2026-09"  # a motion with a draft report only: not public
BASE = "http://wijkpanel.test"  # PANEL_BASE_URL in the tests


@dataclass
class Demo:
    """What the seeded database holds that tests refer to (the ``demo`` fixture)."""

    motion_id: int
    draft_motion_id: int


def get_json(client: FlaskClient, path: str, status: int = 200, **kwargs: Any) -> Any:
    """GET ``path`` and return its JSON body, checking the status and the content type."""
    response = client.get(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    expected = "application/json" if status < 400 else "application/problem+json"
    assert response.mimetype == expected, response.mimetype
    return response.get_json()


def document_app() -> Flask:
    """An app that only serves the OpenAPI document (nothing reads its empty database)."""
    instance = Path(tempfile.mkdtemp(prefix="wijkpanel-openapi-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "openapi-document-only-" + "x" * 20,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=instance)
    if "api" not in app.blueprints:
        app.register_blueprint(api_blueprint)
    return app


@contextmanager
def counting_in(app: Flask) -> Iterator[list[str]]:
    """The statements sent to ``app``'s database inside the block."""
    with app.app_context():
        engine = db.engine
    with counting(engine) as statements:
        yield statements


def assert_public_headers(response: Any, etag: str) -> None:
    """What every successful API answer (a ``304`` too) carries."""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["API-Version"] == API_VERSION
    assert response.headers["Access-Control-Allow-Origin"] == "*"
