"""Read-only queries for the open-data API: public data only, in a stable order, one page at
a time and with a constant number of queries per page, whatever its size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, Subquery, case, exists, func, select, true
from sqlalchemy.orm import selectinload

from panel.api.http import Pagination
from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.areas.services import get_municipality
from panel.db import db, utcnow
from panel.errors import NotFound
from panel.feedback import services as feedback_services
from panel.meetings import services as meeting_services
from panel.meetings.models import Meeting, MeetingStatus, meeting_neighbourhood
from panel.motions import services as motion_services
from panel.motions.models import FollowUpReport, Motion, ReportStatus
from panel.results import protection, trends
from panel.results import services as result_services
from panel.results.models import Edition, Indicator, Result

T = TypeVar("T")
PUBLIC_MEETING_STATUSES = (MeetingStatus.OPEN.value, MeetingStatus.CANCELLED.value)
MAX_KEY_LENGTH = 40  # the longest code or reference the models store


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the size of the whole list."""

    items: list[T]
    total: int


def _page(query: Select[Any], current: Pagination) -> Page[Any]:
    """Count the whole list, then load one page of it (skipped beyond the last page)."""
    total = db.session.scalar(select(func.count()).select_from(
        query.order_by(None).subquery())) or 0
    if current.offset >= total:
        return Page([], total)
    rows = db.session.scalars(query.limit(current.size).offset(current.offset))
    return Page(list(rows), total)


def _total_and_page(listed: Select[Any], current: Pagination) -> tuple[Subquery, Subquery]:
    """For a fingerprint of one page of a list: the size of the whole list (one row) and
    the page itself, as subqueries. Joined with ``total.outerjoin(page, true())`` they make
    one statement that always gives a row, also beyond the last page (then without an
    item). ``listed`` selects the columns shown, in the order of the list."""
    total = select(func.count().label("total")).select_from(
        listed.order_by(None).subquery()).subquery("total")
    page = listed.limit(current.size).offset(current.offset).subquery("listed")
    return total, page


def _key(value: str) -> str:
    """A code or reference from the URL, or NotFound when it cannot be one (too long or with
    control characters, which PostgreSQL would refuse)."""
    if not value or len(value) > MAX_KEY_LENGTH or any(ord(c) < 32 for c in value):
        raise NotFound()
    return value


# --- areas and indicators -----------------------------------------------------------------

def areas(current: Pagination) -> Page[Area]:
    """Gebieden by code, with their wijken."""
    return _page(select(Area).options(selectinload(Area.neighbourhoods))
                 .order_by(Area.code), current)


def area(code: str) -> Area:
    """One gebied with its wijken. Raises NotFound."""
    found = db.session.scalars(select(Area).where(Area.code == _key(code))
                               .options(selectinload(Area.neighbourhoods))).first()
    if found is None:
        raise NotFound()
    return found


def _wijken() -> Select[tuple[Neighbourhood]]:
    return select(Neighbourhood).options(selectinload(Neighbourhood.area),
                                         selectinload(Neighbourhood.districts))


def neighbourhoods(current: Pagination) -> Page[Neighbourhood]:
    """Wijken by code, with their gebied and buurten."""
    return _page(_wijken().order_by(Neighbourhood.code), current)


def neighbourhood(code: str) -> Neighbourhood:
    """One wijk with its gebied and buurten. Raises NotFound."""
    found = db.session.scalars(_wijken().where(Neighbourhood.code == _key(code))).first()
    if found is None:
        raise NotFound()
    return found


