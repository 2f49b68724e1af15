"""Reading and changing the municipality's areas, by hand or from a CSV file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.auth.models import Role, User
from panel.auth.permissions import require_role, visible_areas
from panel.db import db
from panel.errors import DomainError, NotFound
from panel.tabular import Table, find_column, read_table

MUNICIPALITY_CODE = re.compile(r"^GM\d{4}$")
AREA_CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
NEIGHBOURHOOD_CODE = re.compile(r"^WK\d{6}$")
DISTRICT_CODE = re.compile(r"^BU\d{8}$")
FIRST_CBS_YEAR = 2000

LEVELS = {
    "gebied": "area", "area": "area",
    "wijk": "neighbourhood", "neighbourhood": "neighbourhood",
    "buurt": "district", "district": "district",
}
STATUS_LABELS = {
    "new": _l("new"),
    "updated": _l("updated"),
    "unchanged": _l("unchanged"),
    "rejected": _l("rejected"),
}
COLUMNS = {
    "level": ("niveau", "level", "type"),
    "code": ("code",),
    "name": ("naam", "name"),
    "parent": ("hoort bij", "ouder", "parent"),
    "cbs_year": ("cbs jaar", "cbs year", "jaar", "year"),
}


# --- reading ------------------------------------------------------------------------------

def get_municipality() -> Municipality | None:
    """The municipality this deployment serves, or None before it is configured."""
    return db.session.scalars(select(Municipality).limit(1)).first()


def public_overview() -> list[Area]:
    """All gebieden with their wijken, for the public pages (no personal data involved)."""
    query = select(Area).options(selectinload(Area.neighbourhoods)).order_by(Area.name)
    return list(db.session.scalars(query))


def public_overview_fingerprint() -> tuple[object, ...]:
    """What :func:`public_overview` shows (gebieden and the names of their wijken), as
    plain tuples: the home page's ETag is made from them (``panel.conditional``)."""
    rows = db.session.execute(
        select(Area.id, Area.code, Area.name, Neighbourhood.id, Neighbourhood.name)
        .outerjoin(Neighbourhood, Neighbourhood.area_id == Area.id)
        .order_by(Area.id, Neighbourhood.id)).all()
    return tuple(tuple(row) for row in rows)


def areas_for(user: User) -> list[Area]:
    """The gebieden ``user`` may see, with wijken and buurten loaded."""
    query = visible_areas(user).options(
        selectinload(Area.neighbourhoods).selectinload(Neighbourhood.districts)
    )
    return list(db.session.scalars(query))


def get_area_for(user: User, code: str) -> Area:
    """One gebied by code, if ``user`` may see it.

    Raises NotFound both when it does not exist and when it belongs to another team, so that
    a team member cannot even learn which codes exist.
    """
    area = db.session.scalars(visible_areas(user).where(Area.code == code)).first()
    if area is None:
        raise NotFound()
    return area


def get_neighbourhood(code: str) -> Neighbourhood:
    item = db.session.scalars(select(Neighbourhood).where(Neighbourhood.code == code)).first()
    if item is None:
        raise NotFound()
    return item


def get_district(code: str) -> District:
    item = db.session.scalars(select(District).where(District.code == code)).first()
    if item is None:
        raise NotFound()
    return item


# --- validation, shared by the forms and the CSV loader -----------------------------------

def _check_name(name: str) -> list[str]:
    if not name.strip():
        return [str(_l("The name is missing."))]
    if len(name) > 120:
        return [str(_l("The name is too long (at most 120 characters)."))]
    return []


def _check_year(year: int | None) -> list[str]:
    if year is None or not FIRST_CBS_YEAR <= year <= date.today().year + 1:
        return [str(_l("The CBS year must be a year between %(first)s and %(last)s.",
                       first=FIRST_CBS_YEAR, last=date.today().year + 1))]
    return []


def check_area(code: str, name: str) -> list[str]:
    errors = _check_name(name)
    if not AREA_CODE.match(code):
        errors.insert(0, str(_l(
            "The gebied code '%(code)s' is not valid. Use lowercase letters, digits and "
            "hyphens, such as 'noord'.", code=code)))
    return errors


def check_neighbourhood(code: str, name: str, year: int | None,
                        municipality: Municipality | None) -> list[str]:
    errors = _check_name(name) + _check_year(year)
    if not NEIGHBOURHOOD_CODE.match(code):
        errors.insert(0, str(_l(
            "The wijk code '%(code)s' is not a CBS wijk code. It looks like WK036101: WK and "
            "six digits.", code=code)))
    elif municipality and code[2:6] != municipality.digits:
        errors.insert(0, str(_l(
            "The wijk code '%(code)s' does not belong to this municipality (%(municipality)s).",
            code=code, municipality=municipality.code)))
    return errors


