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

# What each kind of message is, by its template (templates/emails).
KIND_LABELS = {
    "access_link": _l("Link to one's own page"),
    "action_update": _l("News about an action"),
    "already_member": _l("Already in the panel"),
    "confirm_join": _l("Confirm joining"),
    "evaluation_request": _l("Question about a meeting"),
    "mail_check": _l("Settings check"),
    "meeting_cancelled": _l("Meeting cancelled"),
    "meeting_changed": _l("Meeting changed"),
    "meeting_invitation": _l("Invitation to a meeting"),
    "meeting_place": _l("A place at a meeting"),
    "meeting_reminder": _l("Reminder of a meeting"),
    "no_membership": _l("No panel membership found"),
    "no_staff_account": _l("No staff account found"),
    "password_link": _l("Link to set a password"),
    "poll_invitation": _l("Question about dates"),
    "survey_invitation": _l("Invitation from the safety survey"),
    "test_message": _l("Test message"),
    "welcome": _l("Welcome to the panel"),
    "work_list": _l("Weekly work list"),
}


class OutboxFilterForm(FlaskForm):
    """Filter for ``/beheer/mail`` (a GET form: it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], validate_choice=False)
