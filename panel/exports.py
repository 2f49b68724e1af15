"""Writing tables that staff open in a spreadsheet (CSV for Dutch Excel, or XLSX).

Every export in the platform writes its file through :func:`csv_bytes` or
:func:`xlsx_bytes`, so that

* no cell can run as a formula (OWASP "CSV injection"): :func:`safe_cell` puts a single
  quote in front of text that a spreadsheet would read as a formula;
* a CSV file opens correctly in Dutch Excel (UTF-8 with BOM, semicolons, CRLF);
* the same data always gives the same file, so exports can be compared and tested.

Times with a time zone are shown in Europe/Amsterdam (spreadsheets know no time zones).

Every file the platform sends (exports, letters, calendar files, the logo) goes out through
:func:`download`, which names it with :func:`download_name`: a slug of letters, digits,
``-``, ``_`` and ``.`` only, so a name made of what people typed (a motion's reference, an
area's code) can never break the ``Content-Disposition`` header or add parameters to it.
Flask's ``send_file`` writes the header as RFC 6266 asks: a name with accents is sent as
``filename*=UTF-8''…`` with a plain ASCII ``filename=`` beside it for old browsers.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from flask import send_file
from werkzeug.wrappers import Response

from panel.days import LOCAL

__all__ = ["Sheet", "csv_bytes", "download", "download_name", "safe_cell", "xlsx_bytes"]

# A spreadsheet reads a cell that starts with one of these as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Fixed workbook and zip timestamps, so identical data gives an identical XLSX file.
FIXED_TIMESTAMP = datetime(2000, 1, 1)
_ZIP_TIMESTAMP = (2000, 1, 1, 0, 0, 0)

SHEET_TITLE_LIMIT = 31  # Excel's limit for a worksheet name
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_COLUMN_WIDTH = 60

# Anything but letters and digits (of any script), "_", "." and "-" becomes one "-".
_NOT_IN_NAME = re.compile(r"[^\w.-]+")
_REPEATED = re.compile(r"(-)-+|(\.)\.+")
NAME_LIMIT = 100  # characters of a download's name before its extension


def safe_cell(value: object) -> object:
    """Make ``value`` safe to put in a spreadsheet cell.

    Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (also
    after leading spaces) gets a single quote in front, so the spreadsheet shows it as
    text and never runs it as a formula. ``None`` becomes ``""``. Numbers, booleans,
    dates and times pass through unchanged. Anything else (an enum, a lazy translated
    string) is turned into text first and then checked like text.
    """
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal | date | time):
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_TRIGGERS) or text.lstrip().startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _local(value: datetime) -> datetime:
    """A naive datetime in Europe/Amsterdam (naive values are left as they are)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(LOCAL).replace(tzinfo=None)


