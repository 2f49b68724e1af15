"""The work list on the staff start page (``/beheer/``), added through
``auth.dashboard_parts`` so that auth does not import the domains it counts, and the
choice to get it by email every week."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from babel import Locale, dates
from babel.dates import DateTimePattern
from flask import Blueprint, Flask, redirect, request, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from panel.auth.dashboard import Part, dashboard_parts
from panel.i18n import Catalogue
from panel.outcome import outcome
from panel.urls import paths
from panel.worklist import forms, services

bp = Blueprint("worklist", __name__, url_prefix="/beheer/werklijst")


class ShownLine(NamedTuple):
    """A line as the page shows it: its link and its text in the page's language."""

    kind: str
    urgent: bool
    href: str
    text: str


class ShownMeeting(NamedTuple):
    meeting_id: int
    href: str
    title: str
    starts: str  # the date and time it starts, short
    area_name: str
    places: str  # "" for a meeting not yet open for replies
    lines: list[ShownLine]


# A meeting id no real link holds: a meeting's link is built once with it, then each
# meeting's id is put in its place (as ``panel.urls.UrlBuilder.with_token`` does).
_MARKER_ID = 987_654_321_012_345


class _Links:
    """The links of the lines (``panel.urls.paths``); those that differ only in the meeting
    (a meeting's page, its letters) from one link per endpoint with :data:`_MARKER_ID` in
    place of the id."""

    def __init__(self) -> None:
        self.path = paths()

    def __call__(self, endpoint: str, params: Mapping[str, Any]) -> str:
        meeting_id = params.get("meeting_id")
        if len(params) == 1 and type(meeting_id) is int:
            prefix, _marker, suffix = self.path(endpoint, meeting_id=_MARKER_ID) \
                .partition(str(_MARKER_ID))
            return f"{prefix}{meeting_id}{suffix}"
        return self.path(endpoint, **params)


@cache
def _short_patterns(locale: Locale) -> tuple[str, DateTimePattern, DateTimePattern]:
    """How ``format_datetime(value, "short")`` writes a date and time in ``locale``: the
    order of date and time, the date, the time (CLDR data, the same for every request)."""
    return (dates.get_datetime_format("short", locale=locale).replace("'", ""),
            dates.get_date_format("short", locale=locale),
            dates.get_time_format("short", locale=locale))


def _short_datetime() -> Callable[[datetime], str]:
    """``format_datetime(value, "short")`` (the ``datetime('short')`` filter) for many
    values: Flask-Babel looks the locale, the time zone and the patterns up again for each
    value (about 170 calls); here they are looked up once, and each value goes through the
    steps of ``babel.dates.format_datetime`` itself."""
    locale, zone = get_locale(), get_timezone()
    glue, day, clock = _short_patterns(locale)

    def short(value: datetime) -> str:  # an aware time, as UTCDateTime gives
        local = value.astimezone(zone)
        if hasattr(zone, "normalize"):  # pytz
            local = zone.normalize(local)
        return glue.replace("{0}", clock.apply(local, locale)) \
            .replace("{1}", day.apply(local.date(), locale))

    return short


def _shown(work: services.WorkList) -> dict[str, Any]:
    """The lines and meetings with their links, start times and texts in the page's
    language, every text from the catalogue looked up once."""
    plural = Catalogue().ngettext
    link, when = _Links(), _short_datetime()

    def lines(items: list[services.Line]) -> list[ShownLine]:
        return [ShownLine(line.kind, line.urgent, line.href(link(line.endpoint, line.params)),
                          line.say(plural)) for line in items]

    meetings = [ShownMeeting(item.meeting_id,
                             link("meetings.staff_detail", {"meeting_id": item.meeting_id}),
                             item.title, when(item.starts_at), item.area_name,
                             item.places(plural) if item.open else "", lines(item.lines))
                for item in work.meetings]
    return {"urgent": lines(work.urgent), "meetings": meetings, "other": lines(work.other),
            "start": link("auth.dashboard", {}), "weekly": link("worklist.weekly", {})}


def work_list_part(user: Any, **kwargs: object) -> Part:
    """The work list, narrowed to the gebied of ``?gebied=`` when given."""
    work = services.work_list(user, area_code=request.args.get("gebied", "").strip())
    return Part("worklist/_work_list.html", {"work": work, **_shown(work)})


@bp.post("/email")
@login_required
def weekly() -> Response:
    form = forms.WeeklyForm()
    if form.validate_on_submit():
        wanted = bool(form.weekly.data)
        message = _("You will get this list by email every week.") if wanted else \
            _("You will no longer get this list by email.")
        with outcome(message):
            services.set_weekly(current_user, wanted)
    return redirect(url_for("auth.dashboard") + "#werklijst")


def register(app: Flask) -> None:
    """Show the work list on the start page (connecting twice is harmless)."""
    app.register_blueprint(bp)
    dashboard_parts.connect(work_list_part)