def areas_fingerprint() -> tuple[object, ...]:
    """Every gebied with its wijken and their buurten, as plain tuples: what the answers
    about gebieden and wijken (lists and single ones) are made from. Their ETag comes from
    it (with the address, so the page asked for), so a client that has the answer gets
    ``304`` without the answer being built, and a worker keeps the built answer
    (``panel.conditional``). One statement, of small tables."""
    return tuple(tuple(row) for row in db.session.execute(
        select(Area.id, Area.code, Area.name, Neighbourhood.id, Neighbourhood.code,
               Neighbourhood.name, Neighbourhood.cbs_year, District.id, District.code,
               District.name, District.cbs_year)
        .outerjoin(Neighbourhood, Neighbourhood.area_id == Area.id)
        .outerjoin(District, District.neighbourhood_id == Neighbourhood.id)
        .order_by(Area.id, Neighbourhood.id, District.id)))


def indicators_fingerprint() -> tuple[object, ...]:
    """Every indicator as a plain tuple: what the list of indicators is made from."""
    return tuple(tuple(row) for row in db.session.execute(
        select(Indicator.__table__).order_by(Indicator.id)))


def indicators(current: Pagination) -> Page[Indicator]:
    """Indicators in the order of the survey report (position, then code)."""
    return _page(select(Indicator).order_by(Indicator.position, Indicator.code), current)


def municipality() -> Municipality | None:
    return get_municipality()


def min_respondents() -> int:
    """Figures based on fewer respondents are suppressed (``PANEL_MIN_RESPONDENTS``)."""
    return result_services.min_respondents()


def results(code: str, year: int | None) -> result_services.WijkResults:
    """A wijk's results in a published edition (the newest when ``year`` is None), with
    small counts suppressed exactly as on the website. Raises NotFound, also for an
    unpublished edition."""
    return result_services.wijk_results(_key(code), year, staff=False)


def results_fingerprint(code: str, year: int | None) -> tuple[object, ...]:
    """The rows :func:`results` is made from, as plain tuples: the ETag comes from them,
    so a client that has the answer gets ``304`` without the answer being built."""
    return result_services.wijk_fingerprint(_key(code), year)


# --- one indicator: every area in an edition, and the trend of one area --------------------

LEVEL_ORDER = {"municipality": 0, "area": 1, "neighbourhood": 2}


@dataclass(frozen=True)
class AreaResult:
    """A stored result with the name of its area, as the API lists it."""

    level: str
    code: str
    name: str
    figure: result_services.Figure


@dataclass(frozen=True)
class IndicatorResults:
    indicator: Indicator
    edition: Edition
    page: Page[AreaResult]


def _indicator(code: str) -> Indicator:
    found = db.session.scalars(select(Indicator).where(Indicator.code == _key(code))).first()
    if found is None:
        raise NotFound()
    return found


def _published_edition(year: int | None) -> Edition:
    """The published edition of ``year`` (the newest when None). Raises NotFound, also for
    an edition that is not published."""
    query = select(Edition).where(Edition.published.is_(True))
    query = query.where(Edition.year == year) if year is not None else \
        query.order_by(Edition.year.desc()).limit(1)
    chosen = db.session.scalars(query).first()
    if chosen is None:
        raise NotFound()
    return chosen


def _names(results: list[Result]) -> dict[tuple[str, str], str]:
    """The names of the areas of ``results`` by (level, code): two statements at most."""
    names: dict[tuple[str, str], str] = {}
    wanted = {(r.area_level, r.area_code) for r in results}
    wijken = [code for level, code in wanted if level == "neighbourhood"]
    gebieden = [code for level, code in wanted if level == "area"]
    if wijken:
        names.update((("neighbourhood", row.code), row.name) for row in db.session.execute(
            select(Neighbourhood.code, Neighbourhood.name)
            .where(Neighbourhood.code.in_(wijken))))
    if gebieden:
        names.update((("area", row.code), row.name) for row in db.session.execute(
            select(Area.code, Area.name).where(Area.code.in_(gebieden))))
    if any(level == "municipality" for level, _ in wanted):
        municipality = get_municipality()
        if municipality is not None:
            names[("municipality", municipality.code)] = municipality.name
    return names


