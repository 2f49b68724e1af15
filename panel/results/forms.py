"""Forms for importing results and publishing editions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField


class ResultsUploadForm(FlaskForm):
    file = FileField(_l("Results file (CSV or XLSX)"),
                     validators=[FileRequired(_l("Choose a file."))])
    dry_run = BooleanField(_l("Only check the file, change nothing"), default=True)


class ActionForm(FlaskForm):
    """Only the CSRF token, for publish buttons."""