def _csv_text(value: object) -> str:
    """The text of one CSV cell, as Dutch Excel reads it (decimal comma)."""
    value = safe_cell(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, datetime):
        return _local(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file for Dutch Excel: UTF-8 with BOM, ``;`` between cells, CRLF line ends.

    Every cell (headers too) goes through :func:`safe_cell`. Decimal numbers are written
    with a decimal comma; times with a time zone are written in Europe/Amsterdam.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n",
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_csv_text(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_text(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


@dataclass
class Sheet:
    """One worksheet of an XLSX export: a title, a header row and the data rows."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]] = field(default_factory=list)


def _sheet_titles(titles: Iterable[str]) -> list[str]:
    """Titles Excel accepts: no ``[]:*?/\\``, at most 31 characters, unique (any case)."""
    result: list[str] = []
    taken: set[str] = set()
    for number, title in enumerate(titles, start=1):
        base = _SHEET_TITLE_FORBIDDEN.sub(" ", str(title)).strip().strip("'").strip()
        base = base or str(number)
        candidate = base[:SHEET_TITLE_LIMIT].rstrip()
        counter = 1
        while candidate.casefold() in taken:
            counter += 1
            suffix = f" ({counter})"
            candidate = base[:SHEET_TITLE_LIMIT - len(suffix)].rstrip() + suffix
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


def _xlsx_value(value: object) -> object:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = safe_cell(value)
    if isinstance(value, str):
        # Control characters make openpyxl refuse the whole file; they carry no meaning.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, datetime):
        return _local(value)
    return value


def _with_fixed_timestamps(data: bytes) -> bytes:
    """The same zip archive with one fixed timestamp on every entry (for identical output)."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(entry))
    return output.getvalue()


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook with one worksheet per :class:`Sheet`.

    The header row is bold and stays in view when scrolling. Every text cell goes through
    :func:`safe_cell` and is stored as text, so no cell is ever a formula. Sheet titles
    are cut to Excel's 31 characters and made unique. The workbook dates are fixed, so
    the same sheets give the same bytes.
    """
    from openpyxl import Workbook  # imported here: only XLSX exports pay for it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    if not sheets:
        raise ValueError("xlsx_bytes needs at least one sheet")
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for sheet, title in zip(sheets, _sheet_titles(s.title for s in sheets), strict=True):
        worksheet = workbook.create_sheet(title=title)
        widths: dict[int, int] = {}
        for row_number, values in enumerate([sheet.headers, *sheet.rows], start=1):
            for column, raw in enumerate(values, start=1):
                value = _xlsx_value(raw)
                cell = worksheet.cell(row=row_number, column=column, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text, never a formula
                if row_number == 1:
                    cell.font = bold
                widths[column] = max(widths.get(column, 0), len(str(value)))
        worksheet.freeze_panes = "A2"
        for column, width in widths.items():
            letter = get_column_letter(column)
            worksheet.column_dimensions[letter].width = min(width + 2, _MAX_COLUMN_WIDTH)

    properties = workbook.properties
    properties.creator = "Wijkpanel"
    properties.created = FIXED_TIMESTAMP
    properties.modified = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    # ExcelWriter rather than workbook.save(): save() stamps the current time as modified.
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return _with_fixed_timestamps(buffer.getvalue())


def download_name(*parts: object, extension: str) -> str:
    """A safe file name made of ``parts`` joined by ``-``, e.g.
    ``download_name("rapportage", "M 2024/03", "v2", extension="xlsx")`` is
    ``rapportage-M-2024-03-v2.xlsx``.

    Letters (accents and other scripts too, in their composed form) and digits stay; every
    run of other characters (spaces, slashes, quotes, semicolons, line breaks, emoji)
    becomes one ``-``. The name is at most :data:`NAME_LIMIT` characters before its
    extension and never empty (``download``).
    """
    text = unicodedata.normalize("NFC", "-".join(str(p) for p in parts if p not in (None, "")))
    slug = _REPEATED.sub(r"\1\2", _NOT_IN_NAME.sub("-", text)).strip("-.")
    slug = slug[:NAME_LIMIT].rstrip("-.") or "download"
    suffix = _NOT_IN_NAME.sub("", extension).strip(".")
    return f"{slug}.{suffix}" if suffix else slug


def download(body: bytes, mimetype: str, *name_parts: object, extension: str,
             inline: bool = False) -> Response:
    """``body`` as a file to save (or, ``inline``, to show), named by
    :func:`download_name` from ``name_parts`` and ``extension``.

    Flask's ``send_file`` writes the ``Content-Disposition`` header (RFC 6266: a non-ASCII
    name as ``filename*=UTF-8''…`` with an ASCII ``filename=`` fallback). The body is set
    as plain bytes rather than streamed from a file: it is in memory already, and a public
    download can then be kept per worker like a page (``panel.conditional``).
    """
    response = send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=not inline,
                         download_name=download_name(*name_parts, extension=extension),
                         conditional=False, etag=False)
    response.direct_passthrough = False
    response.set_data(body)
    return response
