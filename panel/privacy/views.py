"""The audit log for administrators (``/beheer/audit``)."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from panel.auth.permissions import may_administer, require
from panel.privacy import details, services
from panel.privacy.forms import AuditFilterForm
from panel.security import no_store

bp = Blueprint("privacy", __name__)


def _choices(labels: dict[str, object]) -> list[SelectChoice]:
    return [SelectChoice("", _("All"))] + [SelectChoice(k, str(v)) for k, v in labels.items()]


@bp.get("/beheer/audit")
@login_required
def audit() -> Response:
    """Search the audit log: by action, kind of object, staff account and dates."""
    require(may_administer(current_user))
    form = AuditFilterForm(request.args)
    form.action.choices = _choices(services.ACTIONS)
    form.object_type.choices = _choices(services.OBJECT_TYPES)
    valid = form.validate() if request.args else True
    result = services.search_events(current_user, services.AuditFilter(
        action=form.action.data or "", object_type=form.object_type.data or "",
        actor_id=form.actor.data, date_from=form.date_from.data, date_to=form.date_to.data,
        page=request.args.get("pagina", 1, type=int) or 1)) if valid else None
    args = {k: v for k, v in request.args.items() if k != "pagina" and v}
    return no_store(make_response(render_template(
        "privacy/audit.html", form=form, result=result, args=args,
        action_labels=services.ACTIONS, object_labels=services.OBJECT_TYPES,
        result_labels=services.RESULTS, describe=details.Notes())))