def indicator_results(code: str, year: int | None, current: Pagination) -> IndicatorResults:
    """One page of an indicator's results in a published edition (the newest when ``year``
    is None) for every area: the municipality first, then the gebieden and the wijken, each
    by code. Small counts are suppressed as on the website. Raises NotFound for an unknown
    indicator and an unknown or unpublished edition."""
    indicator = _indicator(code)
    edition = _published_edition(year)
    rank = case(*((Result.area_level == level, order) for level, order in LEVEL_ORDER.items()),
                else_=len(LEVEL_ORDER))
    query = select(Result).where(Result.indicator_id == indicator.id,
                                 Result.edition_id == edition.id) \
        .order_by(rank, Result.area_code, Result.id)
    page = _page(query, current)
    names = _names(page.items)
    hidden = protection.withheld_among(page.items)
    items = [AreaResult(r.area_level, r.area_code,
                        names.get((r.area_level, r.area_code), r.area_code),
                        result_services.figure_of(
                            r, (r.edition_id, r.indicator_id, r.area_code) in hidden))
             for r in page.items]
    return IndicatorResults(indicator, edition, Page(items, page.total))


def indicator_results_fingerprint(code: str, year: int | None) -> tuple[object, ...]:
    """The rows :func:`indicator_results` is made of, as plain tuples: the indicator, the
    published editions, its results in the chosen edition and the names of the areas.
    Six statements, however many areas there are."""
    indicator = db.session.execute(select(Indicator.__table__)
                                   .where(Indicator.code == _key(code))).first()
    if indicator is None:
        return (None,)
    editions = [tuple(row) for row in db.session.execute(
        select(Edition.id, Edition.year, Edition.published_at)
        .where(Edition.published.is_(True)).order_by(Edition.year.desc()))]
    chosen = next((e for e in editions if year is None or e[1] == year), None)
    if chosen is None:
        return (tuple(indicator), editions, None)
    rows = db.session.execute(
        select(Result.__table__).where(Result.indicator_id == indicator.id,
                                       Result.edition_id == chosen[0]).order_by(Result.id)).all()
    results = [tuple(row) for row in rows]
    areas = [tuple(row) for row in db.session.execute(
        select(Area.code, Area.name).order_by(Area.code))]
    wijken = [tuple(row) for row in db.session.execute(
        select(Neighbourhood.code, Neighbourhood.name).order_by(Neighbourhood.code))]
    return (tuple(indicator), editions, results, areas, wijken,
            protection.withheld_in(protection.withheld_among(rows), [chosen[0]]))


def trend(code: str, area_code: str) -> trends.Trend:
    """An indicator's figures for one area (the municipality's GM code, a gebied or a WK
    code) in every published edition that measured it there. Raises NotFound."""
    return trends.trend(_key(code), _key(area_code), staff=False)


def trend_fingerprint(code: str, area_code: str) -> tuple[object, ...]:
    """The rows :func:`trend` is made of, as plain tuples (see above)."""
    return trends.trend_fingerprint(_key(code), _key(area_code))


def feedback_fingerprint(code: str) -> tuple[object, ...]:
    """The rows :func:`feedback` is made from, as plain tuples (see above)."""
    return feedback_services.public_report_fingerprint(_key(code))


def feedback(code: str) -> tuple[Neighbourhood, list[feedback_services.ThemeReport]]:
    """Per theme: counts, approved quotes and actions for a wijk. Raises NotFound."""
    return feedback_services.public_report(_key(code))


# --- meetings -----------------------------------------------------------------------------

def meetings(current: Pagination) -> Page[Meeting]:
    """Open and cancelled meetings, by start (meetings without a time last), then id."""
    query = select(Meeting).where(Meeting.status.in_(PUBLIC_MEETING_STATUSES)).options(
        selectinload(Meeting.area), selectinload(Meeting.neighbourhoods)).order_by(
        Meeting.starts_at.is_(None), Meeting.starts_at, Meeting.id)
    return _page(query, current)


