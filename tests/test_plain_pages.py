"""The plain public pages without a form (the privacy and accessibility statements and the
pages shown after joining, leaving or asking for a link) have an ETag and are kept per
worker like the other public pages (``panel.conditional``): a browser with the current
version gets ``304``, a second visitor the kept page, and a change of anything they show
(the municipality, the language, the settings the statements show) gives a new page."""

from __future__ import annotations

import itertools

import pytest
from flask import Flask, template_rendered
from jinja2 import Template

from panel.areas.models import Municipality
from panel.db import db
from tests import factories

PLAIN = ("/privacy", "/toegankelijkheid", "/aanmelden/verstuurd", "/afgemeld",
         "/mijn/link-verstuurd")


_codes = itertools.count(1000)


@pytest.fixture
def municipality(session) -> Municipality:  # type: ignore[no-untyped-def]
    """Alkmaar, with a code of its own for each test: the code is in every ETag, so no
    test gets a page kept by an earlier one."""
    item = factories.municipality(code=f"GM{next(_codes)}", name="Alkmaar")
    session.commit()
    return item


@pytest.mark.parametrize("path", PLAIN)
def test_a_plain_page_answers_304_with_its_etag(client, municipality, path):
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in first.headers["Vary"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag


@pytest.mark.parametrize("path", PLAIN)
def test_a_second_visitor_gets_the_kept_page(app, municipality, counted, etag_every_request,
                                             path):
    rendered: list[str] = []

    def record(sender: Flask, template: Template, context: dict[str, object]) -> None:
        rendered.append(str(template.name))

    with template_rendered.connected_to(record, app):
        first = app.test_client().get(path)
        assert rendered, "the first visitor's page is built"
        rendered.clear()
        second = app.test_client().get(path)
        assert rendered == []  # the kept page: only the ETag was worked out
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    app.config["PANEL_ETAG_SECONDS"] = 1  # put back by the fixture's monkeypatch
    app.test_client().get(path)  # works the ETag out and trusts it for a second
    counted.clear()
    assert app.test_client().get(path).data == first.data
    assert counted == []


@pytest.mark.parametrize("path", PLAIN)
def test_a_renamed_municipality_shows_on_every_plain_page(app, client, municipality, path):
    etag = client.get(path).headers["ETag"]
    db.session.get(Municipality, municipality.id).name = "Bergen"
    db.session.commit()
    answer = client.get(path, headers={"If-None-Match": etag})
    assert answer.status_code == 200 and answer.headers["ETag"] != etag
    assert "Bergen" in answer.get_data(as_text=True)
    assert "Alkmaar" not in app.test_client().get(path).get_data(as_text=True)


@pytest.mark.parametrize("path", PLAIN)
def test_each_language_has_its_own_page(app, municipality, path):
    dutch = app.test_client().get(path)
    visitor = app.test_client()
    visitor.set_cookie("lang", "en")
    english = visitor.get(path)
    assert english.headers["ETag"] != dutch.headers["ETag"]
    assert 'lang="en"' in english.get_data(as_text=True)
    assert visitor.get(path, headers={"If-None-Match": dutch.headers["ETag"]}).status_code \
        == 200
    assert 'lang="nl"' in app.test_client().get(path).get_data(as_text=True)


@pytest.mark.parametrize(("setting", "value", "shown"), [
    ("PANEL_RETENTION_UNCONFIRMED_DAYS", 45, "45 dagen"),
    ("PANEL_RETENTION_MAIL_DAYS", 21, "21 dagen"),
    ("PANEL_RETENTION_UPLOAD_DAYS", 3, "3 dagen"),
    ("PANEL_RETENTION_AUDIT_DAYS", 400, "400 dagen"),
    ("PANEL_PRIVACY_CONTACT", "privacy@gemeente.example", "mailto:privacy@gemeente.example"),
    ("PANEL_DPO_CONTACT", "fg@gemeente.example", "mailto:fg@gemeente.example"),
])
def test_the_privacy_page_follows_its_settings(app, client, municipality, etag_every_request,
                                               monkeypatch, setting, value, shown):
    before = client.get("/privacy")
    assert shown not in before.get_data(as_text=True)
    monkeypatch.setitem(app.config, setting, value)
    after = client.get("/privacy", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert shown in after.get_data(as_text=True)


@pytest.mark.parametrize(("setting", "value", "shown"), [
    ("PANEL_ACCESSIBILITY_CONTACT", "digitoegankelijk@gemeente.example",
     "mailto:digitoegankelijk@gemeente.example"),
    ("PANEL_MUNICIPALITY_PHONE", "14 072", 'href="tel:14072"'),
])
def test_the_accessibility_page_follows_its_settings(app, client, municipality,
                                                     etag_every_request, monkeypatch,
                                                     setting, value, shown):
    monkeypatch.setitem(app.config, "PANEL_ACCESSIBILITY_CONTACT", "")
    monkeypatch.setitem(app.config, "PANEL_MUNICIPALITY_PHONE", "")
    before = client.get("/toegankelijkheid")
    assert shown not in before.get_data(as_text=True)
    monkeypatch.setitem(app.config, setting, value)
    after = client.get("/toegankelijkheid",
                       headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert shown in after.get_data(as_text=True)


def test_a_message_waiting_is_shown_on_a_page_built_for_it(app, client, municipality):
    """Asking for a link can end on the page with a message (a refused request): that
    page is built with the message, gets no ETag, and is not what the next visitor gets."""
    kept = app.test_client().get("/mijn/link-verstuurd")
    with client.session_transaction() as flask_session:
        flask_session["_flashes"] = [("error", "Probeer het later nog eens.")]
    answer = client.get("/mijn/link-verstuurd",
                        headers={"If-None-Match": kept.headers["ETag"]})
    assert answer.status_code == 200 and "ETag" not in answer.headers
    assert "Probeer het later nog eens." in answer.get_data(as_text=True)
    assert app.test_client().get("/mijn/link-verstuurd").data == kept.data


def test_staff_get_the_plain_pages_built_for_them(login_as, session, municipality):
    factories.user(email="beheer@example.org")
    session.commit()
    team = login_as("beheer@example.org")
    for path in PLAIN:
        answer = team.get(path)
        assert answer.status_code == 200 and "ETag" not in answer.headers, path
