"""Forms of the resident's own page: asking for a link, the letter's code, own details."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, SelectChoice, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from panel.auth.services import normalise_email
from panel.forms import CheckedBy, FlaskForm
from panel.signups import validation
from panel.signups.forms import AVAILABILITY_LABELS, LANGUAGE_CHOICES
from panel.widgets import MultiCheckboxField


class RequestLinkForm(FlaskForm):
    email = EmailField(_l("Your email address"), validators=[
        DataRequired(_l("Fill in your email address.")), Length(max=254),
        CheckedBy(normalise_email)])


class CodeForm(FlaskForm):
    code = StringField(_l("Your code"), description=_l("The code is in your letter. For "
                                                       "example: K7M2-QX9P"),
                       validators=[DataRequired(_l("Fill in your code.")), Length(max=20)])


class DetailsForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Fill in your name.")),
                                               Length(max=120)])
    email = EmailField(_l("Email address"),
                       validators=[Optional(), Length(max=254), CheckedBy(normalise_email)])
    phone = TelField(_l("Phone number"),
                     validators=[Optional(), Length(max=40), CheckedBy(validation.phone)])
    language = RadioField(_l("Language"), choices=LANGUAGE_CHOICES)
    accessibility_needs = TextAreaField(
        _l("What do you need to take part?"),
        description=_l("For example: a place without stairs, a hearing loop, large letters."),
        validators=[Optional(), Length(max=2000)])
    availability = MultiCheckboxField(_l("When can you come to a meeting?"), choices=[
        SelectChoice(value, label) for value, label in AVAILABILITY_LABELS.items()])
