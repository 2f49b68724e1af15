"""Loading the shapes of wijken and buurten from CBS's *wijk- en buurtkaart* (GeoJSON).

CBS and PDOK publish the map as GeoJSON in RD New (EPSG:28992, metres; the file's ``crs``
member names it, e.g. ``urn:ogc:def:crs:EPSG::28992``) or in WGS84 (longitude and
latitude: no ``crs`` member, or CRS84/EPSG:4326). Without a ``crs`` member the
coordinates tell which one it is. Each feature is a wijk or buurt, found by its CBS code in
a property named like ``buurtcode``/``BU_CODE`` (a buurt), ``wijkcode``/``WK_CODE`` (a
wijk), ``statcode`` or ``code`` (``BU…`` a buurt, ``WK…`` a wijk).

The importer is the usual skeleton (``panel.importing``) with one line per feature, the
line number being the feature's number in the file. :meth:`BoundariesImporter.read` turns
the FeatureCollection into rows, and already leaves out the shapes of other
municipalities (by ``gemeentecode``/``GM_CODE`` or the code's digits) before any geometry
is read, so the national file (some 17,000 shapes) is read in seconds: they are only
counted in the report's notes. A shape of this municipality is repaired when it is not
valid (``shapely.make_valid``), projected to RD New (pyproj), simplified with a tolerance
of :data:`TOLERANCE_METRES` and rounded to whole metres, and stored in RD New (for the
maps, ``panel.areas.boundaries``) and in WGS84 (for the API). A code of this municipality
without its wijk or buurt in the database is skipped with a warning. Good shapes are kept
when another feature is rejected (shapes do not depend on each other).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import shapely
from flask_babel import lazy_gettext as _l
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from sqlalchemy import select

from panel.areas.boundaries import BUURT, WIJK
from panel.areas.models import Boundary, District, Municipality, Neighbourhood
from panel.areas.services import cbs_code, get_municipality
from panel.auth.permissions import may_administer
from panel.db import db, utcnow
from panel.errors import DomainError
from panel.importing import FirstSeen, Importer, ImportReport, Line, Row, Status
from panel.tabular import Table, normalise_header

# Shapes are simplified so that no point moves more than this many metres. A map of a
# municipality is 1000 units wide, so one unit is 10 to 30 metres: at 10 metres nothing
# visible is lost, while the shapes of CBS (points every few metres) become about ten
# times smaller.
TOLERANCE_METRES = 10.0
WGS84_DECIMALS = 6  # about 10 centimetres
LEVEL_NAMES = {WIJK: "wijk", BUURT: "buurt"}
# Feature properties holding a code, in order of preference (normalised, see
# panel.tabular.normalise_header): a buurt's features also carry the code of its wijk.
CODE_FIELDS = ("buurt", "wijk", "statcode", "code")
# Codes and names in the notes: at most this many, then "and N more".
LISTED_CODES = 20
# The part of the world RD New covers (metres), with some room: to tell RD from other grids.
RD_X = (-10_000, 310_000)
RD_Y = (280_000, 640_000)


class CoordinateSystem:
    RD = "rd"
    WGS84 = "wgs84"  # longitude, latitude
    WGS84_SWAPPED = "wgs84-swapped"  # latitude, longitude (EPSG:4326 read to the letter)


@cache
def _to_rd() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)


@cache
def _to_wgs84() -> Transformer:
    return Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)


@dataclass
class _Planned:
    level: str
    code: str
    geojson: str
    rd_rings: str
    bounds: tuple[float, float, float, float]


@dataclass
class _Context:
    municipality: Municipality
    wijken: set[str]
    buurten: set[str]
    existing: dict[tuple[str, str], Boundary]
    seen: FirstSeen = field(default_factory=FirstSeen)


class BoundariesImporter(Importer[_Context, _Planned]):
    """``BoundariesImporter(user).run(data, filename, dry_run=…)``: administrators only."""

    columns = {
        "buurt": ("buurtcode", "bu code"),
        "wijk": ("wijkcode", "wk code"),
        "statcode": ("statcode",),
        "code": ("code",),
        "municipality": ("gemeentecode", "gm code"),
    }
    all_or_nothing = False
    no_lines = _l("The file has no wijken or buurten of this municipality.")

    def __init__(self, user: Any = None) -> None:
        super().__init__(user)
        self.geometries: dict[int, Any] = {}  # feature number -> its GeoJSON geometry
        self.system = CoordinateSystem.RD
        self.other_municipalities = 0

    def may_import(self, user: Any) -> bool:
        return may_administer(user)

    # --- reading ------------------------------------------------------------------------

    def read(self, data: bytes, filename: str, header_line: int | None = None) -> Table:
        """The features of this municipality as rows (their properties, the geometry kept
        aside), numbered as in the file; the others only counted. Raises DomainError when
        the file is not a GeoJSON FeatureCollection in RD New or WGS84.

        Features of other municipalities are dropped while the file is parsed, each as
        soon as it is read, so that the national file never stands in memory whole."""
        municipality = get_municipality()
        if municipality is None:
            raise DomainError(_l("Set the municipality first (set-municipality); the shapes "
                                 "are chosen by its code."))
        names: dict[str, str] = {}  # a property's name -> its normalised name

        def feature_of_this_municipality(value: dict[str, Any]) -> object:
            if value.get("type") != "Feature":
                return value
            properties = value.get("properties")
            values = {names.get(key) or names.setdefault(key, normalise_header(key)):
                      _text(item)
                      for key, item in (properties if isinstance(properties, dict)
                                        else {}).items()}
            if _municipality_of(self.feature_row(values)) not in (None, municipality.digits):
                return _OTHER
            value["properties"] = values
            return value

        collection = _collection(data, feature_of_this_municipality)
        table = Table(headers=[], header_line=0)
        headers: set[str] = set()
        kept: list[dict[str, Any]] = []
        for number, feature in enumerate(collection["features"], start=1):
            if feature is _OTHER:
                self.other_municipalities += 1
            elif isinstance(feature, dict):
                headers.update(feature["properties"])
                table.rows.append((number, feature["properties"]))
                self.geometries[number] = feature.get("geometry")
                kept.append(feature)
        table.headers = sorted(headers)
        self.system = _coordinate_system(_declared_crs(collection), kept)
        return table

    def feature_row(self, values: Mapping[str, str]) -> Row:
        """A feature's properties read by field name, each by the first of its usual
        names the feature has (files joined from several sources name them differently)."""
        return Row(values, {name: next((h for h in aliases if h in values), None)
                            for name, aliases in self.columns.items()})

    def check_mapping(self, table: Table, mapping: Mapping[str, str | None],
                      report: ImportReport) -> None:
        if not any(mapping.get(name) for name in CODE_FIELDS):
            report.file_errors.append(str(_l(
                "The shapes in the file have no property with the CBS code of a wijk or buurt "
                "(such as wijkcode, buurtcode, WK_CODE, BU_CODE, statcode or code).")))

    # --- checking -----------------------------------------------------------------------

    def prepare(self, table: Table, mapping: Mapping[str, str | None]) -> _Context:
        municipality = get_municipality()
        assert municipality is not None  # read() refuses the file otherwise
        return _Context(
            municipality=municipality,
            wijken=set(db.session.scalars(select(Neighbourhood.code))),
            buurten=set(db.session.scalars(select(District.code))),
            existing={(b.level, b.code): b for b in db.session.scalars(select(Boundary))})

    def check(self, line: Line, row: Row, context: _Context) -> _Planned | None:
        found = _code(self.feature_row(row.values))
        if found is None:
            line.reject(_l("The shape has no CBS code of a wijk or buurt."))
            return None
        level, code = found
        if level is None:
            line.subject = code
            line.skip(_l("%(code)s is not a wijk or buurt.", code=code))
            return None
        line.subject = f"{LEVEL_NAMES[level]} {code}"
        earlier = context.seen.earlier((level, code), line.line)
        if earlier is not None:
            line.reject(_l("This code is also on feature %(line)s.", line=earlier))
            return None
        try:
            shape_rd, repaired = _read_geometry(self.geometries.get(line.line), self.system)
        except _Unreadable as exc:
            line.reject(exc.message)
            return None
        if repaired:
            line.warn(_l("The shape was not valid; it has been repaired."))
        known = context.wijken if level == WIJK else context.buurten
        if code not in known:
            line.status = Status.SKIPPED
            line.warn(_l("There is no %(level)s %(code)s in the database; its shape is left "
                         "out. Load the areas first (load-areas).", level=LEVEL_NAMES[level],
                         code=code))
            return None
        planned = _plan(level, code, shape_rd)
        current = context.existing.get((level, code))
        if current is None:
            return planned
        if (current.geojson, current.rd_rings) == (planned.geojson, planned.rd_rings):
            line.status = Status.UNCHANGED
            return None
        line.status = Status.UPDATED
        return planned

    def finish(self, report: ImportReport, plan: list[_Planned], context: _Context) -> None:
        """Notes: how many shapes of other municipalities were left out, and which wijken
        (and buurten, once any has a shape) have no shape after this load."""
        if self.other_municipalities:
            report.notes.append(str(_l(
                "Shapes of other municipalities left out: %(count)s.",
                count=self.other_municipalities)))
        shaped = set(context.existing) | {(p.level, p.code) for p in plan}
        missing_wijken = sorted(c for c in context.wijken if (WIJK, c) not in shaped)
        if missing_wijken:
            report.notes.append(str(_l("Wijken without a shape: %(codes)s.",
                                       codes=_listed(missing_wijken))))
        if any(level == BUURT for level, _code in shaped):
            missing_buurten = sorted(c for c in context.buurten if (BUURT, c) not in shaped)
            if missing_buurten:
                report.notes.append(str(_l("Buurten without a shape: %(codes)s.",
                                           codes=_listed(missing_buurten))))

    def apply(self, plan: list[_Planned], context: _Context) -> None:
        now = utcnow()
        for planned in plan:
            boundary = context.existing.get((planned.level, planned.code))
            if boundary is None:
                boundary = Boundary(level=planned.level, code=planned.code)
                db.session.add(boundary)
            boundary.geojson, boundary.rd_rings = planned.geojson, planned.rd_rings
            boundary.min_x, boundary.min_y, boundary.max_x, boundary.max_y = planned.bounds
            boundary.loaded_at = now


# --- the file ---------------------------------------------------------------------------

_OTHER = object()  # a feature of another municipality, in place of its data


def _collection(data: bytes, hook: Any) -> dict[str, Any]:
    """The file as a GeoJSON FeatureCollection (one Feature counts as a collection), each
    JSON object passed through ``hook`` as it is read (``json.loads``'s object hook)."""
    try:
        document = json.loads(data, object_hook=hook)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DomainError(_l("The file is not GeoJSON. Download the wijk- en buurtkaart as "
                             "GeoJSON.")) from exc
    if document is _OTHER or isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        raise DomainError(_l("The file is not a GeoJSON FeatureCollection."))
    return document


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _declared_crs(collection: dict[str, Any]) -> str | None:
    """The coordinate system the collection's ``crs`` member names (GeoJSON 2008), if any:
    ``{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}``."""
    crs = collection.get("crs")
    if not isinstance(crs, dict):
        return None
    properties = crs.get("properties")
    name = properties.get("name") if isinstance(properties, dict) else None
    return str(name) if name else None


def _coordinate_system(declared: str | None, features: list[dict[str, Any]]) -> str:
    """RD New or WGS84, from the ``crs`` member or, without one, from the coordinates (RD
    New has metres in the hundreds of thousands, WGS84 degrees). Files in WGS84 that follow
    EPSG:4326 to the letter put the latitude first: they are read as well."""
    sample = _first_point(features)
    if declared is not None:
        name = declared.upper().replace(" ", "")
        if "28992" in name:
            return CoordinateSystem.RD
        if not any(known in name for known in ("CRS84", "4326", "WGS84")):
            raise DomainError(_l(
                "The file uses the coordinate system %(crs)s. Download the map in RD New "
                "(EPSG:28992) or WGS84 (EPSG:4326).", crs=declared))
    elif sample is not None and (abs(sample[0]) > 180 or abs(sample[1]) > 180):
        if not (RD_X[0] <= sample[0] <= RD_X[1] and RD_Y[0] <= sample[1] <= RD_Y[1]):
            raise DomainError(_l(
                "The coordinates in the file are not in RD New (EPSG:28992) or WGS84 "
                "(EPSG:4326). Download the map in one of those."))
        return CoordinateSystem.RD
    if sample is not None and abs(sample[0]) > abs(sample[1]):
        return CoordinateSystem.WGS84_SWAPPED  # the Netherlands: latitude > longitude
    return CoordinateSystem.WGS84


def _first_point(features: list[dict[str, Any]]) -> tuple[float, float] | None:
    for feature in features:
        coordinates = (feature.get("geometry") or {}).get("coordinates") \
            if isinstance(feature.get("geometry"), dict) else None
        while isinstance(coordinates, list) and coordinates \
                and isinstance(coordinates[0], list):
            coordinates = coordinates[0]
        if isinstance(coordinates, list) and len(coordinates) >= 2 \
                and all(isinstance(c, int | float) for c in coordinates[:2]):
            return float(coordinates[0]), float(coordinates[1])
    return None


# --- codes ------------------------------------------------------------------------------

def _code(row: Row) -> tuple[str | None, str] | None:
    """The feature's level and CBS code: (``neighbourhood``, ``WK036101``), (``district``,
    ``BU03610101``), (None, ``GM0361``) for a municipality's outline; None without a code.
    A buurt's code comes first: a buurt's feature also has its wijk's code (so a buurt
    whose code cannot be read is not taken for its wijk)."""
    for name in CODE_FIELDS:
        raw = row.get(name).replace(" ", "").upper()
        if not raw:
            continue
        if name in ("buurt", "wijk") and raw.isdigit():  # CBS's numbers without the prefix
            raw = cbs_code(raw, "BU" if name == "buurt" else "WK") or raw
        for prefix, level in (("BU", BUURT), ("WK", WIJK), ("GM", None)):
            if raw.startswith(prefix) and cbs_code(raw, prefix) == raw:
                return level, raw
        if name == "buurt":
            return None
    return None


def _municipality_of(row: Row) -> str | None:
    """The digits of the feature's municipality (``0361``): from ``gemeentecode`` or
    ``GM_CODE``, otherwise from its code; None when it has neither."""
    raw = row.get("municipality")
    if raw:
        code = cbs_code(raw, "GM")
        if code is not None:
            return code[2:]
    found = _code(row)
    return found[1][2:6] if found is not None else None


def _listed(codes: list[str]) -> str:
    shown = ", ".join(codes[:LISTED_CODES])
    if len(codes) > LISTED_CODES:
        return str(_l("%(codes)s and %(count)s more", codes=shown,
                      count=len(codes) - LISTED_CODES))
    return shown


# --- shapes -----------------------------------------------------------------------------

class _Unreadable(Exception):
    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = str(message)


def _read_geometry(geometry: object, system: str) -> tuple[MultiPolygon, bool]:
    """The shape in RD New and whether it had to be repaired. Raises _Unreadable."""
    if not isinstance(geometry, dict) or not geometry.get("type"):
        raise _Unreadable(_l("The feature has no shape."))
    if geometry["type"] not in ("Polygon", "MultiPolygon"):
        raise _Unreadable(_l("The shape is a %(kind)s, not a (multi)polygon.",
                             kind=geometry["type"]))
    try:
        read = shapely.force_2d(shape(geometry))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError,
            shapely.errors.ShapelyError) as exc:
        raise _Unreadable(_l("The shape cannot be read.")) from exc
    if system != CoordinateSystem.RD:
        read = shapely.transform(read, _wgs84_to_rd(swapped=system ==
                                                    CoordinateSystem.WGS84_SWAPPED))
    if not np.isfinite(shapely.get_coordinates(read)).all():
        raise _Unreadable(_l("The shape cannot be read."))
    repaired = not read.is_valid
    if repaired:
        try:
            read = shapely.make_valid(read)
        except shapely.errors.GEOSException as exc:
            raise _Unreadable(_l("The shape cannot be read.")) from exc
    polygons = _polygons(read)
    if polygons.is_empty or polygons.area <= 0:
        raise _Unreadable(_l("The shape is empty."))
    return polygons, repaired


