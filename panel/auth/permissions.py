"""Who may do what: one vocabulary of capabilities.

Services ask these functions before they act (``require(may_x(user))``), views ask them
only to choose what to show, and templates call the same functions (they are Jinja
globals, see :func:`register_template_globals`). No other module compares roles.

The roles behind the capabilities:

- an **administrator** configures the municipality and the accounts and may do every
  staff task in every gebied;
- an **area team** member works with the residents, meetings and feedback of the gebieden
  of their teams, and sees nothing of other gebieden;
- the **clerk's office** (griffie) sees aggregated figures of every gebied and edits the
  motion register and reports, but never sees personal data.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Flask
from sqlalchemy import Select, bindparam, select

from panel.areas.models import Area
from panel.auth.models import Role, User, user_area
from panel.db import db
from panel.errors import NotFound, PermissionDenied


def is_staff(user: Any) -> bool:
    """An active, signed-in staff account (not an anonymous visitor or a resident)."""
    return isinstance(user, User) and bool(user.is_authenticated) and bool(user.active)


def _role(user: Any, *roles: Role) -> bool:
    return is_staff(user) and user.role in roles


# --- capabilities -------------------------------------------------------------------------

def may_administer(user: Any) -> bool:
    """Configure the municipality: areas, accounts, consent text, survey editions and
    indicators, the audit log."""
    return _role(user, Role.ADMIN)


def sees_all_areas(user: Any) -> bool:
    """Sees every gebied (administrators; the clerk's office in aggregate only). Area
    teams see only the gebieden of their teams."""
    return _role(user, Role.ADMIN, Role.CLERK)


def sees_member_details(user: Any) -> bool:
    """Sees residents' personal data (names, addresses, contact details) in the gebieden
    they may see. The clerk's office sees counts only."""
    return _role(user, Role.ADMIN, Role.TEAM)


def may_manage_members(user: Any) -> bool:
    """Registers, confirms, changes and removes panel members, prints letters and imports
    the survey's opt-ins, in the gebieden they may see."""
    return _role(user, Role.ADMIN, Role.TEAM)


def may_manage_area(user: Any, area: Area) -> bool:
    """Works in ``area``: plans its meetings, handles its feedback and actions.
    Administrators in every gebied, team members in the gebieden of their teams."""
    if _role(user, Role.ADMIN):
        return True
    return _role(user, Role.TEAM) and any(a.id == area.id for a in user.areas)


def may_manage_meetings(user: Any, area: Area | None = None) -> bool:
    """Plans meetings, invites, records replies and attendance (in ``area`` when given)."""
    if area is not None:
        return may_manage_area(user, area)
    return _role(user, Role.ADMIN, Role.TEAM)


def may_manage_feedback(user: Any, area: Area | None = None) -> bool:
    """Checks and publishes what residents raised and records actions (in ``area`` when
    given)."""
    if area is not None:
        return may_manage_area(user, area)
    return _role(user, Role.ADMIN, Role.TEAM)


def may_edit_motions(user: Any) -> bool:
    """Keeps the motion register and writes, finalises and exports follow-up reports."""
    return _role(user, Role.ADMIN, Role.CLERK)


def may_assign_areas(role: str) -> bool:
    """Whether an account with ``role`` belongs to the teams of particular gebieden."""
    return role == Role.TEAM


def grants_administration(role: str) -> bool:
    """Whether an account with ``role`` may administer (an administrator cannot give that
    up for their own account)."""
    return role == Role.ADMIN


# --- enforcing ----------------------------------------------------------------------------

def require(allowed: bool) -> None:
    """Raise PermissionDenied (403) unless ``allowed``: ``require(may_x(user))``."""
    if not allowed:
        raise PermissionDenied()


def require_staff(user: Any) -> User:
    """``user`` when it is an active staff account; PermissionDenied otherwise."""
    require(is_staff(user))
    return user  # type: ignore[no-any-return]


def visible_areas(user: Any) -> Select[tuple[Area]]:
    """A query for the gebieden ``user`` may see: the area rule, in one place (with
    :func:`visible_areas_statement`, the same rule built once)."""
    require_staff(user)
    query = select(Area).order_by(Area.name)
    if not sees_all_areas(user):
        own = select(user_area.c.area_id).where(user_area.c.user_id == user.id)
        query = query.where(Area.id.in_(own))
    return query


@cache
def visible_areas_statement(every: bool) -> Select[tuple[Area]]:
    """The query of :func:`visible_areas` built once, with the user as the bound parameter
    ``visible_to``, for pages that run it on every request (building a statement and its
    cache key costs SQLAlchemy more than running it). ``every`` is ``sees_all_areas(user)``;
    run it, or a statement built once from it, with ``{"visible_to": user.id}``."""
    query = select(Area).order_by(Area.name)
    if not every:
        own = select(user_area.c.area_id).where(user_area.c.user_id == bindparam("visible_to"))
        query = query.where(Area.id.in_(own))
    return query


def visible_area_ids(user: Any) -> Select[tuple[int]]:
    """The ids of the gebieden ``user`` may see, as a subquery for ``IN``."""
    return visible_areas(user).with_only_columns(Area.id).order_by(None)


def staffed_area_ids() -> Select[tuple[int]]:
    """The ids of the gebieden with at least one active area team member, as a subquery
    for ``IN`` (a gebied without one has nobody to plan its meetings)."""
    return (select(user_area.c.area_id)
            .join(User, User.id == user_area.c.user_id)
            .where(User.active.is_(True), User.role == Role.TEAM)
            .distinct())


def managed_area(user: Any, area_code: str) -> Area:
    """The gebied with ``area_code`` when ``user`` may work in it.

    Raises PermissionDenied for accounts that never manage a gebied (the clerk's office)
    and NotFound for a gebied that does not exist or belongs to another team, so that the
    codes of other gebieden do not leak.
    """
    require(may_manage_meetings(user))
    area = db.session.scalars(visible_areas(user).where(Area.code == area_code)).first()
    if area is None or not may_manage_area(user, area):
        raise NotFound()
    return area


def require_manages(user: Any, area: Area) -> None:
    """NotFound unless ``user`` may work in ``area`` (an object found through another
    gebied must not reveal that it exists)."""
    require(may_manage_meetings(user))
    if not may_manage_area(user, area):
        raise NotFound()


CAPABILITIES = {
    "is_staff": is_staff,
    "may_administer": may_administer,
    "sees_all_areas": sees_all_areas,
    "sees_member_details": sees_member_details,
    "may_manage_members": may_manage_members,
    "may_manage_area": may_manage_area,
    "may_manage_meetings": may_manage_meetings,
    "may_manage_feedback": may_manage_feedback,
    "may_edit_motions": may_edit_motions,
    "may_assign_areas": may_assign_areas,
}


def register_template_globals(app: Flask) -> None:
    """Templates ask the same questions: ``{% if may_administer(current_user) %}``."""
    app.jinja_env.globals.update(CAPABILITIES)

