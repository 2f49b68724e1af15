"""The municipality's postcode table (PC6 -> buurt), used to find a resident's wijk."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.areas.models import District
from panel.db import db
from panel.errors import DomainError
from panel.signups import validation
from panel.signups.models import Postcode
from panel.tabular import find_column, read_table


@dataclass
class PostcodeReport:
    messages: list[tuple[int, str]] = field(default_factory=list)
    file_error: str = ""
    new: int = 0
    updated: int = 0
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.messages


def load_postcodes(data: bytes, filename: str = "", dry_run: bool = False) -> PostcodeReport:
    """Load or update postcodes from a file with the columns postcode, buurtcode and
    optionally straat and plaats. Nothing changes when any line is wrong."""
    report = PostcodeReport()
    try:
        table = read_table(data, filename)
    except DomainError as exc:
        report.file_error = str(exc.message)
        return report
    col_postcode = find_column(table, "postcode", "pc6")
    col_district = find_column(table, "buurtcode", "buurt", "district code", "buurt code")
    col_street = find_column(table, "straat", "straatnaam", "street")
    col_city = find_column(table, "plaats", "woonplaats", "city")
    if not col_postcode or not col_district:
        report.file_error = str(_l("The file needs the columns postcode and buurtcode."))
        return report
    districts = {d.code: d for d in db.session.scalars(select(District))}
    existing = {p.postcode: p for p in db.session.scalars(select(Postcode))}
    seen: dict[str, int] = {}
    planned: list[tuple[str, District, str, str]] = []
    for line, values in table.rows:
        try:
            code = validation.postcode(values.get(col_postcode, ""))
        except DomainError as exc:
            report.messages.append((line, str(exc.message)))
            continue
        district = districts.get(values.get(col_district, "").strip().upper())
        if district is None:
            report.messages.append((line, str(_l("The buurt %(code)s does not exist.",
                                                 code=values.get(col_district, "")))))
            continue
        if code in seen:
            report.messages.append((line, str(_l("This postcode is also on line %(line)s.",
                                                 line=seen[code]))))
            continue
        seen[code] = line
        planned.append((code, district, values.get(col_street or "", ""),
                        values.get(col_city or "", "")))
    for code, _district, _street, _city in planned:
        if code in existing:
            report.updated += 1
        else:
            report.new += 1
    if dry_run or not report.ok:
        return report
    for code, district, street, city in planned:
        entry = existing.get(code) or Postcode(postcode=code)
        entry.district, entry.street, entry.city = district, street[:120], city[:80]
        db.session.add(entry)
    db.session.flush()
    report.applied = True
    return report
