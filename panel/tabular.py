"""Reading uploaded tables (CSV in the encodings and delimiters Dutch tools write, or XLSX).

Every import in the platform reads its file through :func:`read_table`, so that a file
saved by Dutch Excel (Windows-1252, semicolons) and one from a script (UTF-8, commas)
behave the same. A file may have a title (and empty lines) above its header row: given the
header names an import knows, the header row is the one of the first few lines with the
most of them; when none of them has a known name, the first line with the most filled
cells (a title fills one). The caller may also name the header row's line number (staff
choose it when neither rule can know).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from panel.errors import DomainError

DELIMITERS = (";", ",", "\t")
HEADER_SEARCH = 10  # the header row is one of the first this many non-empty lines


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
    for line in text.splitlines()[:HEADER_SEARCH]:
        counts = {d: line.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            return best
    return ","


def _fill(table: Table, rows: Iterable[tuple[int, list[str]]],
          known_headers: Collection[str], header_line: int | None = None) -> Table:
    """Find the header row among the first non-empty ``rows`` (numbered lines of cells), or
    take the line ``header_line`` when it is one of them, and add the lines after it to
    ``table``."""
    lines = ((line, cells) for line, cells in rows if any(c.strip() for c in cells))
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
    for line, cells in itertools.chain(first[at + 1:], lines):
        padded = cells + [""] * (len(headers) - len(cells))
        table.rows.append((line, {h: v.strip() for h, v in zip(headers, padded, strict=False)}))
    return table


def read_csv(data: bytes, known_headers: Collection[str] = (),
             header_line: int | None = None) -> Table:
    text, encoding = decode(data)
    if not text.strip():
        raise DomainError(_l("The file is empty."))
    delimiter = _pick_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table = Table(headers=[], encoding=encoding, delimiter=delimiter)
    try:
        return _fill(table, ((reader.line_num, cells) for cells in reader), known_headers,
                     header_line)
    except csv.Error as exc:
        raise DomainError(_l("The file cannot be read. Save it as CSV (UTF-8) or XLSX.")) \
            from exc


def read_xlsx(data: bytes, known_headers: Collection[str] = (),
              header_line: int | None = None) -> Table:
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise DomainError(_l("The file cannot be read. Save it as CSV (UTF-8) or XLSX.")) \
            from exc
    sheet = workbook.worksheets[0]
    rows = (
        (line, ["" if c is None else str(c).strip() for c in cells])
        for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1))
    table = _fill(Table(headers=[], encoding="xlsx", delimiter=""), rows, known_headers,
                  header_line)
    workbook.close()
    if not table.headers:
        raise DomainError(_l("The file is empty."))
    return table


def read_table(data: bytes, filename: str = "", known_headers: Collection[str] = (),
               header_line: int | None = None) -> Table:
    """Read a CSV or XLSX file into a :class:`Table`. Raises DomainError when unreadable.

    ``known_headers`` (normalised) are the header names the caller knows: the header row is
    the one of the first lines with the most of them (when none has any, the first line
    with the most filled cells). ``header_line`` names the header row's line number instead
    (ignored when it is not one of the first non-empty lines, ``Table.first_lines``).
    """
    if filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data, known_headers, header_line)
    return read_csv(data, known_headers, header_line)


def find_column(table: Table, *names: str) -> str | None:
    """The first header of ``table`` among ``names`` (already normalised), if any."""
    for name in names:
        if name in table.headers:
            return name
    return None
