"""Forms for giving feedback, triage, actions, themes and evaluations."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from panel.feedback.labels import ACTION_STATUS_LABELS, ITEM_STATUS_LABELS, PARTNER_LABELS
from panel.forms import FlaskForm
from panel.widgets import MultiCheckboxField, SelectField


class FeedbackForm(FlaskForm):
    theme = RadioField(_l("What is it about?"), choices=[],
                       validators=[DataRequired(_l("Choose a theme."))])
    wijk = SelectField(_l("In which wijk?"), choices=[])
    place = StringField(_l("Where exactly? (optional)"),
                        description=_l("For example: near the shopping centre, or a street."),
                        validators=[Optional(), Length(max=200)])
    text = TextAreaField(_l("What do you want to tell us?"),
                         description=_l("Please do not write names or phone numbers of other "
                                        "people."),
                         validators=[DataRequired(_l("Write what you want to tell us.")),
                                     Length(max=4000)])


class MeetingFeedbackForm(FeedbackForm):
    """What the group raised at a meeting, written down by the area team."""
    theme = SelectField(_l("Theme"), choices=[])
    text = TextAreaField(_l("What did the group raise?"),
                         description=_l("Do not write names or phone numbers."),
                         validators=[DataRequired(_l("Write what the group raised.")),
                                     Length(max=4000)])


class ReviewForm(FlaskForm):
    public_text = TextAreaField(_l("Text for the public page"),
                                description=_l("Remove names, addresses and numbers."),
                                validators=[Optional(), Length(max=4000)])


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[
        SelectChoice(k, v) for k, v in ITEM_STATUS_LABELS.items()])
    partner = SelectField(_l("Passed to"), choices=[SelectChoice("", "–")] + [
        SelectChoice(k, v) for k, v in PARTNER_LABELS.items()])
    reason = TextAreaField(_l("Reason residents can read (when not taken up)"),
                           validators=[Optional(), Length(max=2000)])


class ActionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Fill in a title.")),
                                                 Length(max=200)])
    description = TextAreaField(_l("What will be done?"), validators=[Optional(),
                                                                       Length(max=5000)])
    owner = StringField(_l("Who does it?"), description=_l("The area team or a partner."),
                        validators=[Optional(), Length(max=120)])
    due_date = DateField(_l("Ready by"), validators=[Optional()])
    items = MultiCheckboxField(_l("What residents raised that this answers"), choices=[],
                               coerce=int, validate_choice=False)
    meetings = MultiCheckboxField(_l("Meetings"), choices=[], coerce=int,
                                  validate_choice=False)


class ActionUpdateForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[
        SelectChoice(k, v) for k, v in ACTION_STATUS_LABELS.items()])
    progress = IntegerField(_l("Progress (percent)"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=100, message=_l(
                                "The progress is a percentage from %(min)s to %(max)s."))])
    note = TextAreaField(_l("What happened?"), validators=[Optional(), Length(max=5000)])


class ThemeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name_nl = StringField(_l("Name in Dutch"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    active = BooleanField(_l("Residents can choose this theme"), default=True)


class EvaluationForm(FlaskForm):
    rating = RadioField(_l("What mark do you give the meeting?"), choices=[
        SelectChoice("5", _l("5 - very good")), SelectChoice("4", _l("4 - good")),
        SelectChoice("3", _l("3 - fair")), SelectChoice("2", _l("2 - poor")),
        SelectChoice("1", _l("1 - very poor"))],
        validators=[DataRequired(_l("Choose a mark."))])
    comments = TextAreaField(_l("Anything else you want to tell us? (optional)"),
                             validators=[Optional(), Length(max=4000)])


class ButtonForm(FlaskForm):
    """Only the CSRF token."""
