"""Absolute links for emails, letters and calendar files, also outside a request."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values: Any) -> str:
    """``PANEL_BASE_URL`` plus the path of ``endpoint``; works in commands too."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return f"{current_app.config['PANEL_BASE_URL']}{path}"