def _wgs84_to_rd(swapped: bool) -> Any:
    def transform(points: np.ndarray) -> np.ndarray:
        lon, lat = (points[:, 1], points[:, 0]) if swapped else (points[:, 0], points[:, 1])
        x, y = _to_rd().transform(lon, lat)
        return np.column_stack([x, y])
    return transform


def _to_wgs84_points(points: np.ndarray) -> np.ndarray:
    lon, lat = _to_wgs84().transform(points[:, 0], points[:, 1])
    return np.round(np.column_stack([lon, lat]), WGS84_DECIMALS)


def _polygons(geometry: Any) -> MultiPolygon:
    """The polygons in ``geometry`` (after a repair it may hold lines or points as well)."""
    parts = [part for part in shapely.get_parts(geometry)
             if isinstance(part, Polygon | MultiPolygon) and not part.is_empty]
    polygons = [p for part in parts
                for p in (part.geoms if isinstance(part, MultiPolygon) else [part])]
    return MultiPolygon(polygons) if polygons else MultiPolygon()


def _plan(level: str, code: str, shape_rd: MultiPolygon) -> _Planned:
    """Simplify, round to whole metres, orient (outer rings anticlockwise, holes clockwise)
    and write the shape in both forms."""
    polygons = [orient(polygon, 1.0) for polygon in _simplified(shape_rd).geoms]
    rd_rings = [[_whole_metre_ring(ring.coords) for ring in (polygon.exterior,
                                                              *polygon.interiors)]
                for polygon in polygons]
    wgs84 = shapely.transform(polygons[0] if len(polygons) == 1 else MultiPolygon(polygons),
                              _to_wgs84_points)
    geojson = json.dumps(_lists(mapping(wgs84)), separators=(",", ":"))
    min_x, min_y, max_x, max_y = MultiPolygon(polygons).bounds
    return _Planned(level, code, geojson, json.dumps(rd_rings, separators=(",", ":")),
                    (float(min_x), float(min_y), float(max_x), float(max_y)))


