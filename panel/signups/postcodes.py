"""The municipality's postcode table (PC6 -> buurt), used to find a resident's wijk.

Two kinds of file are loaded, by the same importer (the skeleton in
:mod:`panel.importing`; all or nothing):

- a **postcode file**: one line per postcode, with the columns postcode and buurtcode, and
  optionally straat and plaats;
- an **address file**, such as CBS's yearly postcode–house number–buurt file as CBS
  publishes it (``pc6hnr20230801_gwb.csv``, or the ZIP file it comes in): one line per
  address (``PC6;Huisnummer;Buurt2023;Wijk2023;Gemeente2023``), so a postcode repeats on
  many lines. The file is read line by line and counted per postcode: the report has one
  line per postcode (numbered by its first line in the file), and a postcode with
  addresses in more than one buurt is placed in the buurt with the most addresses, with a
  warning.

CBS writes codes as numbers: ``3610101`` or ``03610101`` is buurt ``BU03610101``. Codes are
accepted with or without their prefix and leading zeros, in both kinds of file. A file for
the whole country or a province has lines of other municipalities: they are left out and
only counted in the report's notes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from panel.areas.models import District
from panel.areas.services import cbs_code, get_municipality
from panel.auth.permissions import may_administer
from panel.db import db
from panel.errors import DomainError
from panel.importing import FirstSeen, Importer, ImportReport, Line, Row, Status
from panel.signups import validation
from panel.signups.models import Postcode
from panel.tabular import Table, check_workbook

# CBS names its columns after the year of its map: Buurt2023, Gemeente2023.
_WITH_YEAR = {
    "district": re.compile(r"^(?:buurt|buurtcode|bu code) ?\d{4}$"),
    "municipality": re.compile(r"^(?:gemeente|gemeentecode|gm code) ?\d{4}$"),
}
_HEAD_BYTES = 64 * 1024  # enough to find the header row and the delimiter
_CHECK_CHUNK = 1024 * 1024


@dataclass
class _Planned:
    postcode: str
    district: District
    street: str
    city: str
    existing: Postcode | None


@dataclass
class _Context:
    districts: dict[str, District]
    existing: dict[str, Postcode]
    # For an address file: the buurten of each postcode with more than one, with their
    # number of addresses (most first).
    spread: dict[str, list[tuple[str, int]]]
    seen: FirstSeen = field(default_factory=FirstSeen)
    found: set[str] = field(default_factory=set)


@dataclass
class _Reading:
    """What reading the file found besides its lines (kept for the report's notes)."""

    address_file: bool = False
    addresses: int = 0
    outside: int = 0  # lines of other municipalities
    spread: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def _zipped_csv(data: bytes) -> bytes | None:
    """The CSV file inside a ZIP file (as CBS publishes its postcode file), or None when
    ``data`` is not a ZIP file or is an XLSX workbook. Of several CSV files, the one named
    like CBS's postcode file (``pc6hnr…``) is taken."""
    if data[:4] != b"PK\x03\x04":
        return None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise DomainError(_l("The file cannot be read. Save it as CSV (UTF-8) or XLSX.")) \
            from exc
    with archive:
        names = archive.namelist()
        if "[Content_Types].xml" in names:
            return None  # an XLSX workbook
        files = [name for name in names if name.lower().endswith(".csv")]
        preferred = [name for name in files
                     if PurePosixPath(name).name.lower().startswith("pc6")]
        chosen = preferred or files
        if len(chosen) != 1:
            raise DomainError(_l("The ZIP file must hold one CSV file with the postcodes "
                                 "(CBS calls it pc6hnr…_gwb.csv)."))
        return archive.read(chosen[0])


def _encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the whole file is valid UTF-8, otherwise
    Windows-1252, as :func:`panel.tabular.decode` decides, without decoding a large file
    into memory at once."""
    if data.isascii():
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHECK_CHUNK):
            decoder.decode(view[start:start + _CHECK_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _cells(text: str, delimiter: str) -> list[str]:
    """One line's cells: a plain split, or the csv module for a line with quotes."""
    if '"' in text:
        return next(csv.reader([text], delimiter=delimiter), [])
    return text.rstrip("\r\n").split(delimiter)


class PostcodesImporter(Importer[_Context, _Planned]):
    """``PostcodesImporter(None).run(data, filename, dry_run=…)`` (the command line)."""

    columns = {
        "postcode": ("postcode", "pc6"),
        "district": ("buurtcode", "buurt", "district code", "buurt code"),
        "street": ("straat", "straatnaam", "street"),
        "city": ("plaats", "woonplaats", "city"),
        "house_number": ("huisnummer", "huisnr", "house number"),
        "municipality": ("gemeentecode", "gemeente", "municipality code"),
    }
    required = ("postcode", "district")
    missing_columns = _l("The file needs the columns postcode and buurtcode.")

    def __init__(self, user: Any = None) -> None:
        super().__init__(user)
        self.reading = _Reading()

    def may_import(self, user: Any) -> bool:
        return may_administer(user)

    def detect_mapping(self, table: Table) -> dict[str, str | None]:
        mapping = super().detect_mapping(table)
        for name, pattern in _WITH_YEAR.items():
            if mapping.get(name) is None:
                mapping[name] = next((h for h in table.headers if pattern.match(h)), None)
        return mapping

    # --- reading ----------------------------------------------------------------------

    def read(self, data: bytes, filename: str, header_line: int | None = None) -> Table:
        """The file as a table: a postcode file as it is, an address file counted per
        postcode (one row per postcode). Lines of other municipalities are left out (and
        counted in ``self.reading.outside``)."""
        self.reading = _Reading()
        if data[:4] == b"PK\x03\x04":
            check_workbook(data)  # no zip bomb (the sizes in its directory, unpacked)
        zipped = _zipped_csv(data)
        if zipped is not None:
            data, filename = zipped, "postcodes.csv"
        ours = self._municipality_digits()
        if filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
            table = super().read(data, filename, header_line)
            mapping = self.detect_mapping(table)
            if self._address_file(mapping):
                rows = ((line, [values.get(h, "") for h in table.headers])
                        for line, values in table.rows)
                table = self._per_postcode(table, mapping, rows, ours)
            else:
                table = self._only_ours(table, mapping, ours)
        else:
            head = super().read(self._head(data), filename, header_line)
            mapping = self.detect_mapping(head)
            if self._address_file(mapping):
                table = self._per_postcode(head, mapping, self._csv_lines(data, head), ours)
            else:
                table = self._only_ours(super().read(data, filename, header_line), mapping,
                                        ours)
        if not table.rows and self.reading.outside:
            raise DomainError(_l(
                "None of the lines is in this municipality (%(codes)s). Is this the right "
                "file, and is the municipality code right?",
                codes=", ".join(f"GM{digits}" for digits in sorted(ours))))
        return table

    def _address_file(self, mapping: Mapping[str, str | None]) -> bool:
        """A file with one line per address (it has house numbers) and the columns needed
        to count them (without them, the skeleton reports the missing columns)."""
        return bool(mapping.get("house_number")) and not self.missing(mapping)

    @staticmethod
    def _municipality_digits() -> set[str]:
        """The four digits of this municipality: of its code, and of the buurten loaded.
        Without buurten no postcode can be placed, so the file is refused at once."""
        digits = set(db.session.scalars(
            select(func.substr(District.code, 3, 4)).distinct()))
        if not digits:
            raise DomainError(_l("There are no buurten yet. Load the areas first, then the "
                                 "postcodes."))
        municipality = get_municipality()
        if municipality is not None:
            digits.add(municipality.digits)
        return digits

    @staticmethod
    def _head(data: bytes) -> bytes:
        """The first lines of a large file, to find its header row and delimiter."""
        if len(data) <= _HEAD_BYTES:
            return data
        head = data[:_HEAD_BYTES]
        return head[:head.rfind(b"\n") + 1] or head

    @staticmethod
    def _csv_lines(data: bytes, head: Table) -> Iterator[tuple[int, list[str]]]:
        """The numbered lines after the header row, as cells, read one at a time."""
        stream = io.TextIOWrapper(io.BytesIO(data), encoding=_encoding(data), newline="")
        delimiter = head.delimiter
        lines = enumerate(stream, start=1)
        for number, _text in lines:
            if number >= head.header_line:
                break
        for number, text in lines:
            if len(text) > 2 or text.strip():
                yield number, _cells(text, delimiter)

    def _per_postcode(self, head: Table, mapping: Mapping[str, str | None],
                      lines: Iterator[tuple[int, list[str]]], ours: set[str]) -> Table:
        """Count the addresses of each postcode per buurt, keeping only the lines of this
        municipality. One row per postcode: its first line, the buurt with the most
        addresses, and the first street and place given."""
        def index(name: str) -> int:
            header = mapping.get(name)
            return head.headers.index(header) if header else -1

        at_postcode, at_district = index("postcode"), index("district")
        at_street, at_city, at_municipality = index("street"), index("city"), \
            index("municipality")
        known: dict[str, tuple[str, bool | None]] = {}  # cell -> (buurt code, ours?)
        postcodes: dict[str, list[Any]] = {}  # PC6 -> [line, {buurt: addresses}, street, city]
        outside = 0
        for number, cells in lines:
            width = len(cells)
            raw = cells[at_district] if at_district < width else ""  # both columns exist
            found = known.get(raw)
            if found is None:
                code = cbs_code(raw, "BU")
                found = known[raw] = (code or raw.strip().upper(),
                                      code[2:6] in ours if code else None)
            code, mine = found
            if mine is None and 0 <= at_municipality < width:
                municipality = cbs_code(cells[at_municipality], "GM")
                mine = municipality[2:] in ours if municipality else None
            if mine is False:
                outside += 1
                continue
            postcode = cells[at_postcode].replace(" ", "").upper() if at_postcode < width \
                else ""
            entry = postcodes.get(postcode)
            if entry is None:
                entry = postcodes[postcode] = [
                    number, {},
                    cells[at_street].strip() if 0 <= at_street < width else "",
                    cells[at_city].strip() if 0 <= at_city < width else ""]
            counts = entry[1]
            counts[code] = counts.get(code, 0) + 1

        table = Table(headers=head.headers, encoding=head.encoding, delimiter=head.delimiter)
        names = {name: mapping.get(name) for name in ("postcode", "district", "street", "city")}
        for postcode, (number, counts, street, city) in postcodes.items():
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            if len(ranked) > 1:
                self.reading.spread[postcode] = ranked
            self.reading.addresses += sum(counts.values())
            values = {"postcode": postcode, "district": ranked[0][0], "street": street,
                      "city": city}
            table.rows.append((number, {header: values[name]
                                        for name, header in names.items() if header}))
        self.reading.address_file = True
        self.reading.outside = outside
        return table

    def _only_ours(self, table: Table, mapping: Mapping[str, str | None],
                   ours: set[str]) -> Table:
        """A postcode file without the lines whose buurt is in another municipality."""
        header = mapping.get("district")
        if not header:
            return table
        kept = []
        for number, values in table.rows:
            code = cbs_code(values.get(header, ""), "BU")
            if code is not None and code[2:6] not in ours:
                self.reading.outside += 1
            else:
                kept.append((number, values))
        table.rows = kept
        return table

    # --- checking and loading ---------------------------------------------------------

    def prepare(self, table: Table, mapping: Mapping[str, str | None]) -> _Context:
        return _Context(
            districts={d.code: d for d in db.session.scalars(select(District))},
            existing={p.postcode: p for p in db.session.scalars(select(Postcode))},
            spread=self.reading.spread)

    def check(self, line: Line, row: Row, context: _Context) -> _Planned | None:
        line.subject = row.get("postcode")
        try:
            code = validation.postcode(row.get("postcode"))
        except DomainError as exc:
            line.reject(exc.message)
            return None
        line.subject = code
        raw = row.get("district")
        if not raw:
            line.reject(_l("The buurt code is missing."))
            return None
        district_code = cbs_code(raw, "BU") or raw.upper()
        district = context.districts.get(district_code)
        if district is None:
            line.reject(_l("The buurt %(code)s does not exist.", code=district_code))
            return None
        earlier = context.seen.earlier(code, line.line)
        if earlier is not None:
            line.reject(_l("This postcode is also on line %(line)s.", line=earlier))
            return None
        context.found.add(code)
        spread = context.spread.get(row.get("postcode"))
        if spread:
            line.warn(_l(
                "This postcode has addresses in %(count)s buurten: %(buurten)s. It is placed "
                "in %(code)s, which has the most.", count=len(spread), code=district.code,
                buurten=", ".join(f"{buurt} ({number})" for buurt, number in spread)))
        existing = context.existing.get(code)
        street = row.get("street")[:120] if row.has("street") else \
            (existing.street if existing else "")
        city = row.get("city")[:80] if row.has("city") else (existing.city if existing else "")
        planned = _Planned(code, district, street, city, existing)
        if existing is None:
            return planned
        if (existing.district_id, existing.street, existing.city) == \
                (district.id, planned.street, planned.city):
            line.status = Status.UNCHANGED
            return None
        line.status = Status.UPDATED
        return planned

    def finish(self, report: ImportReport, plan: list[_Planned], context: _Context) -> None:
        reading = self.reading
        if reading.address_file:
            report.notes.append(_(
                "The file has %(addresses)s of this municipality, in %(postcodes)s.",
                addresses=ngettext("%(count)s address", "%(count)s addresses",
                                   reading.addresses, count=format_decimal(reading.addresses)),
                postcodes=_postcodes(len(report.lines))))
        if reading.outside:
            report.notes.append(ngettext(
                "%(count)s line of another municipality is left out.",
                "%(count)s lines of other municipalities are left out.", reading.outside,
                count=format_decimal(reading.outside)))
        kept = len(set(context.existing) - context.found)
        if kept:
            report.notes.append(ngettext(
                "%(count)s postcode in the table is not in this file. It stays as it is.",
                "%(count)s postcodes in the table are not in this file. They stay as they are.",
                kept, count=format_decimal(kept)))

    def apply(self, plan: list[_Planned], context: _Context) -> None:
        for planned in plan:
            entry = planned.existing or Postcode(postcode=planned.postcode)
            entry.district = planned.district
            entry.street, entry.city = planned.street, planned.city
            db.session.add(entry)


def _postcodes(count: int) -> str:
    """"1 postcode", "4.000 postcodes"."""
    return ngettext("%(count)s postcode", "%(count)s postcodes", count,
                    count=format_decimal(count))


def postcode_count() -> int:
    """How many postcodes the table has now."""
    return db.session.scalar(select(func.count(Postcode.id))) or 0
