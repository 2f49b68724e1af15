"""The open-data API: read-only JSON resources under ``/api/v1``.

Lists are paginated (``?page=1&pageSize=20``, at most 100) with HAL ``_links`` and a
``Link`` header; errors are problem details (RFC 9457); successful answers may be cached
for five minutes and carry an ETag. No authentication, no cookies, no CSRF: every resource
is public and nothing can be changed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from panel.api import http, openapi, representations, services
from panel.api.http import InvalidParameters, Pagination
from panel.areas import boundaries
from panel.conditional import conditional
from panel.db import db
from panel.errors import NotFound, PermissionDenied
from panel.extensions import csrf

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

ID = "int(max=2147483647)"  # larger numbers are no id (and would overflow the database)
LIST_RELATIONS = ("first", "prev", "next", "last")


def _listing(endpoint: str, values: Mapping[str, Any], current: Pagination,
             page: services.Page[Any], represent: Callable[[Any], dict[str, Any]]) -> Response:
    links = http.page_links(endpoint, values, current, page.total)
    body = http.page_body([represent(item) for item in page.items], links, current, page.total)
    return http.json_response(body, {rel: links[rel] for rel in LIST_RELATIONS if rel in links})


# --- areas and indicators -----------------------------------------------------------------

@bp.get("/gebieden")
@conditional(services.areas_fingerprint)
def gebieden() -> Response:
    """All gebieden with their wijken."""
    current = http.pagination(request.args)
    return _listing("api.gebieden", {}, current, services.areas(current),
                    representations.area)


@bp.get("/gebieden/<code>")
@conditional(lambda code: services.areas_fingerprint())
def gebied(code: str) -> Response:
    """One gebied with its wijken."""
    return http.json_response(representations.area(services.area(code)))


@bp.get("/wijken")
@conditional(services.areas_fingerprint)
def wijken() -> Response:
    """All wijken with their gebied and buurten."""
    current = http.pagination(request.args)
    return _listing("api.wijken", {}, current, services.neighbourhoods(current),
                    representations.neighbourhood)


@bp.get("/wijken/<code>")
@conditional(lambda code: services.areas_fingerprint())
def wijk(code: str) -> Response:
    """One wijk with its gebied and buurten."""
    return http.json_response(representations.neighbourhood(services.neighbourhood(code)))


@bp.get("/grenzen")
@conditional(lambda: boundaries.boundaries_fingerprint(http.boundary_level(request.args)))
def grenzen() -> Response:
    """The shapes of the wijken (or, with ``?niveau=buurt``, the buurten) as GeoJSON."""
    level = http.boundary_level(request.args)
    return http.json_response(representations.boundaries(boundaries.features(level), level),
                              mimetype=http.GEOJSON)


@bp.get("/indicatoren")
@conditional(services.indicators_fingerprint)
def indicatoren() -> Response:
    """The indicators the safety survey measures."""
    current = http.pagination(request.args)
    return _listing("api.indicatoren", {}, current, services.indicators(current),
                    representations.indicator)


@bp.get("/wijken/<code>/resultaten")
@conditional(lambda code: services.results_fingerprint(code, http.edition_year(request.args)))
def resultaten(code: str) -> Response:
    """A wijk's survey results in a published edition (the newest by default)."""
    year = http.edition_year(request.args)
    report = services.results(code, year)
    return http.json_response(representations.results(
        report, services.municipality(), services.min_respondents()))


@bp.get("/indicatoren/<code>/resultaten")
@conditional(lambda code: services.indicator_results_fingerprint(
    code, http.edition_year(request.args)))
def indicator_resultaten(code: str) -> Response:
    """An indicator's results for every area (municipality, gebieden, wijken) in a
    published edition (the newest by default), a page at a time."""
    year = http.edition_year(request.args)
    current = http.pagination(request.args)
    report = services.indicator_results(code, year, current)
    values = {"code": code, **({"editie": year} if year is not None else {})}
    links = http.page_links("api.indicator_resultaten", values, current, report.page.total)
    return http.json_response(
        representations.indicator_results(report, links, current),
        {rel: links[rel] for rel in LIST_RELATIONS if rel in links})


@bp.get("/indicatoren/<code>/ontwikkeling/<area>")
@conditional(lambda code, area: services.trend_fingerprint(code, area))
def ontwikkeling(code: str, area: str) -> Response:
    """An indicator for one area in every published edition: the trend."""
    return http.json_response(representations.trend(services.trend(code, area),
                                                    services.min_respondents()))


@bp.get("/wijken/<code>/terugkoppeling")
@conditional(services.feedback_fingerprint)
def terugkoppeling(code: str) -> Response:
    """What residents of a wijk raised, per theme, and what was done with it."""
    wijk_item, parts = services.feedback(code)
    return http.json_response(representations.feedback(wijk_item, parts))


# --- meetings -----------------------------------------------------------------------------

