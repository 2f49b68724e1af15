"""Forms for planning meetings, replying, polls and attendance."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from panel.db import utcnow
from panel.forms import FlaskForm
from panel.meetings.models import PAST, MeetingKind, MeetingStatus, ReplyStatus
from panel.meetings.times import to_utc
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
    # InputRequired, not DataRequired: 0 is typed in, but is no number of places.
    capacity = IntegerField(_l("Number of places"), default=30, validators=[
        InputRequired(_l("Fill in the number of places.")),
        NumberRange(min=1, max=1000, message=_l("The number of places is at least %(min)s "
                                                "and at most %(max)s."))])
    wijken = MultiCheckboxField(_l("For the panels of these wijken"), choices=[])
    team = MultiCheckboxField(_l("Team members present"), choices=[])
    accept_warnings = BooleanField(_l("I have read the warnings. Save anyway."))

    #: False when a date poll proposes the dates (PollSlotsForm) instead of this form.
    dates_required = True

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        """Also what depends on more than one field, each message at the field to change
        (the services check the same and refuse what slips through)."""
        valid = super().validate(extra_validators)
        kind = self.kind.data
        if kind in (MeetingKind.IN_PERSON, MeetingKind.HYBRID):
            valid &= _fill(self.venue, _l("Fill in the venue."))
            valid &= _fill(self.address, _l("Fill in the address of the venue."))
        if kind in (MeetingKind.ONLINE, MeetingKind.HYBRID) and not self.online_url.errors \
                and not (self.online_url.data or "").strip().startswith(("https://", "http://")):
            self.online_url.errors.append(
                _l("Fill in the link to the online meeting (starting with https://)."))
            valid = False
        if self.wijken.choices and not self.wijken.data and not self.wijken.errors:
            self.wijken.errors.append(_l("Choose at least one wijk of this gebied."))
            valid = False
        if self.dates_required:
            valid &= _times(self.day, self.start, self.end)
        return valid


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

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        """Each row empty or whole, in the future; at least two rows."""
        valid = super().validate(extra_validators)
        rows = [(self[f"day{i}"], self[f"start{i}"], self[f"end{i}"]) for i in (1, 2, 3)]
        whole = 0
        for row in rows:
            if any(f.errors for f in row) or all(f.data is None for f in row):
                continue  # a date that is not valid already has its message; an empty row
            if _times(*row):
                whole += 1
                if to_utc(row[0].data, row[1].data) <= utcnow():
                    row[0].errors.append(_l("Propose dates in the future."))
        valid = valid and not any(f.errors for row in rows for f in row)
        if valid and whole < 2:
            empty = next(day for day, start, end in rows if day.data is None)
            empty.errors.append(_l("Propose at least two dates."))
            valid = False
        return valid


def _fill(field: Field, message: object) -> bool:
    """``message`` at ``field`` when it is empty (and has no other error)."""
    if field.errors or (field.data or "").strip():
        return True
    field.errors.append(message)
    return False


def _times(day: Field, start: Field, end: Field) -> bool:
    """A date with a start and an end time, each missing one named at its own input, and
    an end before the start at the end time."""
    for f, message in ((day, _l("Fill in the date.")), (start, _l("Fill in the start time.")),
                       (end, _l("Fill in the end time."))):
        if f.data is None and not f.errors:
            f.errors.append(message)
    if start.data is not None and end.data is not None and not end.errors \
            and end.data <= start.data:
        end.errors.append(_l("The meeting must end after it starts."))
    return not any(f.errors for f in (day, start, end))


class ActionForm(FlaskForm):
    """Only the CSRF token, for buttons that act."""


class SpreadForm(FlaskForm):
    """Inviting the spread plan of a gebied: the page sends back the fingerprint of the plan
    it showed and its pairs (``spread.AreaPlan``). Neither is trusted: the service works the
    plan out again and compares, so no validators here (a missing or changed value means
    the plan changed)."""

    fingerprint = HiddenField()
    plan = HiddenField()


class AttendanceForm(FlaskForm):
    # The service checks who may be marked (404 otherwise), so a member who left meanwhile
    # does not silently lose the whole list.
    present = MultiCheckboxField(_l("Who was there?"), choices=[], coerce=int,
                                 validate_choice=False)
    extra_attendees = IntegerField(_l("Other people present (not on the list)"), default=0,
                                   validators=[Optional(), NumberRange(
                                       min=0, max=1000, message=_l(
                                           "The number of other people is at most %(max)s."))])
    report = TextAreaField(_l("Short report: what was discussed?"),
                           validators=[Optional(), Length(max=10000)])
