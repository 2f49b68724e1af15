"""The setup checklist on the administrator's start page (``/beheer/``), added through
``auth.dashboard_parts`` so that auth does not import this package."""

from __future__ import annotations

from typing import Any

from flask import Flask

from panel.auth.dashboard import Part, dashboard_parts
from panel.auth.permissions import may_administer
from panel.setup import services


def checklist_part(user: Any, **kwargs: object) -> Part | None:
    """For administrators: the steps before residents can join, done or still to do."""
    if not may_administer(user):
        return None
    return Part("setup/_checklist.html", {"checklist": services.checklist(user)})


def register(app: Flask) -> None:
    """Show the checklist on the start page (connecting twice is harmless)."""
    dashboard_parts.connect(checklist_part)
