"""The public home page, the language switch, the statements and the health check."""

from __future__ import annotations

import functools
import json
from datetime import date
from typing import NamedTuple

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from sqlalchemy import text
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from panel.areas import services as area_services
from panel.conditional import conditional
from panel.db import db
from panel.errors import RETRY_AFTER_SECONDS
from panel.exports import csv_bytes, download
from panel.i18n import LANGUAGE_COOKIE, current_language
from panel.meetings import services as meeting_services
from panel.privacy import register
from panel.security import is_safe_redirect

bp = Blueprint("site", __name__)

ONE_YEAR = 365 * 24 * 3600
# The day the accessibility statement was last checked against the site: change it with
# every new check (the statement shows it).
ACCESSIBILITY_CHECKED_ON = date(2026, 11, 25)


HOME_MEETINGS = 3  # upcoming meetings on the home page


def _home_fingerprint() -> tuple[object, ...]:
    return (area_services.public_overview_fingerprint(),
            meeting_services.upcoming_public_fingerprint(limit=HOME_MEETINGS))


@bp.get("/")
@conditional(_home_fingerprint)
def home() -> str:
    return render_template("site/home.html", areas=area_services.public_overview(),
                           meetings=meeting_services.upcoming_public(limit=HOME_MEETINGS))


@bp.get("/taal/<lang>")
def language(lang: str) -> Response:
    """Remember the chosen language in a cookie and go back to the page the visitor was on."""
    target = request.args.get("next")
    response = redirect(target if is_safe_redirect(target) else url_for("site.home"))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=ONE_YEAR, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


class PrivacyTexts(NamedTuple):
    """The lists of the privacy statement that are the same for everyone, in one language:
    the arguments of its kept parts (``kept_part``)."""

    purposes: tuple[str, ...]
    legal_bases: tuple[str, ...]
    categories: tuple[str, ...]
    recipients: tuple[str, ...]
    processors: tuple[str, ...]


@functools.cache
def _privacy_texts(language: str) -> PrivacyTexts:
    """The fixed lists of the privacy statement in ``language`` (the current one), looked
    up once per worker: they change only with a release."""
    return PrivacyTexts(tuple(register.purposes()), tuple(register.legal_bases()),
                        tuple(register.data_categories()), tuple(register.recipients()),
                        tuple(register.processors()))


@bp.get("/privacy")
@conditional(register.privacy_fingerprint)
def privacy() -> str:
    """The privacy statement, generated from the configuration (retention, contacts) and
    the municipality of the page header. Its parts that are the same for everyone are
    rendered once per worker and language (``kept_part``)."""
    facts = register.privacy_facts()
    return render_template(
        "site/privacy.html", facts=facts, texts=_privacy_texts(current_language()),
        retention=register.retention_lines(facts.retention),
        authority_url=register.AUTHORITY_URL)


@bp.get("/privacy/verwerkingsregister.<fmt>")
@conditional(lambda fmt: (register.privacy_fingerprint(), date.today()))
def processing_register(fmt: str) -> Response:
    """The entry for the register of processing activities (AVG article 30), as JSON or
    CSV, for the privacy officer."""
    entry = register.processing_register()
    if fmt == "json":
        body = json.dumps(entry, ensure_ascii=False, indent=2).encode("utf-8")
        mimetype = "application/json"
    elif fmt == "csv":
        body = csv_bytes(("veld", "waarde"), register.register_rows(entry))
        mimetype = "text/csv"
    else:
        raise NotFound()
    return download(body, mimetype, "verwerkingsregister", extension=fmt)


def _accessibility_contacts() -> tuple[str, str]:
    """The contacts the accessibility statement shows (email, phone): with its fixed texts
    and the day of the last check (both part of the release) all the page shows, so also
    its fingerprint."""
    config = current_app.config
    return (config.get("PANEL_ACCESSIBILITY_CONTACT", ""),
            config.get("PANEL_MUNICIPALITY_PHONE", ""))


@bp.get("/toegankelijkheid")
@conditional(_accessibility_contacts)
def accessibility() -> str:
    """The accessibility statement: status, how it was tested, known limits, contact."""
    contact, phone = _accessibility_contacts()
    return render_template("site/accessibility.html", checked_on=ACCESSIBILITY_CHECKED_ON,
                           contact=contact, phone=phone)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: 200 ``ok`` when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        current_app.logger.warning("health check: database does not answer")
        response = make_response("database unavailable", 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
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
