"""The shapes of the wijken and buurten as GeoJSON: ``/api/v1/grenzen``."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from shapely.geometry import shape
from sqlalchemy import select

from panel.areas.boundaries_importer import BoundariesImporter
from panel.areas.models import District, Neighbourhood
from panel.db import db
from tests.api.helpers import Demo
from tests.areas.helpers import collection, feature, polygon, square

GEOJSON = "application/geo+json"


def test_the_wijken_as_a_geojson_feature_collection(client: FlaskClient, demo: Demo) -> None:
    response = client.get("/api/v1/grenzen")
    assert response.status_code == 200 and response.mimetype == GEOJSON
    assert response.headers["Cache-Control"] == "public, max-age=300"
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == 10
    first = body["features"][0]
    assert first["type"] == "Feature" and first["id"] == "WK036100"
    assert first["properties"] == {"code": "WK036100", "name": "Binnenstad",
                                   "gebied": "centrum"}
    for item in body["features"]:
        geometry = shape(item["geometry"])
        assert geometry.is_valid and item["geometry"]["type"] in ("Polygon", "MultiPolygon")
        min_lon, min_lat, max_lon, max_lat = geometry.bounds
        assert 4.6 < min_lon < max_lon < 4.9 and 52.5 < min_lat < max_lat < 52.75


def test_the_buurten_with_their_wijk(client: FlaskClient, demo: Demo) -> None:
    body = client.get("/api/v1/grenzen?niveau=buurt").get_json()
    assert len(body["features"]) == 21
    assert body["features"][0]["properties"] == {
        "code": "BU03610001", "name": "Kern", "gebied": "centrum", "wijk": "WK036100"}
    assert client.get("/api/v1/grenzen?niveau=wijk").get_json() == \
        client.get("/api/v1/grenzen").get_json()


def test_a_bad_level_is_a_400_problem(client: FlaskClient, demo: Demo) -> None:
    for query in ("niveau=gebied", "niveau=wijk&niveau=buurt"):
        response = client.get(f"/api/v1/grenzen?{query}")
        assert response.status_code == 400 and response.mimetype == "application/problem+json"
        assert response.get_json()["invalidParams"][0]["name"] == "niveau"


def test_without_shapes_the_collection_is_empty(client: FlaskClient) -> None:
    response = client.get("/api/v1/grenzen")
    assert response.status_code == 200
    assert response.get_json() == {"type": "FeatureCollection", "features": []}


def test_the_etag_holds_until_shapes_or_names_change(app: Flask, client: FlaskClient,
                                                      demo: Demo) -> None:
    etag = client.get("/api/v1/grenzen").headers["ETag"]
    again = client.get("/api/v1/grenzen", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    buurten = client.get("/api/v1/grenzen?niveau=buurt").headers["ETag"]
    assert buurten != etag
    with app.app_context():
        report = BoundariesImporter(None).run(collection(
            feature(polygon(square(111000, 516000)), wijkcode="WK036100")))
        assert report.applied
        db.session.commit()
    changed = client.get("/api/v1/grenzen", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    etag = changed.headers["ETag"]
    # the buurten did not change
    assert client.get("/api/v1/grenzen?niveau=buurt",
                      headers={"If-None-Match": buurten}).status_code == 304
    with app.app_context():
        db.session.scalars(select(Neighbourhood).where(
            Neighbourhood.code == "WK036100")).one().name = "Centrum"
        db.session.scalars(select(District).where(
            District.code == "BU03610001")).one().name = "Hart"
        db.session.commit()
    renamed = client.get("/api/v1/grenzen", headers={"If-None-Match": etag})
    assert renamed.status_code == 200
    assert renamed.get_json()["features"][0]["properties"]["name"] == "Centrum"
    assert client.get("/api/v1/grenzen?niveau=buurt",
                      headers={"If-None-Match": buurten}).status_code == 200
