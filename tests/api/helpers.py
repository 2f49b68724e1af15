"""Shared bits of the API tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

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
