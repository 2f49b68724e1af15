"""The OpenAPI 3.0 description of the API, written by hand.

``tests/api/test_openapi.py`` checks that every route of the ``api`` blueprint is described
here, and the schemathesis run checks that the answers match these schemas. When you change
a representation, change its schema here too.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from typing import Any

from flask import current_app, has_app_context

from panel.api.http import (
    API_VERSION,
    DEFAULT_PAGE_SIZE,
    FIRST_YEAR,
    GEOJSON,
    LAST_YEAR,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    PROBLEM_JSON,
)
from panel.conditional import release

SERVER_PATH = "/api/v1"
MAX_ID = 2_147_483_647


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0 cannot put ``nullable`` next to a ``$ref``; wrap it in ``allOf``."""
    if "$ref" in schema:
        return {"nullable": True, "allOf": [schema]}
    return {**schema, "nullable": True}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = (),
            description: str = "") -> dict[str, Any]:
    """A closed object: every property is required unless listed in ``optional``."""
    schema: dict[str, Any] = {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _links(*names: str, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return _object({name: _ref("Link") for name in names}, optional)


STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
DATE: dict[str, Any] = {"type": "string", "format": "date"}
DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
NUMBER_OR_NULL: dict[str, Any] = {"type": "number", "nullable": True}
COUNT: dict[str, Any] = {
    "description": "A count; small non-zero counts are published as \"< N\", and a count "
                   "hidden so that a small one cannot be worked out from a total or the "
                   "other cells of its table as \"x\".",
    "oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^< [0-9]+$"},
              {"type": "string", "enum": ["x"]}],
}


# A figure of the trend and per-indicator resources: suppressed figures have no value,
# interval or respondent count, only the reason.
PUBLISHED_FIGURE: dict[str, Any] = {
    "value": NUMBER_OR_NULL,
    "respondents": {"type": "integer", "nullable": True, "minimum": 0},
    "ciLow": NUMBER_OR_NULL,
    "ciHigh": NUMBER_OR_NULL,
    "suppressed": {**BOOLEAN, "description": "True when fewer people answered than "
                                             "minimumRespondents."},
    "suppressedReason": {"type": "string", "enum": ["tooFewRespondents", "protectsSmallFigure"],
                         "nullable": True,
                         "description": "Why value, interval and respondents are null: too "
                                        "few respondents, or hidden so that a figure with too "
                                        "few respondents cannot be worked out from it."},
}


def _page_of(item: str) -> dict[str, Any]:
    return _object({
        "_links": _ref("PageLinks"),
        "items": {"type": "array", "items": _ref(item)},
        "page": {"type": "integer", "minimum": 1},
        "pageSize": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        "total": {"type": "integer", "minimum": 0},
    }, description=f"One page of {item} items, in a stable order.")


