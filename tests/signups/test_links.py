"""Absolute links made many at a time are the links ``absolute_url`` always made."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from panel.urls import absolute_url, url_builder


def _by_request_context(app: Flask, endpoint: str, **values: str) -> str:
    """How ``absolute_url`` made links outside a request before: a test request context."""
    with app.test_request_context():
        return f"{app.config['PANEL_BASE_URL']}{url_for(endpoint, **values)}"


ENDPOINTS = [("signups.confirm", {"token": "abc-DEF_123"}),
             ("signups.leave_by_link", {"token": "x" * 43}),
             ("residents.open_link", {"token": "a b/c?d&e"}),
             ("residents.code", {}),
             ("site.home", {})]


@pytest.mark.parametrize("root", ["/", "/panel", "/panel/"])
@pytest.mark.parametrize("server_name", [None, "wijkpanel.test"])
def test_links_outside_a_request_are_built_as_in_a_request_context(app, session, monkeypatch,
                                                                   root, server_name):
    monkeypatch.setitem(app.config, "APPLICATION_ROOT", root)
    monkeypatch.setitem(app.config, "SERVER_NAME", server_name)
    build = url_builder()
    for endpoint, values in ENDPOINTS:
        expected = _by_request_context(app, endpoint, **values)
        assert build(endpoint, **values) == expected
        assert absolute_url(endpoint, **values) == expected
        if "token" in values:
            assert build.with_token(endpoint)(values["token"]) == expected


def test_links_in_a_request_use_the_request(app):
    with app.test_request_context("/", base_url="http://localhost/sub"):
        build = url_builder()
        assert build("signups.confirm", token="abc") == \
            "http://wijkpanel.test/sub/aanmelden/bevestigen/abc"
        assert build.with_token("signups.confirm")("abc") == \
            "http://wijkpanel.test/sub/aanmelden/bevestigen/abc"
        assert absolute_url("signups.confirm", token="abc") == \
            "http://wijkpanel.test/sub/aanmelden/bevestigen/abc"
