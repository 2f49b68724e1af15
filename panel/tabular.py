"""Reading uploaded tables (CSV in the encodings and delimiters Dutch tools write, or XLSX).

Every import in the platform reads its file through :func:`read_table`, so that a file
saved by Dutch Excel (Windows-1252, semicolons) and one from a script (UTF-8, commas)
behave the same.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from panel.errors import DomainError

DELIMITERS = (";", ",", "\t")


@dataclass
class Table:
    """Rows of a file as dictionaries keyed by the normalised header, with line numbers."""

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","


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


def _pick_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    if not text.strip():
        raise DomainError(_l("The file is empty."))
    first_line = text.splitlines()[0]
    delimiter = _pick_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        raw_headers = next(reader)
    except csv.Error as exc:
        raise DomainError(_l("The file cannot be read. Save it as CSV (UTF-8) or XLSX.")) \
            from exc
    headers = [normalise_header(h) for h in raw_headers]
    table = Table(headers=headers, encoding=encoding, delimiter=delimiter)
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            line = reader.line_num
            padded = cells + [""] * (len(headers) - len(cells))
            table.rows.append((line, {h: v.strip() for h, v in zip(headers, padded, strict=False)}))
    except csv.Error as exc:
        raise DomainError(_l("The file cannot be read. Save it as CSV (UTF-8) or XLSX.")) \
            from exc
    return table


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise DomainError(_l("The file cannot be read. Save it as CSV (UTF-8) or XLSX.")) \
            from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header_cells = next(rows)
    except StopIteration as exc:
        raise DomainError(_l("The file is empty.")) from exc
    headers = [normalise_header(str(h or "")) for h in header_cells]
    table = Table(headers=headers, encoding="xlsx", delimiter="")
    for line, cells in enumerate(rows, start=2):
        values = ["" if c is None else str(c).strip() for c in cells]
        if not any(values):
            continue
        values += [""] * (len(headers) - len(values))
        table.rows.append((line, dict(zip(headers, values, strict=False))))
    workbook.close()
    return table


def read_table(data: bytes, filename: str = "") -> Table:
    """Read a CSV or XLSX file into a :class:`Table`. Raises DomainError when unreadable."""
    if filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    return read_csv(data)


def find_column(table: Table, *names: str) -> str | None:
    """The first header of ``table`` among ``names`` (already normalised), if any."""
    for name in names:
        if name in table.headers:
            return name
    return None
