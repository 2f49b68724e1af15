"""One indicator for every area side by side (``/uitkomsten/<code>``): the municipality and
the gebieden, a map of the wijken and a table of the wijken, in one edition.

The page is made in two steps:

1. :func:`overview_source` reads everything the page shows as plain tuples, in a fixed
   number of statements (seven, whatever the number of wijken): the indicator, the
   editions, the results of the indicator in the edition, the gebieden and wijken, the
   municipality, the shapes' fingerprint and the figures withheld to protect small ones
   (``panel.results.protection``). It is the public page's fingerprint (``panel.conditional``).
2. :func:`indicator_overview` turns that into lines and a map. The lines and the rendered
   map are kept per worker (``panel.kept``) by a key made of the source, the language and
   the settings, so they are worked out once per edition and change of the data, not per
   request; only sorting the table happens per request. A kept overview is never out of
   date: when anything it is made of changes, so does its key.

A figure based on fewer respondents than ``min_respondents()`` is shown nowhere: not in the
tables, not on the map, not in the download, and neither is its number of respondents.
Nor is a figure withheld to protect it (shown as "x").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from panel.areas.boundaries import boundaries_fingerprint, wijk_map
from panel.areas.models import Area, Municipality, Neighbourhood
from panel.db import db
from panel.errors import NotFound
from panel.i18n import current_language
from panel.kept import LeastRecentlyUsed
from panel.results import maps
from panel.results.formatting import figure_text, format_value, interval_text, respondents_text
from panel.results.models import AreaLevel, Edition, Indicator, Result, default_decimals
from panel.results.protection import withheld_among
from panel.results.services import DIRECTION_LABELS, Figure, direction, figure_of, min_respondents

__all__ = ["SORTS", "IndicatorOverview", "Line", "csv_table", "indicator_overview",
           "overview_fingerprint", "overview_source", "slide_codes"]

# How the wijk table can be sorted (``?sorteer=…&volgorde=op|af``).
SORTS = ("wijk", "gebied", "waarde", "respondenten")
ASCENDING, DESCENDING = "op", "af"
KEPT_BYTES = 16 * 1024 * 1024  # kept overviews per worker, about their size in bytes
_EXTENSION = "panel.results.overview"
_LINE_BYTES = 400  # what one kept line costs, roughly
_INDICATOR_COLUMNS = tuple(Indicator.__table__.columns.keys())


class EditionFacts(NamedTuple):
    id: int
    year: int
    published: bool


class Stored(NamedTuple):
    """One stored result, as plain values (``figure_of`` reads it like a ``Result``)."""

    area_level: str
    area_code: str
    value: float
    respondents: int | None
    ci_low: float | None
    ci_high: float | None


class Place(NamedTuple):
    area_code: str
    area_name: str
    wijk_code: str | None
    wijk_name: str | None


@dataclass(frozen=True)
class Source:
    """Everything the overview of one indicator in one edition is made of."""

    indicator: tuple[Any, ...]
    editions: tuple[EditionFacts, ...]
    edition: EditionFacts | None
    results: tuple[Stored, ...] = ()
    places: tuple[Place, ...] = ()
    municipality: tuple[Any, ...] | None = None
    boundaries: tuple[Any, ...] = ()
    withheld: tuple[str, ...] = ()  # the area codes of the withheld figures

    def key(self) -> str:
        """What the kept lines and map depend on (not the list of editions)."""
        parts = (self.indicator, self.edition, self.results, self.places, self.municipality,
                 self.boundaries, self.withheld, current_language(), min_respondents())
        return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def overview_source(code: str, year: int | None = None, staff: bool = False) -> Source:
    """What the overview of indicator ``code`` in edition ``year`` (the newest visible one by
    default) shows, as plain tuples. Unpublished editions only for ``staff``. Six statements
    at most, whatever the number of wijken. Raises NotFound for an unknown indicator or an
    edition that is not visible."""
    indicator = db.session.execute(
        select(*Indicator.__table__.columns).where(Indicator.code == code)).first()
    if indicator is None:
        raise NotFound()
    query = select(Edition.id, Edition.year, Edition.published).order_by(Edition.year.desc())
    if not staff:
        query = query.where(Edition.published.is_(True))
    editions = tuple(EditionFacts(*row) for row in db.session.execute(query))
    if year is not None:
        edition = next((e for e in editions if e.year == year), None)
        if edition is None:
            raise NotFound()
    else:
        edition = editions[0] if editions else None
    if edition is None:
        return Source(tuple(indicator), editions, None)
    rows = db.session.execute(
        select(Result.area_level, Result.area_code, Result.value, Result.respondents,
               Result.ci_low, Result.ci_high, Result.edition_id, Result.indicator_id,
               Result.withheld, Result.protected_for)
        .where(Result.edition_id == edition.id, Result.indicator_id == indicator.id)
        .order_by(Result.area_level, Result.area_code)).all()
    results = tuple(Stored(*row[:6]) for row in rows)
    places = tuple(Place(*row) for row in db.session.execute(
        select(Area.code, Area.name, Neighbourhood.code, Neighbourhood.name)
        .outerjoin(Neighbourhood, Neighbourhood.area_id == Area.id)
        .order_by(Area.code, Neighbourhood.code)))
    municipality = db.session.execute(
        select(Municipality.code, Municipality.name).limit(1)).first()
    hidden = tuple(sorted(code for edition_id, indicator_id, code in withheld_among(rows)
                          if edition_id == edition.id and indicator_id == indicator.id))
    return Source(tuple(indicator), editions, edition, results, places,
                  tuple(municipality) if municipality else None, boundaries_fingerprint(),
                  hidden)


def overview_fingerprint(code: str, year: int | None = None) -> Source:
    """The public page's fingerprint (published editions only)."""
    return overview_source(code, year, staff=False)


