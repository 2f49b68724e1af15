"""Results over the editions of the survey: the trend of one indicator for one area (the
municipality, a gebied or a wijk), and the overview of all indicators for the municipality
or a gebied, every edition side by side.

Small counts are suppressed as everywhere (``services.figure_of``); unpublished editions are
only read for staff. Every function here sends a fixed number of statements, whatever the
number of editions, indicators, gebieden or wijken. The ``*_fingerprint`` functions select
the rows the public pages are made of as plain tuples, for their ETags
(``panel.conditional``). Rendered charts are kept per worker by everything they show
(:func:`kept_chart`), so a chart is drawn once per change of its data, not per request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from panel.areas.models import Area, Municipality, Neighbourhood
from panel.areas.services import get_municipality
from panel.db import db
from panel.errors import NotFound
from panel.kept import LeastRecentlyUsed
from panel.results.models import AreaLevel, Edition, Indicator, Result
from panel.results.protection import Cell, withheld_among
from panel.results.services import Figure, direction, figure_of, visible_editions

__all__ = ["AreaOverview", "OverviewRow", "Place", "ThemeRows", "Trend", "TrendPoint",
           "area_overview", "forget_charts", "gebied_fingerprint", "indicator_codes", "kept_chart",
           "municipality_fingerprint", "place_of", "trend", "trend_fingerprint"]

MUNICIPALITY_CODE = re.compile(r"GM[0-9]{4}\Z")
NEIGHBOURHOOD_CODE = re.compile(r"WK[0-9]{6}\Z")
MAX_CODE_LENGTH = 40
KEPT_CHART_BYTES = 4 * 1024 * 1024  # rendered charts kept per worker
_EXTENSION = "panel.results.kept_charts"


# --- areas --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """The municipality, a gebied or a wijk: what a trend or an overview is about."""

    level: str  # AreaLevel
    code: str
    name: str

    @property
    def is_municipality(self) -> bool:
        return self.level == AreaLevel.MUNICIPALITY


def _checked(code: str) -> str:
    """A code from the URL, or NotFound when it cannot be one (too long, or with control
    characters, which PostgreSQL would refuse)."""
    if not code or len(code) > MAX_CODE_LENGTH or any(ord(c) < 32 for c in code):
        raise NotFound()
    return code


def place_of(code: str) -> Place:
    """The area with ``code``: the municipality's GM code, a WK code or a gebied code (any
    case). Raises NotFound."""
    code = _checked(code)
    upper = code.upper()
    if MUNICIPALITY_CODE.match(upper):
        municipality = get_municipality()
        if municipality is None or municipality.code != upper:
            raise NotFound()
        return Place(AreaLevel.MUNICIPALITY, municipality.code, municipality.name)
    if NEIGHBOURHOOD_CODE.match(upper):
        wijk = db.session.execute(select(Neighbourhood.code, Neighbourhood.name)
                                  .where(Neighbourhood.code == upper)).first()
        if wijk is None:
            raise NotFound()
        return Place(AreaLevel.NEIGHBOURHOOD, wijk.code, wijk.name)
    area = db.session.execute(select(Area.code, Area.name)
                              .where(Area.code == code.lower())).first()
    if area is None:
        raise NotFound()
    return Place(AreaLevel.AREA, area.code, area.name)


# --- the trend of one indicator in one area -----------------------------------------------

@dataclass(frozen=True)
class TrendPoint:
    """One edition of a trend, compared with the edition before it in the trend."""

    edition: Edition
    figure: Figure
    vs_previous: str  # better, worse, same or unknown (the first edition: unknown)
    previous_year: int | None


@dataclass
class Trend:
    """An indicator in one area over the editions that measured it there, oldest first."""

    indicator: Indicator
    place: Place
    points: list[TrendPoint] = field(default_factory=list)

    @property
    def newest(self) -> TrendPoint | None:
        return self.points[-1] if self.points else None

    @property
    def withheld(self) -> bool:
        """Whether a figure is shown as "x": the page then says what "x" means."""
        return any(point.figure.withheld for point in self.points)


def _indicator(code: str) -> Indicator:
    found = db.session.scalars(select(Indicator).where(Indicator.code == _checked(code))).first()
    if found is None:
        raise NotFound()
    return found


def _points(indicator: Indicator, editions: list[Edition],
            stored: dict[int, Result], hidden: frozenset[Cell]) -> list[TrendPoint]:
    """The editions (oldest first) that have a result in ``stored`` (by edition id);
    ``hidden`` are the withheld figures (``protection.withheld_among``)."""
    points: list[TrendPoint] = []
    for edition in editions:
        result = stored.get(edition.id)
        if result is None:
            continue
        figure = figure_of(result, (edition.id, indicator.id, result.area_code) in hidden)
        before = points[-1] if points else None
        points.append(TrendPoint(
            edition, figure,
            direction(indicator, figure, before.figure) if before else "unknown",
            before.edition.year if before else None))
    return points


def trend(indicator_code: str, area_code: str, staff: bool = False) -> Trend:
    """Every visible edition of an indicator for an area (unpublished ones only for staff),
    each compared with the one before. Five statements. Raises NotFound."""
    indicator = _indicator(indicator_code)
    place = place_of(area_code)
    editions = list(reversed(visible_editions(staff)))
    stored = {r.edition_id: r for r in db.session.scalars(
        select(Result).where(Result.indicator_id == indicator.id,
                             Result.area_code == place.code,
                             Result.edition_id.in_([e.id for e in editions])))}
    return Trend(indicator, place, _points(indicator, editions, stored,
                                           withheld_among(stored.values())))


def indicator_codes(area_code: str, staff: bool = False) -> list[str]:
    """The indicators with a visible result for the area, in the survey's order (the slides
    of the trend presentation). One statement."""
    editions = select(Edition.id)
    if not staff:
        editions = editions.where(Edition.published.is_(True))
    measured = select(Result.indicator_id).where(Result.area_code == area_code,
                                                 Result.edition_id.in_(editions))
    return list(db.session.scalars(select(Indicator.code).where(Indicator.id.in_(measured))
                                   .order_by(Indicator.position, Indicator.code)))


def _published_editions() -> list[tuple[object, ...]]:
    return [tuple(row) for row in db.session.execute(
        select(Edition.id, Edition.year, Edition.published)
        .where(Edition.published.is_(True)).order_by(Edition.year))]


def _published_results(*conditions: object) -> tuple[list[tuple[object, ...]], tuple[Cell, ...]]:
    """The published results meeting ``conditions`` as plain tuples, and the withheld
    figures among them."""
    published = select(Edition.id).where(Edition.published.is_(True))
    rows = db.session.execute(
        select(Result.__table__).where(Result.edition_id.in_(published), *conditions)
        .order_by(Result.id)).all()
    return [tuple(row) for row in rows], tuple(sorted(withheld_among(rows)))


def _place_rows(code: str) -> tuple[object, ...] | None:
    """The row of the area ``code`` names, as the trend page shows it (None: unknown)."""
    upper = code.upper()
    if MUNICIPALITY_CODE.match(upper):
        row = db.session.execute(select(Municipality.code, Municipality.name).limit(1)).first()
    elif NEIGHBOURHOOD_CODE.match(upper):
        row = db.session.execute(select(Neighbourhood.code, Neighbourhood.name)
                                 .where(Neighbourhood.code == upper)).first()
    else:
        row = db.session.execute(select(Area.code, Area.name)
                                 .where(Area.code == code.lower())).first()
    return tuple(row) if row else None


def trend_fingerprint(indicator_code: str, area_code: str) -> tuple[object, ...]:
    """The rows the public trend page (and its API answer) is made of, as plain tuples:
    the indicator, the area, the published editions and the area's results in them. Four
    statements, however many editions there are."""
    _checked(indicator_code)
    _checked(area_code)
    indicator = db.session.execute(select(Indicator.__table__)
                                   .where(Indicator.code == indicator_code)).first()
    if indicator is None:
        return (None,)
    return (tuple(indicator), _place_rows(area_code), _published_editions(),
            *_published_results(Result.indicator_id == indicator.id,
                                Result.area_code == _result_code(area_code)))


def _result_code(area_code: str) -> str:
    """The code the results of the area ``area_code`` names are stored under: a
    municipality's or wijk's in capitals, a gebied's in small letters."""
    upper = area_code.upper()
    return upper if MUNICIPALITY_CODE.match(upper) or NEIGHBOURHOOD_CODE.match(upper) \
        else area_code.lower()


