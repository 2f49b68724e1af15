"""Exports of a follow-up report: XLSX, CSV zip, JSON and the Word raadsinformatiebrief.

Every format is made from the same tables, so the tests check that the numbers agree
between the formats and with the database, that small counts are hidden in all of them,
that no spreadsheet cell can run as a formula, and that no resident can be found in any
file. Dutch wording is not asserted (the catalog is merged separately): the tests look
at numbers, structure and codes.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, date, datetime, time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from openpyxl import load_workbook
from sqlalchemy import func, select

from panel.auth.models import Role
from panel.days import dutch_day_bounds
from panel.db import db
from panel.exports import safe_cell
from panel.feedback.models import Action, FeedbackItem, Theme
from panel.meetings.models import Meeting, Reply
from panel.motions import exports, services
from panel.motions.exports import ASSESSMENT_LABELS, WORK_TABLES, Table
from panel.signups.models import ImportRecord, PanelMember
from tests import factories

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "motion-report.schema.json"
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
PAYLOADS = ["=1+1", "+1", "-1", "@x", "\t=1", "\r=1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_NAMES = ["01-motie.csv", "02-verzoeken.csv", "03-tijdlijn.csv", "04-leden.csv",
             "05-bijeenkomsten-per-gebied.csv", "06-bijeenkomsten.csv", "07-meldingen.csv",
             "08-acties.csv", "09-kernboodschap.csv", "10-toelichting.csv"]
NARRATIVE = [("Wat we zagen", "Het panel groeide.\nDe bijeenkomsten liepen goed."),
             ("Wat we leerden", "Bewoners willen vaker praten.")]


def _moment(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _resident(wijk, number: int, source: str, status: str = "member",  # type: ignore[no-untyped-def]
              confirmed: bool = True) -> PanelMember:
    """A resident with a name, email, phone and postcode found nowhere else."""
    return factories.member(
        wijk, name=f"Quirijntje Vlasblom{number:02d}", email=f"qvlasblom{number:02d}@bewoners.test",
        status=status, source=source, phone=f"0697531{number:03d}",
        postcode=f"18{number:02d}QX", street="Geheimstraat", house_number=str(number),
        city="Alkmaar", confirmed_at=_moment(date(2025, 2, 1)) if confirmed else None)


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """Gebied Noord with De Mare and Oudorp (the motion's scope) and Zuid (out of scope).

    In scope: 11 confirmed members (De Mare: 6 online and 2 from the survey; Oudorp: 3 by
    staff), two meetings (6 and 1 present), 7 feedback items (5 on traffic in De Mare, 2 on
    young people in Oudorp), one action and a survey import with 2 new sign-ups. The
    motion has two requests: one met on time, one completed late. Around them: residents,
    meetings and feedback that must not be counted.
    """
    factories.municipality("GM0361", "Testgemeente")
    noord, zuid = factories.area("noord", "Noord"), factories.area("zuid", "Zuid")
    mare = factories.neighbourhood(noord, "WK036101", "De Mare")
    oudorp = factories.neighbourhood(noord, "WK036102", "Oudorp")
    vrooner = factories.neighbourhood(zuid, "WK036104", "Vroonermeer")
    clerk = factories.user(Role.CLERK, email="griffie@example.org")
    verkeer = Theme(code="verkeer", name_nl="Verkeer", name_en="Traffic", position=1)
    jeugd = Theme(code="jeugd", name_nl="Jongeren", name_en="Young people", position=2)
    afval = Theme(code="afval", name_nl="Afval", name_en="Litter", position=3)
    db.session.add_all([verkeer, jeugd, afval])

    online = [_resident(mare, n, "online") for n in range(1, 7)]
    survey = [_resident(mare, n, "survey") for n in range(7, 9)]
    staff = [_resident(oudorp, n, "staff") for n in range(9, 12)]
    outside = [_resident(mare, 12, "survey", status="invited", confirmed=False),
               _resident(vrooner, 13, "online")]
    residents = online + survey + staff + outside

    mare_meeting = Meeting(area=noord, title="Wijkavond De Mare", status="open",
                           starts_at=_moment(date(2025, 3, 10), 18), extra_attendees=2,
                           report="Goed gesprek over de Marelaan.")
    oudorp_meeting = Meeting(area=noord, title="Inloop Oudorp", status="open",
                             starts_at=_moment(date(2025, 6, 5), 18))
    cancelled = Meeting(area=noord, title="Afgelast", status="cancelled",
                        starts_at=_moment(date(2025, 7, 1), 18))
    zuid_meeting = Meeting(area=zuid, title="Wijkavond Vroonermeer", status="open",
                           starts_at=_moment(date(2025, 3, 11), 18), extra_attendees=9)
    db.session.add_all([mare_meeting, oudorp_meeting, cancelled, zuid_meeting])
    db.session.flush()
    replies = [Reply(meeting_id=mare_meeting.id, member_id=m.id, status="attending",
                     attended=True) for m in online[:4]]
    replies.append(Reply(meeting_id=mare_meeting.id, member_id=online[4].id,
                         status="attending", attended=False))
    replies.append(Reply(meeting_id=oudorp_meeting.id, member_id=staff[0].id,
                         status="attending", attended=True))
    db.session.add_all(replies)

    def feedback(wijk, theme, member: PanelMember, day: date) -> FeedbackItem:  # type: ignore[no-untyped-def]
        return FeedbackItem(neighbourhood=wijk, theme=theme, source="resident",
                            member_id=member.id, created_at=_moment(day),
                            text=f"{member.name} ({member.phone}) zag te hard rijden.")

    db.session.add_all(
        [feedback(mare, verkeer, online[n], date(2025, 4, 1 + n)) for n in range(5)]
        + [feedback(oudorp, jeugd, staff[n], date(2025, 5, 1 + n)) for n in range(2)]
        + [feedback(mare, afval, online[0], date(2025, 4, 9)),  # theme out of scope
           feedback(vrooner, verkeer, outside[1], date(2025, 4, 9)),  # wijk out of scope
           feedback(mare, verkeer, online[1], date(2026, 2, 1))])  # after the period
    action = Action(area=noord, title="Snelheidsdisplay Marelaan", owner="Team Noord",
                    status="in_progress", progress=40, due_date=date(2025, 9, 1),
                    created_at=_moment(date(2025, 4, 20)))
    db.session.add_all([action, Action(area=zuid, title="Zuid-actie", owner="Team Zuid",
                                       created_at=_moment(date(2025, 4, 20)))])
    db.session.add(ImportRecord(kind="respondents", filename="monitor.csv",
                                finished_at=_moment(date(2025, 1, 20)),
                                summary=json.dumps({"new": 3, "new_per_wijk": {
                                    str(mare.id): 2, str(vrooner.id): 1}})))
    db.session.flush()

    motion = services.save_motion(clerk, services.MotionData(
        reference="M2024-017", title="Veilig over straat in Noord",
        adopted_on=date(2024, 11, 14), text="De raad,\nverzoekt het college een wijkpanel op "
        "te zetten.", ori_id="https://id.openraadsinformatie.nl/123", area_codes=["noord"],
        theme_codes=["verkeer", "jeugd"], requests=[
            services.RequestData("Zet in Noord een wijkpanel op.", date(2025, 3, 1),
                                 "completed", date(2025, 2, 15)),
            services.RequestData("Rapporteer voor de zomer aan de raad.", date(2025, 6, 1),
                                 "completed", date(2025, 7, 15))]))
    report = services.start_report(clerk, motion.id, *PERIOD)
    services.save_narrative(clerk, report.id, NARRATIVE)
    session.commit()
    return SimpleNamespace(report=report, clerk=clerk, residents=residents, noord=noord,
                           wijken=[mare, oudorp], themes=[verkeer, jeugd], action=action,
                           meetings=[mare_meeting, oudorp_meeting])


# --- reading the files back ---------------------------------------------------------------

def _csv_text(cell: object) -> str:
    """What :func:`panel.exports.csv_bytes` writes for one table cell."""
    value = safe_cell(cell)
    return value.isoformat() if isinstance(value, date) else str(value)


def _xlsx_expected(cell: object) -> object:
    """What openpyxl reads back for one table cell."""
    value = safe_cell(cell)
    if isinstance(value, date):
        return datetime.combine(value, time())
    return value if value != "" else None


def _read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def _read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _xlsx_rows(data: bytes) -> dict[str, list[list[object]]]:
    workbook = load_workbook(io.BytesIO(data))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in workbook.worksheets}


def _docx_tables(data: bytes) -> dict[str, list[list[str]]]:
    """The Word tables by caption (the details table has none: key "")."""
    document = Document(io.BytesIO(data))
    result = {}
    for table in document.tables:
        caption = table._tbl.tblPr.find(qn("w:tblCaption"))
        key = caption.get(qn("w:val")) if caption is not None else ""
        result[key] = [[cell.text for cell in row.cells] for row in table.rows]
    return result


def _docx_cell(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return str(format_date(cell, "medium"))
    return str(cell)


def _all_formats(content: dict[str, Any]) -> dict[str, bytes]:
    return {"xlsx": exports.to_xlsx(content), "zip": exports.to_csv_zip(content),
            "json": exports.to_json(content),
            "docx": exports.to_docx(content, "Testgemeente")}


def _texts(files: dict[str, bytes]) -> dict[str, str]:
    """The decoded text of every file, and of every entry inside the zip-based ones."""
    texts = {}
    for name, data in files.items():
        texts[name] = data.decode("utf-8", errors="ignore")
        if zipfile.is_zipfile(io.BytesIO(data)):
            for entry, inner in _read_zip(data).items():
                texts[f"{name}:{entry}"] = inner.decode("utf-8-sig", errors="ignore")
    return texts


def _table(content: dict[str, Any], key: str) -> Table:
    return next(t for t in exports.tables(content, with_narrative=True) if t.key == key)


# --- validating the JSON ------------------------------------------------------------------

_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description", "format"}
_KEYWORDS = {"$ref", "type", "const", "enum", "pattern", "minimum", "maximum", "properties",
             "required", "additionalProperties", "items", "oneOf"}


def _check(instance: object, schema: dict[str, Any], root: dict[str, Any], path: str) -> None:
    """A small JSON Schema validator for the keywords our schema uses (used only when the
    ``jsonschema`` package is not installed in the virtualenv)."""
    unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
    assert not unknown, f"the fallback validator does not know {unknown}"
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        _check(instance, target, root, path)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        kinds = {"object": dict, "array": list, "string": str, "boolean": bool,
                 "null": type(None), "integer": int}
        assert any(isinstance(instance, kinds[n])
                   and not (n == "integer" and isinstance(instance, bool))
                   for n in names), f"{path}: {instance!r} is not {names}"
    if "const" in schema:
        assert instance == schema["const"], path
    if "enum" in schema:
        assert instance in schema["enum"], f"{path}: {instance!r}"
    if "pattern" in schema and isinstance(instance, str):
        assert re.search(schema["pattern"], instance), f"{path}: {instance!r}"
    if "minimum" in schema and isinstance(instance, int):
        assert instance >= schema["minimum"], path
    if "maximum" in schema and isinstance(instance, int):
        assert instance <= schema["maximum"], path
    if isinstance(instance, dict):
        for name in schema.get("required", []):
            assert name in instance, f"{path}: {name} is missing"
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            extra = set(instance) - set(properties)
            assert not extra, f"{path}: {extra} not in the schema"
        for name, value in instance.items():
            if name in properties:
                _check(value, properties[name], root, f"{path}/{name}")
    if isinstance(instance, list) and "items" in schema:
        for number, item in enumerate(instance):
            _check(item, schema["items"], root, f"{path}/{number}")
    if "oneOf" in schema:
        passed = 0
        for option in schema["oneOf"]:
            try:
                _check(instance, option, root, path)
            except AssertionError:
                continue
            passed += 1
        assert passed == 1, f"{path}: {instance!r} matches {passed} options of oneOf"


def _validate(content: object) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    try:
        import jsonschema
    except ImportError:  # not a dependency of the project: validate the structure by hand
        _check(content, schema, schema, "")
    else:
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        ).validate(content)


# --- tests --------------------------------------------------------------------------------

def test_tables_hold_every_section_with_readable_labels(world):
    content = services.build(world.report)
    result = exports.tables(content)
    assert [t.key for t in result] == [name[3:-4] for name in CSV_NAMES[:-2]]
    for table in result:
        assert all(len(row) == len(table.headers) for row in table.rows), table.key
    by_key = {t.key: t for t in result}
    assert [row[-1] for row in by_key["verzoeken"].rows] == [
        str(ASSESSMENT_LABELS["met"]), str(ASSESSMENT_LABELS["late"])]
    assert [r["assessment"] for r in content["requests"]] == ["met", "late"]
    assert by_key["leden"].rows == [
        ["WK036101", "De Mare", str(exports.MEMBER_SOURCE_LABELS["online"]), 6],
        ["WK036101", "De Mare", str(exports.MEMBER_SOURCE_LABELS["survey"]), "< 5"],
        ["WK036102", "Oudorp", str(exports.MEMBER_SOURCE_LABELS["staff"]), "< 5"],
        [_("Total"), None, None, 11]]
    assert by_key["leden"].total and by_key["meldingen"].total
    # 6 and "< 5" present, together 7: showing the 7 would give the 1 away, and hiding the
    # 6 would not do (7 less at least 5 is at most 2), so the total is hidden.
    assert by_key["bijeenkomsten-per-gebied"].rows == [["Noord", 2, "x"]]
    assert by_key["bijeenkomsten"].rows == [
        ["Noord", "Wijkavond De Mare", date(2025, 3, 10), 6, _("Yes")],
        ["Noord", "Inloop Oudorp", date(2025, 6, 5), "< 5", _("No")]]
    assert by_key["meldingen"].rows == [["Verkeer", "De Mare", 5],
                                        ["Jongeren", "Oudorp", "< 5"], [_("Total"), None, "x"]]
    note = _("x: not shown, so that a small number cannot be worked out.")
    assert [t.key for t in result if t.note == note] == [
        "bijeenkomsten-per-gebied", "meldingen"]
    assert not by_key["leden"].note  # 2 and 3 behind two "< 5": the total 11 is safe
    notes = exports.tables(content, with_narrative=True)[-1]
    assert notes.key == "toelichting"
    assert notes.rows == [[by_key["bijeenkomsten-per-gebied"].title, note],
                          [by_key["meldingen"].title, note]]
    assert by_key["acties"].rows == [
        ["Noord", "Snelheidsdisplay Marelaan", "Team Noord", _("In progress"), 40,
         date(2025, 9, 1), date(2025, 4, 20)]]
    events = [(row[0], row[1]) for row in by_key["tijdlijn"].rows]
    assert events == [(date(2024, 11, 14), str(exports.EVENT_LABELS["adopted"])),
                      (date(2025, 1, 20), str(exports.EVENT_LABELS["survey_optins"])),
                      (date(2025, 3, 10), str(exports.EVENT_LABELS["meeting"])),
                      (date(2025, 4, 20), str(exports.EVENT_LABELS["action"])),
                      (date(2025, 6, 5), str(exports.EVENT_LABELS["meeting"]))]
    assert by_key["tijdlijn"].rows[1][2] == "< 5"  # 2 new sign-ups from the survey
    motion = dict((row[0], row[1]) for row in by_key["motie"].rows)
    assert motion[_("Reference")] == "M2024-017"
    assert motion[_("Date adopted")] == date(2024, 11, 14)
    assert motion[_("Smallest number shown")] == 5
    assert exports.tables(content, with_narrative=True)[-2].rows == [
        list(section) for section in NARRATIVE]


def test_tables_follow_the_current_locale(world):
    content = services.build(world.report)
    for language in ("nl", "en"):
        with force_locale(language):
            titles = [t.title for t in exports.tables(content)]
            assert titles[0] == _("Motion") and titles[-1] == _("Actions")
    with force_locale("en"):
        assert exports.tables(content)[1].headers[-1] == "Assessment"


def test_xlsx_has_one_sheet_per_table_with_the_same_cells(world):
    content = services.build(world.report)
    expected = exports.tables(content, with_narrative=True)
    sheets = _xlsx_rows(exports.to_xlsx(content))
    assert list(sheets) == [t.title for t in expected]
    for table in expected:
        assert sheets[table.title] == [
            [_xlsx_expected(c) for c in row] for row in [table.headers, *table.rows]], table.key


def test_csv_zip_has_one_csv_per_table_and_fixed_entries(world):
    content = services.build(world.report)
    data = exports.to_csv_zip(content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == CSV_NAMES
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o644}
        assert archive.testzip() is None
    files = _read_zip(data)
    for name, table in zip(CSV_NAMES, exports.tables(content, with_narrative=True),
                           strict=True):
        assert files[name].startswith(b"\xef\xbb\xbf")
        assert _read_csv(files[name]) == [
            [_csv_text(c) for c in row] for row in [table.headers, *table.rows]], name


def test_json_follows_the_schema(world, session):
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$id"] == services.SCHEMA
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    content = services.build(world.report)
    data = exports.to_json(content)
    assert data.endswith(b"}\n")
    assert json.loads(data) == content
    _validate(json.loads(data))
    assert json.loads(data)["$schema"] == services.SCHEMA

    services.finalise(world.clerk, world.report.id)
    session.commit()
    final = json.loads(exports.to_json(services.data(world.report)))
    assert final["report"]["status"] == "final"
    assert final["report"]["finalised_on"] is not None
    _validate(final)


def test_the_fallback_validator_rejects_what_the_schema_forbids(world):
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    content = services.build(world.report)
    _check(content, schema, schema, "")
    broken = [
        {**content, "members_total": "about 5"},
        {**content, "extra": 1},
        {**content, "motion": {**content["motion"], "date": "14-11-2024"}},
        {**content, "members": [{**content["members"][0], "name": "Quirijntje"}]},
        {k: v for k, v in content.items() if k != "narrative"},
    ]
    for item in broken:
        with pytest.raises(AssertionError):
            _check(item, schema, schema, "")


def test_docx_is_an_editable_council_letter(world):
    content = services.build(world.report)
    document = Document(io.BytesIO(exports.to_docx(content, "Testgemeente")))
    headings = [(p.style.name, p.text) for p in document.paragraphs
                if p.style.name.startswith("Heading") or p.style.name == "Title"]
    tables = exports.tables(content)
    by_key = {t.key: t for t in tables}
    assert headings == [
        ("Title", _("Council information letter")),
        ("Heading 1", _("Background")),
        ("Heading 1", _("Key message")),
        ("Heading 2", NARRATIVE[0][0]), ("Heading 2", NARRATIVE[1][0]),
        ("Heading 1", _("What we have done")),
        *[("Heading 2", by_key[key].title) for key in WORK_TABLES],
        ("Heading 1", _("Progress on the requests")),
        ("Heading 1", _("Next steps"))]
    paragraphs = [p.text for p in document.paragraphs]
    for _title, body in NARRATIVE:
        for line in body.splitlines():
            assert line in paragraphs
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets[:2] == content["motion"]["requirement"]
    assert any("Snelheidsdisplay Marelaan" in text and "40" in text for text in bullets[2:])

    assert {t.style.name for t in document.tables} == {"Table Grid"}
    details = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert [row[1] for row in details][:2] == ["Veilig over straat in Noord", "M2024-017"]
    assert details[2][1] == format_date(date(2024, 11, 14), "long")
    words = _docx_tables(exports.to_docx(content, "Testgemeente"))
    assert set(words) == {"", *(by_key[k].title for k in (*WORK_TABLES, "verzoeken"))}
    for key in (*WORK_TABLES, "verzoeken"):
        table = by_key[key]
        assert words[table.title] == [table.headers] + [
            [_docx_cell(c) for c in row] for row in table.rows], key
    header = document.tables[1].rows[0]._tr
    assert header.trPr.find(qn("w:tblHeader")) is not None
    assert all(run.bold for cell in document.tables[1].rows[0].cells
               for run in cell.paragraphs[0].runs)


def test_docx_follows_the_current_locale(world):
    content = services.build(world.report)
    for language in ("en", "nl"):
        with force_locale(language):
            document = Document(io.BytesIO(exports.to_docx(content, "Testgemeente")))
            assert document.paragraphs[0].text == _("Council information letter")
            assert document.paragraphs[1].text == _(
                "To the municipal council of %(municipality)s", municipality="Testgemeente")
            date_cell = document.tables[0].rows[2].cells[1].text
            assert date_cell == format_date(date(2024, 11, 14), "long")
    with force_locale("en"):
        document = Document(io.BytesIO(exports.to_docx(content, "")))
        assert document.paragraphs[1].text == "To the municipal council"
        assert document.tables[0].rows[2].cells[1].text == "November 14, 2024"


def test_totals_agree_across_formats_and_with_the_database(world):
    content = services.build(world.report)
    files = _all_formats(content)
    wijk_ids = [w.id for w in world.wijken]
    start, end = dutch_day_bounds(*PERIOD)
    members = db.session.scalar(select(func.count(PanelMember.id)).where(
        PanelMember.neighbourhood_id.in_(wijk_ids), PanelMember.status == "member",
        PanelMember.confirmed_at.is_not(None)))
    feedback = db.session.scalar(select(func.count(FeedbackItem.id)).where(
        FeedbackItem.neighbourhood_id.in_(wijk_ids),
        FeedbackItem.theme_id.in_([t.id for t in world.themes]),
        FeedbackItem.created_at >= start, FeedbackItem.created_at < end))
    present = db.session.scalar(select(func.count(Reply.id)).where(
        Reply.meeting_id.in_([m.id for m in world.meetings]), Reply.attended.is_(True)))
    present += sum(m.extra_attendees for m in world.meetings)
    assert (members, feedback, present) == (11, 7, 7)

    data = json.loads(files["json"])
    assert data["members_total"] == members
    # 5 + "< 5" = 7 and 6 + "< 5" = 7 would give the small ones away: their totals are hidden
    assert data["feedback_total"] == "x"
    assert [f["count"] for f in data["feedback"]] == [5, "< 5"]
    assert data["meetings_per_area"] == [{"area": "Noord", "meetings": 2, "attendance": "x"}]

    sheets = _xlsx_rows(files["xlsx"])
    csvs = {name: _read_csv(body) for name, body in _read_zip(files["zip"]).items()}
    words = _docx_tables(files["docx"])
    with_titles = {t.key: t.title for t in exports.tables(content)}
    for key, number, total in (("leden", 4, members), ("meldingen", 7, "x")):
        assert sheets[with_titles[key]][-1][-1] == total
        assert csvs[CSV_NAMES[number - 1]][-1][-1] == str(total)
        assert words[with_titles[key]][-1][-1] == str(total)
    per_area = with_titles["bijeenkomsten-per-gebied"]
    assert sheets[per_area][1] == ["Noord", 2, "x"]
    assert csvs["05-bijeenkomsten-per-gebied.csv"][1] == ["Noord", "2", "x"]
    assert words[per_area][1] == ["Noord", "2", "x"]
    # every published member count adds up to the total (none is hidden at 6, 2 + 3 are)
    assert [m["count"] for m in data["members"]] == [6, "< 5", "< 5"]
    # the note on "x" is in every format
    note = _("x: not shown, so that a small number cannot be worked out.")
    assert sheets[_("Notes")][1:] == [[per_area, note], [with_titles["meldingen"], note]]
    assert csvs["10-toelichting.csv"][1:] == [[per_area, note], [with_titles["meldingen"], note]]
    paragraphs = [p.text for p in Document(io.BytesIO(files["docx"])).paragraphs]
    assert paragraphs.count(note) == 2


def test_the_same_data_gives_identical_files(world, session):
    first = services.build(world.report)
    second = services.build(world.report)
    assert exports.to_csv_zip(first) == exports.to_csv_zip(second)
    assert exports.to_json(first) == exports.to_json(second)
    assert exports.to_xlsx(first) == exports.to_xlsx(second)

    services.finalise(world.clerk, world.report.id)
    session.commit()
    frozen = services.data(world.report)
    again = services.data(world.report)
    assert exports.to_csv_zip(frozen) == exports.to_csv_zip(again)
    assert exports.to_json(frozen) == exports.to_json(again)
    assert json.loads(exports.to_json(frozen)) == json.loads(world.report.snapshot)
    # the frozen snapshot gives the same tables as freshly built content
    assert exports.tables(frozen) == exports.tables(json.loads(exports.to_json(frozen)))


def test_small_counts_are_hidden_in_every_format(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PANEL_REPORT_MIN_COUNT", 20)
    content = services.build(world.report)
    assert content["report"]["minimum_count"] == 20
    assert content["members_total"] == "< 20"
    assert content["feedback_total"] == "< 20"
    counts = ([m["count"] for m in content["members"]]
              + [m["attendance"] for m in content["meetings"]]
              + [f["count"] for f in content["feedback"]])
    assert counts and set(counts) == {"< 20"}
    files = _all_formats(content)
    _validate(json.loads(files["json"]))

    titles = {t.key: t.title for t in exports.tables(content)}
    sheets = _xlsx_rows(files["xlsx"])
    csvs = {name: _read_csv(body) for name, body in _read_zip(files["zip"]).items()}
    words = _docx_tables(files["docx"])
    for key, number in (("leden", 4), ("meldingen", 7), ("bijeenkomsten", 6)):
        for rows in (sheets[titles[key]][1:], csvs[CSV_NAMES[number - 1]][1:],
                     words[titles[key]][1:]):
            column = 3 if key == "bijeenkomsten" else -1
            assert {row[column] for row in rows} == {"< 20"}, key
    per_area = [sheets[titles["bijeenkomsten-per-gebied"]][1],
                csvs["05-bijeenkomsten-per-gebied.csv"][1],
                words[titles["bijeenkomsten-per-gebied"]][1]]
    assert {row[2] for row in per_area} == {"< 20"}
    assert '"members_total": "< 20"' in files["json"].decode()


def test_formula_payloads_are_neutralised_in_spreadsheets(world, session):
    for payload in PAYLOADS:
        db.session.add(Action(area=world.noord, title=payload, owner=payload,
                              created_at=_moment(date(2025, 5, 5))))
    world.report.narrative = json.dumps([{"title": p, "body": p} for p in PAYLOADS])
    session.commit()
    content = services.build(world.report)
    assert {a["title"] for a in content["actions"]} >= set(PAYLOADS)
    files = _all_formats(content)

    cells = [value for rows in _xlsx_rows(files["xlsx"]).values() for row in rows
             for value in row if isinstance(value, str)]
    for payload in PAYLOADS:
        assert "'" + payload in cells, repr(payload)
    assert not [c for c in cells if c.startswith(TRIGGERS) or c.lstrip().startswith(TRIGGERS)]

    csv_cells = [cell for body in _read_zip(files["zip"]).values()
                 for row in _read_csv(body) for cell in row]
    for payload in PAYLOADS:
        assert csv_cells.count("'" + payload) >= 5, repr(payload)  # title, owner, narrative…
    assert not [c for c in csv_cells
                if c.startswith(TRIGGERS) or c.lstrip().startswith(TRIGGERS)]

    # the JSON keeps the data as it is, and Word shows the text (Word runs no formulas)
    assert {s["title"] for s in json.loads(files["json"])["narrative"]} == set(PAYLOADS)
    assert "=1+1" in [p.text for p in Document(io.BytesIO(files["docx"])).paragraphs]


def test_no_format_contains_personal_data(world, session):
    services.finalise(world.clerk, world.report.id)
    session.commit()
    content = services.data(world.report)
    texts = {name: text.casefold() for name, text in _texts(_all_formats(content)).items()}
    assert any(name.startswith("docx:word/") for name in texts)
    assert any(name.startswith("xlsx:xl/worksheets/") for name in texts)
    assert "zip:04-leden.csv" in texts
    found = []
    for resident in world.residents:
        spaced = f"{resident.postcode[:4]} {resident.postcode[4:]}"
        for value in (resident.name, resident.name.split()[-1], resident.email,
                      resident.phone, resident.postcode, spaced, "Geheimstraat"):
            found += [(name, value) for name, text in texts.items()
                      if value.casefold() in text]
    assert not found
