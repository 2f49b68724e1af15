"""Forms for the municipality and its gebieden, wijken and buurten."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from panel.areas.logo import MAX_BYTES as LOGO_MAX_BYTES
from panel.areas.logo import MAX_PIXELS as LOGO_MAX_PIXELS
from panel.forms import FlaskForm
from panel.widgets import SelectField

REQUIRED = _l("This field is required.")


class MunicipalityForm(FlaskForm):
    code = StringField(_l("CBS municipality code"), description=_l("For example GM0361."),
                       validators=[DataRequired(REQUIRED), Length(max=6)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])


class LogoForm(FlaskForm):
    """The municipality's logo for the page header (checked by panel.areas.logo)."""

    file = FileField(_l("Logo (PNG or SVG)"),
                     description=_l("At most %(size)s kB. A PNG at most %(pixels)s by "
                                    "%(pixels)s pixels. The logo is shown next to the name, "
                                    "about 56 pixels high.", size=LOGO_MAX_BYTES // 1024,
                                    pixels=LOGO_MAX_PIXELS),
                     validators=[FileRequired(_l("Choose a file."))])


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
        DataRequired(REQUIRED), NumberRange(min=2000, max=2100, message=_l(
            "The year is between %(min)s and %(max)s."))])


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
