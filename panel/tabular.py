"""Reading uploaded tables (CSV in the encodings and delimiters Dutch tools write, or XLSX).

Every import in the platform reads its file through :func:`read_table`, so that a file
saved by Dutch Excel (Windows-1252, semicolons) and one from a script (UTF-8, commas)
behave the same. A file may have a title (and empty lines) above its header row: given the
header names an import knows, the header row is the one of the first few lines with the
most of them; when none of them has a known name, the first line with the most filled
cells (a title fills one). The caller may also name the header row's line number (staff
choose it when neither rule can know).

Reading keeps to :class:`Limits`, checked before and while reading, so that no file can
keep a web worker busy for long: an uploaded file (:func:`upload_limits`) may have at most
``PANEL_IMPORT_MAX_ROWS`` lines, counted while reading (reading stops at the next one),
and an XLSX workbook's unpacked size and compression ratio are checked from its zip
directory before it is opened, then its first sheet is read in openpyxl's streaming
``read_only`` mode and its cells are counted. The command line reads files of any size
(``Limits()``), but never a zip bomb.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from panel.errors import DomainError
from panel.progress import track

DELIMITERS = (";", ",", "\t")
HEADER_SEARCH = 10  # the header row is one of the first this many non-empty lines

# A zip entry that unpacks to more than this many times its packed size is a zip bomb
# (the ratio Apache POI refuses too); real workbooks stay far below it.
XLSX_MAX_RATIO = 100
_RATIO_FROM = 1024 * 1024  # smaller entries are too small to matter
XLSX_MAX_ENTRIES = 10_000
# For uploads: openpyxl reads some 30,000 cells a second (a CSV file is read ten times
# faster), and the check page reads the file again. So a workbook of more cells (some
# 5,000 lines of 12 columns), or one that unpacks to more bytes (its shared strings are
# read whole before the first line), is refused with the advice to save it as CSV.
UPLOAD_XLSX_CELLS = 60_000
UPLOAD_XLSX_UNPACKED = 8 * 1024 * 1024
UPLOAD_COLUMNS = 500


@dataclass(frozen=True)
class Limits:
    """How much of a file may be read; None is no limit (the command line)."""

    rows: int | None = None  # lines with data after the column names
    columns: int | None = None  # cells on one line
    xlsx_cells: int | None = None  # cells of a workbook's sheet, empty ones included
    xlsx_unpacked: int | None = None  # bytes of a workbook's files, unpacked


def upload_limits() -> Limits:
    """The limits of a file uploaded to an import page (``PANEL_IMPORT_MAX_ROWS``)."""
    return Limits(rows=current_app.config["PANEL_IMPORT_MAX_ROWS"], columns=UPLOAD_COLUMNS,
                  xlsx_cells=UPLOAD_XLSX_CELLS, xlsx_unpacked=UPLOAD_XLSX_UNPACKED)


def too_many_rows(limit: int) -> DomainError:
    return DomainError(_l("The file has more than %(count)s lines. A file may have at most "
                          "%(count)s lines. Split it into smaller files.",
                          count=format_decimal(limit)))


def _too_many_columns(limit: int) -> DomainError:
    return DomainError(_l("The file has more than %(count)s columns. Leave out the columns "
                          "the import does not need.", count=format_decimal(limit)))


def _megabytes(size: int) -> str:
    return format_decimal(size / 1048576, format="#,##0.#")


@dataclass
class Table:
    """Rows of a file as dictionaries keyed by the normalised header, with line numbers."""

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    header_line: int = 0  # the line number of the header row (0: an empty file)
    # The first non-empty lines (number and cells): the header row is one of them.
    first_lines: list[tuple[int, list[str]]] = field(default_factory=list)


def normalise_header(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().lower().replace("_", " ").split())


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), falling back to Windows-1252."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise DomainError(_l("The file cannot be read. Save it as CSV (UTF-8) or XLSX.")) \
            from exc


def _pick_delimiter(text: str) -> str:
    """The delimiter of the first line that has one (a title line may have none)."""
    for line in itertools.islice(io.StringIO(text), HEADER_SEARCH):
        counts = {d: line.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            return best
    return ","


def _limited(rows: Iterable[tuple[int, list[str]]],
             limits: Limits) -> Iterable[tuple[int, list[str]]]:
    """``rows`` as they are read, refused (DomainError) as soon as a line is wider than
    ``limits.columns`` or there are more lines than twice ``limits.rows`` (empty lines
    included: the lines with data are counted after the header row, in :func:`_fill`)."""
    most_lines = None if limits.rows is None else 2 * limits.rows + HEADER_SEARCH
    for count, (line, cells) in enumerate(track(rows, _("Reading the file")), start=1):
        if limits.columns is not None and len(cells) > limits.columns:
            raise _too_many_columns(limits.columns)
        if most_lines is not None and count > most_lines:
            raise too_many_rows(limits.rows or 0)
        yield line, cells


def _fill(table: Table, rows: Iterable[tuple[int, list[str]]],
          known_headers: Collection[str], header_line: int | None = None,
          limits: Limits = Limits()) -> Table:
    """Find the header row among the first non-empty ``rows`` (numbered lines of cells), or
    take the line ``header_line`` when it is one of them, and add the lines after it to
    ``table`` (at most ``limits.rows``: DomainError at the next one)."""
    lines = ((line, cells) for line, cells in _limited(rows, limits)
             if any(c.strip() for c in cells))
    first = list(itertools.islice(lines, HEADER_SEARCH))
    if not first:
        return table
    table.first_lines = [(line, [c.strip() for c in cells]) for line, cells in first]

    def known(cells: list[str]) -> int:
        return sum(1 for cell in cells if normalise_header(cell) in known_headers)

    def filled(cells: list[str]) -> int:
        return sum(1 for cell in cells if cell.strip())

    chosen = [i for i, (line, _cells) in enumerate(first) if line == header_line]
    if chosen:
        at = chosen[0]
    elif any(known(cells) for _line, cells in first):
        at = max(range(len(first)), key=lambda i: (known(first[i][1]), -i))
    else:  # no known names: a title or a note fills fewer cells than the header row
        at = max(range(len(first)), key=lambda i: (filled(first[i][1]), -i))
    headers = [normalise_header(h) for h in first[at][1]]
    while headers and not headers[-1]:  # empty cells after the last header (XLSX)
        headers.pop()
    table.header_line = first[at][0]
    table.headers = headers
    for count, (line, cells) in enumerate(itertools.chain(first[at + 1:], lines), start=1):
        if limits.rows is not None and count > limits.rows:
            raise too_many_rows(limits.rows)
        padded = cells + [""] * (len(headers) - len(cells))
        table.rows.append((line, {h: v.strip() for h, v in zip(headers, padded, strict=False)}))
    return table


def read_csv(data: bytes, known_headers: Collection[str] = (),
             header_line: int | None = None, limits: Limits = Limits()) -> Table:
    text, encoding = decode(data)
    if not text.strip():
        raise DomainError(_l("The file is empty."))
    delimiter = _pick_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = Table(headers=[], encoding=encoding, delimiter=delimiter)
    try:
        return _fill(table, ((reader.line_num, cells) for cells in reader), known_headers,
                     header_line, limits)
    except csv.Error as exc:
        raise DomainError(_l("The file cannot be read. Save it as CSV (UTF-8) or XLSX.")) \
            from exc


def check_workbook(data: bytes, limits: Limits = Limits()) -> None:
    """Refuse (DomainError) a workbook (or another zip file) that is no zip file, that
    unpacks to more than
    ``limits.xlsx_unpacked`` bytes, or that has an entry packed more than
    :data:`XLSX_MAX_RATIO` times (a zip bomb), from the sizes in the zip's directory,
    before anything is unpacked. Python's zipfile never unpacks more than an entry's stated
    size, so the stated sizes are what openpyxl can get."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DomainError(_l("The file cannot be read. Save it as CSV (UTF-8) or XLSX.")) \
            from exc
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > XLSX_MAX_ENTRIES or any(
            entry.file_size >= _RATIO_FROM
            and entry.file_size > XLSX_MAX_RATIO * max(entry.compress_size, 1)
            for entry in entries):
        raise DomainError(_l("This file unpacks to far more than its own size, so it is not "
                             "read. Save it as CSV and try again."))
    if limits.xlsx_unpacked is not None and unpacked > limits.xlsx_unpacked:
        raise DomainError(_l("This XLSX file is too large to read here: unpacked it is "
                             "%(size)s MB, and at most %(limit)s MB can be read. Save it as "
                             "CSV and try again.", size=_megabytes(unpacked),
                             limit=_megabytes(limits.xlsx_unpacked)))