def _simplified(shape_rd: MultiPolygon) -> MultiPolygon:
    """The shape simplified (no point moves more than the tolerance) and on a grid of whole
    metres. Each polygon is simplified by itself, which keeps it valid; parts smaller than
    the tolerance squared (slivers, often left over from a repair) are dropped, the
    largest part always kept."""
    parts = sorted(shape_rd.geoms, key=lambda part: part.area, reverse=True)
    kept = [parts[0], *(part for part in parts[1:] if part.area >= TOLERANCE_METRES ** 2)]
    simple = shapely.unary_union([part.simplify(TOLERANCE_METRES, preserve_topology=True)
                                  for part in kept])
    try:
        rounded = _polygons(shapely.set_precision(simple, 1.0))
    except shapely.errors.GEOSException:  # GEOS cannot always snap a shape to the grid
        rounded = MultiPolygon()
    if rounded.is_empty:  # points are rounded when they are written instead
        rounded = _polygons(simple)
    return MultiPolygon(sorted(rounded.geoms, key=lambda part: part.area, reverse=True))


def _whole_metre_ring(points: Any) -> list[list[int]]:
    return [[round(x), round(y)] for x, y in points]


def _lists(value: Any) -> Any:
    """shapely's ``mapping`` with lists instead of tuples (for the same JSON every time)."""
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(item) for item in value]
    return value
