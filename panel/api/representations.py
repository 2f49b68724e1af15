"""How the API shows each object: plain dicts with camelCase names and HAL ``_links``.

Only fields the public pages already show are written here; nothing about residents (no
names, contact details, replies or unchecked words) and no staff names.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from panel.api.http import Pagination, href, page_body
from panel.api.services import AreaResult, IndicatorResults
from panel.areas.boundaries import BUURT, Feature
from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.feedback.models import Action, FeedbackItem, ItemStatus, Theme
from panel.feedback.services import ThemeReport
from panel.meetings.models import Meeting, MeetingStatus
from panel.meetings.times import to_local
from panel.motions.models import FollowUpReport, Motion
from panel.results.models import Edition, Indicator
from panel.results.services import Figure, WijkResults
from panel.results.trends import Trend


def moment(value: datetime | None) -> str | None:
    """An RFC 3339 timestamp in UTC (``2026-12-01T18:30:00Z``)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def local_day(value: datetime) -> str:
    """The calendar day of ``value`` in the Netherlands."""
    return to_local(value).date().isoformat()


# --- areas --------------------------------------------------------------------------------

def area_ref(area: Area) -> dict[str, Any]:
    return {"code": area.code, "name": area.name,
            "_links": {"self": href("api.gebied", code=area.code)}}


def wijk_ref(wijk: Neighbourhood) -> dict[str, Any]:
    return {"code": wijk.code, "name": wijk.name,
            "_links": {"self": href("api.wijk", code=wijk.code)}}


def area(item: Area) -> dict[str, Any]:
    """A gebied with its wijken (code, name, CBS year)."""
    return {
        "code": item.code,
        "name": item.name,
        "wijken": [{**wijk_ref(w), "cbsYear": w.cbs_year} for w in item.neighbourhoods],
        "_links": {"self": href("api.gebied", code=item.code)},
    }


def district(item: District) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "cbsYear": item.cbs_year}


def neighbourhood(item: Neighbourhood) -> dict[str, Any]:
    """A wijk with its gebied and buurten, and links to its results and feedback."""
    return {
        "code": item.code,
        "name": item.name,
        "cbsYear": item.cbs_year,
        "gebied": area_ref(item.area),
        "buurten": [district(d) for d in item.districts],
        "_links": {
            "self": href("api.wijk", code=item.code),
            "gebied": href("api.gebied", code=item.area.code),
            "resultaten": href("api.resultaten", code=item.code),
            "terugkoppeling": href("api.terugkoppeling", code=item.code),
        },
    }


def boundaries(items: list[Feature], level: str) -> dict[str, Any]:
    """The shapes of the wijken (or buurten) as a GeoJSON FeatureCollection (RFC 7946,
    WGS84): per feature its CBS code as ``id`` and ``code``, its name and gebied (and a
    buurt's wijk) as properties."""
    def properties(item: Feature) -> dict[str, Any]:
        shown: dict[str, Any] = {"code": item.code, "name": item.name,
                                 "gebied": item.area_code}
        if level == BUURT:
            shown["wijk"] = item.wijk_code
        return shown

    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "id": item.code, "geometry": item.geometry,
                          "properties": properties(item)} for item in items]}


# --- indicators and results ---------------------------------------------------------------

def indicator(item: Indicator) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": {"nl": item.name_nl, "en": item.name_en},
        "explanation": {"nl": item.explanation_nl, "en": item.explanation_en},
        "unit": item.unit,
        "decimals": item.decimals,
        "higherIsBetter": item.higher_is_better,
        "theme": item.theme,
        "themeName": {"nl": item.theme, "en": item.theme_en or item.theme},
    }


def figure(item: Figure) -> dict[str, Any]:
    """A figure as it may be published: ``value``, interval and respondents are null when
    suppressed (a small number of respondents is itself not published) or withheld to
    protect a small figure."""
    return {"value": item.value, "ciLow": item.ci_low, "ciHigh": item.ci_high,
            "respondents": None if item.suppressed else item.respondents,
            "suppressed": item.suppressed}


def edition(item: Edition | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"year": item.year, "publishedAt": moment(item.published_at)}


def results(report: WijkResults, municipality: Municipality | None,
            minimum: int) -> dict[str, Any]:
    """A wijk's results in one published edition, next to the municipality and the wijk's
    previous edition."""
    wijk = report.neighbourhood
    links = {"self": href("api.resultaten", code=wijk.code,
                          editie=report.edition.year if report.edition else None),
             "wijk": href("api.wijk", code=wijk.code)}
    if report.previous_edition:
        links["previousEdition"] = href("api.resultaten", code=wijk.code,
                                        editie=report.previous_edition.year)
    return {
        "wijk": wijk_ref(wijk),
        "municipality": {"code": municipality.code, "name": municipality.name}
        if municipality else None,
        "edition": edition(report.edition),
        "previousEdition": edition(report.previous_edition),
        "editions": [e.year for e in report.editions],
        "minimumRespondents": minimum,
        "indicators": [
            {
                "indicator": indicator(row.indicator),
                **figure(row.wijk),
                "municipality": figure(row.municipality),
                "previousEdition": figure(row.previous),
                "comparedToMunicipality": row.vs_municipality,
                "comparedToPreviousEdition": row.vs_previous,
            }
            for row in report.rows
        ],
        "_links": links,
    }


# --- one indicator: every area, and the trend of one area ---------------------------------

AREA_LEVELS = {"municipality": "municipality", "area": "gebied", "neighbourhood": "wijk"}
TOO_FEW_RESPONDENTS = "tooFewRespondents"
# Not small itself, but hidden so that a small figure cannot be worked out from it and the
# figures of the other areas (``panel.results.protection``).
PROTECTS_SMALL_FIGURE = "protectsSmallFigure"


