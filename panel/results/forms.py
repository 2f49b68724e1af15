"""Forms for importing results, publishing editions and managing the indicators."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from panel.forms import FlaskForm
from panel.results.indicators import (
    EXPLANATION_LENGTH,
    NAME_LENGTH,
    THEME_LENGTH,
    UNIT_LABELS,
)
from panel.results.models import MAX_DECIMALS

REQUIRED = _l("This field is required.")


class ResultsUploadForm(FlaskForm):
    file = FileField(_l("Results file (CSV or XLSX)"),
                     validators=[FileRequired(_l("Choose a file."))])
    dry_run = BooleanField(_l("Only check the file, change nothing"), default=True)


class ActionForm(FlaskForm):
    """Only the CSRF token, for publish buttons."""


class IndicatorsUploadForm(FlaskForm):
    file = FileField(_l("Indicators file (CSV or XLSX)"),
                     validators=[FileRequired(_l("Choose a file."))])
    dry_run = BooleanField(_l("Only check the file, change nothing"), default=True)


class IndicatorForm(FlaskForm):
    code = StringField(_l("Code"), description=_l(
        "Lowercase letters, digits, underscores and hyphens, for example onveilig_buurt. "
        "Files with results use this code."),
        validators=[DataRequired(REQUIRED), Length(max=40)])
    name_nl = StringField(_l("Name in Dutch"),
                          validators=[DataRequired(REQUIRED), Length(max=NAME_LENGTH)])
    name_en = StringField(_l("Name in English"),
                          description=_l("Leave empty to use the Dutch name."),
                          validators=[Optional(), Length(max=NAME_LENGTH)])
    explanation_nl = TextAreaField(_l("Explanation in Dutch"), description=_l(
        "One or two short sentences for residents: what does the figure tell?"),
        validators=[Optional(), Length(max=EXPLANATION_LENGTH)])
    explanation_en = TextAreaField(_l("Explanation in English"),
                                   validators=[Optional(), Length(max=EXPLANATION_LENGTH)])
    unit = RadioField(_l("Unit"), choices=[SelectChoice(unit.value, label)
                                           for unit, label in UNIT_LABELS.items()],
                      validators=[InputRequired(_l("Choose a unit."))])
    higher_is_better = RadioField(
        _l("Is a higher figure better?"),
        choices=[SelectChoice("1", _l("Yes, higher is better")),
                 SelectChoice("0", _l("No, lower is better"))],
        validators=[InputRequired(_l("Choose yes or no."))])
    decimals = IntegerField(_l("Decimals"), description=_l(
        "How many decimals a figure is shown with: 0 shows 32%, 1 shows 7,3. Leave empty "
        "for the usual number of the unit."),
        validators=[Optional(), NumberRange(min=0, max=MAX_DECIMALS, message=_l(
            "The number of decimals must be 0, 1, 2 or 3."))])
    theme = StringField(_l("Theme of the indicator"), description=_l(
        "Indicators with the same theme are listed together, for example Overlast."),
        validators=[Optional(), Length(max=THEME_LENGTH)])
    theme_en = StringField(_l("Theme in English"), description=_l(
        "For the English pages, for example Nuisance. Leave empty to show the Dutch theme."),
        validators=[Optional(), Length(max=THEME_LENGTH)])
    position = IntegerField(_l("Place in the order"), description=_l(
        "1 is first. Leave empty to keep the place; a new indicator goes at the end."),
        validators=[Optional(), NumberRange(min=1, message=_l(
            "The place must be a whole number of 1 or more."))])