# --- the lines and the map ----------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One row of a table: an area and its figure as shown. ``value`` and ``respondents``
    are None unless the figure is shown (they sort the table, so a suppressed count must
    not be among them)."""

    name: str
    code: str | None = None  # the wijk's code
    href: str = ""  # the wijk's page
    area: str = ""  # the gebied's name (wijk lines)
    value: float | None = None
    respondents: int | None = None
    figure: str = ""
    respondents_text: str = ""
    interval: str = ""
    comparison: str = ""  # better, worse, same, unknown; empty for the municipality
    comparison_text: str = ""
    suppressed: bool = False
    withheld: bool = False  # shown as "x" (``panel.results.protection``)


@dataclass(frozen=True)
class LegendEntry:
    swatch: Markup
    text: str


@dataclass(frozen=True)
class Built:
    """The kept part of an overview: the lines and the rendered map, in one language."""

    municipality: Line | None
    areas: tuple[Line, ...]
    wijken: tuple[Line, ...]
    map: Markup | None
    legend: tuple[LegendEntry, ...]
    measured: bool  # whether the edition has any result of the indicator

    @property
    def size(self) -> int:
        return len(self.map or "") + _LINE_BYTES * (len(self.areas) + len(self.wijken) + 1)


@dataclass
class IndicatorOverview:
    """The overview page of one indicator: what was built, with the wijken in the order the
    visitor asked for."""

    indicator: Indicator
    edition: EditionFacts | None
    editions: tuple[EditionFacts, ...]
    municipality_name: str
    built: Built | None
    sort: str = "wijk"
    descending: bool = False
    wijken: list[Line] = field(default_factory=list)

    @property
    def withheld(self) -> bool:
        """Whether a figure is shown as "x": the page then says what "x" means."""
        built = self.built
        return built is not None and any(
            line is not None and line.withheld
            for line in (built.municipality, *built.areas, *built.wijken))


def _kept() -> LeastRecentlyUsed[Any]:
    kept: LeastRecentlyUsed[Any] | None = current_app.extensions.get(_EXTENSION)
    if kept is None:
        kept = current_app.extensions[_EXTENSION] = LeastRecentlyUsed(
            KEPT_BYTES, size=lambda value: getattr(value, "size", 1) or 1)
    return kept


def forget() -> None:
    """Forget every kept overview and label point of the current app (for tests)."""
    current_app.extensions.pop(_EXTENSION, None)


def _indicator(source: Source) -> Indicator:
    """A transient indicator (never added to the session) from the source's row."""
    return Indicator(**dict(zip(_INDICATOR_COLUMNS, source.indicator, strict=True)))


def _line(indicator: Indicator, figure: Figure, whole: Figure | None, name: str,
          code: str | None = None, area: str = "", href: str = "") -> Line:
    comparison = direction(indicator, figure, whole) if whole is not None else ""
    return Line(name=name, code=code, href=href, area=area,
                value=figure.value if figure.shown else None,
                respondents=figure.respondents if figure.shown else None,
                figure=figure_text(indicator, figure), respondents_text=respondents_text(figure),
                interval=interval_text(indicator, figure), comparison=comparison,
                comparison_text=str(DIRECTION_LABELS[comparison]) if comparison else "",
                suppressed=figure.suppressed, withheld=figure.withheld)


