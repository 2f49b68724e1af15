"""The work list on the staff start page (``/beheer/``), added through
``auth.dashboard_parts`` so that auth does not import the domains it counts, and the
choice to get it by email every week."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, get_template_attribute, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from panel.auth.dashboard import dashboard_parts
from panel.outcome import outcome
from panel.worklist import forms, services

bp = Blueprint("worklist", __name__, url_prefix="/beheer/werklijst")


def work_list_part(user: Any, **kwargs: object) -> Markup:
    """The work list, narrowed to the gebied of ``?gebied=`` when given."""
    work = services.work_list(user, area_code=request.args.get("gebied", "").strip())
    form = forms.WeeklyForm(formdata=None, weekly=work.weekly)
    render = get_template_attribute("worklist/_work_list.html", "work_list")
    part: Markup = render(work, form)
    return part


@bp.post("/email")
@login_required
def weekly() -> Response:
    form = forms.WeeklyForm()
    if form.validate_on_submit():
        wanted = bool(form.weekly.data)
        message = _("You will get this list by email every week.") if wanted else \
            _("You will no longer get this list by email.")
        with outcome(message):
            services.set_weekly(current_user, wanted)
    return redirect(url_for("auth.dashboard") + "#werklijst")


def register(app: Flask) -> None:
    """Show the work list on the start page (connecting twice is harmless)."""
    app.register_blueprint(bp)
    dashboard_parts.connect(work_list_part)
