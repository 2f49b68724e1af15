"""Spreadsheet exports: no formula injection, Dutch Excel CSV, deterministic files."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from panel.exports import FIXED_TIMESTAMP, Sheet, csv_bytes, safe_cell, xlsx_bytes

PAYLOADS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =1"]


def _read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell_neutralises_formula_payloads(payload):
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["Utrecht", "1+1", "a=b", "", "'quoted", "3542 AB"])
def test_safe_cell_leaves_ordinary_text_alone(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [0, -1, 2.5, -2.5, Decimal("-1.25"), True, False,
                                   date(2026, 3, 3), datetime(2026, 3, 3, 9, 30)])
def test_safe_cell_passes_numbers_booleans_and_dates_through(value):
    assert safe_cell(value) is value


def test_safe_cell_turns_none_into_empty_text_and_checks_other_objects_as_text():
    class Weird:
        def __str__(self) -> str:
            return "=HYPERLINK(\"http://evil\")"

    assert safe_cell(None) == ""
    assert safe_cell(Weird()) == "'=HYPERLINK(\"http://evil\")"


def test_csv_neutralises_every_payload_in_headers_and_cells():
    data = csv_bytes(["name", "=header"], [[payload, payload] for payload in PAYLOADS])
    rows = _read_csv(data)
    assert rows[0] == ["name", "'=header"]
    assert [row[0] for row in rows[1:]] == ["'" + payload for payload in PAYLOADS]
    for row in rows[1:]:
        assert all(cell.startswith("'") for cell in row)


def test_csv_is_for_dutch_excel():
    data = csv_bytes(["naam", "plaats"], [["Jan; de Vries", "Utrecht"], ["Ëlla", "Zeist"]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 3
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data.decode("utf-8-sig").splitlines()[0] == "naam;plaats"
    assert _read_csv(data)[1:] == [["Jan; de Vries", "Utrecht"], ["Ëlla", "Zeist"]]


def test_csv_writes_numbers_as_numbers_and_none_as_empty():
    moment = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    data = csv_bytes(["a", "b", "c", "d", "e", "f"],
                     [[-1, 2.5, Decimal("3.75"), None, date(2026, 3, 3), moment]])
    assert _read_csv(data)[1] == ["-1", "2,5", "3,75", "", "2026-03-03",
                                  "2026-03-03 13:00:00"]


def test_csv_is_byte_identical_for_the_same_input():
    rows = [["=1+1", 1, 2.5, None, date(2026, 1, 1)], ["Jan", -3, 0.1, "x", "y"]]
    headers = ["a", "b", "c", "d", "e"]
    assert csv_bytes(headers, rows) == csv_bytes(headers, iter([list(r) for r in rows]))


def test_xlsx_neutralises_payloads_and_writes_no_formulas():
    data = xlsx_bytes([Sheet("Leden", ["naam", "=kop"], [[p, p] for p in PAYLOADS])])
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Leden"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells
    assert all(cell.data_type != "f" for cell in cells)
    values = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert values == ["'" + payload for payload in PAYLOADS]
    assert all(row[1].value.startswith("'") for row in sheet.iter_rows(min_row=2))
    assert sheet["B1"].value == "'=kop"


def test_xlsx_keeps_numbers_and_dates_and_styles_the_header():
    moment = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    data = xlsx_bytes([Sheet("Cijfers", ["getal", "komma", "leeg", "datum", "tijd"],
                             [[-1, 2.5, None, date(2026, 3, 3), moment]])])
    sheet = load_workbook(io.BytesIO(data))["Cijfers"]
    row = [cell for cell in sheet[2]]
    assert row[0].value == -1 and row[0].data_type == "n"
    assert row[1].value == 2.5 and row[1].data_type == "n"
    assert row[2].value in (None, "")
    assert row[3].value.date() == date(2026, 3, 3)
    assert row[4].value == datetime(2026, 3, 3, 13, 0)  # shown in Europe/Amsterdam
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"


def test_xlsx_sheet_titles_are_cut_and_unique():
    long_title = "Deelnemers van het wijkpanel in Overvecht-Noord"
    data = xlsx_bytes([
        Sheet(long_title, ["a"], [[1]]),
        Sheet(long_title, ["a"], [[2]]),
        Sheet("Vragen: wat/waarom?", ["a"], []),
        Sheet("", ["a"], []),
    ])
    workbook = load_workbook(io.BytesIO(data))
    titles = workbook.sheetnames
    assert len(titles) == 4
    assert all(len(title) <= 31 for title in titles)
    assert len({title.casefold() for title in titles}) == 4
    assert titles[0] == long_title[:31]
    assert titles[1].endswith("(2)")
    assert workbook[titles[1]]["A2"].value == 2


def test_xlsx_is_identical_for_the_same_data():
    def build() -> bytes:
        return xlsx_bytes([Sheet("Leden", ["naam", "getal"], [["Jan", 1], ["=1+1", 2.5]]),
                           Sheet("Leeg", ["x"], [])])

    first = build()
    assert first == build()
    workbook = load_workbook(io.BytesIO(first))
    assert workbook.properties.created == FIXED_TIMESTAMP
    assert workbook.properties.modified == FIXED_TIMESTAMP
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}


def test_xlsx_drops_control_characters_that_excel_refuses():
    data = xlsx_bytes([Sheet("Leden", ["naam"], [["Jan\x00\x07 de Vries"]])])
    assert load_workbook(io.BytesIO(data))["Leden"]["A2"].value == "Jan de Vries"


def test_xlsx_needs_a_sheet():
    with pytest.raises(ValueError):
        xlsx_bytes([])