def trend_presentation_fingerprint(indicator_code: str, area_code: str) -> tuple[object, ...]:
    """What the trend's slide shows: the trend (:func:`trend_fingerprint`) and the other
    indicators of the area it links to (:func:`indicator_codes`). Five statements."""
    return (trend_fingerprint(indicator_code, area_code),
            indicator_codes(_result_code(_checked(area_code))))


# --- the overview of all indicators for the municipality or a gebied ----------------------

@dataclass
class OverviewRow:
    """One indicator: the area's figure in every column edition (None: not measured), the
    trend it makes, and the comparisons of the newest figure."""

    indicator: Indicator
    figures: list[Figure | None]
    trend: Trend
    newest: Figure
    vs_previous: str
    municipality: Figure | None = None  # the municipality in the newest edition (gebied)
    vs_municipality: str | None = None


@dataclass
class ThemeRows:
    name: str
    rows: list[OverviewRow] = field(default_factory=list)
    name_en: str = ""  # the English name, when there is one

    def shown(self, language: str) -> str:
        """The theme's name in ``language`` ("" for indicators without a theme)."""
        return (self.name_en or self.name) if language == "en" else self.name


@dataclass
class AreaOverview:
    """The municipality's or a gebied's figures: a column per edition that has results for
    it (oldest first), a row per indicator, grouped by theme in the indicators' order."""

    place: Place
    editions: list[Edition] = field(default_factory=list)
    themes: list[ThemeRows] = field(default_factory=list)
    neighbourhoods: list[Neighbourhood] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)  # the gebieden (municipality page)
    municipality: Place | None = None  # what a gebied is compared with

    @property
    def newest(self) -> Edition | None:
        return self.editions[-1] if self.editions else None

    @property
    def previous(self) -> Edition | None:
        return self.editions[-2] if len(self.editions) > 1 else None

    @property
    def rows(self) -> list[OverviewRow]:
        return [row for theme in self.themes for row in theme.rows]

    @property
    def withheld(self) -> bool:
        """Whether a figure is shown as "x": the page then says what "x" means."""
        return any((figure is not None and figure.withheld) for row in self.rows
                   for figure in (*row.figures, row.municipality))