def meeting(meeting_id: int) -> Meeting:
    """One public meeting (open or cancelled). Raises NotFound."""
    return meeting_services.public_meeting(meeting_id)


_meeting = Meeting.__table__.c
# What the API shows of a meeting (``representations.meeting``): its own columns (the
# places left come from the capacity and the places taken), then its gebied and wijken.
_MEETING_SHOWN = (_meeting.id, _meeting.title, _meeting.status, _meeting.kind,
                  _meeting.starts_at, _meeting.ends_at, _meeting.venue, _meeting.address,
                  _meeting.accessibility, _meeting.description, _meeting.agenda,
                  _meeting.capacity, _meeting.seats_taken, _meeting.area_id)
_OPEN = MeetingStatus.OPEN.value


def _started(rows: list[Any], now: datetime) -> tuple[int, ...]:
    """The ids among ``rows`` (columns as :data:`_MEETING_SHOWN`) of the open meetings whose
    start has come: those show no places left any more (``Meeting.has_started``)."""
    return tuple(sorted({row[0] for row in rows if row[0] is not None and row[2] == _OPEN
                         and row[4] is not None and row[4] <= now}))


def meetings_fingerprint(current: Pagination) -> tuple[object, ...]:
    """What a page of :func:`meetings` shows, as plain tuples: the number of public
    meetings, the page's meetings with their gebied and wijken, and which of them have
    started (that hides their places left, without any row changing). The ETag comes from
    it (``panel.conditional``). One statement, whatever the size of the page."""
    listed = select(*_MEETING_SHOWN).where(_meeting.status.in_(PUBLIC_MEETING_STATUSES)) \
        .order_by(_meeting.starts_at.is_(None), _meeting.starts_at, _meeting.id)
    total, page = _total_and_page(listed, current)
    rows = db.session.execute(
        select(total.c.total, *page.c, Area.code, Area.name, Neighbourhood.id,
               Neighbourhood.code, Neighbourhood.name)
        .select_from(total.outerjoin(page, true())
                     .outerjoin(Area, Area.id == page.c.area_id)
                     .outerjoin(meeting_neighbourhood,
                                meeting_neighbourhood.c.meeting_id == page.c.id)
                     .outerjoin(Neighbourhood,
                                Neighbourhood.id == meeting_neighbourhood.c.neighbourhood_id))
        .order_by(page.c.id, Neighbourhood.id)).all()
    shown = [tuple(row[1:]) for row in rows]
    return rows[0][0], shown, _started(shown, utcnow())


def meeting_fingerprint(meeting_id: int) -> tuple[object, ...]:
    """What :func:`meeting` shows, as plain tuples (see :func:`meetings_fingerprint`); only
    ``(None,)`` for a meeting the public may not see. One statement."""
    rows = db.session.execute(
        select(*_MEETING_SHOWN, Area.code, Area.name, Neighbourhood.id, Neighbourhood.code,
               Neighbourhood.name)
        .join(Area, Area.id == _meeting.area_id)
        .outerjoin(meeting_neighbourhood, meeting_neighbourhood.c.meeting_id == _meeting.id)
        .outerjoin(Neighbourhood, Neighbourhood.id == meeting_neighbourhood.c.neighbourhood_id)
        .where(_meeting.id == meeting_id, _meeting.status.in_(PUBLIC_MEETING_STATUSES))
        .order_by(Neighbourhood.id)).all()
    if not rows:
        return (None,)
    return [tuple(row) for row in rows], _started(rows[:1], utcnow())


# --- motions and their final reports ------------------------------------------------------

def _has_final_report() -> Any:
    return exists().where(FollowUpReport.motion_id == Motion.id,
                          FollowUpReport.status == ReportStatus.FINAL.value)


def motions(current: Pagination) -> Page[Motion]:
    """Motions with at least one final report, newest adopted first, then by reference."""
    return _page(select(Motion).where(_has_final_report())
                 .order_by(Motion.adopted_on.desc(), Motion.reference), current)


