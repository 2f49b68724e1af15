"""Imports every domain's models so that the metadata knows all tables (for Alembic and
for tests). Nothing else belongs here."""

from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.auth.models import PasswordLink, User, user_area

__all__ = ["Area", "District", "Municipality", "Neighbourhood", "PasswordLink", "User",
           "user_area"]