def check_district(code: str, name: str, year: int | None, neighbourhood_code: str) -> list[str]:
    errors = _check_name(name) + _check_year(year)
    if not DISTRICT_CODE.match(code):
        errors.insert(0, str(_l(
            "The buurt code '%(code)s' is not a CBS buurt code. It looks like BU03610101: BU "
            "and eight digits.", code=code)))
    elif neighbourhood_code and code[2:8] != neighbourhood_code[2:8]:
        errors.insert(0, str(_l(
            "The buurt code '%(code)s' does not fit its wijk %(wijk)s: the first six digits "
            "must be the same.", code=code, wijk=neighbourhood_code)))
    return errors


def _raise_if(errors: Sequence[str]) -> None:
    if errors:
        raise DomainError(" ".join(errors))


# --- changing, by hand --------------------------------------------------------------------

def save_municipality(user: User, code: str, name: str) -> Municipality:
    """Create or update the municipality. Admin only. Raises DomainError on invalid input."""
    require_role(user, Role.ADMIN)
    code = code.strip().upper()
    errors = _check_name(name)
    if not MUNICIPALITY_CODE.match(code):
        errors.insert(0, str(_l("The municipality code must look like GM0361: GM and four "
                                "digits.")))
    _raise_if(errors)
    municipality = get_municipality() or Municipality(code=code, name=name)
    municipality.code, municipality.name = code, name.strip()
    db.session.add(municipality)
    db.session.flush()
    return municipality


def save_area(user: User, code: str, name: str, area: Area | None = None) -> Area:
    """Create a gebied, or rename ``area``. Admin only. Raises DomainError."""
    require_role(user, Role.ADMIN)
    code = code.strip().lower()
    _raise_if(check_area(code, name))
    clash = db.session.scalars(select(Area).where(Area.code == code)).first()
    if clash is not None and clash is not area:
        raise DomainError(_l("There is already a gebied with code %(code)s.", code=code))
    area = area or Area()
    area.code, area.name = code, name.strip()
    db.session.add(area)
    db.session.flush()
    return area


def save_neighbourhood(user: User, code: str, name: str, area_code: str, cbs_year: int | None,
                       neighbourhood: Neighbourhood | None = None) -> Neighbourhood:
    """Create or change a wijk. Admin only. Raises DomainError."""
    require_role(user, Role.ADMIN)
    code = code.strip().upper()
    _raise_if(check_neighbourhood(code, name, cbs_year, get_municipality()))
    area = db.session.scalars(select(Area).where(Area.code == area_code)).first()
    if area is None:
        raise DomainError(_l("The gebied %(code)s does not exist.", code=area_code))
    clash = db.session.scalars(select(Neighbourhood).where(Neighbourhood.code == code)).first()
    if clash is not None and clash is not neighbourhood:
        raise DomainError(_l("There is already a wijk with code %(code)s.", code=code))
    if neighbourhood is not None and neighbourhood.code != code and neighbourhood.districts:
        raise DomainError(_l("This wijk has buurten, so its code cannot change."))
    neighbourhood = neighbourhood or Neighbourhood()
    neighbourhood.code, neighbourhood.name = code, name.strip()
    neighbourhood.cbs_year, neighbourhood.area = cbs_year or 0, area
    db.session.add(neighbourhood)
    db.session.flush()
    return neighbourhood


def save_district(user: User, code: str, name: str, neighbourhood_code: str,
                  cbs_year: int | None, district: District | None = None) -> District:
    """Create or change a buurt. Admin only. Raises DomainError."""
    require_role(user, Role.ADMIN)
    code = code.strip().upper()
    _raise_if(check_district(code, name, cbs_year, neighbourhood_code))
    parent = db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.code == neighbourhood_code)).first()
    if parent is None:
        raise DomainError(_l("The wijk %(code)s does not exist.", code=neighbourhood_code))
    clash = db.session.scalars(select(District).where(District.code == code)).first()
    if clash is not None and clash is not district:
        raise DomainError(_l("There is already a buurt with code %(code)s.", code=code))
    district = district or District()
    district.code, district.name = code, name.strip()
    district.cbs_year, district.neighbourhood = cbs_year or 0, parent
    db.session.add(district)
    db.session.flush()
    return district


# --- loading from a file ------------------------------------------------------------------

