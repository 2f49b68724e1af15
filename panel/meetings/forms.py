"""Forms for planning meetings, replying, polls and attendance."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from panel.meetings.models import PAST, MeetingKind, MeetingStatus, ReplyStatus
from panel.widgets import MultiCheckboxField

STATUS_LABELS = {
    MeetingStatus.POLL.value: _l("Choosing a date"),
    MeetingStatus.DRAFT.value: _l("Planned, not open yet"),
    MeetingStatus.OPEN.value: _l("Open for replies"),
    MeetingStatus.CANCELLED.value: _l("Cancelled"),
    PAST: _l("Has taken place"),  # open and started: derived, not stored
}
REPLY_LABELS = {
    ReplyStatus.ATTENDING.value: _l("Coming"), ReplyStatus.WAITING.value: _l("On the waitlist"),
    ReplyStatus.DECLINED.value: _l("Not coming"),
    ReplyStatus.WALK_IN.value: _l("Came without replying"),
}
KIND_LABELS = {
    MeetingKind.IN_PERSON.value: _l("In person"),
    MeetingKind.ONLINE.value: _l("Online"),
    MeetingKind.HYBRID.value: _l("In person and online"),
}


class MeetingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Fill in a title.")),
                                                 Length(max=200)])
    description = TextAreaField(_l("What is the meeting about?"),
                                validators=[Optional(), Length(max=5000)])
    agenda = TextAreaField(_l("Agenda"), description=_l("One item per line."),
                           validators=[Optional(), Length(max=5000)])
    kind = RadioField(_l("Kind of meeting"), default=MeetingKind.IN_PERSON.value, choices=[
        SelectChoice(value, label) for value, label in KIND_LABELS.items()])
    venue = StringField(_l("Venue"), description=_l("For example: Buurthuis De Mare"),
                        validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address of the venue"), validators=[Optional(), Length(max=300)])
    accessibility = TextAreaField(
        _l("Accessibility"), description=_l("For example: no stairs, hearing loop, parking."),
        validators=[Optional(), Length(max=2000)])
    online_url = URLField(_l("Link to the online meeting"),
                          validators=[Optional(), Length(max=500)])
    day = DateField(_l("Date"), validators=[Optional()])
    start = TimeField(_l("Start time"), validators=[Optional()])
    end = TimeField(_l("End time"), validators=[Optional()])
    capacity = IntegerField(_l("Number of places"), default=30, validators=[
        DataRequired(_l("Fill in the number of places.")), NumberRange(min=1, max=1000)])
    wijken = MultiCheckboxField(_l("For the panels of these wijken"), choices=[])
    team = MultiCheckboxField(_l("Team members present"), choices=[])
    accept_warnings = BooleanField(_l("I have read the warnings. Save anyway."))


class PollSlotsForm(FlaskForm):
    """Candidate dates: up to five rows of date, start and end."""

    day1 = DateField(_l("Date 1"), validators=[Optional()])
    start1 = TimeField(_l("Start time 1"), validators=[Optional()])
    end1 = TimeField(_l("End time 1"), validators=[Optional()])
    day2 = DateField(_l("Date 2"), validators=[Optional()])
    start2 = TimeField(_l("Start time 2"), validators=[Optional()])
    end2 = TimeField(_l("End time 2"), validators=[Optional()])
    day3 = DateField(_l("Date 3"), validators=[Optional()])
    start3 = TimeField(_l("Start time 3"), validators=[Optional()])
    end3 = TimeField(_l("End time 3"), validators=[Optional()])


class ActionForm(FlaskForm):
    """Only the CSRF token, for buttons that act."""


class AttendanceForm(FlaskForm):
    # The service checks who may be marked (404 otherwise), so a member who left meanwhile
    # does not silently lose the whole list.
    present = MultiCheckboxField(_l("Who was there?"), choices=[], coerce=int,
                                 validate_choice=False)
    extra_attendees = IntegerField(_l("Other people present (not on the list)"), default=0,
                                   validators=[Optional(), NumberRange(min=0, max=1000)])
    report = TextAreaField(_l("Short report: what was discussed?"),
                           validators=[Optional(), Length(max=10000)])
