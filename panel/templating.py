"""Values every page needs: the municipality (for its name and the demo banner)."""

from __future__ import annotations

import logging

from flask import Flask, g
from sqlalchemy.exc import SQLAlchemyError

from panel.areas.services import get_municipality
from panel.auth.forms import ROLE_LABELS
from panel.db import db

log = logging.getLogger(__name__)


def register_context(app: Flask) -> None:
    @app.context_processor
    def _common() -> dict[str, object]:
        if "municipality" not in g:
            try:
                g.municipality = get_municipality()
            except SQLAlchemyError:
                # An error page must still render when the database is down.
                db.session.rollback()
                log.warning("municipality could not be read for the page header")
                g.municipality = None
        return {"municipality": g.municipality, "role_names": ROLE_LABELS}
