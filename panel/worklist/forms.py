"""The choice to get the work list by email every week."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from panel.forms import FlaskForm


class WeeklyForm(FlaskForm):
    weekly = BooleanField(_l("Send me this list by email every week"))
