"""Who may do what. Every service asks these functions; no view decides on its own."""

from __future__ import annotations

from sqlalchemy import Select, select

from panel.areas.models import Area
from panel.auth.models import Role, User, user_area
from panel.errors import PermissionDenied


def require_role(user: User | None, *roles: Role) -> User:
    """Return ``user`` when it is an active staff member with one of ``roles``.

    Raises PermissionDenied otherwise.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        raise PermissionDenied()
    if roles and user.role not in roles:
        raise PermissionDenied()
    return user


def sees_all_areas(user: User) -> bool:
    """Admins and clerks see every gebied (clerks only in aggregate); teams only their own."""
    return user.role in (Role.ADMIN, Role.CLERK)


def visible_areas(user: User) -> Select[tuple[Area]]:
    """A query for the gebieden ``user`` may see: the area rule, in one place."""
    require_role(user)
    query = select(Area).order_by(Area.name)
    if not sees_all_areas(user):
        own = select(user_area.c.area_id).where(user_area.c.user_id == user.id)
        query = query.where(Area.id.in_(own))
    return query


def may_manage_area(user: User, area: Area) -> bool:
    """Admins manage every gebied; a team member only the gebieden of their teams."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.TEAM and any(a.id == area.id for a in user.areas)