@bp.get("/bijeenkomsten")
@conditional(lambda: services.meetings_fingerprint(http.pagination(request.args)))
def bijeenkomsten() -> Response:
    """Open and cancelled meetings."""
    current = http.pagination(request.args)
    return _listing("api.bijeenkomsten", {}, current, services.meetings(current),
                    representations.meeting)


@bp.get(f"/bijeenkomsten/<{ID}:meeting_id>")
@conditional(services.meeting_fingerprint)
def bijeenkomst(meeting_id: int) -> Response:
    """One open or cancelled meeting."""
    return http.json_response(representations.meeting(services.meeting(meeting_id)))


# --- motions ------------------------------------------------------------------------------

@bp.get("/moties")
@conditional(lambda: services.motions_fingerprint(http.pagination(request.args)))
def moties() -> Response:
    """Motions with at least one final follow-up report."""
    current = http.pagination(request.args)
    return _listing("api.moties", {}, current, services.motions(current),
                    representations.motion)


@bp.get("/moties/<reference>")
@conditional(services.motion_fingerprint)
def motie(reference: str) -> Response:
    """One motion that has a final follow-up report."""
    return http.json_response(representations.motion(services.motion(reference)))


@bp.get("/moties/<reference>/rapportages")
@conditional(lambda reference: services.reports_fingerprint(
    reference, http.pagination(request.args)))
def rapportages(reference: str) -> Response:
    """The final follow-up reports on a motion."""
    current = http.pagination(request.args)
    page = services.reports(reference, current)
    return _listing("api.rapportages", {"reference": reference}, current, page,
                    lambda item: representations.report_summary(item, reference))


@bp.get(f"/moties/<reference>/rapportages/<{ID}:version>")
@conditional(services.report_fingerprint)
def rapportage(reference: str, version: int) -> Response:
    """One final follow-up report: its frozen snapshot, exactly as the council got it."""
    return http.json_response(services.report_data(services.report(reference, version)))


# --- the description of it all ------------------------------------------------------------

@bp.get("/openapi.json")
def openapi_document() -> Response:
    """This API described in OpenAPI 3.0. Its ETag comes from the release and the settings
    it shows, not from the database (``openapi.etag``): the document is served by an app
    without one too, is answered ``304`` without being built and is built once per
    process."""
    etag = openapi.etag()
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(openapi.body(), mimetype=http.JSON)
    response.set_etag(etag)
    return response


# --- every answer -------------------------------------------------------------------------

@bp.after_request
def _finish(response: Response) -> Response:
    """Caching (ETag, 304), CORS and the version header on every answer of the blueprint."""
    response = http.cache(response, request)
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
        response.headers["Access-Control-Max-Age"] = "86400"
    return http.decorate(response)


def _in_api(path: str) -> bool:
    """Whether ``path`` is under the API's prefix (``/api/v1`` itself included)."""
    prefix = bp.url_prefix or ""
    return path == prefix or path.startswith(f"{prefix}/")


@bp.before_app_request
def _routing_problem() -> Response | None:
    """Unknown paths and methods under ``/api/v1`` as problem details. Routing fails before
    any blueprint is chosen, so the blueprint's error handlers never see these; the rest of
    the site keeps its HTML error pages."""
    error = request.routing_exception
    if error is None or isinstance(error, RequestRedirect) or not _in_api(request.path):
        return None
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or ()))
        return http.problem(405, f"This resource only answers {allowed}.",
                            headers={"Allow": allowed})
    return http.problem(404, "There is no resource at this address.")


@bp.errorhandler(InvalidParameters)
def _invalid_parameters(error: InvalidParameters) -> Response:
    """400 with ``invalidParams``: which query parameter is wrong, and why."""
    return http.problem(400, "The query string has parameters that cannot be used.",
                        error.params)


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> Response:
    """404 for what does not exist or is not public (drafts, unpublished editions)."""
    return http.problem(404, "There is no resource at this address.")


@bp.errorhandler(PermissionDenied)
def _forbidden(error: PermissionDenied) -> Response:
    """403; no API resource asks for a role, so this only guards against mistakes."""
    return http.problem(403, "This resource is not public.")


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """Any other HTTP error raised inside a view, as problem details."""
    status = error.code or 500
    if status >= 500:
        return _server_error(error)
    headers = {"Allow": ", ".join(sorted(error.valid_methods or ()))} \
        if isinstance(error, MethodNotAllowed) else None
    return http.problem(status, error.description or "The request cannot be answered.",
                        headers=headers)


@bp.errorhandler(Exception)
def _server_error(error: Exception) -> Response:
    """500 with a reference to find the logged traceback; no internals in the answer."""
    db.session.rollback()
    reference = uuid.uuid4().hex[:12]
    log.exception("api error reference=%s", reference, exc_info=error)
    return http.problem(500, f"Something went wrong on our side. Reference: {reference}.")