SCHEMAS: dict[str, Any] = {
    "Problem": _object({
        "type": {"type": "string", "format": "uri-reference",
                 "description": "Always about:blank: the status says it all."},
        "title": {**STRING, "description": "The standard phrase of the status code."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": STRING,
        "instance": {"type": "string", "format": "uri-reference",
                     "description": "The path that was asked for."},
        "invalidParams": {"type": "array", "items": _ref("InvalidParam")},
    }, optional=("invalidParams",), description="Problem details (RFC 9457)."),
    "InvalidParam": _object({"name": STRING, "reason": STRING}),
    "Link": _object({"href": {"type": "string", "format": "uri"}}),
    "PageLinks": _links("self", "first", "last", "prev", "next", optional=("prev", "next")),
    "LocalizedText": _object({"nl": STRING, "en": STRING}),
    "AreaRef": _object({"code": STRING, "name": STRING, "_links": _links("self")}),
    "WijkRef": _object({"code": STRING, "name": STRING, "_links": _links("self")}),
    "AreaWijk": _object({"code": STRING, "name": STRING, "_links": _links("self"),
                         "cbsYear": INTEGER}),
    "Gebied": _object({
        "code": {**STRING, "example": "noord"},
        "name": STRING,
        "wijken": {"type": "array", "items": _ref("AreaWijk")},
        "_links": _links("self"),
    }, description="A gebied: a part of the municipality with its own area team."),
    "GebiedPage": _page_of("Gebied"),
    "Buurt": _object({"code": STRING, "name": STRING, "cbsYear": INTEGER}),
    "Wijk": _object({
        "code": {**STRING, "example": "WK036101"},
        "name": STRING,
        "cbsYear": INTEGER,
        "gebied": _ref("AreaRef"),
        "buurten": {"type": "array", "items": _ref("Buurt")},
        "_links": _links("self", "gebied", "resultaten", "terugkoppeling"),
    }, description="A wijk with its CBS code, its gebied and its buurten."),
    "WijkPage": _page_of("Wijk"),
    "Geometry": _object({
        "type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
        "coordinates": {"type": "array", "minItems": 1, "items": {"type": "array"},
                        "description": "Polygon: rings of [longitude, latitude] (outer ring "
                                       "first); MultiPolygon: a list of those."},
    }, description="A GeoJSON geometry in WGS84 (RFC 7946), simplified for maps."),
    "BoundaryProperties": _object({
        "code": {**STRING, "example": "WK036101",
                 "description": "The CBS code of the wijk or buurt."},
        "name": STRING,
        "gebied": {**STRING, "description": "The code of the gebied it lies in."},
        "wijk": {**STRING, "description": "Buurten only: the CBS code of their wijk."},
    }, optional=("wijk",)),
    "Boundary": _object({
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {**STRING, "description": "The CBS code."},
        "geometry": _ref("Geometry"),
        "properties": _ref("BoundaryProperties"),
    }, description="The shape of one wijk or buurt."),
    "BoundaryCollection": _object({
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": _ref("Boundary")},
    }, description="A GeoJSON FeatureCollection of the shapes of the wijken or buurten."),
    "Indicator": _object({
        "code": STRING,
        "name": _ref("LocalizedText"),
        "explanation": _ref("LocalizedText"),
        "unit": {"type": "string", "enum": ["percentage", "mark", "count", "score"],
                 "description": "percentage 0-100, mark (rapportcijfer) 1-10, count 0 or "
                                "more, score (schaalscore) 0-10."},
        "decimals": {**INTEGER, "description": "How many decimals the figures are shown "
                                               "with on the website (0 for 32%, 1 for 7.3)."},
        "higherIsBetter": BOOLEAN,
        "theme": {**STRING, "description": "The theme in Dutch, as the indicators are grouped."},
        "themeName": _ref("LocalizedText"),  # the Dutch name where there is no English one
    }, description="Something the safety survey measures."),
    "IndicatorPage": _page_of("Indicator"),
    "Figure": _object({
        "value": NUMBER_OR_NULL,
        "respondents": {"type": "integer", "nullable": True},
        "ciLow": NUMBER_OR_NULL,
        "ciHigh": NUMBER_OR_NULL,
        "suppressed": {**BOOLEAN, "description": "True when fewer people answered than "
                                                 "minimumRespondents, or when the figure is "
                                                 "hidden so that such a figure cannot be "
                                                 "worked out from it: value is then null."},
    }),
    "Comparison": {"type": "string", "enum": ["better", "worse", "same", "unknown"],
                   "description": "For residents: better, worse, no meaningful difference "
                                  "(95%), or cannot be compared."},
    "ResultRow": _object({
        "indicator": _ref("Indicator"),
        "value": NUMBER_OR_NULL,
        "respondents": {"type": "integer", "nullable": True},
        "ciLow": NUMBER_OR_NULL,
        "ciHigh": NUMBER_OR_NULL,
        "suppressed": BOOLEAN,
        "municipality": _ref("Figure"),
        "previousEdition": _ref("Figure"),
        "comparedToMunicipality": _ref("Comparison"),
        "comparedToPreviousEdition": _ref("Comparison"),
    }),
    "Edition": _object({"year": INTEGER, "publishedAt": _nullable(DATE_TIME)}),
    "Municipality": _object({"code": STRING, "name": STRING}),
    "WijkResults": _object({
        "wijk": _ref("WijkRef"),
        "municipality": _nullable(_ref("Municipality")),
        "edition": _nullable(_ref("Edition")),
        "previousEdition": _nullable(_ref("Edition")),
        "editions": {"type": "array", "items": INTEGER,
                     "description": "The published editions, newest first."},
        "minimumRespondents": INTEGER,
        "indicators": {"type": "array", "items": _ref("ResultRow")},
        "_links": _links("self", "wijk", "previousEdition", optional=("previousEdition",)),
    }, description="A wijk's survey results in one published edition."),
    "ResultArea": _object({
        "level": {"type": "string", "enum": ["municipality", "gebied", "wijk"]},
        "code": {**STRING, "description": "GM code, gebied code or WK code."},
        "name": STRING,
    }),
    "AreaResult": _object({
        "area": _ref("ResultArea"),
        "edition": _ref("Edition"),
        **PUBLISHED_FIGURE,
        "_links": _links("ontwikkeling"),
    }, description="One area's figure in an edition; null with a reason when suppressed."),
    "AreaResultPage": _page_of("AreaResult"),
    "TrendEdition": _object({
        "edition": _ref("Edition"),
        **PUBLISHED_FIGURE,
        "previousEdition": {"type": "integer", "nullable": True,
                            "description": "The year this edition is compared with."},
        "comparedToPreviousEdition": _ref("Comparison"),
    }),
    "Trend": _object({
        "indicator": _ref("Indicator"),
        "area": _ref("ResultArea"),
        "minimumRespondents": INTEGER,
        "editions": {"type": "array", "items": _ref("TrendEdition"),
                     "description": "Every published edition that measured the indicator "
                                    "for this area, oldest first."},
        "_links": _links("self", "resultaten"),
    }, description="An indicator for one area over the published editions."),
    "Theme": _object({"code": STRING, "name": _ref("LocalizedText")}),
    "Quote": _object({
        "text": {**STRING, "description": "Words checked (and perhaps edited) by the team."},
        "status": {"type": "string",
                   "enum": ["new", "handling", "passed_on", "done", "declined"]},
        "statusReason": _nullable(STRING),
        "partner": _nullable(STRING),
    }),
    "Action": _object({
        "title": STRING,
        "description": STRING,
        "status": {"type": "string", "enum": ["planned", "in_progress", "done", "stopped"]},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "startedOn": DATE,
        "dueDate": _nullable(DATE),
        "lastChangedOn": DATE,
    }),
    "ThemeFeedback": _object({
        "theme": _ref("Theme"),
        "count": COUNT,
        "quotes": {"type": "array", "items": _ref("Quote")},
        "actions": {"type": "array", "items": _ref("Action")},
    }),
    "WijkFeedback": _object({
        "wijk": _ref("WijkRef"),
        "themes": {"type": "array", "items": _ref("ThemeFeedback")},
        "_links": _links("self", "wijk"),
    }, description="You said, we did: what residents raised and what was done."),
    "Meeting": _object({
        "id": INTEGER,
        "title": STRING,
        "status": {"type": "string", "enum": ["open", "cancelled"]},
        "kind": {"type": "string", "enum": ["in_person", "online", "hybrid"]},
        "startsAt": _nullable(DATE_TIME),
        "endsAt": _nullable(DATE_TIME),
        "venue": STRING,
        "address": STRING,
        "accessibility": STRING,
        "description": STRING,
        "agenda": {"type": "array", "items": STRING},
        "gebied": _ref("AreaRef"),
        "wijken": {"type": "array", "items": _ref("WijkRef")},
        "placesLeft": {"type": "integer", "minimum": 0, "nullable": True,
                       "description": "Null for a cancelled meeting and once it has "
                                      "started."},
        "_links": _links("self", "calendar"),
    }, description="A public meeting of a wijkpanel."),
    "MeetingPage": _page_of("Meeting"),
    "Motion": _object({
        "reference": STRING,
        "title": STRING,
        "adoptedOn": DATE,
        "_links": _links("self", "rapportages"),
    }, description="A council motion with at least one final follow-up report."),
    "MotionPage": _page_of("Motion"),
    "Period": _object({"start": DATE, "end": DATE}),
    "ReportSummary": _object({
        "version": {"type": "integer", "minimum": 1},
        "period": _ref("Period"),
        "finalisedOn": _nullable(DATE),
        "_links": _links("self"),
    }),
    "ReportSummaryPage": _page_of("ReportSummary"),
    "MotionReport": {
        "type": "object",
        "description": "The frozen snapshot of a final follow-up report, exactly as the "
                       "council received it (aggregates only; its own field names, as "
                       "docs/motion-report.schema.json describes them). Its counts are "
                       "numbers, \"< N\" or \"x\" (hidden so that a small count cannot "
                       "be worked out).",
        "required": ["$schema", "motion", "report"],
        "properties": {
            "$schema": {"type": "string", "format": "uri"},
            "motion": {"type": "object", "required": ["identifier", "name", "date"],
                       "properties": {"identifier": STRING, "name": STRING, "date": DATE}},
            "report": {"type": "object", "required": ["version", "status", "period"],
                       "properties": {"version": INTEGER,
                                      "status": {"type": "string", "enum": ["final"]},
                                      "period": _ref("Period"),
                                      "finalised_on": _nullable(DATE),
                                      "minimum_count": INTEGER}},
            "scope": {"type": "object", "description": "What the report counts: its "
                      "gebieden, wijken and themes and its level (municipality, areas, "
                      "neighbourhoods or areas_and_neighbourhoods; missing in reports made "
                      "final before it was stated)."},
            "requests": {"type": "array", "items": {"type": "object"}},
            "timeline": {"type": "array", "items": {"type": "object"}},
            "members": {"type": "array", "items": {"type": "object"}},
            "members_total": COUNT,
            "meetings": {"type": "array", "items": {"type": "object"}},
            "meetings_per_area": {"type": "array", "items": {"type": "object"}},
            "feedback": {"type": "array", "items": {"type": "object"}},
            "feedback_total": COUNT,
            "actions": {"type": "array", "items": {"type": "object"}},
            "narrative": {"type": "array", "items": {"type": "object"}},
        },
    },
    "OpenApiDocument": {"type": "object", "required": ["openapi", "info", "paths"],
                        "description": "This document."},
}

HEADERS: dict[str, Any] = {
    "API-Version": {"description": "The full version of the API (semantic versioning).",
                    "schema": {"type": "string", "example": API_VERSION}},
    "ETag": {"description": "Names this version of the answer and changes with it; send "
                            "it back in If-None-Match.",
             "schema": STRING},
    "Cache-Control": {"description": "Public answers may be kept for five minutes.",
                      "schema": {"type": "string", "example": "public, max-age=300"}},
    "Link": {"description": "first, prev, next and last pages (RFC 8288).",
             "schema": STRING},
}


def _header_refs(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _problem(description: str, *headers: str) -> dict[str, Any]:
    return {"description": description, "headers": _header_refs("API-Version", *headers),
            "content": {PROBLEM_JSON: {"schema": _ref("Problem")}}}


RESPONSES: dict[str, Any] = {
    "NotModified": {"description": "Not modified: the ETag in If-None-Match still holds.",
                    "headers": _header_refs("API-Version", "ETag", "Cache-Control")},
    "BadRequest": _problem("A query parameter cannot be used (see invalidParams)."),
    "NotFound": _problem("There is no such resource, or it is not public."),
    "InternalServerError": _problem("Something went wrong on our side."),
}


def _parameter(name: str, where: str, schema: dict[str, Any], description: str,
               example: object = None, required: bool = False) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": where, "required": required,
                                 "description": description, "schema": schema}
    if example is not None:
        parameter["example"] = example
    return parameter


PARAMETERS: dict[str, Any] = {
    "page": _parameter("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                                         "default": 1}, "The page, counting from 1."),
    "pageSize": _parameter("pageSize", "query",
                           {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                            "default": DEFAULT_PAGE_SIZE}, "Items per page."),
    "editie": _parameter("editie", "query",
                         {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR},
                         "The year of a published edition; the newest when left out.",
                         example=2023),
    "niveau": _parameter("niveau", "query",
                         {"type": "string", "enum": ["wijk", "buurt"], "default": "wijk"},
                         "wijk for the shapes of the wijken, buurt for those of the buurten.",
                         example="buurt"),
    "indicatorCode": _parameter("code", "path", {"type": "string", "pattern":
                                "^[a-z0-9][a-z0-9_-]{0,39}$"},
                                "The code of the indicator.", example="onveilig_buurt",
                                required=True),
    "areaCode": _parameter("area", "path", {"type": "string", "pattern":
                           "^(GM[0-9]{4}|WK[0-9]{6}|[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)$"},
                           "The municipality's GM code, a gebied code or a WK code.",
                           example="WK036101", required=True),
    "ifNoneMatch": _parameter("If-None-Match", "header", STRING,
                              "An ETag from an earlier answer; 304 when it still holds."),
    "gebiedCode": _parameter("code", "path", {"type": "string", "pattern":
                             "^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"},
                             "The code of the gebied.", example="noord", required=True),
    "wijkCode": _parameter("code", "path", {"type": "string", "pattern": "^WK[0-9]{6}$"},
                           "The CBS code of the wijk.", example="WK036101", required=True),
    "meetingId": _parameter("id", "path",
                            {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                            "The number of the meeting.", example=1, required=True),
    "reference": _parameter("reference", "path",
                            {"type": "string", "minLength": 1, "maxLength": 40},
                            "The council's reference of the motion.", example="M2026-07",
                            required=True),
    "version": _parameter("version", "path",
                          {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                          "The version of the report.", example=1, required=True),
}


def _params(*names: str) -> list[dict[str, str]]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


def _get(operation_id: str, tag: str, summary: str, schema: str, *,
         path_params: tuple[str, ...] = (), query_params: tuple[str, ...] = (),
         listing: bool = False, description: str = "") -> dict[str, Any]:
    """A GET operation with its answers: 200, 304, and 400/404 where they can happen."""
    headers = ("API-Version", "ETag", "Cache-Control") + (("Link",) if listing else ())
    query = ("page", "pageSize") if listing else query_params
    responses: dict[str, Any] = {
        "200": {"description": "OK", "headers": _header_refs(*headers),
                "content": {"application/json": {"schema": _ref(schema)}}},
        "304": {"$ref": "#/components/responses/NotModified"},
    }
    if query:
        responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    if path_params:
        responses["404"] = {"$ref": "#/components/responses/NotFound"}
    responses["500"] = {"$ref": "#/components/responses/InternalServerError"}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "parameters": _params(*path_params, *query, "ifNoneMatch"),
        "responses": responses,
    }
    if description:
        operation["description"] = description
    return {"get": operation}


def _geojson(path_item: dict[str, Any]) -> dict[str, Any]:
    """A GET whose answer is GeoJSON (``application/geo+json``) instead of plain JSON."""
    answer = path_item["get"]["responses"]["200"]
    answer["content"] = {GEOJSON: answer["content"]["application/json"]}
    return path_item


def _indicator_results(path_item: dict[str, Any]) -> dict[str, Any]:
    """A list that also takes ``?editie=``."""
    operation = path_item["get"]
    operation["parameters"].insert(-1, {"$ref": "#/components/parameters/editie"})
    return path_item


PATHS: dict[str, Any] = {
    "/gebieden": _get("listGebieden", "Areas", "All gebieden with their wijken",
                      "GebiedPage", listing=True),
    "/gebieden/{code}": _get("getGebied", "Areas", "One gebied with its wijken", "Gebied",
                             path_params=("gebiedCode",)),
    "/wijken": _get("listWijken", "Areas", "All wijken with their gebied and buurten",
                    "WijkPage", listing=True),
    "/wijken/{code}": _get("getWijk", "Areas", "One wijk", "Wijk", path_params=("wijkCode",)),
    "/wijken/{code}/resultaten": _get(
        "getWijkResultaten", "Results", "A wijk's safety survey results", "WijkResults",
        path_params=("wijkCode",), query_params=("editie",),
        description="Published editions only. A figure based on fewer respondents than "
                    "minimumRespondents has value, ciLow and ciHigh null and suppressed "
                    "true. Editions that are not published answer 404."),
    "/wijken/{code}/terugkoppeling": _get(
        "getWijkTerugkoppeling", "Feedback", "What residents raised and what was done",
        "WijkFeedback", path_params=("wijkCode",),
        description="Per theme: how often it was raised, quotes checked by the area team, "
                    "and the actions taken. Never names or unchecked words."),
    "/grenzen": _geojson(_get(
        "getGrenzen", "Areas", "The shapes of the wijken or buurten, for maps",
        "BoundaryCollection", query_params=("niveau",),
        description="GeoJSON in WGS84, simplified (to about 10 metres) for maps of the "
                    "whole municipality. Only wijken or buurten whose shape is loaded; an "
                    "empty collection before any is.")),
    "/indicatoren": _get("listIndicatoren", "Results", "The indicators of the survey",
                         "IndicatorPage", listing=True),
    "/indicatoren/{code}/resultaten": _indicator_results(_get(
        "getIndicatorResultaten", "Results", "An indicator's results for every area",
        "AreaResultPage", path_params=("indicatorCode",), listing=True,
        description="One published edition (the newest by default; its year is in every "
                    "item): the municipality, the gebieden and the wijken, a page at a time. "
                    "A figure based on fewer respondents than the minimum (minimumRespondents "
                    "in the trend) has value, interval and respondents null, suppressed true "
                    "and suppressedReason tooFewRespondents. Editions that are not published "
                    "answer 404.")),
    "/indicatoren/{code}/ontwikkeling/{area}": _get(
        "getIndicatorOntwikkeling", "Results", "An indicator for one area over the editions",
        "Trend", path_params=("indicatorCode", "areaCode"),
        description="Every published edition that measured the indicator for the area, "
                    "oldest first, each compared with the one before (95%). Suppressed "
                    "figures as in the results."),
    "/bijeenkomsten": _get("listBijeenkomsten", "Meetings", "Open and cancelled meetings",
                           "MeetingPage", listing=True,
                           description="Ordered by start time, then number."),
    "/bijeenkomsten/{id}": _get("getBijeenkomst", "Meetings", "One open or cancelled meeting",
                                "Meeting", path_params=("meetingId",)),
    "/moties": _get("listMoties", "Motions", "Motions with a final follow-up report",
                    "MotionPage", listing=True,
                    description="Newest adopted first, then by reference."),
    "/moties/{reference}": _get("getMotie", "Motions", "One motion", "Motion",
                                path_params=("reference",)),
    "/moties/{reference}/rapportages": _get(
        "listRapportages", "Motions", "The final follow-up reports on a motion",
        "ReportSummaryPage", path_params=("reference",), listing=True,
        description="Draft reports are never shown."),
    "/moties/{reference}/rapportages/{version}": _get(
        "getRapportage", "Motions", "One final follow-up report", "MotionReport",
        path_params=("reference", "version")),
    "/openapi.json": _get("getOpenApi", "About", "This description of the API",
                          "OpenApiDocument"),
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Wijkpanel open data",
        "version": API_VERSION,
        "description": "Public data of the wijkpanels on local safety: areas, survey "
                       "indicators and results (small counts suppressed), public meetings, "
                       "what residents raised and what was done, and follow-up reports on "
                       "council motions. Read-only; no authentication. Lists take "
                       "?page=1&pageSize=20 (at most 100). Errors are problem details "
                       "(RFC 9457). Answers carry an ETag and may be cached for five "
                       "minutes.",
        "contact": {"name": "Wijkpanel", "email": "wijkpanel@example.org",
                    "url": "https://wijkpanel.example"},
        "license": {"name": "CC0 1.0",
                    "url": "https://creativecommons.org/publicdomain/zero/1.0/"},
    },
    "servers": [{"url": SERVER_PATH, "description": "This installation"}],
    "tags": [{"name": name} for name in
             ("Areas", "Results", "Feedback", "Meetings", "Motions", "About")],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS, "headers": HEADERS, "responses": RESPONSES,
                   "parameters": PARAMETERS},
}


def _contact() -> tuple[str, str] | None:
    """This installation's contact details (e-mail, address), the only part of the document
    that comes from the settings; None outside an app."""
    if not has_app_context():
        return None
    return current_app.config["PANEL_MAIL_FROM"], current_app.config["PANEL_BASE_URL"]


def _with(contact: tuple[str, str] | None) -> dict[str, Any]:
    result = copy.deepcopy(DOCUMENT)
    if contact is not None:
        email, url = contact
        result["info"]["contact"].update(email=email, url=url)
    return result


def document() -> dict[str, Any]:
    """The OpenAPI document, with this installation's contact details (a fresh copy that
    callers may change freely)."""
    return _with(_contact())


def etag() -> str:
    """The ETag of the served document: a hash of the release (the code it is written in,
    ``panel.conditional.release``) and the contact details. Needs no database and does not
    build the document."""
    source = repr((release(), API_VERSION, _contact()))
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:40]


@functools.lru_cache(maxsize=8)
def _body(contact: tuple[str, str] | None) -> bytes:
    return json.dumps(_with(contact), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def body() -> bytes:
    """The served document as JSON, built once per process for each set of contact details
    (the rest only changes with a new release, which starts new processes)."""
    return _body(_contact())
