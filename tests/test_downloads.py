"""Every file the platform sends is named safely: whatever a motion's reference or an area's
code holds, the Content-Disposition header is one ASCII line with a plain ``filename`` and,
for a name with accents, an RFC 6266 ``filename*``; nothing can add a parameter to it."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook
from werkzeug.http import parse_options_header

from panel.db import db
from panel.errors import DomainError
from panel.exports import NAME_LIMIT, download_name
from panel.motions import services as motions
from panel.motions.models import Motion
from tests import factories

# The references a tester typed, as they may still be in a register from before references
# were checked: a line break, a quote and semicolon that would end the name and start a
# parameter, an emoji (not Latin-1, so the header could not be sent), accents and a slash.
AWKWARD = ["M2024\n03", 'M";filename=evil.exe;x="', "M🚀 2024", "Mötie é/3", "M\r\n\tX"]


def disposition(response) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """The header's value and parameters, after checking it is one plain ASCII line."""
    header = response.headers["Content-Disposition"]
    assert header.isascii() and header.isprintable(), header
    # werkzeug's parser takes filename* (RFC 2231, decoded) over filename, as browsers do.
    value, params = parse_options_header(header)
    assert set(params) == {"filename"}, params
    return value, params


def the_name(response) -> str:  # type: ignore[no-untyped-def]
    """The file's name as a browser takes it."""
    value, params = disposition(response)
    assert value == "attachment"
    return params["filename"]


@pytest.mark.parametrize(("parts", "expected"), [
    (("rapportage", "M2024-03", "v1"), "rapportage-M2024-03-v1.xlsx"),
    (("rapportage", "M2024\n03", "v1"), "rapportage-M2024-03-v1.xlsx"),
    (("rapportage", 'M";filename=evil.exe', "v1"), "rapportage-M-filename-evil.exe-v1.xlsx"),
    (("rapportage", "M🚀 2024", "v1"), "rapportage-M-2024-v1.xlsx"),
    (("rapportage", "Mötie é/3", "v1"), "rapportage-Mötie-é-3-v1.xlsx"),
    (("rapportage", "", None, "v1"), "rapportage-v1.xlsx"),
    (("🚀",), "download.xlsx"),
    (("..",), "download.xlsx"),
])
def test_a_download_name_keeps_letters_and_digits_only(parts, expected):
    assert download_name(*parts, extension="xlsx") == expected


def test_a_download_name_has_a_limit():
    name = download_name("x" * 500, extension="csv")
    assert name == "x" * NAME_LIMIT + ".csv"


@pytest.fixture
def report_with(session):  # type: ignore[no-untyped-def]
    """A follow-up report of a motion whose reference is ``reference`` as stored."""
    world = factories.panel_world()

    def make(reference: str):  # type: ignore[no-untyped-def]
        motion = motions.save_motion(world.clerk, motions.MotionData(
            reference=f"M{db.session.query(Motion).count()}", title="Motie",
            adopted_on=date(2024, 1, 1), text="Tekst"))
        motion.reference = reference  # as a register from before the check may hold it
        report = motions.start_report(world.clerk, motion.id, date(2024, 1, 1),
                                      date(2030, 1, 1))
        session.commit()
        return report
    return make


@pytest.mark.parametrize("reference", AWKWARD)
def test_every_export_of_a_motion_report_downloads_whatever_its_reference(
        login_as, report_with, reference):
    report = report_with(reference)
    clerk = login_as("clerk@example.org")
    base = f"/beheer/moties/rapportages/{report.id}/export"
    expected = download_name("rapportage", reference, "v1", extension="")
    for fmt in ("xlsx", "zip", "json", "docx"):
        response = clerk.get(f"{base}.{fmt}")
        assert response.status_code == 200, fmt
        value, params = disposition(response)
        assert value == "attachment"
        assert params["filename"].endswith(f".{fmt}")
        assert params["filename"] == f"{expected}.{fmt}"
        raw = response.headers["Content-Disposition"]
        assert ("filename*=UTF-8''" in raw) == (not expected.isascii())
    assert load_workbook(io.BytesIO(clerk.get(f"{base}.xlsx").data)).sheetnames
    assert zipfile.ZipFile(io.BytesIO(clerk.get(f"{base}.zip").data)).namelist()
    assert json.loads(clerk.get(f"{base}.json").data)["report"]


def test_a_name_with_accents_is_sent_as_rfc_6266_with_an_ascii_fallback(login_as,
                                                                         report_with):
    report = report_with("Mötie é/3")
    clerk = login_as("clerk@example.org")
    response = clerk.get(f"/beheer/moties/rapportages/{report.id}/export.xlsx")
    raw = response.headers["Content-Disposition"]
    assert raw == ("attachment; filename=rapportage-Motie-e-3-v1.xlsx; "
                   "filename*=UTF-8''rapportage-M%C3%B6tie-%C3%A9-3-v1.xlsx")


@pytest.mark.parametrize("reference", ["M2024\n03", "M\t1", "M\u202e1", "M\x00"])
def test_a_reference_with_a_control_character_is_refused(session, reference):
    world = factories.panel_world()
    with pytest.raises(DomainError, match="onzichtbaar|invisible"):
        motions.save_motion(world.clerk, motions.MotionData(
            reference=reference, title="Motie", adopted_on=date(2024, 1, 1), text=""))


@pytest.mark.parametrize("reference", ["Mötie é/3", "M🚀 2024", "M👨\u200d👩\u200d👧 1",
                                       'M";x'])
def test_accents_emoji_and_punctuation_are_fine_in_a_reference(session, reference):
    world = factories.panel_world()
    motion = motions.save_motion(world.clerk, motions.MotionData(
        reference=reference, title="Motie", adopted_on=date(2024, 1, 1), text=""))
    assert motion.reference == reference


def test_the_motion_form_says_what_is_wrong_with_the_reference(login_as, session):
    factories.panel_world()
    session.commit()
    clerk = login_as("clerk@example.org")
    response = clerk.post("/beheer/moties/nieuw", data={
        "reference": "M2024\n01", "title": "Meer wijkpanels", "adopted_on": "2024-03-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Het kenmerk mag geen regeleinde, tab of ander onzichtbaar teken hebben." in page
    assert 'aria-invalid="true"' in page
    assert db.session.query(Motion).count() == 0


def test_the_other_downloads_are_named_safely(login_as, client, session):
    world = factories.panel_world()
    factories.member(world.mare, email="anna@example.org")
    session.commit()
    admin = login_as("admin@example.org")
    names = {
        "/beheer/leden/export.csv": "panelleden.csv",
        "/beheer/leden/export.xlsx": "panelleden.xlsx",
        "/privacy/verwerkingsregister.csv": "verwerkingsregister.csv",
        "/privacy/verwerkingsregister.json": "verwerkingsregister.json",
        "/gebieden/noord/agenda.ics": "wijkpanel-noord.ics",
    }
    for address, name in names.items():
        response = admin.get(address)
        assert response.status_code == 200, address
        assert the_name(response) == name
