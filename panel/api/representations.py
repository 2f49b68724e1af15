"""How the API shows each object: plain dicts with camelCase names and HAL ``_links``.

Only fields the public pages already show are written here; nothing about residents (no
names, contact details, replies or unchecked words) and no staff names.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from panel.api.http import href
from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.feedback.models import Action, FeedbackItem, ItemStatus, Theme
from panel.feedback.services import ThemeReport
from panel.meetings.models import Meeting, MeetingStatus
from panel.meetings.times import to_local
from panel.motions.models import FollowUpReport, Motion
from panel.results.models import Edition, Indicator
from panel.results.services import Figure, WijkResults


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
    }


def figure(item: Figure) -> dict[str, Any]:
    """A figure as it may be published: ``value`` and interval are null when suppressed."""
    return {"value": item.value, "respondents": item.respondents, "ciLow": item.ci_low,
            "ciHigh": item.ci_high, "suppressed": item.suppressed}


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
    """Per theme: how often residents of the wijk raised it, checked quotes, actions."""
    return {
        "wijk": wijk_ref(wijk),
        "themes": [{"theme": theme(p.theme), "count": p.count,
                    "quotes": [quote(q) for q in p.quotes],
                    "actions": [action(a) for a in p.actions]} for p in parts],
        "_links": {"self": href("api.terugkoppeling", code=wijk.code),
                   "wijk": href("api.wijk", code=wijk.code)},
    }


# --- meetings -----------------------------------------------------------------------------

def meeting(item: Meeting) -> dict[str, Any]:
    """A public meeting: when, where, what, and how many places are left (when open)."""
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
        "placesLeft": item.places_left if item.status == MeetingStatus.OPEN else None,
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
        "finalisedOn": item.finalised_at.date().isoformat() if item.finalised_at else None,
        "_links": {"self": href("api.rapportage", reference=reference, version=item.version)},
    }