def _overview(place: Place, municipality: Municipality | None, staff: bool) -> AreaOverview:
    editions = list(reversed(visible_editions(staff)))
    codes = [place.code] + ([municipality.code] if municipality and not place.is_municipality
                            else [])
    stored: dict[tuple[int, int, str], Result] = {
        (r.indicator_id, r.edition_id, r.area_code): r for r in db.session.scalars(
            select(Result).where(Result.area_code.in_(codes),
                                 Result.edition_id.in_([e.id for e in editions])))}
    measured = {edition_id for (_, edition_id, code) in stored if code == place.code}
    columns = [e for e in editions if e.id in measured]
    overview = AreaOverview(place, columns)
    if not columns:
        return overview
    hidden = withheld_among(stored.values())
    if municipality and not place.is_municipality:
        overview.municipality = Place(AreaLevel.MUNICIPALITY, municipality.code,
                                      municipality.name)
    newest, previous = overview.newest, overview.previous
    themes: dict[str, ThemeRows] = {}
    for indicator in db.session.scalars(select(Indicator).order_by(Indicator.position,
                                                                    Indicator.code)):
        mine = {e.id: stored[(indicator.id, e.id, place.code)] for e in columns
                if (indicator.id, e.id, place.code) in stored}
        if not mine:
            continue
        figures = [figure_of(mine[e.id], (e.id, indicator.id, place.code) in hidden)
                   if e.id in mine else None for e in columns]
        latest = figures[-1] or Figure()
        before = (figures[-2] or Figure()) if previous else Figure()
        row = OverviewRow(indicator, figures,
                          Trend(indicator, place, _points(indicator, columns, mine, hidden)),
                          latest,
                          direction(indicator, latest, before))
        if overview.municipality is not None and newest is not None:
            whole = figure_of(stored.get((indicator.id, newest.id, municipality.code))
                              if municipality else None,
                              municipality is not None
                              and (newest.id, indicator.id, municipality.code) in hidden)
            row.municipality = whole
            row.vs_municipality = direction(indicator, latest, whole)
        themes.setdefault(indicator.theme, ThemeRows(indicator.theme, name_en=indicator.theme_en)
                          ).rows.append(row)
    overview.themes = list(themes.values())
    return overview


