"""The status filter of the outbox page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from panel.forms import FlaskForm
from panel.mail.models import MailStatus
from panel.widgets import SelectField

STATUS_LABELS = {
    MailStatus.QUEUED.value: _l("Waiting"),
    MailStatus.SENDING.value: _l("Being sent"),
    MailStatus.SENT.value: _l("Sent"),
    MailStatus.FAILED.value: _l("Failed"),
}


class OutboxFilterForm(FlaskForm):
    """Filter for ``/beheer/mail`` (a GET form: it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], validate_choice=False)