def published_figure(item: Figure) -> dict[str, Any]:
    """A figure as it may be published: a suppressed one has no value, interval or count,
    only the reason why."""
    if item.suppressed:
        return {"value": None, "respondents": None, "ciLow": None, "ciHigh": None,
                "suppressed": True,
                "suppressedReason": PROTECTS_SMALL_FIGURE if item.withheld
                else TOO_FEW_RESPONDENTS}
    return {"value": item.value, "respondents": item.respondents, "ciLow": item.ci_low,
            "ciHigh": item.ci_high, "suppressed": False, "suppressedReason": None}


def result_area(level: str, code: str, name: str) -> dict[str, Any]:
    return {"level": AREA_LEVELS.get(level, level), "code": code, "name": name}


def area_result(item: AreaResult, indicator_code: str, year: Edition) -> dict[str, Any]:
    """One area's figure in an edition, with a link to its trend."""
    return {"area": result_area(item.level, item.code, item.name), "edition": edition(year),
            **published_figure(item.figure),
            "_links": {"ontwikkeling": href("api.ontwikkeling", code=indicator_code,
                                            area=item.code)}}


def indicator_results(report: IndicatorResults, links: dict[str, str],
                      current: Pagination) -> dict[str, Any]:
    """One page of an indicator's results for every area in one published edition (a list
    like every other: the indicator is in the address, the edition in every item)."""
    code = report.indicator.code
    return page_body([area_result(item, code, report.edition) for item in report.page.items],
                     links, current, report.page.total)


def trend(item: Trend, minimum: int) -> dict[str, Any]:
    """An indicator for one area in every published edition that measured it there,
    oldest first, each compared with the one before."""
    return {
        "indicator": indicator(item.indicator),
        "area": result_area(item.place.level, item.place.code, item.place.name),
        "minimumRespondents": minimum,
        "editions": [{"edition": edition(point.edition), **published_figure(point.figure),
                      "previousEdition": point.previous_year,
                      "comparedToPreviousEdition": point.vs_previous}
                     for point in item.points],
        "_links": {"self": href("api.ontwikkeling", code=item.indicator.code,
                                area=item.place.code),
                   "resultaten": href("api.indicator_resultaten", code=item.indicator.code)},
    }


# --- feedback -----------------------------------------------------------------------------

def theme(item: Theme) -> dict[str, Any]:
    return {"code": item.code, "name": {"nl": item.name_nl, "en": item.name_en}}


def quote(item: FeedbackItem) -> dict[str, Any]:
    """Checked words only (``public_text``), with what became of them."""
    return {
        "text": item.public_text,
        "status": item.status,
        "statusReason": (item.status_reason or None)
        if item.status == ItemStatus.DECLINED else None,
        "partner": (item.partner or None) if item.status == ItemStatus.PASSED_ON else None,
    }


def action(item: Action) -> dict[str, Any]:
    return {
        "title": item.title,
        "description": item.description,
        "status": item.status,
        "progress": item.progress,
        "startedOn": local_day(item.created_at),
        "dueDate": day(item.due_date),
        "lastChangedOn": local_day(item.updated_at),
    }


def feedback(wijk: Neighbourhood, parts: list[ThemeReport]) -> dict[str, Any]:
    """Per theme: how often residents of the wijk raised it (a small count as "< N", as on
    the page), checked quotes, actions."""
    return {
        "wijk": wijk_ref(wijk),
        "themes": [{"theme": theme(p.theme), "count": p.shown,
                    "quotes": [quote(q) for q in p.quotes],
                    "actions": [action(a) for a in p.actions]} for p in parts],
        "_links": {"self": href("api.terugkoppeling", code=wijk.code),
                   "wijk": href("api.wijk", code=wijk.code)},
    }


# --- meetings -----------------------------------------------------------------------------

def meeting(item: Meeting) -> dict[str, Any]:
    """A public meeting: when, where, what, and how many places are left (while it is open
    and has not started, as on its page: afterwards the places taken would say how many
    came)."""
    return {
        "id": item.id,
        "title": item.title,
        "status": item.status,
        "kind": item.kind,
        "startsAt": moment(item.starts_at),
        "endsAt": moment(item.ends_at),
        "venue": item.venue,
        "address": item.address,
        "accessibility": item.accessibility,
        "description": item.description,
        "agenda": [line.strip() for line in item.agenda.splitlines() if line.strip()],
        "gebied": area_ref(item.area),
        "wijken": [wijk_ref(w) for w in item.neighbourhoods],
        "placesLeft": item.places_left
        if item.status == MeetingStatus.OPEN and not item.has_started() else None,
        "_links": {"self": href("api.bijeenkomst", meeting_id=item.id),
                   "calendar": href("meetings.meeting_ics", meeting_id=item.id)},
    }


# --- motions ------------------------------------------------------------------------------

def motion(item: Motion) -> dict[str, Any]:
    return {
        "reference": item.reference,
        "title": item.title,
        "adoptedOn": day(item.adopted_on),
        "_links": {"self": href("api.motie", reference=item.reference),
                   "rapportages": href("api.rapportages", reference=item.reference)},
    }


def report_summary(item: FollowUpReport, reference: str) -> dict[str, Any]:
    return {
        "version": item.version,
        "period": {"start": day(item.period_start), "end": day(item.period_end)},
        "finalisedOn": local_day(item.finalised_at) if item.finalised_at else None,
        "_links": {"self": href("api.rapportage", reference=reference, version=item.version)},
    }
