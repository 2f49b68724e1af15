"""Build domain objects for tests with sensible defaults. Each call flushes."""

from __future__ import annotations

import itertools

from werkzeug.security import generate_password_hash

from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.auth.models import Role, User
from panel.db import db

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"
# Hashing with scrypt is slow on purpose; tests share one hash.
_PASSWORD_HASH = generate_password_hash(PASSWORD)


def municipality(code: str = "GM0361", name: str = "Testgemeente",
                 is_demo: bool = False) -> Municipality:
    item = Municipality(code=code, name=name, is_demo=is_demo)
    db.session.add(item)
    db.session.flush()
    return item


def area(code: str = "noord", name: str | None = None) -> Area:
    item = Area(code=code, name=name or code.capitalize())
    db.session.add(item)
    db.session.flush()
    return item


def neighbourhood(parent: Area, code: str = "WK036101", name: str = "De Mare",
                  cbs_year: int = 2023) -> Neighbourhood:
    item = Neighbourhood(code=code, name=name, cbs_year=cbs_year, area=parent)
    db.session.add(item)
    db.session.flush()
    return item


def district(parent: Neighbourhood, code: str | None = None, name: str = "Buurt",
             cbs_year: int = 2023) -> District:
    item = District(code=code or f"BU{parent.code[2:]}01", name=name, cbs_year=cbs_year,
                    neighbourhood=parent)
    db.session.add(item)
    db.session.flush()
    return item


def user(role: Role = Role.ADMIN, email: str | None = None, areas: list[Area] | None = None,
         password: bool = True, active: bool = True) -> User:
    item = User(email=email or f"{role.value}-{next(_counter)}@example.org", name="Test",
                role=role.value, password_hash=_PASSWORD_HASH if password else None,
                areas=areas or [], active=active)
    db.session.add(item)
    db.session.flush()
    return item


def login(client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/beheer/inloggen", data={"email": email, "password": password})


def statement(version: str = "2026-1"):  # type: ignore[no-untyped-def]
    from panel.signups.models import ConsentStatement

    item = ConsentStatement(version=version, text_nl="Wij gebruiken uw gegevens alleen voor "
                            "het wijkpanel.", text_en="We only use your data for the panel.")
    db.session.add(item)
    db.session.flush()
    return item


def postcode(district: District, code: str = "1801AA", street: str = "Marelaan",
             city: str = "Alkmaar"):  # type: ignore[no-untyped-def]
    from panel.signups.models import Postcode

    item = Postcode(postcode=code, street=street, city=city, district=district)
    db.session.add(item)
    db.session.flush()
    return item


def member(wijk: Neighbourhood, name: str = "Anna de Vries", email: str | None = None,
           status: str = "member", source: str = "online", **fields):  # type: ignore[no-untyped-def]
    from panel.signups.models import PanelMember

    item = PanelMember(neighbourhood=wijk, name=name, email=email, status=status,
                       source=source, **fields)
    db.session.add(item)
    db.session.flush()
    return item


def panel_world():  # type: ignore[no-untyped-def]
    """A municipality with two gebieden, a wijk each, a buurt with a postcode, a consent
    statement and one account per role. Returns a simple namespace."""
    from types import SimpleNamespace

    municipality()
    noord, zuid = area("noord", "Noord"), area("zuid", "Zuid")
    mare = neighbourhood(noord, "WK036101", "De Mare")
    vrooner = neighbourhood(zuid, "WK036104", "Vroonermeer")
    mare_buurt = district(mare, "BU03610101", "De Mare-Noord")
    vrooner_buurt = district(vrooner, "BU03610401", "Vroonermeer-Noord")
    postcode(mare_buurt, "1801AA", "Marelaan")
    postcode(vrooner_buurt, "1804AA", "Vroonerlaan")
    return SimpleNamespace(
        noord=noord, zuid=zuid, mare=mare, vrooner=vrooner, statement=statement(),
        admin=user(Role.ADMIN, email="admin@example.org"),
        team_noord=user(Role.TEAM, email="noord@example.org", areas=[noord]),
        clerk=user(Role.CLERK, email="clerk@example.org"))
