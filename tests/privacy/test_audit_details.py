"""The audit log's notes read in the page's language; the stored notes stay as written."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select

from panel.db import db
from panel.privacy.details import describe
from panel.privacy.models import AuditEvent
from panel.privacy.services import record
from tests.factories import login


def notes(html: str) -> list[tuple[str, str | None]]:
    """The audit page's notes (its last column) with their ``lang`` attribute."""
    soup = BeautifulSoup(html, "html.parser")
    return [(cell.get_text(strip=True), cell.get("lang"))
            for cell in soup.select("tbody tr td:last-child")]


@pytest.mark.parametrize(("stored", "english", "dutch"), [
    ("own page", "on their own page", "op de eigen pagina"),
    ("joined online", "joined online", "online aangemeld"),
    ("leave link", "with the leave link in an email", "met de afmeldlink in een e-mail"),
    ("by staff, consent paper", "by staff, consent given on paper",
     "door een medewerker, toestemming op papier gegeven"),
    ("own data (csv)", "own data downloaded (CSV)", "eigen gegevens gedownload (CSV)"),
    ("letter (docx, invitation)", "letter (DOCX, invitation)", "brief (DOCX, uitnodiging)"),
    ("survey import 7", "survey import 7", "import van de enquête 7"),
    ("new=3; updated=1; rejected=2", "3 new, 1 updated, 2 rejected",
     "3 nieuw, 1 bijgewerkt, 2 afgewezen"),
    ("page 2; 40 found; wijk=all status=member source=survey wants a call",
     "page 2, 40 found; wijk: all, status: Member, source: Safety survey; wants to be called",
     "pagina 2, 40 gevonden; wijk: alle, status: Lid, bron: Veiligheidsmonitor; "
     "wil gebeld worden"),
    ("xlsx; 12 rows; wijk=all status=all source=all search=no",
     "XLSX, 12 rows; wijk: all, status: all, source: all; searched: no",
     "XLSX, 12 regels; wijk: alle, status: alle, bron: alle; gezocht: nee"),
    ("links=1 mail=2 uploads=0 audit=5",
     "expired and erased: 1 links, 2 emails, 0 uploaded files, 5 log entries",
     "verlopen en gewist: 1 links, 2 e-mails, 0 geüploade bestanden, 5 regels uit het log"),
    ("image/png, 2048 bytes", "image/png, 2048 bytes", "image/png, 2048 bytes"),
])
def test_known_notes_are_said_in_the_page_language(app: Flask, stored: str, english: str,
                                                   dutch: str) -> None:
    for language, expected in (("en", english), ("nl", dutch)):
        with app.test_request_context(headers={"Cookie": f"lang={language}"}):
            note = describe(stored)
            assert (note.text, note.translated) == (expected, True), language


def test_an_unknown_note_is_shown_as_stored(app: Flask) -> None:
    with app.test_request_context(headers={"Cookie": "lang=nl"}):
        note = describe("something new")
        assert (note.text, note.translated) == ("something new", False)


def test_the_audit_page_reads_in_dutch_and_in_english(app, login_as, world, people):
    team = login_as("noord@example.org")
    team.get("/beheer/leden", query_string={"status": "member"})
    team.get("/beheer/leden/export.csv")
    record("change", "member", people.anna.id, actor="resident", detail="own page")
    record("change", "member", people.anna.id, actor="resident", detail="written long ago")
    db.session.commit()
    stored = sorted(db.session.scalars(select(AuditEvent.detail)))

    admin = login_as("admin@example.org")
    admin.get("/taal/nl")
    dutch = notes(admin.get("/beheer/audit").get_data(as_text=True))
    assert ("op de eigen pagina", None) in dutch
    assert ("written long ago", "en") in dutch  # unknown: as stored, marked as English
    assert any(text.startswith("pagina 1, ") and "status: Lid" in text for text, _ in dutch)
    assert any(text.startswith("CSV, ") and "gezocht: nee" in text for text, _ in dutch)
    assert not any("found;" in text or "rows;" in text for text, _ in dutch)

    admin.get("/taal/en")
    english = notes(admin.get("/beheer/audit").get_data(as_text=True))
    assert ("on their own page", None) in english
    assert ("written long ago", None) in english
    assert any(text.startswith("page 1, ") and "status: Member" in text
               for text, _ in english)
    # Reading the log changed nothing that was stored.
    db.session.expire_all()
    assert sorted(db.session.scalars(select(AuditEvent.detail))) == stored


def test_every_note_the_code_writes_is_known(app, login_as, world, people):
    """The notes written by signing up, confirming, the resident's own page and the staff's
    member pages all have a translation (a new note needs one in ``panel.privacy.details``)."""
    client = app.test_client()
    login(client, "noord@example.org")
    client.get("/beheer/leden")
    client.get("/beheer/leden/export.xlsx")
    with client.session_transaction() as browser_session:
        browser_session["resident_id"] = people.anna.id
    client.get("/mijn/gegevens.json")
    db.session.expire_all()
    written = set(db.session.scalars(select(AuditEvent.detail).where(AuditEvent.detail != "")))
    assert len(written) >= 3, written
    with app.test_request_context(headers={"Cookie": "lang=nl"}):
        assert {d for d in written if not describe(d).translated} == set()
