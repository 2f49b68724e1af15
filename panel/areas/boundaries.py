"""The shapes of the wijken for maps, drawn as SVG paths.

The shapes are loaded with ``flask --app app load-boundaries`` (``boundaries_importer.py``)
and stored simplified, in RD New metres (EPSG:28992, the Dutch national grid: x to the
east, y to the north). A map is drawn in one fixed coordinate system: RD metres shifted so
that the bounding box of all wijk shapes starts at 0, y flipped (SVG's y points down),
scaled to a width of :data:`MAP_WIDTH` units and rounded to 1 decimal. A page draws it as::

    {% set map = wijk_map %}
    <svg viewBox="{{ map.view_box }}" role="img" aria-labelledby="…">
      {% for shape in map.shapes %}
        <path d="{{ shape.path }}" fill-rule="evenodd"><title>{{ shape.name }}</title></path>
      {% endfor %}
    </svg>

A page that shows a map adds :func:`boundaries_fingerprint` to its own fingerprint
(``panel.conditional``), so that loading new shapes gives the page a new ETag.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from sqlalchemy import null, select

from panel.areas.models import Area, Boundary, District, Neighbourhood
from panel.db import db

MAP_WIDTH = 1000  # the width of every map in its own units (the view box)
WIJK = "neighbourhood"
BUURT = "district"
LEVELS = (WIJK, BUURT)


@dataclass(frozen=True)
class Shape:
    """One wijk on the map.

    ``code`` is the wijk's CBS code (``WK036101``), ``name`` its name, ``area_code`` the code
    of its gebied (``noord``) and ``path`` the SVG path data (the ``d`` attribute) in the
    map's coordinate system: for each polygon of the wijk, each ring (outer ring, then its
    holes) as ``M x y L x y … Z``. Holes are drawn as holes with ``fill-rule="evenodd"``
    (and with the default ``nonzero`` too: holes run the other way round).
    """

    code: str
    name: str
    area_code: str
    path: str


@dataclass(frozen=True)
class WijkMap:
    """The map of all wijken that have a shape.

    ``view_box`` is the SVG ``viewBox``: ``"0 0 1000 H"``, where ``H`` (``height``) follows
    from the municipality's proportions; ``shapes`` are the wijken in order of their code.
    ``scale`` (map units per metre) and ``origin`` (the RD point at the map's top left, in
    metres) let a page place other RD points: ``x = (rd_x - origin[0]) * scale``,
    ``y = (origin[1] - rd_y) * scale``.
    """

    view_box: str
    width: int
    height: int
    shapes: list[Shape]
    scale: float
    origin: tuple[float, float]


def wijk_map() -> WijkMap | None:
    """The map of the wijken with a shape, or None when no wijk has one (no shapes are
    loaded yet). One statement, whatever the number of wijken."""
    rows = db.session.execute(
        select(Boundary.code, Boundary.rd_rings, Boundary.min_x, Boundary.min_y,
               Boundary.max_x, Boundary.max_y, Neighbourhood.name, Area.code)
        .join(Neighbourhood, Neighbourhood.code == Boundary.code)
        .join(Area, Area.id == Neighbourhood.area_id)
        .where(Boundary.level == WIJK)
        .order_by(Boundary.code)).all()
    if not rows:
        return None
    min_x = min(row.min_x for row in rows)
    min_y = min(row.min_y for row in rows)
    max_x = max(row.max_x for row in rows)
    max_y = max(row.max_y for row in rows)
    scale = MAP_WIDTH / max(max_x - min_x, 1.0)
    height = max(1, math.ceil(round((max_y - min_y) * scale, 1)))
    shapes = [Shape(code=code, name=name, area_code=area_code,
                    path=svg_path(json.loads(rings), scale, min_x, max_y))
              for code, rings, _a, _b, _c, _d, name, area_code in rows]
    return WijkMap(view_box=f"0 0 {MAP_WIDTH} {height}", width=MAP_WIDTH, height=height,
                   shapes=shapes, scale=scale, origin=(min_x, max_y))


def svg_path(polygons: list[list[list[list[float]]]], scale: float, left: float,
             top: float) -> str:
    """SVG path data for polygons in RD metres (lists of rings of ``[x, y]``): shifted so
    that (``left``, ``top``) is 0 0, y flipped, scaled and rounded to 1 decimal."""
    parts = []
    for rings in polygons:
        for ring in rings:
            points = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
            if len(points) < 3:
                continue
            coordinates = [f"{_number((x - left) * scale)} {_number((top - y) * scale)}"
                           for x, y in points]
            parts.append(f"M{coordinates[0]}L{' '.join(coordinates[1:])}Z")
    return "".join(parts)


def _number(value: float) -> str:
    """A coordinate rounded to 1 decimal, without a needless ``.0`` (``12``, ``12.5``)."""
    text = f"{round(value, 1):.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def boundaries_fingerprint(level: str = WIJK) -> tuple[object, ...]:
    """What the maps and the API's boundaries show for ``level`` (wijken by default, or
    ``"district"`` for buurten): per shape its code, when it was loaded, and the name,
    gebied (and for a buurt the wijk) it is shown with, as plain tuples for
    ``panel.conditional``. One statement."""
    if level == BUURT:
        query = (select(Boundary.code, Boundary.loaded_at, District.name, Area.code,
                        Neighbourhood.code)
                 .join(District, District.code == Boundary.code)
                 .join(Neighbourhood, Neighbourhood.id == District.neighbourhood_id))
    else:
        query = (select(Boundary.code, Boundary.loaded_at, Neighbourhood.name, Area.code)
                 .join(Neighbourhood, Neighbourhood.code == Boundary.code))
    rows = db.session.execute(query.join(Area, Area.id == Neighbourhood.area_id)
                              .where(Boundary.level == level)
                              .order_by(Boundary.code)).all()
    return (level, *(tuple(row) for row in rows))


@dataclass(frozen=True)
class Feature:
    """One wijk or buurt for the API: its code, name, gebied, for a buurt its wijk (None for
    a wijk) and its GeoJSON geometry in WGS84 (already parsed)."""

    code: str
    name: str
    area_code: str
    wijk_code: str | None
    geometry: dict[str, object]


def features(level: str = WIJK) -> list[Feature]:
    """The wijken (or buurten, ``level="district"``) that have a shape, with their WGS84
    geometry, in order of their code. One statement."""
    if level == BUURT:
        query = (select(Boundary.code, District.name, Area.code, Neighbourhood.code,
                        Boundary.geojson)
                 .join(District, District.code == Boundary.code)
                 .join(Neighbourhood, Neighbourhood.id == District.neighbourhood_id))
    else:
        query = (select(Boundary.code, Neighbourhood.name, Area.code, null(), Boundary.geojson)
                 .join(Neighbourhood, Neighbourhood.code == Boundary.code))
    rows = db.session.execute(query.join(Area, Area.id == Neighbourhood.area_id)
                              .where(Boundary.level == level)
                              .order_by(Boundary.code)).all()
    return [Feature(code, name, area_code, wijk_code, json.loads(geometry))
            for code, name, area_code, wijk_code, geometry in rows]
