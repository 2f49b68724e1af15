"""The outbox and the mail settings for administrators (``/beheer/mail``)."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from panel.mail import services
from panel.mail.forms import KIND_LABELS, STATUS_LABELS, OutboxFilterForm
from panel.mail.services import MailCheck
from panel.outcome import outcome
from panel.security import no_store

bp = Blueprint("mail", __name__)


def _page(check: MailCheck | None = None, sent_test: bool = False) -> Response:
    """The outbox page: the settings, the last check, the messages; with the result of a
    check just made, when there is one."""
    form = OutboxFilterForm(request.args)
    form.status.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(value, str(label)) for value, label in STATUS_LABELS.items()]
    page = services.outbox_page(current_user, request.args.get("status", ""),
                                request.args.get("pagina", 1, type=int) or 1)
    args = {key: value for key, value in request.args.items() if key != "pagina" and value}
    return no_store(make_response(render_template(
        "mail/outbox.html", form=form, outbox=page, args=args,
        settings=services.mail_settings(current_user), state=services.mail_state(),
        check=check, sent_test=sent_test, status_labels=STATUS_LABELS, kind_labels=KIND_LABELS,
        failure_labels=services.FAILURE_LABELS)))


@bp.get("/beheer/mail")
@login_required
def outbox() -> Response:
    """The outbox (queued, sent and failed messages) and the mail settings."""
    return _page()


@bp.post("/beheer/mail/controleren")
@login_required
def check() -> Response:
    """Check the mail settings and show each step and the verdict."""
    result: MailCheck | None = None
    with outcome():
        result = services.check_settings_for(current_user)
    return _page(check=result)


@bp.post("/beheer/mail/testbericht")
@login_required
def test_message() -> Response:
    """Check the settings and send a test message to the signed-in administrator."""
    result: MailCheck | None = None
    with outcome():
        result = services.check_settings_for(current_user, send_test=True)
    return _page(check=result, sent_test=True)
