"""Property-based checks of the whole API against its own OpenAPI document: every answer
has a documented status code, the documented content type and headers, and a body that
fits its schema; invalid parameters are refused and undocumented methods get 405.

The document is loaded at collection time from a small app of its own (serving it needs no
database); the cases then run against the test app with the demo data. (With pytest 9,
``schemathesis.pytest.from_fixture`` fails on a removed pytest attribute, so the schema is
loaded at module level instead.)
"""

from __future__ import annotations

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings

from tests.api.helpers import Demo, document_app

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", document_app())


@schema.parametrize()
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case, app: Flask,
                                              demo: Demo) -> None:
    case.call_and_validate(app=app)
