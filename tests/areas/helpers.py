"""Plain helpers of the areas tests: GeoJSON files with shapes in RD New and WGS84."""

from __future__ import annotations

import json
from typing import Any

from pyproj import Transformer

RD_CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}
CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
EPSG_4326 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}
_TO_WGS84 = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)

Ring = list[list[float]]


def square(x: float, y: float, size: float = 1000) -> Ring:
    """A square ring in RD metres with its lower left corner at ``x``, ``y``."""
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def polygon(*rings: Ring) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [list(ring) for ring in rings]}


def multipolygon(*polygons: list[Ring]) -> dict[str, Any]:
    return {"type": "MultiPolygon", "coordinates": [list(rings) for rings in polygons]}


def feature(geometry: dict[str, Any] | None, **properties: object) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: dict[str, Any], crs: dict[str, Any] | None = RD_CRS) -> bytes:
    document: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if crs is not None:
        document["crs"] = crs
    return json.dumps(document).encode()


def to_wgs84(geometry: dict[str, Any], latitude_first: bool = False) -> dict[str, Any]:
    """The same geometry with its RD coordinates converted to WGS84 by pyproj."""
    def convert(value: Any) -> Any:
        if value and isinstance(value[0], int | float):
            lon, lat = _TO_WGS84.transform(value[0], value[1])
            return [lat, lon] if latitude_first else [lon, lat]
        return [convert(item) for item in value]
    return {"type": geometry["type"], "coordinates": convert(geometry["coordinates"])}


def path_points(path: str) -> list[set[tuple[float, float]]]:
    """The points of each ring of an SVG path of the form ``Mx yLx y x y…Z``."""
    rings = []
    for part in path.split("M")[1:]:
        assert part.endswith("Z"), path
        numbers = [float(n) for n in part[:-1].replace("L", " ").split()]
        rings.append(set(zip(numbers[::2], numbers[1::2], strict=True)))
    return rings
