"""The staff start page (``/beheer/``): the gebieden a staff member works on and, for those
who see every gebied, the size of the municipality, in two queries whatever its size, and
the parts that packages on top of auth add to it (the work list, ``panel.worklist``, and
the administrator's setup checklist, ``panel.setup``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from blinker import Namespace
from sqlalchemy import Select, func, select

from panel.areas.models import Area, District, Neighbourhood
from panel.auth.models import User
from panel.auth.permissions import require_staff, sees_all_areas, visible_areas_statement
from panel.db import db

# Packages that read many domains (``panel.setup``) come after auth, so the start page does
# not ask them for its parts: they connect a receiver, ``receiver(user) -> Part | None``,
# and the page shows what the receivers return, below the welcome.
dashboard_parts = Namespace().signal("staff-dashboard")


@dataclass(frozen=True)
class Part:
    """A part of the start page: the page includes ``template``, which finds ``values`` as
    ``part.values`` next to everything the page itself has (``current_user``, and ``_`` and
    ``ngettext`` with the catalogue the page looked up once)."""

    template: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class AreaLine:
    """A gebied on the start page: its code (for the link), name and number of wijken."""

    code: str
    name: str
    wijken: int


@dataclass(frozen=True)
class Totals:
    """How many gebieden, wijken and buurten the municipality has (aggregates, fine for
    every role)."""

    areas: int
    neighbourhoods: int
    districts: int


@dataclass(frozen=True)
class Overview:
    areas: list[AreaLine]
    totals: Totals | None  # for those who see every gebied only


# Built once (see ``visible_areas_statement``): the start page is every staff member's
# first page, and building the statements cost more than running them.

@cache
def _areas_statement(every: bool) -> Select[Any]:
    return (visible_areas_statement(every)
            .with_only_columns(Area.code, Area.name, func.count(Neighbourhood.id))
            .outerjoin(Neighbourhood, Neighbourhood.area_id == Area.id)
            .group_by(Area.id, Area.code, Area.name))


@cache
def _totals_statement() -> Select[Any]:
    return select(select(func.count(Area.id)).scalar_subquery(),
                  select(func.count(Neighbourhood.id)).scalar_subquery(),
                  select(func.count(District.id)).scalar_subquery())


def overview(user: User) -> Overview:
    """The gebieden ``user`` may see (by name, with their number of wijken) and the totals
    of the municipality. The wijken are counted in the database: loading every wijk (and
    its buurten) to count them in the template cost three queries and a few hundred
    objects per request."""
    require_staff(user)
    every = sees_all_areas(user)
    connection = db.session.connection()
    areas = [AreaLine(code, name, wijken) for code, name, wijken
             in connection.execute(_areas_statement(every), {"visible_to": user.id})]
    if not every:
        return Overview(areas=areas, totals=None)  # a team's page shows its own work
    return Overview(areas=areas, totals=Totals(*connection.execute(_totals_statement()).one()))