def _label_points(fingerprint: tuple[Any, ...], shapes: Sequence[Any]
                  ) -> dict[str, tuple[float, float, float] | None]:
    """Where each shape's figure is written, kept by the shapes' fingerprint (the same for
    every indicator and edition)."""
    kept = _kept()
    key = ("label points", hashlib.sha256(repr(fingerprint).encode()).hexdigest())
    points: dict[str, tuple[float, float, float] | None] = kept.get_or_make(
        key, lambda: dict(zip([s.code for s in shapes],
                              maps.label_points([s.path for s in shapes]), strict=True)))
    return points


def _map(source: Source, indicator: Indicator, lines: dict[str, Line]
         ) -> tuple[Markup | None, tuple[LegendEntry, ...]]:
    """The map of the wijken and its legend, or None without shapes."""
    shapes = wijk_map()
    if shapes is None or not shapes.shapes:
        return None, ()
    points = _label_points(source.boundaries, shapes.shapes)
    decimals = indicator.decimals if indicator.decimals is not None \
        else default_decimals(indicator.unit)
    shown = [lines[s.code].value for s in shapes.shapes
             if s.code in lines and lines[s.code].value is not None]
    bands = maps.class_breaks([v for v in shown if v is not None], decimals,
                              indicator.higher_is_better)
    areas: list[maps.MapArea] = []
    for shape in shapes.shapes:
        line = lines.get(shape.code)
        if line is None:
            kind: int | str = maps.OUTSIDE
        elif line.value is not None:
            kind = maps.classify(line.value, bands, decimals)
        else:
            kind = maps.SUPPRESSED if line.suppressed else maps.MISSING
        label = _("%(wijk)s: %(figure)s", wijk=shape.name,
                  figure=line.figure if line else _("no figure"))
        areas.append(maps.MapArea(
            code=shape.code, name=shape.name, label=label, path=shape.path,
            href=line.href if line is not None else None, kind=kind,
            text=line.figure if line is not None and line.value is not None else "",
            point=points.get(shape.code)))
    language = current_language()
    year = source.edition.year if source.edition else ""
    svg = maps.choropleth(
        shapes.view_box, areas, bands,
        title=_("Map: %(indicator)s, per wijk, %(year)s", indicator=indicator.name(language),
                year=year),
        description=_("Each wijk is a link to its own results. The darker the colour, the "
                      "worse the figure. The table below the map has the same figures."))
    legend: list[LegendEntry] = []
    for index, band in enumerate(bands):
        low, high = format_value(indicator, float(band.low)), \
            format_value(indicator, float(band.high))
        text = low if low == high else _("%(low)s to %(high)s", low=low, high=high)
        legend.append(LegendEntry(maps.legend_swatch(index, bands, ""), text))
    kinds = {area.kind for area in areas}
    if maps.SUPPRESSED in kinds:
        legend.append(LegendEntry(maps.legend_swatch(maps.SUPPRESSED, bands,
                                                     "wp-legend-suppressed"),
                                  _("too few respondents, or x")
                                  if any(line.withheld for line in lines.values())
                                  else _("too few respondents")))
    if kinds & {maps.MISSING, maps.OUTSIDE}:
        legend.append(LegendEntry(maps.legend_swatch(maps.MISSING, bands, "wp-legend-missing"),
                                  _("no figure")))
    return svg, tuple(legend)


def _figure(result: Stored | None, withheld: tuple[str, ...] = ()) -> Figure:
    """``figure_of`` for a result read as plain values (it reads the same attributes);
    ``withheld`` are the area codes of the figures withheld in this table."""
    return figure_of(cast("Result | None", result),
                     result is not None and result.area_code in withheld)


def _build(source: Source, link: Callable[[str], str]) -> Built:
    indicator = _indicator(source)
    stored = {(r.area_level, r.area_code): r for r in source.results}
    municipality_code = source.municipality[0] if source.municipality else None
    hidden = source.withheld
    whole = _figure(stored.get((AreaLevel.MUNICIPALITY, municipality_code)), hidden)
    municipality = _line(indicator, whole, None, _("Municipality")) \
        if municipality_code and (whole.value is not None or whole.suppressed) else None
    areas: list[Line] = []
    wijken: dict[str, Line] = {}
    seen_areas: set[str] = set()
    for place in source.places:
        if place.area_code not in seen_areas:
            seen_areas.add(place.area_code)
            result = stored.get((AreaLevel.AREA, place.area_code))
            if result is not None:
                areas.append(_line(indicator, _figure(result, hidden), whole,
                                   place.area_name))
        if place.wijk_code is not None and place.wijk_name is not None:
            result = stored.get((AreaLevel.NEIGHBOURHOOD, place.wijk_code))
            wijken[place.wijk_code] = _line(
                indicator, _figure(result, hidden), whole, place.wijk_name,
                code=place.wijk_code, area=place.area_name, href=link(place.wijk_code))
    areas.sort(key=lambda line: line.name.casefold())
    svg, legend = _map(source, indicator, wijken)
    return Built(municipality, tuple(areas), tuple(wijken.values()), svg, legend,
                 measured=bool(source.results))


