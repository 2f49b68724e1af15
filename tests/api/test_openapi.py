"""The OpenAPI document stays in step with the routes and follows the API Design Rules."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from panel.api.http import API_VERSION
from panel.api.openapi import SERVER_PATH, document
from tests.api.helpers import get_json

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _shape(path: str) -> str:
    """A path with every parameter reduced to ``{}``: Flask's ``<int:x>`` and OpenAPI's
    ``{x}`` alike."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def _resolve(spec: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in item:
        node: Any = spec
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        item = node
    return item


def _refs(value: object) -> list[str]:
    if isinstance(value, dict):
        own = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return own + [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def test_every_api_route_is_in_the_document_and_back(app: Flask) -> None:
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            assert rule.rule.startswith(SERVER_PATH + "/"), rule.rule
            routes[_shape(rule.rule.removeprefix(SERVER_PATH))] = rule
    paths = {_shape(path): path for path in document()["paths"]}
    assert set(routes) == set(paths)
    for shape, rule in routes.items():
        operations = document()["paths"][paths[shape]]
        assert set(operations) == {m.lower() for m in rule.methods or ()} - {"head", "options"}
        documented = [p for p in _resolve_all(operations["get"]["parameters"])
                      if p["in"] == "path"]
        assert len(documented) == len(rule.arguments), shape


def _resolve_all(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spec = document()
    return [_resolve(spec, p) for p in parameters]


def test_the_document_is_served_as_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.headers["API-Version"] == API_VERSION
    served = get_json(client, "/api/v1/openapi.json")
    assert served["info"]["version"] == API_VERSION
    assert served["info"]["contact"]["url"] == "http://wijkpanel.test"
    assert served["paths"] == document()["paths"]


def test_the_document_follows_the_api_design_rules() -> None:
    spec = document()
    assert spec["openapi"].startswith("3.0.")
    assert re.fullmatch(r"\d+\.\d+\.\d+", spec["info"]["version"])
    assert {"name", "email", "url"} <= set(spec["info"]["contact"])
    assert re.search(r"/v\d+$", spec["servers"][0]["url"])
    operation_ids = []
    for path, operations in spec["paths"].items():
        assert not path.endswith("/")
        assert path == path.lower() or path == "/openapi.json"
        for name in re.findall(r"\{([^}]+)\}", path):
            assert re.fullmatch(r"[a-z]+", name), name
        for method, operation in operations.items():
            assert method in METHODS
            operation_ids.append(operation["operationId"])
            for status, response in operation["responses"].items():
                response = _resolve(spec, response)
                if status.startswith(("2", "3")):
                    assert "API-Version" in response["headers"], (path, status)
                else:
                    assert list(response["content"]) == ["application/problem+json"]
            statuses = set(operation["responses"])
            assert {"200", "304"} <= statuses
            parameters = _resolve_all(operation["parameters"])
            if any(p["in"] == "query" for p in parameters):
                assert "400" in statuses, path
            if any(p["in"] == "path" for p in parameters):
                assert "404" in statuses, path
    assert len(operation_ids) == len(set(operation_ids))


def test_every_reference_resolves_and_every_schema_is_used() -> None:
    spec = document()
    refs = set(_refs(spec))
    for ref in refs:
        _resolve(spec, {"$ref": ref})
    for kind in ("schemas", "parameters", "responses", "headers"):
        for name in spec["components"][kind]:
            assert f"#/components/{kind}/{name}" in refs, f"{kind}/{name} is never used"


def test_lists_are_described_with_their_pagination() -> None:
    spec = document()
    for path, operations in spec["paths"].items():
        [content] = operations["get"]["responses"]["200"]["content"].values()  # JSON, GeoJSON
        schema = _resolve(spec, content["schema"])
        names = {p["name"] for p in _resolve_all(operations["get"]["parameters"])}
        if "items" in schema.get("properties", {}):
            assert {"page", "pageSize"} <= names, path
            assert set(schema["required"]) == {"_links", "items", "page", "pageSize", "total"}
            assert "Link" in operations["get"]["responses"]["200"]["headers"]
        else:
            assert "page" not in names, path
