"""Uploads cannot stall a worker: a file over the size limit gets a 413 page that says the
limit, a file over ``PANEL_IMPORT_MAX_ROWS`` is refused while it is read (reading stops at
the next line), a zip bomb XLSX is refused from its zip directory before it is opened, an
XLSX is read streaming, and a review page shows a sample of the lines, never all of them.
The files are made in the tests, in memory."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import openpyxl
import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from panel import tabular
from panel.areas.models import Area
from panel.db import db
from panel.errors import DomainError
from panel.signups.models import ImportRecord
from panel.tabular import Limits, check_workbook, read_table
from tests import factories

HEADER = "respondent;naam;e-mail;wijkcode;wijkpanel\n"


def survey(rows: int, wijk: object = lambda i: "WK036101") -> bytes:
    return (HEADER + "".join(f"R{i};Naam {i};n{i}@example.org;{wijk(i)};ja\n"  # type: ignore[operator]
                             for i in range(rows))).encode()


def upload(client, data: bytes, filename: str = "export.csv"):  # type: ignore[no-untyped-def]
    return client.post("/beheer/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def stored() -> int:
    return db.session.scalar(select(func.count(ImportRecord.id))) or 0


def shown_lines(page: str) -> list[tuple[str, str]]:
    table = page.split('id="import-lines-caption"')[1].split("</table>")[0]
    return re.findall(r'<tr class="utrecht-table__row">\s*<td[^>]*>(\d+)</td>\s*'
                      r'<td[^>]*>([^<]*)</td>', table)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bomb(rows: int) -> bytes:
    """A real workbook whose sheet is ``rows`` identical rows: small packed, huge unpacked."""
    workbook = Workbook()
    workbook.active.append(["respondent", "wijkpanel"])
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes(workbook)))
    buffer = io.BytesIO()
    row = b'<row><c t="inlineStr"><is><t>ja</t></is></c></row>'
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            if entry.filename != "xl/worksheets/sheet1.xml":
                target.writestr(entry, source.read(entry))
                continue
            with target.open("xl/worksheets/sheet1.xml", "w") as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                            b'spreadsheetml/2006/main"><sheetData>')
                for _ in range(rows // 10_000):
                    sheet.write(row * 10_000)
                sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    session.commit()
    return item


@pytest.fixture
def max_rows(app: Flask):  # type: ignore[no-untyped-def]
    """Set ``PANEL_IMPORT_MAX_ROWS`` for one test."""
    before = app.config["PANEL_IMPORT_MAX_ROWS"]

    def set_to(value: int) -> None:
        app.config["PANEL_IMPORT_MAX_ROWS"] = value
    yield set_to
    app.config["PANEL_IMPORT_MAX_ROWS"] = before


def test_the_default_row_limit_fits_a_survey_export(app):
    assert app.config["PANEL_IMPORT_MAX_ROWS"] == 20_000


def test_a_csv_over_the_row_limit_is_refused_with_a_clear_message(login_as, world, max_rows):
    max_rows(50)
    team = login_as("noord@example.org")
    response = upload(team, survey(51))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Het bestand heeft meer dan 50 regels. Een bestand mag hoogstens 50 regels " \
           "hebben. Verdeel het over kleinere bestanden." in page
    assert 'aria-invalid="true"' in page
    assert stored() == 0
    assert upload(team, survey(50)).status_code == 302
    assert stored() == 1


def test_reading_stops_at_the_line_after_the_limit(session):
    # Line 14 holds a cell larger than the csv module reads: reading it would fail.
    data = survey(12) + b"R99;" + b"x" * (csv.field_size_limit() + 1) + b";;;ja\n"
    with pytest.raises(DomainError, match="niet te lezen|cannot be read"):
        read_table(data, "export.csv", limits=Limits(rows=20))
    with pytest.raises(DomainError, match="meer dan 11 regels|more than 11 lines"):
        read_table(data, "export.csv", limits=Limits(rows=11))


def test_empty_lines_do_not_let_reading_go_on(session):
    data = HEADER.encode() + b"\n" * 100_000 + b"R1;Naam;n@example.org;WK036101;ja\n"
    with pytest.raises(DomainError, match="meer dan 10 regels|more than 10 lines"):
        read_table(data, "export.csv", limits=Limits(rows=10))
    assert len(read_table(data, "export.csv").rows) == 1  # the command line reads it all


def test_a_zip_bomb_xlsx_is_refused_before_it_is_opened(login_as, world, monkeypatch):
    bomb = zip_bomb(1_000_000)
    assert len(bomb) < 200_000  # a million rows, packed small
    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a))
    team = login_as("noord@example.org")
    page = upload(team, bomb, "export.xlsx").get_data(as_text=True)
    assert "Dit bestand wordt uitgepakt veel groter dan het bestand zelf." in page
    assert opened == [] and stored() == 0
    # The command line reads files of any size, but no zip bomb either.
    with pytest.raises(DomainError, match="uitgepakt|unpacks"):
        check_workbook(bomb, Limits())


def test_a_zip_bomb_of_postcodes_is_refused(login_as, world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pc6hnr20230801_gwb.csv", b"PC6;Huisnummer;Buurt2023\n"
                         + b"1801AA;1;3610101\n" * 200_000)
    admin = login_as("admin@example.org")
    page = admin.post("/beheer/postcodes", data={
        "file": (io.BytesIO(buffer.getvalue()), "postcodes.zip"), "dry_run": "y"},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "Dit bestand wordt uitgepakt veel groter dan het bestand zelf." in page


def test_an_xlsx_too_large_unpacked_is_refused_with_its_size(session, monkeypatch):
    workbook = Workbook()
    for number in range(2000):
        workbook.active.append([f"regel {number}", number, f"tekst {number * 7919}"])
    data = workbook_bytes(workbook)
    with pytest.raises(DomainError, match=r"Uitgepakt is het \d+(,\d)? MB\. Hier kan "
                                          r"hoogstens 0,1 MB"):
        check_workbook(data, Limits(xlsx_unpacked=100_000))
    check_workbook(data, Limits())


def test_a_sheet_that_claims_a_million_rows_stops_at_the_limit(session):
    workbook = Workbook()
    workbook.active.append(["respondent", "wijkpanel"])
    workbook.active.cell(row=1_000_000, column=1, value="R1")
    data = workbook_bytes(workbook)
    assert len(data) < 10_000
    with pytest.raises(DomainError, match="meer dan 50 regels|more than 50 lines"):
        read_table(data, "export.xlsx", limits=Limits(rows=50))


def test_an_xlsx_is_read_streaming_and_its_cells_are_counted(session, monkeypatch):
    calls = []
    load = openpyxl.load_workbook

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        return load(*args, **kwargs)
    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    workbook = Workbook()
    for number in range(30):
        workbook.active.append(["a", "b", "c", "d", number])
    data = workbook_bytes(workbook)
    assert len(read_table(data, "x.xlsx", limits=Limits(xlsx_cells=150)).rows) == 29
    assert calls[0]["read_only"] is True
    with pytest.raises(DomainError, match="meer dan 100 cellen|more than 100 cells"):
        read_table(data, "x.xlsx", limits=Limits(xlsx_cells=100))


def test_uploads_have_the_xlsx_limits(login_as, world, monkeypatch):
    monkeypatch.setattr(tabular, "UPLOAD_XLSX_CELLS", 20)
    workbook = Workbook()
    workbook.active.append(["respondent", "naam", "e-mail", "wijkcode", "wijkpanel"])
    for number in range(5):
        workbook.active.append([f"R{number}", "Naam", f"n{number}@example.org", "WK036101",
                                "ja"])
    team = login_as("noord@example.org")
    page = upload(team, workbook_bytes(workbook), "export.xlsx").get_data(as_text=True)
    assert "Dit XLSX-bestand heeft meer dan 20 cellen." in page
    assert stored() == 0


def test_a_line_too_wide_is_refused(session):
    data = ";".join(f"kolom {n}" for n in range(20)).encode() + b"\n" + b"1;" * 19 + b"1\n"
    with pytest.raises(DomainError, match="meer dan 10 kolommen|more than 10 columns"):
        read_table(data, "x.csv", limits=Limits(columns=10))


@pytest.mark.parametrize(("language", "title", "text"), [
    ("nl", "Het bestand is te groot", "Een bestand mag hoogstens 1 MB groot zijn."),
    ("en", "The file is too large", "A file may be at most 1 MB."),
])
def test_a_file_over_the_size_limit_gets_a_page_that_says_the_limit(
        app, login_as, world, monkeypatch, language, title, text):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    team = login_as("noord@example.org")
    team.get(f"/taal/{language}")
    response = upload(team, b"x" * (1024 * 1024 + 1))
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert title in page and text in page
    assert "Dit ligt aan ons" not in page and "our fault" not in page
    assert stored() == 0


def test_the_review_page_shows_a_sample_of_the_lines(login_as, world):
    team = login_as("noord@example.org")
    # Every second line names a wijk that does not exist: rejected, with a reason.
    data = survey(300, wijk=lambda i: "WK036101" if i % 2 else "WK999999")
    page = team.get(upload(team, data).headers["Location"]).get_data(as_text=True)
    lines = shown_lines(page)
    # The first 20 lines, then only the lines with a reason (140 more); 140 left out.
    assert [number for number, _status in lines[:20]] == [str(n) for n in range(2, 22)]
    assert len(lines) == 160
    assert all(status == "afgewezen" for _number, status in lines[20:])
    assert "Nog 140 regels staan hier niet." in page
    assert "nieuw: 140." in page
    assert "150 nieuw, 0 bijgewerkt, 0 ongewijzigd, 0 overgeslagen, 150 afgewezen." in page


def test_the_command_line_reads_more_lines_than_an_upload_may_have(
        runner, session, max_rows, tmp_path):
    factories.municipality()
    session.commit()
    max_rows(5)
    file = tmp_path / "gebieden.csv"
    file.write_text("niveau;code;naam;hoort_bij\n"
                    + "".join(f"gebied;g{n};Gebied {n};\n" for n in range(12)))
    result = runner.invoke(args=["load-areas", str(file)])
    assert result.exit_code == 0, result.output
    assert "12 nieuw" in result.stdout
    assert db.session.scalar(select(func.count(Area.id))) == 12
