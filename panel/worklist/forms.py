"""The choice to get the work list by email every week."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class WeeklyForm(FlaskForm):
    weekly = BooleanField(_l("Send me this list by email every week"))