def _counted_cells(rows: Iterable[tuple[object, ...]],
                   limit: int | None) -> Iterable[tuple[object, ...]]:
    """The sheet's rows, refused (DomainError) when they hold more than ``limit`` cells."""
    cells = 0
    for row in rows:
        cells += max(len(row), 1)
        if limit is not None and cells > limit:
            raise DomainError(_l("This XLSX file has more than %(count)s cells, too many to "
                                 "read here. Save it as CSV and try again.",
                                 count=format_decimal(limit)))
        yield row


def read_xlsx(data: bytes, known_headers: Collection[str] = (),
              header_line: int | None = None, limits: Limits = Limits()) -> Table:
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    check_workbook(data, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise DomainError(_l("The file cannot be read. Save it as CSV (UTF-8) or XLSX.")) \
            from exc
    try:
        sheet = workbook.worksheets[0]
        # Rows as wide as their last cell, not as the sheet's stated size (which may be
        # the whole sheet, A1:XFD1048576).
        sheet.reset_dimensions()
        rows = (
            (line, ["" if c is None else str(c).strip() for c in cells])
            for line, cells in enumerate(
                _counted_cells(sheet.iter_rows(values_only=True), limits.xlsx_cells),
                start=1))
        table = _fill(Table(headers=[], encoding="xlsx", delimiter=""), rows, known_headers,
                      header_line, limits)
    finally:
        workbook.close()
    if not table.headers:
        raise DomainError(_l("The file is empty."))
    return table


def read_table(data: bytes, filename: str = "", known_headers: Collection[str] = (),
               header_line: int | None = None, limits: Limits = Limits()) -> Table:
    """Read a CSV or XLSX file into a :class:`Table`. Raises DomainError when unreadable,
    or when it is larger than ``limits`` allow.

    ``known_headers`` (normalised) are the header names the caller knows: the header row is
    the one of the first lines with the most of them (when none has any, the first line
    with the most filled cells). ``header_line`` names the header row's line number instead
    (ignored when it is not one of the first non-empty lines, ``Table.first_lines``).
    """
    if filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data, known_headers, header_line, limits)
    return read_csv(data, known_headers, header_line, limits)


def find_column(table: Table, *names: str) -> str | None:
    """The first header of ``table`` among ``names`` (already normalised), if any."""
    for name in names:
        if name in table.headers:
            return name
    return None
