"""The search form of the audit log."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField
from wtforms.validators import NumberRange, Optional

from panel.forms import FlaskForm
from panel.widgets import SelectField


class AuditFilterForm(FlaskForm):
    """Filters for ``/beheer/audit`` (a GET form: it changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    action = SelectField(_l("What happened"), choices=[], validate_choice=False)
    object_type = SelectField(_l("Kind of data"), choices=[], validate_choice=False)
    actor = IntegerField(_l("Staff account number"), validators=[
        Optional(), NumberRange(min=1, message=_l("Fill in a number."))])
    date_from = DateField(_l("From (date)"), validators=[Optional()])
    date_to = DateField(_l("To (date)"), validators=[Optional()])
