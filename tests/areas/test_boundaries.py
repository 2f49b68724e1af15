"""The shapes of wijken and buurten: loading CBS's wijk- en buurtkaart, and the map."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import func, select

from panel.areas.boundaries import (
    boundaries_fingerprint,
    features,
    wijk_map,
)
from panel.areas.boundaries_importer import TOLERANCE_METRES, BoundariesImporter
from panel.areas.models import Boundary, District, Neighbourhood
from panel.auth.models import Role
from panel.db import db
from panel.demo.services import DEMO_BOUNDARIES, seed_demo
from panel.errors import PermissionDenied
from panel.importing import Status
from tests import factories
from tests.areas.helpers import (
    CRS84,
    EPSG_4326,
    collection,
    feature,
    multipolygon,
    path_points,
    polygon,
    square,
    to_wgs84,
)
from tests.statements import counting

MARE = polygon(square(110000, 515000))  # WK036101, 1 by 1 km
OVERDIE = polygon(square(111000, 515000))  # WK036102, to the east of it


@pytest.fixture
def wijken(session):
    """GM0361 with the wijken De Mare (two buurten) and Overdie."""
    factories.municipality()
    noord, west = factories.area("noord"), factories.area("west")
    mare = factories.neighbourhood(noord, "WK036101", "De Mare")
    factories.district(mare, "BU03610101", "De Mare-Noord")
    factories.district(mare, "BU03610102", "De Mare-Zuid")
    factories.neighbourhood(west, "WK036102", "Overdie")


def _load(data: bytes, dry_run: bool = False):  # type: ignore[no-untyped-def]
    report = BoundariesImporter(None).run(data, "wijkenbuurten.geojson", dry_run=dry_run)
    db.session.flush()
    return report


def _boundary(code: str, level: str = "neighbourhood") -> Boundary:
    return db.session.scalars(select(Boundary).where(Boundary.level == level,
                                                     Boundary.code == code)).one()


def _outcome(report) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(line.line, line.status, line.subject) for line in report.lines]


# --- reading the file -----------------------------------------------------------------------

def test_a_file_in_rd_new_stores_each_shape_in_rd_and_wgs84(wijken):
    report = _load(collection(feature(MARE, wijkcode="WK036101", wijknaam="De Mare"),
                              feature(OVERDIE, wijkcode="WK036102")))
    assert report.ok and report.applied
    assert _outcome(report) == [(1, Status.NEW, "wijk WK036101"),
                                (2, Status.NEW, "wijk WK036102")]
    mare = _boundary("WK036101")
    [[ring]] = json.loads(mare.rd_rings)
    assert ring[0] == ring[-1] and len(ring) == 5
    assert sorted(ring[:-1]) == [[110000, 515000], [110000, 516000], [111000, 515000],
                                 [111000, 516000]]
    assert (mare.min_x, mare.min_y, mare.max_x, mare.max_y) == (110000, 515000, 111000, 516000)
    geometry = json.loads(mare.geojson)
    assert geometry["type"] == "Polygon"
    for lon, lat in geometry["coordinates"][0]:
        assert 4.6 < lon < 4.9 and 52.5 < lat < 52.7  # Alkmaar
        assert round(lon, 6) == lon and round(lat, 6) == lat
    assert shape(geometry).is_valid


@pytest.mark.parametrize(("crs", "latitude_first"), [
    (None, False), (CRS84, False), (EPSG_4326, False), (EPSG_4326, True), (None, True)])
def test_the_same_shapes_in_wgs84_give_the_same_result(wijken, crs, latitude_first):
    report = _load(collection(
        feature(to_wgs84(MARE, latitude_first), wijkcode="WK036101"),
        feature(to_wgs84(OVERDIE, latitude_first), wijkcode="WK036102"), crs=crs))
    assert report.ok and report.applied and report.count(Status.NEW) == 2
    rings = json.loads(_boundary("WK036101").rd_rings)
    corners = {tuple(point) for point in rings[0][0]}
    assert all(min(math.dist(corner, point) for point in corners) <= 1
               for corner in [(110000, 515000), (111000, 515000), (111000, 516000),
                              (110000, 516000)])


def test_rd_new_is_recognised_without_a_crs_member(wijken):
    report = _load(collection(feature(MARE, WK_CODE="WK036101"), crs=None))
    assert report.applied
    assert [110000, 515000] in json.loads(_boundary("WK036101").rd_rings)[0][0]


def test_codes_are_found_under_their_usual_names(wijken):
    report = _load(collection(
        feature(MARE, statcode="WK036101", statnaam="De Mare", rubriek="wijk"),
        feature(OVERDIE, code="WK036102"),
        feature(polygon(square(110000, 515000, 500)), BU_CODE="BU03610101",
                WK_CODE="WK036101", GM_CODE="GM0361"),
        feature(polygon(square(110500, 515000, 500)), buurtcode=3610102, wijkcode=36101)))
    assert _outcome(report) == [(1, Status.NEW, "wijk WK036101"),
                                (2, Status.NEW, "wijk WK036102"),
                                (3, Status.NEW, "buurt BU03610101"),
                                (4, Status.NEW, "buurt BU03610102")]
    assert _boundary("BU03610102", "district").min_x == 110500


def test_shapes_of_other_municipalities_are_left_out_and_counted(wijken):
    report = _load(collection(
        feature(polygon(square(100000, 500000)), wijkcode="WK036301", gemeentecode="GM0363"),
        feature(MARE, wijkcode="WK036101", gemeentecode="GM0361"),
        feature(polygon(square(100000, 500000)), buurtcode="BU03630101",
                wijkcode="WK036301"),
        feature(polygon(square(100000, 500000)), gemeentecode="GM0014", statcode="bad"),
        feature(OVERDIE, wijkcode="WK036102")))
    assert report.ok and report.applied
    assert _outcome(report) == [(2, Status.NEW, "wijk WK036101"),
                                (5, Status.NEW, "wijk WK036102")]
    assert any("3" in note and "WK" not in note for note in report.notes)
    assert db.session.scalar(select(func.count()).select_from(Boundary)) == 2


def test_a_code_without_its_wijk_in_the_database_is_skipped_with_a_warning(wijken):
    report = _load(collection(feature(MARE, wijkcode="WK036101"),
                              feature(OVERDIE, wijkcode="WK036199"),
                              feature(OVERDIE, buurtcode="BU03610199")))
    assert _outcome(report) == [(1, Status.NEW, "wijk WK036101"),
                                (2, Status.SKIPPED, "wijk WK036199"),
                                (3, Status.SKIPPED, "buurt BU03610199")]
    assert "WK036199" in report.lines[1].warnings[0]
    assert "BU03610199" in report.lines[2].warnings[0]
    assert report.applied
    assert db.session.scalar(select(func.count()).select_from(Boundary)) == 1


def test_the_notes_name_the_wijken_and_buurten_without_a_shape(wijken):
    report = _load(collection(feature(MARE, wijkcode="WK036101")))
    assert [note for note in report.notes if "WK036102" in note]
    assert not [note for note in report.notes if "BU0361" in note]  # no buurt has a shape
    report = _load(collection(feature(polygon(square(110000, 515000, 500)),
                                      buurtcode="BU03610101")))
    assert [note for note in report.notes if "WK036102" in note]  # still no shape
    assert [note for note in report.notes if "BU03610102" in note and "BU03610101" not in note]
    report = _load(collection(feature(OVERDIE, wijkcode="WK036102")))
    assert not [note for note in report.notes if "WK0361" in note]


def test_an_invalid_shape_is_repaired(wijken):
    bow_tie = polygon([[110000, 515000], [111000, 516000], [111000, 515000],
                       [110000, 516000], [110000, 515000]])
    report = _load(collection(feature(bow_tie, wijkcode="WK036101")))
    assert report.lines[0].status == Status.NEW and report.lines[0].warnings
    stored = _boundary("WK036101")
    rings = json.loads(stored.rd_rings)
    assert len(rings) == 2  # two triangles
    repaired = shape(json.loads(stored.geojson))
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"


def test_a_multipolygon_keeps_its_parts_and_holes(wijken):
    with_hole = [square(110000, 515000), square(110400, 515400, 200)]
    island = [square(112000, 515000, 300)]
    _load(collection(feature(multipolygon(with_hole, island), wijkcode="WK036101")))
    stored = _boundary("WK036101")
    rings = json.loads(stored.rd_rings)
    assert [len(polygon_rings) for polygon_rings in rings] == [2, 1]
    assert (stored.min_x, stored.max_x) == (110000, 112300)
    geometry = json.loads(stored.geojson)
    assert geometry["type"] == "MultiPolygon" and len(geometry["coordinates"]) == 2
    assert shape(geometry).is_valid
    # outer rings anticlockwise, holes clockwise (in RD: x east, y north)
    assert shapely.LinearRing(rings[0][0]).is_ccw and not shapely.LinearRing(rings[0][1]).is_ccw


def test_shapes_are_simplified_within_the_tolerance(wijken):
    circle = [[110500 + 500 * math.cos(i * math.tau / 2000),
               515500 + 500 * math.sin(i * math.tau / 2000)] for i in range(2000)]
    _load(collection(feature(polygon([*circle, circle[0]]), wijkcode="WK036101")))
    rings = json.loads(_boundary("WK036101").rd_rings)
    assert len(rings[0][0]) < 100
    simplified = shapely.Polygon(rings[0][0])
    assert shapely.hausdorff_distance(simplified, shapely.Polygon(circle)) \
        <= TOLERANCE_METRES + 1


def test_unreadable_features_are_rejected_and_the_good_ones_kept(wijken):
    report = _load(collection(
        feature(MARE, wijknaam="no code"),
        feature({"type": "Point", "coordinates": [110000, 515000]}, wijkcode="WK036102"),
        feature(None, wijkcode="WK036102"),
        feature({"type": "Polygon", "coordinates": [[[110000, 515000]]]}, wijkcode="WK036102"),
        feature(MARE, wijkcode="WK036101"),
        feature(OVERDIE, wijkcode="WK036101"),
        feature(MARE, statcode="GM0361")))
    assert [line.status for line in report.lines] == [
        Status.REJECTED, Status.REJECTED, Status.REJECTED, Status.REJECTED, Status.NEW,
        Status.REJECTED, Status.SKIPPED]
    assert all(line.messages for line in report.lines if line.status != Status.NEW)
    assert "5" in report.lines[5].messages[0]  # the code is also on feature 5
    assert report.applied and _boundary("WK036101").min_x == 110000


def test_loading_again_is_unchanged_and_a_new_shape_is_an_update(wijken):
    _load(collection(feature(MARE, wijkcode="WK036101"), feature(OVERDIE, wijkcode="WK036102")))
    loaded_at = _boundary("WK036101").loaded_at
    report = _load(collection(feature(MARE, wijkcode="WK036101"),
                              feature(polygon(square(111000, 515000, 800)),
                                      wijkcode="WK036102")))
    assert [line.status for line in report.lines] == [Status.UNCHANGED, Status.UPDATED]
    assert _boundary("WK036101").loaded_at == loaded_at
    assert _boundary("WK036102").max_x == 111800


def test_a_dry_run_reports_what_the_real_run_does_and_changes_nothing(wijken):
    data = collection(feature(MARE, wijkcode="WK036101"), feature(OVERDIE, wijkcode="WK036199"),
                      feature(MARE, wijkcode="WK036301"), feature(None, wijkcode="WK036102"))

    def seen(report):  # type: ignore[no-untyped-def]
        return ([(line.line, line.status, line.subject, line.messages, line.warnings)
                 for line in report.lines], report.notes, report.file_errors)

    dry = _load(data, dry_run=True)
    assert not dry.applied
    assert db.session.scalar(select(func.count()).select_from(Boundary)) == 0
    real = _load(data)
    assert real.applied and seen(dry) == seen(real)


@pytest.mark.parametrize("data", [
    b"not json", b'{"type": "Feature"', b"[1, 2]", b'{"type": "FeatureCollection"}',
    collection(feature(MARE, wijkcode="WK036101"),
               crs={"type": "name", "properties": {"name": "EPSG:3857"}}),
    collection(feature(polygon(square(530000, 6800000)), wijkcode="WK036101"), crs=None),
    collection(feature(MARE, naam="De Mare")),
    collection(feature(MARE, wijkcode="WK036301")),
])
def test_files_that_cannot_be_used(wijken, data):
    report = _load(data)
    assert report.file_errors and not report.applied and not report.lines


def test_without_a_municipality_the_file_cannot_be_used(session):
    report = _load(collection(feature(MARE, wijkcode="WK036101")))
    assert report.file_errors


def test_only_administrators_load_shapes(wijken):
    with pytest.raises(PermissionDenied):
        BoundariesImporter(factories.user(Role.TEAM))
    assert BoundariesImporter(factories.user(Role.ADMIN)).user is not None


# --- the command --------------------------------------------------------------------------

def test_the_command_loads_and_its_exit_code_tells_whether_the_file_was_used(
        app, runner, tmp_path: Path):
    with app.app_context():
        factories.municipality()
        factories.neighbourhood(factories.area("noord"), "WK036101", "De Mare")
        db.session.commit()
    good = tmp_path / "wijken.geojson"
    good.write_bytes(collection(feature(MARE, wijkcode="WK036101"),
                                feature(OVERDIE, wijkcode="WK036301")))
    result = runner.invoke(args=["load-boundaries", str(good), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "WK036101" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Boundary)) == 0
    result = runner.invoke(args=["load-boundaries", str(good)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Boundary)) == 1
    bad = tmp_path / "kaart.json"
    bad.write_text("<gml/>")
    result = runner.invoke(args=["load-boundaries", str(bad)])
    assert result.exit_code == 1
    missing = runner.invoke(args=["load-boundaries", str(tmp_path / "missing.geojson")])
    assert missing.exit_code == 2


# --- the map --------------------------------------------------------------------------------

def test_without_shapes_there_is_no_map(wijken):
    assert wijk_map() is None
    assert boundaries_fingerprint() == ("neighbourhood",)


def test_the_map_draws_each_wijk_in_its_own_coordinates(wijken):
    hole = square(110250, 515250, 500)
    _load(collection(feature(polygon(square(110000, 515000), hole), wijkcode="WK036101"),
                     feature(OVERDIE, wijkcode="WK036102"),
                     feature(polygon(square(110000, 515000, 500)), buurtcode="BU03610101")))
    drawn = wijk_map()
    assert drawn is not None
    assert drawn.view_box == "0 0 1000 500"  # 2 by 1 km: 0.5 units a metre
    assert (drawn.width, drawn.height, drawn.scale, drawn.origin) == \
        (1000, 500, 0.5, (110000, 516000))
    assert [(s.code, s.name, s.area_code) for s in drawn.shapes] == [
        ("WK036101", "De Mare", "noord"), ("WK036102", "Overdie", "west")]
    mare, overdie = drawn.shapes
    assert path_points(mare.path) == [{(0, 500), (500, 500), (500, 0), (0, 0)},
                                      {(125, 375), (375, 375), (375, 125), (125, 125)}]
    assert path_points(overdie.path) == [{(500, 500), (1000, 500), (1000, 0), (500, 0)}]
    assert overdie.path.startswith("M") and overdie.path.endswith("Z")
    assert overdie.path.count("L") == 1  # M x y L x y x y x yZ


def test_the_map_rounds_to_one_decimal(wijken):
    _load(collection(feature(polygon(square(110000, 515000, 3000)), wijkcode="WK036101"),
                     feature(polygon([[110000, 515000], [110001, 515000], [110001, 515001],
                                      [110000, 515000]]), wijkcode="WK036102")))
    drawn = wijk_map()
    assert drawn is not None and drawn.view_box == "0 0 1000 1000"
    numbers = drawn.shapes[1].path.replace("M", " ").replace("L", " ").replace("Z", " ")
    assert all(len(number.partition(".")[2]) <= 1 for number in numbers.split())
    assert "0.3" in drawn.shapes[1].path  # 1 metre = 0.333… units


def test_the_map_takes_one_statement_whatever_the_number_of_wijken(wijken):
    _load(collection(feature(MARE, wijkcode="WK036101")))
    with counting(db.engine) as few:
        wijk_map()
    area = factories.area("zuid")
    more = []
    for number in range(3, 9):
        factories.neighbourhood(area, f"WK0361{number:02d}", f"Wijk {number}")
        more.append(feature(polygon(square(110000 + number * 1000, 515000)),
                            wijkcode=f"WK0361{number:02d}"))
    _load(collection(feature(MARE, wijkcode="WK036101"), *more))
    with counting(db.engine) as many:
        drawn = wijk_map()
    assert drawn is not None and len(drawn.shapes) == 7
    assert len(few) == len(many) == 1
    with counting(db.engine) as fingerprint:
        boundaries_fingerprint()
    assert len(fingerprint) == 1


def test_the_fingerprint_changes_with_the_shapes_and_the_names(wijken):
    _load(collection(feature(MARE, wijkcode="WK036101")))
    first = boundaries_fingerprint()
    _load(collection(feature(polygon(square(110000, 515000, 900)), wijkcode="WK036101")))
    second = boundaries_fingerprint()
    assert second != first
    db.session.scalars(select(Neighbourhood)).first().name = "De Mare-Oost"  # type: ignore[union-attr]
    db.session.flush()
    assert boundaries_fingerprint() != second
    assert boundaries_fingerprint("district") == ("district",)


def test_features_for_the_api(wijken):
    _load(collection(feature(MARE, wijkcode="WK036101"),
                     feature(polygon(square(110000, 515000, 500)), buurtcode="BU03610101")))
    [wijk] = features()
    assert (wijk.code, wijk.name, wijk.area_code, wijk.wijk_code) == \
        ("WK036101", "De Mare", "noord", None)
    assert wijk.geometry["type"] == "Polygon"
    [buurt] = features("district")
    assert (buurt.code, buurt.name, buurt.area_code, buurt.wijk_code) == \
        ("BU03610101", "De Mare-Noord", "noord", "WK036101")


# --- the demo -------------------------------------------------------------------------------

def test_the_demo_has_a_shape_for_every_wijk_and_buurt_that_tile_the_town(session):
    seed_demo()
    wijk_codes = set(db.session.scalars(select(Neighbourhood.code)))
    buurt_codes = set(db.session.scalars(select(District.code)))
    shapes = {(b.level, b.code): b for b in db.session.scalars(select(Boundary))}
    assert {code for level, code in shapes if level == "neighbourhood"} == wijk_codes
    assert {code for level, code in shapes if level == "district"} == buurt_codes
    drawn = wijk_map()
    assert drawn is not None and {s.code for s in drawn.shapes} == wijk_codes
    polygons = [shape(json.loads(b.geojson)) for (level, _c), b in shapes.items()
                if level == "neighbourhood"]
    rd = [shapely.MultiPolygon([shapely.Polygon(rings[0], rings[1:]) for rings in
                                json.loads(b.rd_rings)])
          for (level, _c), b in shapes.items() if level == "neighbourhood"]
    assert all(p.is_valid for p in polygons + rd)
    town = shapely.unary_union(rd)
    assert town.geom_type == "Polygon"  # one piece
    assert sum(p.area for p in rd) == pytest.approx(town.area, rel=0.001)  # no overlaps
    min_x, min_y, max_x, max_y = town.bounds
    assert 108000 <= min_x and max_x <= 116000 and 513000 <= min_y and max_y <= 521000
    assert DEMO_BOUNDARIES.stat().st_size < 20_000
