"""Forms for the motion register and the follow-up reports."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    FormField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from panel.forms import FlaskForm
from panel.motions.models import RequestStatus
from panel.motions.services import reference_problem
from panel.widgets import MultiCheckboxField, SelectField

REQUEST_STATUS_LABELS = {
    RequestStatus.OPEN.value: _l("Open"), RequestStatus.COMPLETED.value: _l("Completed"),
    RequestStatus.DROPPED.value: _l("Dropped"),
}
ASSESSMENT_LABELS = {
    "met": _l("met"), "late": _l("late"), "open": _l("open"), "dropped": _l("dropped"),
}


class RequestForm(FlaskForm):
    class Meta:
        csrf = False  # part of the motion form, which carries the token

    text = TextAreaField(_l("What the motion asks"), validators=[Optional(), Length(max=2000)])
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    status = SelectField(_l("Status"), default=RequestStatus.OPEN.value, choices=[
        SelectChoice(k, v) for k, v in REQUEST_STATUS_LABELS.items()])
    completed_on = DateField(_l("Completed on"), validators=[Optional()])


def _usable_reference(form: FlaskForm, field: StringField) -> None:
    """The service's rule for a reference, at the field."""
    if (problem := reference_problem((field.data or "").strip())) is not None:
        raise ValidationError(problem)


class MotionForm(FlaskForm):
    reference = StringField(_l("Reference"), description=_l("For example M2023-04."),
                            validators=[DataRequired(_l("Fill in the reference.")),
                                        Length(max=40), _usable_reference])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Fill in a title.")),
                                                 Length(max=300)])
    adopted_on = DateField(_l("Date adopted"), validators=[DataRequired(_l("Fill in the date "
                                                                           "adopted."))])
    text = TextAreaField(_l("Text of the motion"), validators=[Optional(), Length(max=20000)])
    ori_id = StringField(_l("Open Raadsinformatie identifier (optional)"),
                         validators=[Optional(), Length(max=200)])
    areas = MultiCheckboxField(_l("Gebieden it concerns"), choices=[])
    wijken = MultiCheckboxField(_l("Wijken it concerns"), choices=[])
    themes = MultiCheckboxField(_l("Themes it concerns"), choices=[])
    requests = FieldList(FormField(RequestForm), min_entries=3, max_entries=10)


class ReportStartForm(FlaskForm):
    period_start = DateField(_l("From"), validators=[DataRequired(_l("Fill in a date."))])
    period_end = DateField(_l("Up to and including"),
                           validators=[DataRequired(_l("Fill in a date."))])


class NarrativeForm(FlaskForm):
    """Up to four narrative sections written by the clerk."""

    title1 = StringField(_l("Heading 1"), validators=[Optional(), Length(max=200)])
    body1 = TextAreaField(_l("Text 1"), validators=[Optional(), Length(max=20000)])
    title2 = StringField(_l("Heading 2"), validators=[Optional(), Length(max=200)])
    body2 = TextAreaField(_l("Text 2"), validators=[Optional(), Length(max=20000)])
    title3 = StringField(_l("Heading 3"), validators=[Optional(), Length(max=200)])
    body3 = TextAreaField(_l("Text 3"), validators=[Optional(), Length(max=20000)])
    title4 = StringField(_l("Heading 4"), validators=[Optional(), Length(max=200)])
    body4 = TextAreaField(_l("Text 4"), validators=[Optional(), Length(max=20000)])


class ActionForm(FlaskForm):
    """Only the CSRF token."""
