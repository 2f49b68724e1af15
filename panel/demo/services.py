"""Loading the demo municipality into an empty database.

The areas are modelled on Alkmaar (five gebieden, with the pilot wijken De Mare and
Overdie), but the CBS codes after the municipality number, the buurten and every account
are made up.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.auth.models import Role, User
from panel.db import db
from panel.errors import DomainError

DEMO_PASSWORD = "demo-wijkpanel-2026"  # noqa: S105 (published on purpose: demo only)
CBS_YEAR = 2023

# gebied code, gebied name, [(wijk number, wijk name, [buurt names])]
DEMO_AREAS = [
    ("centrum", "Centrum", [
        ("00", "Binnenstad", ["Kern", "Singelzone"]),
        ("05", "Schermereiland", ["Schermereiland-Noord", "Schermereiland-Zuid"]),
    ]),
    ("noord", "Noord", [
        ("01", "De Mare", ["De Mare-Noord", "De Mare-Zuid", "Sportpark"]),
        ("06", "Daalmeer", ["Daalmeer-Oost", "Daalmeer-West"]),
    ]),
    ("west", "West", [
        ("02", "Overdie", ["Oud Overdie", "Nieuw Overdie"]),
        ("07", "Bergerhof", ["Bergerhof", "Hoefplan"]),
    ]),
    ("oost", "Oost", [
        ("03", "Huiswaard", ["Huiswaard 1", "Huiswaard 2"]),
        ("08", "Oudorp", ["Oudorp-Dorp", "Oudorp-Polder"]),
    ]),
    ("zuid", "Zuid", [
        ("04", "Vroonermeer", ["Vroonermeer-Noord", "Vroonermeer-Zuid"]),
        ("09", "Koedijk", ["Koedijk-Dorp", "Koedijk-Polder"]),
    ]),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: Role
    name: str
    areas: tuple[str, ...] = ()


DEMO_ACCOUNTS = [
    DemoAccount("beheer@demo.example", Role.ADMIN, "Beheerder Demo"),
    DemoAccount("griffie@demo.example", Role.CLERK, "Griffie Demo"),
    *[DemoAccount(f"team-{code}@demo.example", Role.TEAM, f"Gebiedsteam {name}", (code,))
      for code, name, _ in DEMO_AREAS],
]


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count(Municipality.id))) and \
        not db.session.scalar(select(func.count(User.id)))


def seed_demo() -> Municipality:
    """Load the demo municipality, its areas and the demo staff accounts.

    Raises DomainError when the database already holds a municipality or accounts.
    """
    if not database_is_empty():
        raise DomainError(_l("The database is not empty; the demo was not loaded."))
    municipality = Municipality(code="GM0361", name="Alkmaar (demo)", is_demo=True)
    db.session.add(municipality)
    areas: dict[str, Area] = {}
    for code, name, wijken in DEMO_AREAS:
        area = Area(code=code, name=name)
        areas[code] = area
        db.session.add(area)
        for number, wijk_name, buurten in wijken:
            wijk = Neighbourhood(code=f"WK0361{number}", name=wijk_name, cbs_year=CBS_YEAR,
                                 area=area)
            db.session.add(wijk)
            for index, buurt_name in enumerate(buurten, start=1):
                db.session.add(District(code=f"BU0361{number}{index:02d}", name=buurt_name,
                                        cbs_year=CBS_YEAR, neighbourhood=wijk))
    password_hash = generate_password_hash(DEMO_PASSWORD)
    for account in DEMO_ACCOUNTS:
        db.session.add(User(email=account.email, name=account.name, role=account.role.value,
                            password_hash=password_hash,
                            areas=[areas[c] for c in account.areas]))
    db.session.flush()
    return municipality
