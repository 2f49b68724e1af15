"""The resident's session: who opened their own page (no passwords for residents)."""

from __future__ import annotations

from flask import session

from panel.signups import services
from panel.signups.models import PanelMember

RESIDENT = "resident_id"


def sign_in(member_id: int) -> None:
    session[RESIDENT] = member_id


def sign_out() -> None:
    session.pop(RESIDENT, None)


def current_member() -> PanelMember | None:
    """The panel member whose page is open in this browser, if any (and still a member)."""
    return services.get_member(session.get(RESIDENT))
