"""The public home page, the language switch, the statements and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response

from panel.areas import services as area_services
from panel.db import db
from panel.i18n import LANGUAGE_COOKIE
from panel.security import is_safe_redirect

bp = Blueprint("site", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.get("/")
def home() -> str:
    return render_template("site/home.html", areas=area_services.public_overview())


@bp.get("/taal/<lang>")
def language(lang: str) -> Response:
    """Remember the chosen language in a cookie and go back to the page the visitor was on."""
    target = request.args.get("next")
    response = redirect(target if is_safe_redirect(target) else url_for("site.home"))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=ONE_YEAR, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.get("/privacy")
def privacy() -> str:
    return render_template("site/privacy.html")


@bp.get("/toegankelijkheid")
def accessibility() -> str:
    return render_template("site/accessibility.html")


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: 200 ``ok`` when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        current_app.logger.warning("health check: database does not answer")
        response = make_response("database unavailable", 503)
    else:
        response = make_response("ok", 200)
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/ping")
def ping() -> Response:
    """A constant answer without touching the database: the framework's own ceiling, used
    by the benchmark as the reference for every page."""
    response = make_response("pong", 200)
    response.mimetype = "text/plain"
    return response