@dataclass
class LineResult:
    line: int
    level: str
    code: str
    status: str  # new, updated, unchanged, rejected
    messages: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    lines: list[LineResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(r.status != "rejected" for r in self.lines)

    def count(self, status: str) -> int:
        return sum(1 for r in self.lines if r.status == status)


@dataclass
class _Row:
    line: int
    level: str
    code: str
    name: str
    parent: str
    year: int | None


def _parse_rows(table: Table, report: LoadReport) -> list[_Row]:
    columns = {key: find_column(table, *names) for key, names in COLUMNS.items()}
    missing = [key for key in ("level", "code", "name", "parent") if columns[key] is None]
    if missing:
        report.file_errors.append(str(_l(
            "The file does not have the columns it needs: niveau, code, naam, hoort_bij and "
            "cbs_jaar. Check that the first line holds these names, separated by commas or "
            "semicolons.")))
        return []
    rows = []
    for line, values in table.rows:
        raw_year = values.get(columns["cbs_year"] or "", "")
        year = int(raw_year) if raw_year.isdigit() else None
        rows.append(_Row(
            line=line,
            level=LEVELS.get(values[columns["level"] or ""].strip().lower(), ""),
            code=values[columns["code"] or ""].strip(),
            name=values[columns["name"] or ""].strip(),
            parent=values[columns["parent"] or ""].strip(),
            year=year,
        ))
    return rows


def load_areas(user: User | None, data: bytes, filename: str = "",
               dry_run: bool = False) -> LoadReport:
    """Load or update gebieden, wijken and buurten from a CSV or XLSX file.

    Each line gets a status: new, updated, unchanged or rejected with the reasons. When any
    line is rejected nothing is changed at all. ``user`` is None for the command line, which
    runs with the operator's authority; otherwise it must be an admin.
    """
    if user is not None:
        require_role(user, Role.ADMIN)
    report = LoadReport()
    try:
        table = read_table(data, filename)
    except DomainError as exc:
        report.file_errors.append(str(exc.message))
        return report
    rows = _parse_rows(table, report)
    if report.file_errors:
        return report
    if not rows:
        report.file_errors.append(str(_l("The file has no lines with areas.")))
        return report

    municipality = get_municipality()
    areas = {a.code: a for a in db.session.scalars(select(Area))}
    wijken = {n.code: n for n in db.session.scalars(select(Neighbourhood))}
    buurten = {d.code: d for d in db.session.scalars(select(District))}
    file_areas = {r.code.lower() for r in rows if r.level == "area"}
    file_wijken = {r.code.upper(): r for r in rows if r.level == "neighbourhood"}
    seen: dict[tuple[str, str], int] = {}

    for row in rows:
        result = LineResult(line=row.line, level=row.level, code=row.code, status="new")
        report.lines.append(result)
        if not row.level:
            result.messages.append(str(_l("The level must be gebied, wijk or buurt.")))
        elif row.level == "area":
            row.code = row.code.lower()
            result.messages += check_area(row.code, row.name)
        elif row.level == "neighbourhood":
            row.code, row.parent = row.code.upper(), row.parent.lower()
            result.messages += check_neighbourhood(row.code, row.name, row.year, municipality)
            if row.parent not in areas and row.parent not in file_areas:
                result.messages.append(str(_l("The gebied '%(code)s' does not exist.",
                                              code=row.parent)))
        else:
            row.code, row.parent = row.code.upper(), row.parent.upper()
            result.messages += check_district(row.code, row.name, row.year, row.parent)
            if row.parent not in wijken and row.parent not in file_wijken:
                result.messages.append(str(_l("The wijk '%(code)s' does not exist.",
                                              code=row.parent)))
        result.code = row.code
        key = (row.level, row.code)
        if row.level and key in seen:
            result.messages.append(str(_l("This code is also on line %(line)s.",
                                          line=seen[key])))
        seen.setdefault(key, row.line)
        if result.messages:
            result.status = "rejected"
            continue
        existing = {"area": areas, "neighbourhood": wijken, "district": buurten}[row.level]
        current = existing.get(row.code)
        if current is not None:
            result.status = "unchanged" if _same(current, row) else "updated"

    if dry_run or not report.ok:
        return report
    _apply(rows, report, areas, wijken, buurten)
    report.applied = True
    return report


def _same(current: Area | Neighbourhood | District, row: _Row) -> bool:
    if isinstance(current, Area):
        return current.name == row.name
    if isinstance(current, Neighbourhood):
        return (current.name, current.cbs_year, current.area.code) == (row.name, row.year,
                                                                        row.parent)
    return (current.name, current.cbs_year, current.neighbourhood.code) == (row.name, row.year,
                                                                             row.parent)


def _apply(rows: list[_Row], report: LoadReport, areas: dict[str, Area],
           wijken: dict[str, Neighbourhood], buurten: dict[str, District]) -> None:
    status = {(r.line): r.status for r in report.lines}
    for row in (r for r in rows if r.level == "area" and status[r.line] != "unchanged"):
        area = areas.get(row.code) or Area(code=row.code)
        area.name = row.name
        areas[row.code] = area
        db.session.add(area)
    for row in (r for r in rows if r.level == "neighbourhood" and status[r.line] != "unchanged"):
        wijk = wijken.get(row.code) or Neighbourhood(code=row.code)
        wijk.name, wijk.cbs_year, wijk.area = row.name, row.year or 0, areas[row.parent]
        wijken[row.code] = wijk
        db.session.add(wijk)
    for row in (r for r in rows if r.level == "district" and status[r.line] != "unchanged"):
        buurt = buurten.get(row.code) or District(code=row.code)
        buurt.name, buurt.cbs_year, buurt.neighbourhood = row.name, row.year or 0, wijken[
            row.parent]
        db.session.add(buurt)
    db.session.flush()
