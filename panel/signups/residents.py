"""The resident's session: who opened their own page (no passwords for residents)."""

from __future__ import annotations

from flask import redirect, session, url_for
from werkzeug.wrappers import Response

from panel.i18n import speak_to
from panel.outcome import outcome
from panel.privacy import services as audit
from panel.signups import services
from panel.signups.models import PanelMember

RESIDENT = "resident_id"


def sign_in(member_id: int) -> None:
    session[RESIDENT] = member_id


def sign_out() -> None:
    session.pop(RESIDENT, None)


def current_member() -> PanelMember | None:
    """The panel member whose page is open in this browser, if any (and still a member).
    The page is then in the member's language, unless the visitor chose one."""
    member = services.get_member(session.get(RESIDENT))
    if member is not None:
        speak_to(member.language)
    return member


def leave(member: PanelMember, detail: str) -> Response | None:
    """The member leaves the panel (their data is erased) and this browser forgets them:
    the goodbye page. None when a domain error stopped it (its message is flashed)."""
    with outcome() as gone:
        services.leave(member)
        audit.record("leave", "member", member.id, actor="resident", detail=detail)
    if not gone:
        return None
    sign_out()
    return redirect(url_for("signups.left"))
