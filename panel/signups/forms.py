"""Forms for joining and the staff pages about members, and the labels of a member's
status, source, consent channel and availability (the resident's own page uses them too,
and the form to ask for a call; its other forms are in ``panel.residents.forms``)."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from panel.auth.services import normalise_email
from panel.forms import CheckedBy, FlaskForm
from panel.signups import validation
from panel.signups.models import ConsentChannel, MemberStatus, Source
from panel.signups.services import CALL_NEEDS_PHONE, NEEDS_HOUSE_NUMBER
from panel.widgets import SelectField

# Each language named in itself, marked as such for screen readers (WCAG 3.1.2).
LANGUAGE_CHOICES = [SelectChoice("nl", Markup('<span lang="nl">Nederlands</span>')),
                    SelectChoice("en", Markup('<span lang="en">English</span>'))]
AVAILABILITY_LABELS = {
    "weekday-morning": _l("Monday to Friday, morning"),
    "weekday-afternoon": _l("Monday to Friday, afternoon"),
    "weekday-evening": _l("Monday to Friday, evening"),
    "saturday-morning": _l("Saturday morning"),
    "saturday-afternoon": _l("Saturday afternoon"),
    "saturday-evening": _l("Saturday evening"),
}
STATUS_LABELS = {
    MemberStatus.PENDING.value: _l("Waiting for email confirmation"),
    MemberStatus.INVITED.value: _l("Invited"),
    MemberStatus.MEMBER.value: _l("Member"),
    MemberStatus.LEFT.value: _l("Left"),
}
SOURCE_LABELS = {
    Source.SURVEY.value: _l("Safety survey"),
    Source.ONLINE.value: _l("Joined online"),
    Source.STAFF.value: _l("Registered by staff"),
}
CHANNEL_LABELS = {
    ConsentChannel.SURVEY.value: _l("Safety survey, confirmed online"),
    ConsentChannel.ONLINE.value: _l("Online form, confirmed by email"),
    ConsentChannel.PAPER.value: _l("On paper"),
    ConsentChannel.PHONE.value: _l("By phone"),
}

# What an answer to the panel question counts as, in the survey import's mapping step.
ANSWER_LABELS = {
    "yes": _l("Yes: invite"),
    "no": _l("No"),
    "skip": _l("Skip"),
}


def labels() -> dict[str, object]:
    """The labels the member pages show (staff and the resident's own page)."""
    return {"status_labels": STATUS_LABELS, "source_labels": SOURCE_LABELS,
            "channel_labels": CHANNEL_LABELS, "availability_labels": AVAILABILITY_LABELS,
            "MemberStatus": MemberStatus}


class JoinForm(FlaskForm):
    """Every field is checked at once, with the checks of ``services.check_join``, so
    every wrong field shows its message together."""
    name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Fill in your name.")), Length(max=120)])
    email = EmailField(_l("Your email address"),
                       description=_l("We send you an email. Click the link in it to confirm."),
                       validators=[DataRequired(_l("Fill in your email address.")),
                                   Length(max=254), CheckedBy(normalise_email)])
    call_me = BooleanField(_l("Call me: I have a question"),
                           description=_l("Tick this box and fill in your phone number. "
                                          "Then someone of the municipality calls you."))
    phone = TelField(_l("Phone number (needed if you want us to call you)"),
                     validators=[Optional(), Length(max=40), CheckedBy(validation.phone)])
    postcode = StringField(_l("Postcode"), description=_l("For example: 1823 AB"),
                           validators=[Optional(), Length(max=8),
                                       CheckedBy(validation.postcode)])
    house_number = StringField(_l("House number"), description=_l("For example: 12 or 12a"),
                               validators=[Optional(), Length(max=10),
                                           CheckedBy(validation.house_number)])
    neighbourhood = SelectField(_l("Your wijk"), choices=[], validate_choice=False,
                                description=_l("Only needed when we do not know your "
                                               "postcode."))
    language = RadioField(_l("Language for emails"), choices=LANGUAGE_CHOICES, default="nl")
    statement_version = HiddenField()
    consent = BooleanField(_l("I agree. You may use my data for the wijkpanel."),
                           validators=[DataRequired(_l("You can only join if you agree."))])

    def validate(self, extra_validators: Any = None) -> bool:
        """Also: who asks to be called fills in a phone number, and who fills in a
        postcode fills in the house number too (each message at its field)."""
        valid = super().validate(extra_validators)
        if self.call_me.data and not (self.phone.data or "").strip():
            self.phone.errors = [*self.phone.errors, CALL_NEEDS_PHONE]
            valid = False
        if (self.postcode.data or "").strip() and not (self.house_number.data or "").strip():
            self.house_number.errors = [*self.house_number.errors, NEEDS_HOUSE_NUMBER]
            valid = False
        return valid


class CallRequestForm(FlaskForm):
    """A resident asks to be called, from their own page."""

    phone = TelField(_l("Your phone number"), description=_l("For example: 06 12345678"),
                     validators=[Optional(), Length(max=40)],
                     id="call-phone")  # the own page has the details form's "phone" too


class ConfirmForm(FlaskForm):
    statement_version = HiddenField()


class ActionForm(FlaskForm):
    """Only the CSRF token: for buttons that act (leave, remove, make letters, import)."""


class RegisterForm(FlaskForm):
    """Every field is checked at once, with the checks of ``staff.register``."""
    name = StringField(_l("Name"), validators=[DataRequired(_l("Fill in the name.")),
                                               Length(max=120)])
    email = EmailField(_l("Email address (optional)"),
                       validators=[Optional(), Length(max=254), CheckedBy(normalise_email)])
    phone = TelField(_l("Phone number (optional)"),
                     validators=[Optional(), Length(max=40), CheckedBy(validation.phone)])
    street = StringField(_l("Street"), validators=[Optional(), Length(max=120)])
    house_number = StringField(_l("House number"),
                               validators=[Optional(), Length(max=10),
                                           CheckedBy(validation.house_number)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=8),
                                                       CheckedBy(validation.postcode)])
    city = StringField(_l("Place"), validators=[Optional(), Length(max=80)])
    wijk = SelectField(_l("Wijk"), choices=[],
                       validators=[DataRequired(_l("Choose a wijk from the list."))])
    language = RadioField(_l("Language"), choices=LANGUAGE_CHOICES, default="nl")
    channel = RadioField(_l("How did the resident give consent?"),
                         default=ConsentChannel.PAPER.value, choices=[
                             SelectChoice(ConsentChannel.PAPER.value, _l("On paper (signed form)")),
                             SelectChoice(ConsentChannel.PHONE.value, _l("By phone"))])


