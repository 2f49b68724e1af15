"""Imports every domain's models so that the metadata knows all tables (for Alembic and
for tests). Nothing else belongs here."""

from panel.areas.models import Area, District, Municipality, Neighbourhood
from panel.auth.models import PasswordLink, User, user_area
from panel.mail.models import OutboxMessage
from panel.signups.models import (
    Consent,
    ConsentStatement,
    ImportRecord,
    MemberLink,
    PanelMember,
    Postcode,
)

__all__ = ["Area", "Consent", "ConsentStatement", "District", "ImportRecord", "MemberLink",
           "Municipality", "Neighbourhood", "OutboxMessage", "PanelMember", "PasswordLink",
           "Postcode", "User", "user_area"]
