"""The staff start page (``/beheer/``): the gebieden a staff member works on and, for those
who see every gebied, the size of the municipality, in two queries whatever its size, and
the parts that packages on top of auth add to it (the work list, ``panel.worklist``, and
the administrator's setup checklist, ``panel.setup``)."""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace
from sqlalchemy import func, select

from panel.areas.models import Area, District, Neighbourhood
from panel.auth.models import User
from panel.auth.permissions import sees_all_areas, visible_areas
from panel.db import db

# Packages that read many domains (``panel.setup``) come after auth, so the start page does
# not ask them for its parts: they connect a receiver, ``receiver(user) -> Markup | None``,
# and the page shows what the receivers return, below the welcome.
dashboard_parts = Namespace().signal("staff-dashboard")


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


def overview(user: User) -> Overview:
    """The gebieden ``user`` may see (by name, with their number of wijken) and the totals
    of the municipality. The wijken are counted in the database: loading every wijk (and
    its buurten) to count them in the template cost three queries and a few hundred
    objects per request."""
    lines = db.session.execute(
        visible_areas(user)
        .with_only_columns(Area.code, Area.name, func.count(Neighbourhood.id))
        .outerjoin(Neighbourhood, Neighbourhood.area_id == Area.id)
        .group_by(Area.id, Area.code, Area.name))
    areas = [AreaLine(code, name, wijken) for code, name, wijken in lines]
    if not sees_all_areas(user):
        return Overview(areas=areas, totals=None)  # a team's page shows its own work
    totals = db.session.execute(select(
        select(func.count(Area.id)).scalar_subquery(),
        select(func.count(Neighbourhood.id)).scalar_subquery(),
        select(func.count(District.id)).scalar_subquery())).one()
    return Overview(areas=areas, totals=Totals(*totals))
