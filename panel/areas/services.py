"""Reading and changing the municipality's areas by hand (loading them from a file is in
``importer.py``, with the same checks)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.auth.models import User
from panel.auth.permissions import may_administer, require, visible_areas
from panel.db import db
from panel.errors import DomainError, NotFound

MUNICIPALITY_CODE = re.compile(r"^GM\d{4}$")
AREA_CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
NEIGHBOURHOOD_CODE = re.compile(r"^WK\d{6}$")
DISTRICT_CODE = re.compile(r"^BU\d{8}$")
FIRST_CBS_YEAR = 2000
# The digits of a CBS code after its prefix: GM0361, WK036101, BU03610101.
CBS_DIGITS = {"GM": 4, "WK": 6, "BU": 8}


def cbs_code(raw: str, prefix: str) -> str | None:
    """A CBS code as CBS's own files may write it, in its full form: ``"3610101"``,
    ``"03610101"``, ``"bu3610101"`` and ``"BU03610101"`` all become ``"BU03610101"`` for
    the prefix ``"BU"`` (wijk ``"WK"``, municipality ``"GM"``). CBS writes codes in its
    data files as numbers, so without the prefix and often without the leading zeros.
    None when ``raw`` is not a code of that kind (letters, or too many digits)."""
    value = raw.strip().strip('"').replace(" ", "").upper()
    value = value.removeprefix(prefix)
    digits = CBS_DIGITS[prefix]
    if not value or len(value) > digits or not value.isascii() or not value.isdigit():
        return None
    return prefix + value.zfill(digits)


def municipality_code(raw: str) -> str:
    """What staff type as the municipality code, in its full form: ``gm0361`` and ``0361``
    become ``GM0361``. Fewer than four digits are not filled up with zeros (``361`` may be a
    typing error for ``3610``); such input is returned as it is and fails the check."""
    value = raw.strip().upper()
    if re.fullmatch(r"\d{4}", value):
        return "GM" + value
    return value


# --- reading ------------------------------------------------------------------------------

def get_municipality() -> Municipality | None:
    """The municipality this deployment serves, or None before it is configured."""
    return db.session.scalars(select(Municipality).limit(1)).first()


def public_overview() -> list[Area]:
    """All gebieden with their wijken, for the public pages (no personal data involved)."""
    query = select(Area).options(selectinload(Area.neighbourhoods)).order_by(Area.name)
    return list(db.session.scalars(query))


def wijk_names() -> list[tuple[str, str, str]]:
    """Every wijk as (gebied name, wijk code, wijk name), ordered as on the public pages: by
    gebied name, then wijk code. One statement, no objects: for choice lists."""
    rows = db.session.execute(
        select(Area.name, Neighbourhood.code, Neighbourhood.name)
        .join(Neighbourhood, Neighbourhood.area_id == Area.id)
        .order_by(Area.name, Area.id, Neighbourhood.code)).all()
    return [(area, code, name) for area, code, name in rows]


def public_overview_fingerprint() -> tuple[object, ...]:
    """What :func:`public_overview` shows (gebieden and the codes and names of their wijken),
    as plain tuples: the ETags of the home page and the lists of wijken (``/wijken``,
    ``/terugkoppeling``) are made from them (``panel.conditional``)."""
    rows = db.session.execute(
        select(Area.id, Area.code, Area.name, Neighbourhood.id, Neighbourhood.code,
               Neighbourhood.name)
        .outerjoin(Neighbourhood, Neighbourhood.area_id == Area.id)
        .order_by(Area.id, Neighbourhood.id)).all()
    return tuple(tuple(row) for row in rows)


def count_wijken_of_other_municipalities(municipality: Municipality) -> int:
    """How many wijken have a code that does not start with ``municipality``'s digits (the
    areas were loaded for another code than the one set)."""
    return db.session.scalar(select(func.count(Neighbourhood.id)).where(
        Neighbourhood.code.not_like(f"WK{municipality.digits}%"))) or 0


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

def save_municipality(user: User | None, code: str, name: str) -> Municipality:
    """Create or update the municipality: its CBS code (``GM0361``, also accepted as
    ``gm0361`` or ``0361``) and name. ``user`` is the administrator doing it, or None for
    the command line. Raises DomainError on invalid input."""
    if user is not None:
        require(may_administer(user))
    code = municipality_code(code)
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
    require(may_administer(user))
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
    require(may_administer(user))
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
    require(may_administer(user))
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