class StaffConfirmForm(FlaskForm):
    channel = RadioField(_l("How did the resident say yes?"),
                         default=ConsentChannel.PHONE.value, choices=[
                             SelectChoice(ConsentChannel.PHONE.value, _l("By phone")),
                             SelectChoice(ConsentChannel.PAPER.value, _l("On paper (by post)"))])


class UploadForm(FlaskForm):
    file = FileField(_l("Survey export (CSV or XLSX)"),
                     validators=[FileRequired(_l("Choose a file."))])


class PostcodesUploadForm(FlaskForm):
    file = FileField(_l("Postcode file (CSV, XLSX or ZIP)"),
                     validators=[FileRequired(_l("Choose a file."))])
    dry_run = BooleanField(_l("Only check the file, change nothing"), default=True,
                           validators=[Optional()])


class StatementForm(FlaskForm):
    version = StringField(_l("Version"), description=_l("For example 2027-1. Each version "
                                                        "can be published once."),
                          validators=[DataRequired(_l("Fill in a version.")), Length(max=20)])
    text_nl = TextAreaField(_l("Text in Dutch"), description=_l("One idea per line."),
                            validators=[DataRequired(_l("Fill in the Dutch text."))])
    text_en = TextAreaField(_l("Text in English"), description=_l("One idea per line."),
                            validators=[DataRequired(_l("Fill in the English text."))])