def motion(reference: str) -> Motion:
    """A motion that has a final report. Raises NotFound (also when it only has drafts)."""
    found = db.session.scalars(select(Motion).where(Motion.reference == _key(reference),
                                                    _has_final_report())).first()
    if found is None:
        raise NotFound()
    return found


def _final_reports(reference: str) -> Select[tuple[FollowUpReport]]:
    return select(FollowUpReport).join(FollowUpReport.motion).where(
        Motion.reference == _key(reference), FollowUpReport.status == ReportStatus.FINAL.value)


def reports(reference: str, current: Pagination) -> Page[FollowUpReport]:
    """The final reports on a motion, by version. Raises NotFound for an unknown motion."""
    motion(reference)
    return _page(_final_reports(reference).order_by(FollowUpReport.version), current)


def report_data(item: FollowUpReport) -> dict[str, Any]:
    """The frozen snapshot of a final report."""
    if item.status != ReportStatus.FINAL:
        raise NotFound()
    return motion_services.data(item)


def report(reference: str, version: int) -> FollowUpReport:
    """One final report on a motion. Raises NotFound (also for a draft)."""
    found = db.session.scalars(_final_reports(reference).where(
        FollowUpReport.version == version)).first()
    if found is None:
        raise NotFound()
    return found


def motions_fingerprint(current: Pagination) -> tuple[object, ...]:
    """What a page of :func:`motions` shows, as plain tuples: the number of motions with a
    final report and the page's motions. One statement."""
    listed = select(Motion.reference, Motion.title, Motion.adopted_on) \
        .where(_has_final_report()).order_by(Motion.adopted_on.desc(), Motion.reference)
    total, page = _total_and_page(listed, current)
    rows = db.session.execute(select(total.c.total, *page.c)
                              .select_from(total.outerjoin(page, true()))).all()
    return tuple(tuple(row) for row in rows)


def motion_fingerprint(reference: str) -> tuple[object, ...]:
    """What :func:`motion` shows, as a plain tuple (``None`` when it is not public)."""
    row = db.session.execute(select(Motion.reference, Motion.title, Motion.adopted_on)
                             .where(Motion.reference == _key(reference),
                                    _has_final_report())).first()
    return tuple(row) if row is not None else (None,)


def reports_fingerprint(reference: str, current: Pagination) -> tuple[object, ...]:
    """What a page of :func:`reports` shows, as plain tuples: the number of final reports
    on the motion (none: not found) and the page's reports. One statement."""
    listed = select(FollowUpReport.version, FollowUpReport.period_start,
                    FollowUpReport.period_end, FollowUpReport.finalised_at) \
        .join(FollowUpReport.motion) \
        .where(Motion.reference == _key(reference),
               FollowUpReport.status == ReportStatus.FINAL.value) \
        .order_by(FollowUpReport.version)
    total, page = _total_and_page(listed, current)
    rows = db.session.execute(select(total.c.total, *page.c)
                              .select_from(total.outerjoin(page, true()))).all()
    return tuple(tuple(row) for row in rows)


def report_fingerprint(reference: str, version: int) -> tuple[object, ...]:
    """What :func:`report` with :func:`report_data` shows, as a plain tuple: a final
    report's frozen snapshot is written once, when it is finalised (``finalised_at``), and
    never changes afterwards, so the report's id, the moment it was finalised and the
    length of its snapshot stand for it; the snapshot itself is not read. ``None`` when
    there is no such final report. One statement."""
    row = db.session.execute(
        select(FollowUpReport.id, FollowUpReport.version, FollowUpReport.finalised_at,
               func.length(FollowUpReport.snapshot))
        .join(FollowUpReport.motion)
        .where(Motion.reference == _key(reference), FollowUpReport.version == version,
               FollowUpReport.status == ReportStatus.FINAL.value)).first()
    return tuple(row) if row is not None else (None,)