def area_overview(code: str | None = None, staff: bool = False) -> AreaOverview:
    """The overview of the municipality (``code`` None) or of the gebied ``code``, with the
    gebied's wijken, or the municipality's gebieden. Raises NotFound."""
    municipality = get_municipality()
    if code is None:
        if municipality is None:
            return AreaOverview(Place(AreaLevel.MUNICIPALITY, "", ""))
        place = Place(AreaLevel.MUNICIPALITY, municipality.code, municipality.name)
        overview = _overview(place, municipality, staff)
        overview.areas = list(db.session.scalars(select(Area).order_by(Area.name)))
        return overview
    area = db.session.scalars(select(Area).where(Area.code == _checked(code).lower())
                              .options(selectinload(Area.neighbourhoods))).first()
    if area is None:
        raise NotFound()
    overview = _overview(Place(AreaLevel.AREA, area.code, area.name), municipality, staff)
    overview.neighbourhoods = list(area.neighbourhoods)
    return overview


def _indicator_rows() -> list[tuple[object, ...]]:
    return [tuple(row) for row in db.session.execute(
        select(Indicator.__table__).order_by(Indicator.id))]


def municipality_fingerprint() -> tuple[object, ...]:
    """The rows the public municipality page is made of: the published editions, the
    indicators, the gebieden and the municipality's results. Four statements."""
    code = select(Municipality.code).limit(1).scalar_subquery()
    areas = [tuple(row) for row in db.session.execute(
        select(Area.id, Area.code, Area.name).order_by(Area.id))]
    return (_published_editions(), _indicator_rows(), areas,
            *_published_results(Result.area_code == code))


def gebied_fingerprint(code: str) -> tuple[object, ...]:
    """The rows the public page of a gebied is made of: the gebied and its wijken, the
    published editions, the indicators, and the results of the gebied and the
    municipality. Four statements."""
    code = _checked(code).lower()
    area = [tuple(row) for row in db.session.execute(
        select(Area.id, Area.code, Area.name, Neighbourhood.id, Neighbourhood.code,
               Neighbourhood.name)
        .outerjoin(Neighbourhood, Neighbourhood.area_id == Area.id)
        .where(Area.code == code).order_by(Neighbourhood.code))]
    if not area:
        return (None,)
    municipality = select(Municipality.code).limit(1).scalar_subquery()
    return (area, _published_editions(), _indicator_rows(),
            *_published_results(Result.area_code.in_([code, municipality])))


# --- rendered charts, kept per worker -----------------------------------------------------

def _charts() -> LeastRecentlyUsed[Markup]:
    kept: LeastRecentlyUsed[Markup] | None = current_app.extensions.get(_EXTENSION)
    if kept is None:
        kept = current_app.extensions.setdefault(
            _EXTENSION, LeastRecentlyUsed(KEPT_CHART_BYTES, size=len,
                                          largest=KEPT_CHART_BYTES // 16))
    return kept


def kept_chart(key: Hashable, render: Callable[[], Markup]) -> Markup:
    """A rendered chart, kept per worker by ``key``: everything the chart shows (its
    points, texts, language and size), so a kept chart is never out of date and is drawn
    once per change of its data rather than once per request."""
    return _charts().get_or_make(key, render)


def forget_charts() -> None:
    """Forget every kept chart of the current app (for tests and measurements)."""
    if has_app_context():
        _charts().clear()
