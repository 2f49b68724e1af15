"""The privacy statement, the processing register and the accessibility statement are made
from the configuration."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from flask import Flask

from tests import factories


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


@pytest.fixture
def configured(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"PANEL_RETENTION_UNCONFIRMED_DAYS": 45, "PANEL_RETENTION_MAIL_DAYS": 21,
                       "PANEL_RETENTION_UPLOAD_DAYS": 3, "PANEL_RETENTION_AUDIT_DAYS": 400,
                       "PANEL_PRIVACY_CONTACT": "privacy@gemeente.example",
                       "PANEL_DPO_CONTACT": "fg@gemeente.example"}.items():
        monkeypatch.setitem(app.config, key, value)


def test_the_privacy_page_shows_the_configured_retention_and_contacts(client, session,
                                                                      configured):
    factories.municipality(name="Alkmaar")
    session.commit()
    page = text(client.get("/privacy"))
    for days in ("45", "21", "3", "400"):
        assert f"{days} dag" in page or f"{days} day" in page, days
    assert 'href="mailto:privacy@gemeente.example"' in page
    assert 'href="mailto:fg@gemeente.example"' in page
    assert "Alkmaar" in page
    assert 'href="/mijn"' in page  # access and correction on the resident's own page
    assert "https://autoriteitpersoonsgegevens.nl/" in page
    assert "6, paragraph 1, under e" in page or "6, lid 1, onder e" in page
    assert 'href="/privacy/verwerkingsregister.json"' in page
    assert 'href="/privacy/verwerkingsregister.csv"' in page


def test_without_contacts_the_page_names_the_privacy_officer(client, session):
    factories.municipality(name="Alkmaar")
    session.commit()
    page = text(client.get("/privacy"))
    assert "mailto:" not in page
    assert "privacy officer of the municipality of Alkmaar" in page or \
        "Alkmaar" in page and "privacy" in page.lower()


def test_the_processing_register_as_json(client, session, configured):
    factories.municipality(name="Alkmaar")
    session.commit()
    response = client.get("/privacy/verwerkingsregister.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    entry = json.loads(response.get_data())
    for key in ("name", "controller", "purposes", "legal_basis", "data_subjects",
                "personal_data", "recipients", "processors", "transfers_outside_eea",
                "retention", "retention_days", "security_measures"):
        assert entry[key], key
    assert entry["controller"]["privacy_contact"] == "privacy@gemeente.example"
    assert entry["controller"]["data_protection_officer"] == "fg@gemeente.example"
    assert "Alkmaar" in entry["controller"]["name"]
    assert entry["retention_days"] == {"unconfirmed": 45, "mail": 21, "uploads": 3,
                                       "audit_log": 400, "after_leaving": 0}
    assert any("45" in line for line in entry["retention"])


def test_the_processing_register_as_csv(client, session, configured):
    response = client.get("/privacy/verwerkingsregister.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[0] == ["veld", "waarde"]
    values = [value for _field, value in rows[1:]]
    assert "privacy@gemeente.example" in values
    assert "audit_log: 400" in values
    assert len({field for field, _value in rows[1:]}) >= 12  # every article 30 field


def test_the_register_is_answered_304_until_a_contact_or_the_day_changes(
        client, app, session, configured, etag_every_request, monkeypatch):
    path = "/privacy/verwerkingsregister.csv"
    etag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

    monkeypatch.setitem(app.config, "PANEL_PRIVACY_CONTACT", "avg@gemeente.example")
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "avg@gemeente.example" in changed.get_data(as_text=True)
    etag = changed.headers["ETag"]

    class Tomorrow(date):  # the register says the day it was made
        @classmethod
        def today(cls) -> date:
            return date.today() + timedelta(days=1)

    monkeypatch.setattr("panel.site.views.date", Tomorrow)
    monkeypatch.setattr("panel.privacy.register.date", Tomorrow)
    next_day = client.get(path, headers={"If-None-Match": etag})
    assert next_day.status_code == 200
    assert Tomorrow.today().isoformat() in next_day.get_data(as_text=True)


def test_an_unknown_register_format_is_not_found(client):
    assert client.get("/privacy/verwerkingsregister.xml").status_code == 404


def test_the_accessibility_statement(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PANEL_ACCESSIBILITY_CONTACT", "digitaal@gemeente.example")
    monkeypatch.setitem(app.config, "PANEL_MUNICIPALITY_PHONE", "072 548 8888")
    page = text(client.get("/toegankelijkheid"))
    assert "WCAG 2.1" in page and "axe-core" in page and "360" in page
    assert "DOCX" in page
    assert 'href="mailto:digitaal@gemeente.example"' in page
    assert 'href="tel:0725488888"' in page
    assert "2026" in page  # the date of the last check
