"""A staff member's own sessions: where they are signed in, and ending the others.

The routes belong to the ``auth`` blueprint (``/beheer/sessies``); ``panel/auth/views.py``
imports this module after making the blueprint.
"""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from panel.auth import sessions, staff_sessions
from panel.auth.models import User
from panel.auth.views import bp
from panel.outcome import outcome, say


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.get("/sessies")
@login_required
def own_sessions() -> str:
    """The live sessions of the signed-in staff member, this one marked."""
    limits = staff_sessions.limits()
    return render_template("auth/sessions.html",
                           rows=staff_sessions.active_sessions(_me()),
                           current_id=sessions.current_session_id(),
                           idle_minutes=int(limits.idle.total_seconds() // 60),
                           max_hours=int(limits.total.total_seconds() // 3600))


@bp.post("/sessies/<int:session_id>/beeindigen")
@login_required
def end_session(session_id: int) -> Response:
    """End one of the staff member's other sessions (404 for anyone else's)."""
    with outcome(_("The session is ended. That browser is signed out.")):
        staff_sessions.end_one_of_mine(_me(), session_id, sessions.current_session_id())
    return redirect(url_for("auth.own_sessions"))


@bp.post("/sessies/andere-beeindigen")
@login_required
def end_other_sessions() -> Response:
    """End every session of the staff member except this one."""
    with outcome() as done:
        ended = staff_sessions.end_others(_me(), sessions.current_session_id())
    if done:
        say(ngettext("%(num)s other session is ended.", "%(num)s other sessions are ended.",
                     len(ended)) if ended else _("There were no other sessions."), "success")
    return redirect(url_for("auth.own_sessions"))
