"""Loading gebieden, wijken and buurten (CBS codes) from a CSV or XLSX file.

One line is one gebied, wijk or buurt: niveau, code, naam, hoort_bij (the gebied of a wijk,
the wijk of a buurt) and cbs_jaar. Each line is new, updated, unchanged or rejected with
the reasons, checked with the same rules as the forms (``services.check_*``). The import is
all or nothing: when any line is rejected nothing changes. A wijk may belong to a gebied
that is new in the same file, and a buurt to a wijk that is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.areas.services import (
    check_area,
    check_district,
    check_neighbourhood,
    get_municipality,
)
from panel.auth.permissions import may_administer
from panel.db import db
from panel.importing import FirstSeen, Importer, Line, Row, Status
from panel.tabular import Table

LEVELS = {
    "gebied": "area", "area": "area",
    "wijk": "neighbourhood", "neighbourhood": "neighbourhood",
    "buurt": "district", "district": "district",
}
# How a line's subject names its level (the Dutch terms are used in both languages).
LEVEL_NAMES = {"area": "gebied", "neighbourhood": "wijk", "district": "buurt"}


@dataclass
class _Area:
    """A line that is fine and changes something."""

    level: str  # area, neighbourhood or district
    code: str
    name: str
    parent: str
    year: int | None


@dataclass
class _Context:
    municipality: Municipality | None
    areas: dict[str, Area]
    wijken: dict[str, Neighbourhood]
    buurten: dict[str, District]
    file_areas: set[str]  # gebied codes in the file, for the wijken that belong to them
    file_wijken: set[str]  # and wijk codes, for their buurten
    seen: FirstSeen = field(default_factory=FirstSeen)


def _level(row: Row) -> str:
    return LEVELS.get(row.get("level").lower(), "")


class AreasImporter(Importer[_Context, _Area]):
    """``AreasImporter(user).run(data, filename, dry_run=…)``: administrators only."""

    columns = {
        "level": ("niveau", "level", "type"),
        "code": ("code",),
        "name": ("naam", "name"),
        "parent": ("hoort bij", "ouder", "parent"),
        "cbs_year": ("cbs jaar", "cbs year", "jaar", "year"),
    }
    required = ("level", "code", "name", "parent")
    missing_columns = _l(
        "The file does not have the columns it needs: niveau, code, naam, hoort_bij and "
        "cbs_jaar. Check that the first line holds these names, separated by commas or "
        "semicolons.")
    no_lines = _l("The file has no lines with areas.")

    def may_import(self, user: Any) -> bool:
        return may_administer(user)

    def prepare(self, table: Table, mapping: Mapping[str, str | None]) -> _Context:
        rows = [Row(values, mapping) for _line, values in table.rows]
        return _Context(
            municipality=get_municipality(),
            areas={a.code: a for a in db.session.scalars(select(Area))},
            wijken={n.code: n for n in db.session.scalars(select(Neighbourhood))},
            buurten={d.code: d for d in db.session.scalars(select(District))},
            file_areas={r.get("code").lower() for r in rows if _level(r) == "area"},
            file_wijken={r.get("code").upper() for r in rows if _level(r) == "neighbourhood"},
        )

    def check(self, line: Line, row: Row, context: _Context) -> _Area | None:
        level, code, name, parent = _level(row), row.get("code"), row.get("name"), \
            row.get("parent")
        raw_year = row.get("cbs_year")
        year = int(raw_year) if raw_year.isdigit() else None
        messages: list[str] = []
        if not level:
            messages.append(str(_l("The level must be gebied, wijk or buurt.")))
        elif level == "area":
            code = code.lower()
            messages += check_area(code, name)
        elif level == "neighbourhood":
            code, parent = code.upper(), parent.lower()
            messages += check_neighbourhood(code, name, year, context.municipality)
            if parent not in context.areas and parent not in context.file_areas:
                messages.append(str(_l("The gebied '%(code)s' does not exist.", code=parent)))
        else:
            code, parent = code.upper(), parent.upper()
            messages += check_district(code, name, year, parent)
            if parent not in context.wijken and parent not in context.file_wijken:
                messages.append(str(_l("The wijk '%(code)s' does not exist.", code=parent)))
        line.subject = f"{LEVEL_NAMES[level]} {code}" if level else code
        earlier = context.seen.earlier((level, code), line.line) if level else None
        if earlier is not None:
            messages.append(str(_l("This code is also on line %(line)s.", line=earlier)))
        for message in messages:
            line.reject(message)
        if messages:
            return None
        planned = _Area(level, code, name, parent, year)
        existing = {"area": context.areas, "neighbourhood": context.wijken,
                    "district": context.buurten}[level]
        current = existing.get(code)
        if current is None:
            return planned
        if _same(current, planned):
            line.status = Status.UNCHANGED
            return None
        line.status = Status.UPDATED
        return planned

    def apply(self, plan: list[_Area], context: _Context) -> None:
        """Gebieden first, then their wijken, then the buurten of those."""
        areas, wijken, buurten = context.areas, context.wijken, context.buurten
        for row in (r for r in plan if r.level == "area"):
            area = areas.get(row.code) or Area(code=row.code)
            area.name = row.name
            areas[row.code] = area
            db.session.add(area)
        for row in (r for r in plan if r.level == "neighbourhood"):
            wijk = wijken.get(row.code) or Neighbourhood(code=row.code)
            wijk.name, wijk.cbs_year, wijk.area = row.name, row.year or 0, areas[row.parent]
            wijken[row.code] = wijk
            db.session.add(wijk)
        for row in (r for r in plan if r.level == "district"):
            buurt = buurten.get(row.code) or District(code=row.code)
            buurt.name, buurt.cbs_year = row.name, row.year or 0
            buurt.neighbourhood = wijken[row.parent]
            db.session.add(buurt)


def _same(current: Area | Neighbourhood | District, row: _Area) -> bool:
    if isinstance(current, Area):
        return current.name == row.name
    if isinstance(current, Neighbourhood):
        return (current.name, current.cbs_year, current.area.code) == (row.name, row.year,
                                                                        row.parent)
    return (current.name, current.cbs_year, current.neighbourhood.code) == (row.name, row.year,
                                                                             row.parent)
