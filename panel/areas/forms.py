"""Forms for the municipality and its gebieden, wijken and buurten."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from panel.widgets import SelectField

REQUIRED = _l("This field is required.")


class MunicipalityForm(FlaskForm):
    code = StringField(_l("CBS municipality code"), description=_l("For example GM0361."),
                       validators=[DataRequired(REQUIRED), Length(max=6)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])


class AreaForm(FlaskForm):
    code = StringField(_l("Code"), description=_l("Lowercase letters, digits and hyphens, "
                                                   "for example noord."),
                       validators=[DataRequired(REQUIRED), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])


class NeighbourhoodForm(FlaskForm):
    code = StringField(_l("CBS wijk code"), description=_l("For example WK036101."),
                       validators=[DataRequired(REQUIRED), Length(max=8)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    area = SelectField(_l("Gebied"), choices=[])
    cbs_year = IntegerField(_l("Year of the CBS map"), validators=[
        DataRequired(REQUIRED), NumberRange(min=2000, max=2100)])


class DistrictForm(FlaskForm):
    code = StringField(_l("CBS buurt code"), description=_l("For example BU03610101."),
                       validators=[DataRequired(REQUIRED), Length(max=10)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    neighbourhood = SelectField(_l("Wijk"), choices=[])
    cbs_year = IntegerField(_l("Year of the CBS map"), validators=[
        DataRequired(REQUIRED), NumberRange(min=2000, max=2100)])


class AreasUploadForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))])
    dry_run = BooleanField(_l("Only check the file, change nothing"), default=True,
                           validators=[Optional()])
