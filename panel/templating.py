"""Values every page needs: the municipality (for its name and the demo banner)."""

from __future__ import annotations

import logging

from flask import Flask, g
from sqlalchemy.exc import SQLAlchemyError

from panel.areas.services import get_municipality
from panel.auth.forms import ROLE_LABELS
from panel.auth.permissions import register_template_globals
from panel.db import db
from panel.importing import STATUS_LABELS as IMPORT_STATUS_LABELS

log = logging.getLogger(__name__)


def register_context(app: Flask) -> None:
    register_template_globals(app)  # the capabilities: {% if may_administer(current_user) %}
    app.jinja_env.globals["import_status_labels"] = IMPORT_STATUS_LABELS

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
