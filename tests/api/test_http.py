"""Pagination, problem details, caching, CORS and the version header of the API."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from panel.api.http import API_VERSION
from panel.areas.models import Neighbourhood
from panel.db import db
from tests.api.helpers import BASE, Demo, get_json

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}


def _link_header(value: str) -> dict[str, str]:
    """``<url>; rel="next", …`` as {rel: url}."""
    links = {}
    for part in value.split(", "):
        url, rel = part.split("; ")
        links[rel.removeprefix('rel="').removesuffix('"')] = url.strip("<>")
    return links


# --- pagination ---------------------------------------------------------------------------

def test_a_list_is_paginated_with_links_and_a_link_header(client: FlaskClient,
                                                          demo: Demo) -> None:
    response = client.get("/api/v1/wijken?page=2&pageSize=3")
    body = response.get_json()
    assert (body["page"], body["pageSize"], body["total"]) == (2, 3, 10)
    assert [w["code"] for w in body["items"]] == ["WK036103", "WK036104", "WK036105"]
    links = {rel: link["href"] for rel, link in body["_links"].items()}
    assert links == {
        "self": f"{BASE}/api/v1/wijken?page=2&pageSize=3",
        "first": f"{BASE}/api/v1/wijken?page=1&pageSize=3",
        "prev": f"{BASE}/api/v1/wijken?page=1&pageSize=3",
        "next": f"{BASE}/api/v1/wijken?page=3&pageSize=3",
        "last": f"{BASE}/api/v1/wijken?page=4&pageSize=3",
    }
    header = _link_header(response.headers["Link"])
    assert header == {rel: url for rel, url in links.items() if rel != "self"}


def test_the_first_and_last_pages_have_no_prev_or_next(client: FlaskClient, demo: Demo) -> None:
    first = get_json(client, "/api/v1/wijken?pageSize=3")
    assert "prev" not in first["_links"] and "next" in first["_links"]
    last = client.get("/api/v1/wijken?page=4&pageSize=3")
    assert [w["code"] for w in last.get_json()["items"]] == ["WK036109"]
    assert "next" not in last.get_json()["_links"]
    assert 'rel="next"' not in last.headers["Link"] and 'rel="prev"' in last.headers["Link"]


def test_defaults_and_a_page_beyond_the_end(client: FlaskClient, demo: Demo) -> None:
    default = get_json(client, "/api/v1/wijken")
    assert (default["page"], default["pageSize"], len(default["items"])) == (1, 20, 10)
    beyond = get_json(client, "/api/v1/wijken?page=7&pageSize=3")
    assert beyond["items"] == [] and beyond["total"] == 10
    assert beyond["_links"]["prev"]["href"].endswith("page=4&pageSize=3")


def test_the_order_is_stable_over_all_pages(client: FlaskClient, demo: Demo) -> None:
    codes = [w["code"] for page in (1, 2, 3, 4)
             for w in get_json(client, f"/api/v1/wijken?page={page}&pageSize=3")["items"]]
    assert codes == sorted(codes) and len(set(codes)) == 10


# --- problems -----------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "names"), [
    ("page=0", ["page"]),
    ("page=abc", ["page"]),
    ("page=-1", ["page"]),
    ("page=1.5", ["page"]),
    ("page=", ["page"]),
    ("pageSize=1000", ["pageSize"]),
    ("pageSize=0", ["pageSize"]),
    ("page=1&page=2", ["page"]),
    ("page=0&pageSize=1000", ["page", "pageSize"]),
])
def test_bad_pagination_is_a_400_problem(client: FlaskClient, demo: Demo, query: str,
                                         names: list[str]) -> None:
    response = client.get(f"/api/v1/gebieden?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert PROBLEM_FIELDS <= set(body)
    assert (body["status"], body["title"], body["instance"]) == (400, "Bad Request",
                                                                  "/api/v1/gebieden")
    assert [p["name"] for p in body["invalidParams"]] == names
    assert response.headers["API-Version"] == API_VERSION
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("editie", ["abc", "23", "20231", "-2023", ""])
def test_a_bad_edition_is_a_400_problem(client: FlaskClient, demo: Demo, editie: str) -> None:
    body = get_json(client, f"/api/v1/wijken/WK036101/resultaten?editie={editie}", 400)
    assert body["invalidParams"][0]["name"] == "editie"


@pytest.mark.parametrize("path", [
    "/api/v1/bestaat-niet", "/api/v1", "/api/v1/", "/api/v1/wijken/", "/api/v1/gebieden/nergens",
    "/api/v1/wijken/WK999999", "/api/v1/bijeenkomsten/abc", "/api/v1/bijeenkomsten/999999",
    "/api/v1/bijeenkomsten/99999999999999999999", "/api/v1/moties/onbekend/rapportages/1",
    "/api/v1/wijken/WK03%0001",
])
def test_unknown_addresses_are_404_problems(client: FlaskClient, demo: Demo, path: str) -> None:
    body = get_json(client, path, 404)
    assert PROBLEM_FIELDS <= set(body)
    assert (body["type"], body["title"], body["status"]) == ("about:blank", "Not Found", 404)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405_problems_with_allow(client: FlaskClient, demo: Demo,
                                                   method: str) -> None:
    response = getattr(client, method)("/api/v1/wijken/WK036101")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.headers["API-Version"] == API_VERSION


def test_the_rest_of_the_site_keeps_its_html_error_pages(client: FlaskClient) -> None:
    missing = client.get("/bestaat-niet")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "API-Version" not in missing.headers
    wrong_method = client.delete("/bijeenkomsten")
    assert wrong_method.status_code == 405 and wrong_method.mimetype == "text/html"
    near_miss = client.get("/api/v10/wijken")
    assert near_miss.status_code == 404 and near_miss.mimetype == "text/html"


def test_a_server_error_is_a_500_problem(app: Flask, client: FlaskClient, demo: Demo,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from panel.api import services

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "areas", broken)
    body = get_json(client, "/api/v1/gebieden", 500)
    assert body["status"] == 500 and "boom" not in body["detail"]


# --- caching, CORS, version ---------------------------------------------------------------

def test_answers_carry_version_cors_and_public_caching(client: FlaskClient, demo: Demo) -> None:
    response = client.get("/api/v1/gebieden/noord")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["API-Version"] == API_VERSION
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["ETag"].startswith('"')
    assert "Set-Cookie" not in response.headers


def test_a_matching_etag_gets_304(client: FlaskClient, demo: Demo) -> None:
    first = client.get("/api/v1/wijken?pageSize=5")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/wijken?pageSize=5", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=300"
    assert again.headers["API-Version"] == API_VERSION
    for header in (f"W/{etag}", f'"other", {etag}', "*"):
        assert client.get("/api/v1/wijken?pageSize=5",
                          headers={"If-None-Match": header}).status_code == 304
    other = client.get("/api/v1/wijken?pageSize=5", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200 and other.headers["ETag"] == etag
    assert client.get("/api/v1/wijken?pageSize=4").headers["ETag"] != etag


def test_the_etag_changes_with_the_data(app: Flask, client: FlaskClient, demo: Demo) -> None:
    etag = client.get("/api/v1/wijken/WK036101").headers["ETag"]
    with app.app_context():
        wijk = db.session.scalars(select(Neighbourhood).where(
            Neighbourhood.code == "WK036101")).one()
        wijk.name = "De Mare (nieuw)"
        db.session.commit()
    response = client.get("/api/v1/wijken/WK036101", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.get_json()["name"] == "De Mare (nieuw)"
    assert response.headers["ETag"] != etag


def test_head_and_cors_preflight(client: FlaskClient, demo: Demo) -> None:
    head = client.head("/api/v1/indicatoren")
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["ETag"] == client.get("/api/v1/indicatoren").headers["ETag"]
    preflight = client.options("/api/v1/indicatoren", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Headers"] == "If-None-Match"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_no_csrf_token_or_login_is_needed(app: Flask, client: FlaskClient, demo: Demo) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.get("/api/v1/moties").status_code == 200
        assert client.post("/api/v1/moties").status_code == 405  # not 400 for a CSRF token
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