def _built(source: Source, link: Callable[[str], str]) -> Built:
    kept = _kept()
    built: Built = kept.get_or_make(("overview", source.key()), lambda: _build(source, link))
    return built


def sorted_lines(lines: Iterable[Line], sort: str, descending: bool) -> list[Line]:
    """The wijken in the asked order; lines without a shown figure (or count) always last,
    so that the order never tells anything about a suppressed figure."""
    by_name = sorted(lines, key=lambda line: (line.name.casefold(), line.code or ""))
    if sort == "gebied":
        ordered = sorted(by_name, key=lambda line: line.area.casefold(), reverse=descending)
    elif sort in ("waarde", "respondenten"):
        def number(line: Line) -> float | None:
            return line.value if sort == "waarde" else line.respondents
        known = [line for line in by_name if number(line) is not None]
        unknown = [line for line in by_name if number(line) is None]
        ordered = sorted(known, key=lambda line: number(line) or 0.0, reverse=descending) \
            + unknown
    else:
        ordered = list(reversed(by_name)) if descending else by_name
    return ordered


def indicator_overview(code: str, year: int | None = None, staff: bool = False, *,
                       sort: str | None = None, order: str | None = None,
                       link: Callable[[str], str], source: Source | None = None
                       ) -> IndicatorOverview:
    """The overview of indicator ``code`` in edition ``year`` (the newest visible one by
    default; unpublished editions only for ``staff``), the wijken sorted by ``sort`` (one
    of :data:`SORTS`, by name otherwise) in ``order`` (``"af"`` is descending). ``link``
    gives the address of a wijk's page. ``source`` is the :func:`overview_source` already
    read for this request, if any. Raises NotFound."""
    source = source or overview_source(code, year, staff)
    indicator = _indicator(source)
    municipality_name = source.municipality[1] if source.municipality else ""
    chosen = sort if sort in SORTS else "wijk"
    descending = order == DESCENDING
    report = IndicatorOverview(indicator=indicator, edition=source.edition,
                               editions=source.editions, municipality_name=municipality_name,
                               built=None, sort=chosen, descending=descending)
    if source.edition is None:
        return report
    report.built = _built(source, link)
    report.wijken = sorted_lines(report.built.wijken, chosen, descending)
    return report


def csv_table(report: IndicatorOverview) -> tuple[list[str], list[list[str]]]:
    """The download: the columns of the wijk table with the year in their headers, and the
    rows of the page (the municipality, the gebieden, then the wijken in the page's order),
    with the figures written as on the page."""
    year = report.edition.year if report.edition else ""
    headers = [_("Wijk"), _("Gebied"), _("Figure %(year)s", year=year),
               _("Respondents %(year)s", year=year), _("Margin %(year)s", year=year),
               _("Compared with the municipality in %(year)s", year=year)]
    rows: list[list[str]] = []
    built = report.built
    if built is None:
        return headers, rows
    if built.municipality is not None:
        rows.append([_("Whole municipality"), "", built.municipality.figure,
                     built.municipality.respondents_text, built.municipality.interval, ""])
    for line in built.areas:
        rows.append(["", line.name, line.figure, line.respondents_text, line.interval,
                     line.comparison_text])
    for line in report.wijken:
        rows.append([line.name, line.area, line.figure, line.respondents_text, line.interval,
                     line.comparison_text])
    return headers, rows


def slide_codes(edition: EditionFacts | None) -> list[str]:
    """The indicators with results in ``edition``, in their order: the map slides of the
    presentation. One statement."""
    if edition is None:
        return []
    measured = select(Result.indicator_id).where(Result.edition_id == edition.id)
    return list(db.session.scalars(
        select(Indicator.code).where(Indicator.id.in_(measured))
        .order_by(Indicator.position, Indicator.code)))


def indicator_links(language: str) -> list[tuple[str, str]]:
    """(code, name) of the indicators with results in the newest published edition, in
    their order: the links from ``/wijken`` to the overviews. Two statements."""
    year = db.session.scalar(select(Edition.id).where(Edition.published.is_(True))
                             .order_by(Edition.year.desc()).limit(1))
    if year is None:
        return []
    measured = select(Result.indicator_id).where(Result.edition_id == year)
    rows = db.session.execute(
        select(Indicator.code, Indicator.name_nl, Indicator.name_en)
        .where(Indicator.id.in_(measured)).order_by(Indicator.position, Indicator.code))
    return [(code, name_en if language == "en" else name_nl) for code, name_nl, name_en in rows]
