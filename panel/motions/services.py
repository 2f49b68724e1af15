"""The motion register and the follow-up reports to the council.

A report is built from aggregated figures only: counts, meetings, themes and actions —
never a resident's name, email, phone number or address. Counts below
``PANEL_REPORT_MIN_COUNT`` are shown as "< N", and every table is protected so that no
hidden count can be worked out from its total or its other cells, nor from an earlier
version (``"x"``, see :mod:`panel.disclosure`). A report counts one scope (see
:class:`Scope`) over Dutch days. A finalised report keeps a frozen JSON snapshot, so later
changes to the data never alter what the council received.
"""

from __future__ import annotations

import hashlib
import json
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from time import monotonic as time_now
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, exists, func, select, true
from sqlalchemy.orm import Session, joinedload

from panel.areas.models import Area, Neighbourhood
from panel.areas.services import get_municipality
from panel.auth.models import User
from panel.auth.permissions import may_edit_motions, require, require_staff
from panel.days import dutch_day_bounds, local_date
from panel.db import db, utcnow
from panel.disclosure import Sum, protect
from panel.errors import DomainError, NotFound
from panel.feedback.models import Action, FeedbackItem, Theme, action_item, action_meeting
from panel.kept import LeastRecentlyUsed
from panel.meetings.models import Meeting, MeetingStatus, Reply, meeting_neighbourhood
from panel.motions.models import FollowUpReport, Motion, MotionRequest, ReportStatus, RequestStatus
from panel.signups.models import ImportRecord, MemberStatus, PanelMember, Source

SCHEMA = "https://wijkpanel.example/schemas/motion-report-1.json"


def min_count() -> int:
    return int(current_app.config.get("PANEL_REPORT_MIN_COUNT", 5))


def shown(count: int, minimum: int) -> int | str:
    """A count as it may be published: small non-zero counts become ``"< N"``."""
    return f"< {minimum}" if 0 < count < minimum else count


# --- the register -------------------------------------------------------------------------

def list_motions(user: User) -> list[Motion]:
    """Every motion (no personal data in them). Any staff member may read the register."""
    require_staff(user)
    return list(db.session.scalars(select(Motion).order_by(Motion.adopted_on.desc())))


@dataclass(frozen=True)
class DueRequest:
    """An open request of a motion whose deadline has passed or comes soon."""

    motion_id: int
    motion_title: str
    text: str
    deadline: date
    late: bool


DUE_DAYS = 30  # a request counts as due this many days before its deadline


def requests_due(user: User, today: date, days: int = DUE_DAYS) -> list[DueRequest]:
    """The open requests of every motion that are overdue or due within ``days`` days of
    ``today``, the earliest deadline first: what the work list's lines about motions
    count. Any staff member may read them."""
    require_staff(user)
    rows = db.session.execute(
        select(Motion.id, Motion.title, MotionRequest.text, MotionRequest.deadline)
        .join(MotionRequest, MotionRequest.motion_id == Motion.id)
        .where(MotionRequest.status == RequestStatus.OPEN.value,
               MotionRequest.deadline.is_not(None),
               MotionRequest.deadline <= today + timedelta(days=days))
        .order_by(MotionRequest.deadline, Motion.id, MotionRequest.position)).all()
    return [DueRequest(motion_id, title, text, deadline, deadline < today)
            for motion_id, title, text, deadline in rows]


def get_motion(user: User, motion_id: int) -> Motion:
    require_staff(user)
    motion = db.session.get(Motion, motion_id)
    if motion is None:
        raise NotFound()
    return motion


@dataclass
class RequestData:
    text: str
    deadline: date | None
    status: str = RequestStatus.OPEN.value
    completed_on: date | None = None


@dataclass
class MotionData:
    reference: str
    title: str
    adopted_on: date | None
    text: str
    ori_id: str = ""
    area_codes: list[str] = field(default_factory=list)
    neighbourhood_codes: list[str] = field(default_factory=list)
    theme_codes: list[str] = field(default_factory=list)
    requests: list[RequestData] = field(default_factory=list)


# In a reference: a line break, tab or other control character, an invisible format
# character (a right-to-left override could make it read as another reference), a line or
# paragraph separator, or a code point that is no character. The zero-width joiner
# (U+200D) stays: emoji are made with it.
_NOT_IN_REFERENCE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_JOINER = "\u200d"


def reference_problem(reference: str) -> str | None:
    """Why ``reference`` cannot be a motion's reference (a translated message), or None.
    Accents, emoji and punctuation are fine; control and invisible characters are not."""
    if any(char != _JOINER and unicodedata.category(char) in _NOT_IN_REFERENCE
           for char in reference):
        return str(_l("The reference may not have a line break, a tab or another "
                      "invisible character."))
    return None


def save_motion(user: User, data: MotionData, motion_id: int | None = None) -> Motion:
    """Register a motion or change it. Admins and clerks only. Raises DomainError."""
    require(may_edit_motions(user))
    reference, title = data.reference.strip(), data.title.strip()
    if not reference or not title or data.adopted_on is None:
        raise DomainError(_l("Fill in the reference, the title and the date adopted."))
    if (problem := reference_problem(reference)) is not None:
        raise DomainError(problem)
    clash = db.session.scalars(select(Motion).where(Motion.reference == reference)).first()
    motion = get_motion(user, motion_id) if motion_id else Motion()
    if clash is not None and clash is not motion:
        raise DomainError(_l("There is already a motion with reference %(ref)s.", ref=reference))
    for request in data.requests:
        if request.status not in RequestStatus.__members__.values():
            raise DomainError(_l("Choose a status for each request."))
        if request.status == RequestStatus.COMPLETED and request.completed_on is None:
            raise DomainError(_l("Fill in when a completed request was completed."))
    motion.reference, motion.title, motion.adopted_on = reference, title, data.adopted_on
    motion.text, motion.ori_id = data.text.strip(), data.ori_id.strip()
    motion.areas = list(db.session.scalars(select(Area).where(Area.code.in_(data.area_codes))))
    motion.neighbourhoods = list(db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.code.in_(data.neighbourhood_codes))))
    motion.themes = list(db.session.scalars(select(Theme).where(Theme.code.in_(
        data.theme_codes))))
    motion.requests = [MotionRequest(position=i, text=r.text.strip(), deadline=r.deadline,
                                     status=r.status, completed_on=r.completed_on)
                       for i, r in enumerate(data.requests) if r.text.strip()]
    db.session.add(motion)
    db.session.flush()
    return motion


# --- reports ------------------------------------------------------------------------------

def get_report(user: User, report_id: int) -> FollowUpReport:
    """A report with its motion (one statement). Any staff member may read reports."""
    require_staff(user)
    report = db.session.get(FollowUpReport, report_id,
                            options=[joinedload(FollowUpReport.motion)])
    if report is None:
        raise NotFound()
    return report


def start_report(user: User, motion_id: int, period_start: date | None,
                 period_end: date | None) -> FollowUpReport:
    """Start a new draft report (the next version), taking over the last narrative."""
    require(may_edit_motions(user))
    motion = get_motion(user, motion_id)
    if period_start is None or period_end is None or period_end < period_start:
        raise DomainError(_l("Choose a period: the end cannot be before the start."))
    last = motion.reports[-1] if motion.reports else None
    report = FollowUpReport(motion=motion, version=(last.version + 1) if last else 1,
                            period_start=period_start, period_end=period_end,
                            narrative=last.narrative if last else "[]", created_by_id=user.id)
    db.session.add(report)
    db.session.flush()
    return report


def sections(report: FollowUpReport) -> list[dict[str, str]]:
    return list(json.loads(report.narrative or "[]"))


def text_digest(report: FollowUpReport) -> str:
    """A short fingerprint of the clerk's text of a report: what is rendered from the text
    alone can be kept by it."""
    return hashlib.blake2b((report.narrative or "").encode(), digest_size=16).hexdigest()


def save_narrative(user: User, report_id: int, parts: list[tuple[str, str]]) -> FollowUpReport:
    """Replace the narrative sections of a draft. Raises DomainError for a final report."""
    require(may_edit_motions(user))
    report = get_report(user, report_id)
    if report.status == ReportStatus.FINAL:
        raise DomainError(_l("This report is final. Make a new version to change it."))
    report.narrative = json.dumps([{"title": t.strip(), "body": b.strip()}
                                   for t, b in parts if t.strip() or b.strip()],
                                  ensure_ascii=False)
    db.session.flush()
    return report


def finalise(user: User, report_id: int) -> FollowUpReport:
    """Freeze the report: its figures are stored and never change afterwards."""
    require(may_edit_motions(user))
    report = get_report(user, report_id)
    if report.status == ReportStatus.FINAL:
        return report
    report.finalised_at = utcnow()
    report.finalised_by_id = user.id
    report.status = ReportStatus.FINAL.value
    report.snapshot = json.dumps(build(report), ensure_ascii=False, sort_keys=True)
    db.session.flush()
    return report


# --- the report on screen -----------------------------------------------------------------

ACTIONS_PER_PAGE = 25  # actions per page of the report page's action table
RECENT_ON_SCREEN = 20  # events and meetings the report page shows (the most recent)


@dataclass(frozen=True)
class Excerpt:
    """The part of one of a report's lists that the report page shows, newest first:
    rows ``first`` to ``last`` (counted from 1, newest first) of ``total``, on page
    ``page`` of ``pages``. The exports and the page to print always hold every row."""

    first: int
    last: int
    total: int
    page: int = 1
    pages: int = 1

    @property
    def complete(self) -> bool:
        return self.last - self.first + 1 >= self.total


@dataclass(frozen=True)
class Screen:
    """A report as the report page shows it: ``content`` with the long lists shortened
    (the most recent events and meetings, one page of actions; all newest first)."""

    content: dict[str, Any]
    timeline: Excerpt
    meetings: Excerpt
    actions: Excerpt


def on_screen(content: dict[str, Any], page: int = 1) -> Screen:
    """The part of ``content`` the report page shows. ``page`` is the page of the action
    table (counted from 1); a page before the first or after the last becomes the first
    or the last page, so an old or mistyped link still shows actions."""
    actions = content["actions"][::-1]
    pages = max(1, -(-len(actions) // ACTIONS_PER_PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * ACTIONS_PER_PAGE
    shown_actions = actions[start:start + ACTIONS_PER_PAGE]
    timeline = content["timeline"][::-1][:RECENT_ON_SCREEN]
    meetings = sorted(content["meetings"], key=lambda m: m["date"],
                      reverse=True)[:RECENT_ON_SCREEN]
    return Screen(
        content={**content, "timeline": timeline, "meetings": meetings,
                 "actions": shown_actions},
        timeline=Excerpt(1, len(timeline), len(content["timeline"])),
        meetings=Excerpt(1, len(meetings), len(content["meetings"])),
        actions=Excerpt(start + 1 if shown_actions else 0, start + len(shown_actions),
                        len(actions), page, pages))


# --- the scope ----------------------------------------------------------------------------
#
# A report counts one scope throughout: members and feedback by wijk, meetings and actions
# for the same wijken. A motion about gebieden counts those gebieden as a whole; a motion
# about wijken counts a meeting when it is linked to one of them (once, however many of
# them it is linked to) and an action when it answers feedback from one of them or came
# from such a meeting. A meeting without wijken, or an action with neither feedback nor
# meetings, is for its whole gebied: it does not count for a motion about some of the
# gebied's wijken (the report says so at the top). A motion naming neither counts the
# whole municipality.

SCOPE_MUNICIPALITY = "municipality"
SCOPE_AREAS = "areas"
SCOPE_NEIGHBOURHOODS = "neighbourhoods"
SCOPE_BOTH = "areas_and_neighbourhoods"


@dataclass(frozen=True)
class Scope:
    """What a report counts: ``wijken`` (members and feedback), the gebieden counted as a
    whole (``whole_area_ids``) and the wijken counted on their own, outside those gebieden
    (``own_wijk_ids``), whose gebieden's meetings and actions for the whole gebied do not
    count (``left_out_areas``, by name)."""

    level: str
    wijken: list[Neighbourhood]
    whole_area_ids: list[int]
    own_wijk_ids: list[int]
    whole_areas: list[str]
    left_out_areas: list[str]

    def meeting_condition(self) -> Any:
        """The condition on Meeting: it counts for this scope."""
        if self.level == SCOPE_MUNICIPALITY:
            return true()
        condition = Meeting.area_id.in_(self.whole_area_ids)
        if self.own_wijk_ids:
            condition = condition | exists().where(
                meeting_neighbourhood.c.meeting_id == Meeting.id,
                meeting_neighbourhood.c.neighbourhood_id.in_(self.own_wijk_ids))
        return condition

    def action_condition(self) -> Any:
        """The condition on Action: it counts for this scope (its gebied is counted as a
        whole, or it answers feedback from one of the wijken or came from a meeting linked
        to one of them)."""
        if self.level == SCOPE_MUNICIPALITY:
            return true()
        condition = Action.area_id.in_(self.whole_area_ids)
        if self.own_wijk_ids:
            answered = (select(action_item.c.action_id)
                        .join(FeedbackItem, FeedbackItem.id == action_item.c.item_id)
                        .where(action_item.c.action_id == Action.id,
                               FeedbackItem.neighbourhood_id.in_(self.own_wijk_ids)))
            from_meeting = (select(action_meeting.c.action_id)
                            .join(meeting_neighbourhood, meeting_neighbourhood.c.meeting_id
                                  == action_meeting.c.meeting_id)
                            .where(action_meeting.c.action_id == Action.id,
                                   meeting_neighbourhood.c.neighbourhood_id.in_(
                                       self.own_wijk_ids)))
            condition = condition | answered.exists() | from_meeting.exists()
        return condition

    def describe(self) -> dict[str, Any]:
        """The scope as the report's content holds it (besides the names of its gebieden,
        wijken and themes)."""
        return {"level": self.level, "whole_areas": self.whole_areas,
                "own_neighbourhoods": [n.name for n in self.wijken
                                       if n.id in self.own_wijk_ids],
                "area_wide_left_out": self.left_out_areas}


def _scope(motion: Motion) -> Scope:
    """The motion's scope, with its wijken (its own and those of its gebieden; every wijk
    when it names none) by code, their gebied loaded: one statement, whatever the number
    of gebieden."""
    whole = {a.id: a.name for a in motion.areas}
    own = [n for n in motion.neighbourhoods if n.area_id not in whole]
    query = (select(Neighbourhood).options(joinedload(Neighbourhood.area))
             .order_by(Neighbourhood.code))
    if not whole and not own:
        wijken = list(db.session.scalars(query))
        return Scope(SCOPE_MUNICIPALITY, wijken, sorted({n.area_id for n in wijken}), [],
                     sorted({n.area.name for n in wijken}), [])
    own_ids = [n.id for n in own]
    wijken = list(db.session.scalars(query.where(
        Neighbourhood.area_id.in_(list(whole)) | Neighbourhood.id.in_(own_ids))))
    level = (SCOPE_BOTH if whole and own else SCOPE_AREAS if whole
             else SCOPE_NEIGHBOURHOODS)
    left_out = sorted({n.area.name for n in wijken if n.id in own_ids})
    return Scope(level, wijken, sorted(whole), own_ids, sorted(whole.values()), left_out)


# --- disclosure control -------------------------------------------------------------------
#
# Every table of counts is protected as a whole (panel.disclosure): its rows with their
# total (members, feedback), and the meetings with the attendance per gebied. A cell is
# known by a key made of what the report shows of it (names, codes, dates), so the cells an
# earlier final version hid are found again in its frozen JSON and stay hidden.

MEMBERS_TOTAL = ("members_total",)
FEEDBACK_TOTAL = ("feedback_total",)


def _member_key(row: dict[str, Any]) -> tuple[str, ...]:
    return ("members", row["wijk_code"], row["source"])


def _feedback_key(row: dict[str, Any]) -> tuple[str, ...]:
    return ("feedback", row["theme"], row["wijk"])


def _area_key(area: str) -> tuple[str, ...]:
    return ("meetings_per_area", area)


def _meeting_keys(rows: list[dict[str, Any]]) -> list[tuple[object, ...]]:
    """A key per meeting: its gebied, date and title (numbered when those repeat)."""
    seen: Counter[tuple[str, str, str]] = Counter()
    keys: list[tuple[object, ...]] = []
    for row in rows:
        name = (row["area"], row["date"], row["title"])
        keys.append(("meeting", *name, seen[name]))
        seen[name] += 1
    return keys


def hidden_cells(content: dict[str, Any]) -> frozenset[Hashable]:
    """The keys of the cells a report's content does not show (``"< N"`` or ``"x"``)."""
    cells: set[Hashable] = set()
    for row in content.get("members", ()):
        if isinstance(row["count"], str):
            cells.add(_member_key(row))
    if isinstance(content.get("members_total"), str):
        cells.add(MEMBERS_TOTAL)
    meetings = list(content.get("meetings", ()))
    for key, row in zip(_meeting_keys(meetings), meetings, strict=True):
        if isinstance(row["attendance"], str):
            cells.add(key)
    for row in content.get("meetings_per_area", ()):
        if isinstance(row["attendance"], str):
            cells.add(_area_key(row["area"]))
    for row in content.get("feedback", ()):
        if isinstance(row["count"], str):
            cells.add(_feedback_key(row))
    if isinstance(content.get("feedback_total"), str):
        cells.add(FEEDBACK_TOTAL)
    return frozenset(cells)


def _hidden_before(report: FollowUpReport) -> frozenset[Hashable]:
    """The cells hidden in the final versions before this one (one statement; none for a
    first version)."""
    if report.version <= 1:
        return frozenset()
    cells: set[Hashable] = set()
    for (snapshot,) in db.session.execute(
            select(FollowUpReport.snapshot)
            .where(FollowUpReport.motion_id == report.motion_id,
                   FollowUpReport.version < report.version,
                   FollowUpReport.status == ReportStatus.FINAL.value,
                   FollowUpReport.snapshot != "")
            .order_by(FollowUpReport.version)).tuples():
        cells |= hidden_cells(json.loads(snapshot))
    return frozenset(cells)


def _protect_rows(rows: list[dict[str, Any]], column: str, keys: list[Hashable],
                  total: Hashable, minimum: int, hidden_before: frozenset[Hashable],
                  parts_shown_elsewhere: bool = False) -> int | str:
    """Protect a table of rows and its total in place; returns the total as shown."""
    values: dict[Hashable, int] = {key: row[column] for key, row in zip(keys, rows, strict=True)}
    values[total] = sum(row[column] for row in rows)
    protected = protect(values, [Sum(total, tuple(keys))], minimum=minimum,
                        hidden_before=hidden_before,
                        parts_shown_elsewhere=parts_shown_elsewhere)
    for key, row in zip(keys, rows, strict=True):
        row[column] = protected.shown(key)
    return protected.shown(total)


def _protect_meetings(meetings: list[dict[str, Any]], per_area: list[dict[str, Any]],
                      minimum: int, hidden_before: frozenset[Hashable]) -> None:
    """Protect the attendance of each meeting with the attendance per gebied, in place."""
    keys = _meeting_keys(meetings)
    values: dict[Hashable, int] = {key: row["attendance"]
                                   for key, row in zip(keys, meetings, strict=True)}
    parts: dict[str, list[Hashable]] = {}
    for key, row in zip(keys, meetings, strict=True):
        parts.setdefault(row["area"], []).append(key)
    for row in per_area:
        values[_area_key(row["area"])] = row["attendance"]
    protected = protect(values, [Sum(_area_key(area), tuple(area_parts))
                                 for area, area_parts in parts.items()],
                        minimum=minimum, hidden_before=hidden_before)
    for key, row in zip(keys, meetings, strict=True):
        row["attendance"] = protected.shown(key)
    for row in per_area:
        row["attendance"] = protected.shown(_area_key(row["area"]))


def assessment(request: MotionRequest, today: date) -> str:
    """met, late, open or dropped, judged against the request's deadline."""
    if request.status == RequestStatus.DROPPED:
        return "dropped"
    if request.status == RequestStatus.COMPLETED:
        on_time = request.deadline is None or (request.completed_on or today) <= request.deadline
        return "met" if on_time else "late"
    return "late" if request.deadline is not None and today > request.deadline else "open"


def build(report: FollowUpReport) -> dict[str, Any]:
    """Compute the report's figures from the data (aggregates only), without the cache."""
    return _build(report, None)


# --- the kept reports ---------------------------------------------------------------------
#
# Building a draft report reads thousands of rows (about 15 ms for a motion about one gebied
# of a big city, far more for one about the whole municipality), most of it counting the
# feedback and turning the actions into rows. Each worker keeps the reports it built, keyed
# by everything the report is made of: the report, the motion and its scope, the day, the
# settings, the figures that are cheap to read (members, meetings with attendance, themes,
# imports) and a fingerprint of the rest (feedback and actions, see
# ``_activity_fingerprint``). As soon as any of that changes, so does the key, and the report
# is built again; a kept report is never out of date. The key a worker worked out is trusted
# for ``PANEL_ETAG_SECONDS``; any commit in the worker stops that trust at once. This is an
# optimisation in each process's memory, not state: processes share nothing and any of them
# can answer. The clerk's text is read on every request; the report page keeps the text
# fields rendered from it by a digest of the text (``text_digest``), so they too change as
# soon as the text does.

KEPT_ROWS = 40_000  # rows (actions and timeline events) kept per worker, over all reports
KEPT_FRAGMENTS = 256  # rendered parts of report pages kept per worker
DEFAULT_TRUST_SECONDS = 1.0
_EXTENSION = "panel.motions.kept"


def _rows(content: dict[str, Any]) -> int:
    """What a kept report counts against ``KEPT_ROWS``: its actions and events, and itself."""
    return len(content.get("actions", ())) + len(content.get("timeline", ())) + 1


class _Kept:
    """A worker's kept reports (least recently used first out, within ``KEPT_ROWS`` rows),
    the rendered parts of report pages (``KEPT_FRAGMENTS`` of them) and the report keys
    it trusts for a while."""

    def __init__(self) -> None:
        self.reports: LeastRecentlyUsed[dict[str, Any]] = LeastRecentlyUsed(KEPT_ROWS, _rows)
        self.fragments: LeastRecentlyUsed[str] = LeastRecentlyUsed(KEPT_FRAGMENTS)
        # The key last worked out for a report, trusted until the time next to it.
        self.keys: dict[Hashable, tuple[float, Hashable]] = {}
        self.lock = threading.Lock()

    @property
    def rows(self) -> int:
        return self.reports.used

    def get(self, key: Hashable) -> dict[str, Any] | None:
        return self.reports.get(key)

    def put(self, key: Hashable, content: dict[str, Any]) -> None:
        self.reports.put(key, content)

    def fragment(self, key: Hashable) -> str | None:
        return self.fragments.get(key)

    def keep_fragment(self, key: Hashable, html: str) -> None:
        self.fragments.put(key, html)

    def trusted_key(self, report: Hashable) -> Hashable | None:
        with self.lock:
            kept = self.keys.get(report)
        return kept[1] if kept is not None and kept[0] > time_now() else None

    def trust(self, report: Hashable, key: Hashable, seconds: float) -> None:
        if seconds <= 0:
            return
        with self.lock:
            if len(self.keys) >= KEPT_FRAGMENTS:
                self.keys.clear()
            self.keys[report] = (time_now() + seconds, key)

    def distrust(self) -> None:
        with self.lock:
            self.keys.clear()

    def clear(self) -> None:
        self.reports.clear()
        self.fragments.clear()
        self.distrust()


def _kept() -> _Kept:
    kept: _Kept | None = current_app.extensions.get(_EXTENSION)
    if kept is None:
        kept = current_app.extensions.setdefault(_EXTENSION, _Kept())
    return kept


def forget() -> None:
    """Forget every kept report of the current app."""
    if has_app_context():
        _kept().clear()


def distrust() -> None:
    """Stop trusting the report keys worked out before (done after every commit in the
    worker): the next request works its key out again. The kept reports and parts stay;
    they are kept by their key, so they are used only while nothing they show changed, and
    a commit anywhere in the worker (an audit event, a reply) does not throw them away."""
    if has_app_context():
        _kept().distrust()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    distrust()


def data(report: FollowUpReport) -> dict[str, Any]:
    """The report's content: the frozen snapshot when final, computed from the data when a
    draft (or the kept copy of it, when nothing it is made of changed since).

    The content may be shared with other requests: read it, never change it."""
    return data_and_key(report)[0]


def data_and_key(report: FollowUpReport) -> tuple[dict[str, Any], Hashable]:
    """:func:`data` and the key it is kept by: equal keys mean equal figures, so parts of
    the page rendered from them can be kept by it too (:func:`kept_fragment`)."""
    if report.status == ReportStatus.FINAL and report.snapshot:
        key = ("final", report.id, report.snapshot)
        content = _kept().get(key)
        if content is None:
            content = dict(json.loads(report.snapshot))
            _kept().put(key, content)
        return content, key
    return _build_kept(report, _kept())


def kept_fragment(key: Hashable, render: Callable[[], str]) -> str:
    """A part of the report page rendered from the figures only, kept per worker by ``key``
    (the report's key from :func:`data_and_key` with whatever else the part shows, such as
    the page and the language), so it is rendered once per change of the figures."""
    kept = _kept()
    html = kept.fragment(key)
    if html is None:
        html = render()
        kept.keep_fragment(key, html)
    return html


def _trust_seconds() -> float:
    return float(current_app.config.get("PANEL_ETAG_SECONDS", DEFAULT_TRUST_SECONDS))


def _identity(report: FollowUpReport) -> Hashable:
    return (report.id, report.version, report.status, report.period_start,
            report.period_end, report.finalised_at)


def _build_kept(report: FollowUpReport, kept: _Kept) -> tuple[dict[str, Any], Hashable]:
    """A draft's content and key. The key a worker worked out for a report is trusted for
    ``PANEL_ETAG_SECONDS`` (as the ETags of public pages are), so a report read again within
    that time costs no statements at all; a commit in the worker forgets it at once, and a
    change made by another worker shows within those seconds."""
    key = kept.trusted_key(_identity(report))
    if key is not None:
        content = kept.get(key)
        if content is not None:
            return {**content, "narrative": sections(report)}, key
    content, key = _build_with_key(report, kept)
    kept.trust(_identity(report), key, _trust_seconds())
    return content, key


def _activity_fingerprint(wijk_ids: list[int], scope: Scope,
                          end: datetime) -> tuple[object, ...]:
    """What the feedback counts and the action rows of a report depend on, read from the
    indexes instead of the rows (two statements, a fraction of counting them):

    * the feedback items of the wijken: their number and the time of the newest, both read
      from the index on (wijk, time, theme) alone. An item's wijk, theme and time never
      change after it is made (nothing in the application changes them, and the time is
      the moment it was made), so the counts per theme and wijk in any period change only
      when items are added, which changes the newest time, or removed, which changes the
      number;
    * the actions counted for the scope, started before the end of the period: their
      number, the sum and the highest of their ids and the last change (``updated_at`` is
      set on every change). An action that comes into the scope or leaves it (feedback or
      a meeting linked to it) changes the number or the sum of the ids.
    """
    items = db.session.execute(
        select(func.count(), func.max(FeedbackItem.created_at))
        .where(FeedbackItem.neighbourhood_id.in_(wijk_ids))).one()
    actions = db.session.execute(
        select(func.count(Action.id), func.sum(Action.id), func.max(Action.id),
               func.max(Action.updated_at))
        .where(scope.action_condition(), Action.created_at < end)).one()
    return tuple(items), tuple(actions)


def _build(report: FollowUpReport, kept: _Kept | None) -> dict[str, Any]:
    """Build the report; with ``kept``, return the kept copy when its key is unchanged."""
    return _build_with_key(report, kept)[0]


def _new_in(summary: dict[str, Any], wijk_ids: list[int], uploaded_at: datetime,
            finished_at: datetime) -> int:
    """The people an import of the survey added in the report's wijken: from the counts
    per wijk the import kept; for an import from before those were kept, the members from
    the survey that it made in those wijken (made between its upload and its end)."""
    per_wijk = summary.get("new_per_wijk")
    if isinstance(per_wijk, dict):
        return sum(int(per_wijk.get(str(wijk_id), 0)) for wijk_id in wijk_ids)
    return db.session.scalar(
        select(func.count()).select_from(PanelMember)
        .where(PanelMember.neighbourhood_id.in_(wijk_ids),
               PanelMember.source == Source.SURVEY.value,
               PanelMember.created_at >= uploaded_at,
               PanelMember.created_at <= finished_at)) or 0


def _build_with_key(report: FollowUpReport,
                    kept: _Kept | None) -> tuple[dict[str, Any], Hashable]:
    """:func:`_build` and the report's key (None without ``kept``).

    The period runs over Dutch days: from 00:00 on its first day to 24:00 on its last,
    Europe/Amsterdam (``[start, end)`` in UTC)."""
    # The motion with its gebieden, wijken, themes and requests in one statement.
    motion = db.session.scalars(
        select(Motion).where(Motion.id == report.motion_id)
        .options(joinedload(Motion.areas), joinedload(Motion.neighbourhoods),
                 joinedload(Motion.themes), joinedload(Motion.requests))).unique().one()
    minimum = min_count()
    start, end = dutch_day_bounds(report.period_start, report.period_end)
    today = local_date(report.finalised_at or utcnow())
    scope = _scope(motion)
    wijken = scope.wijken
    wijk_ids = [n.id for n in wijken]
    names = {n.id: n for n in wijken}
    theme_ids = [t.id for t in motion.themes]
    municipality = get_municipality()
    hidden_before = _hidden_before(report)

    # count(*), not count(id): the index on (wijk, source, status, confirmed, left) then
    # answers it alone (PostgreSQL's index-only scan; SQLite's covering index).
    members = Counter({(wijk_id, source): count for wijk_id, source, count in db.session.execute(
        select(PanelMember.neighbourhood_id, PanelMember.source, func.count())
        .where(PanelMember.neighbourhood_id.in_(wijk_ids),
               PanelMember.confirmed_at.is_not(None), PanelMember.confirmed_at < end,
               (PanelMember.status == MemberStatus.MEMBER.value)
               | (PanelMember.left_at >= end))
        .group_by(PanelMember.neighbourhood_id, PanelMember.source)).tuples()})
    present = (select(func.count(Reply.id))
               .where(Reply.meeting_id == Meeting.id, Reply.attended.is_(True))
               .scalar_subquery())
    # (gebied, title, start, attendance, report written) of the meetings of the scope, with
    # those present counted per meeting in the same statement.
    meetings = [
        (area, title, starts_at, attended + extra, bool(report_written))
        for area, title, starts_at, attended, extra, report_written in db.session.execute(
            select(Area.name, Meeting.title, Meeting.starts_at, present,
                   Meeting.extra_attendees, Meeting.report != "")
            .join(Area, Area.id == Meeting.area_id)
            .where(scope.meeting_condition(), Meeting.starts_at >= start,
                   Meeting.starts_at < end, Meeting.status == MeetingStatus.OPEN.value)
            .order_by(Meeting.starts_at, Meeting.id)).tuples()]
    themes = {theme_id: (name, position) for theme_id, name, position in db.session.execute(
        select(Theme.id, Theme.name_nl, Theme.position)).tuples()}
    imports = db.session.execute(
        select(ImportRecord.finished_at, ImportRecord.summary, ImportRecord.created_at)
        .where(ImportRecord.finished_at.is_not(None), ImportRecord.finished_at >= start,
               ImportRecord.finished_at < end)
        .order_by(ImportRecord.finished_at)).tuples().all()

    key: Hashable = None
    if kept is not None:
        key = (
            report.id, report.version, report.status, report.period_start, report.period_end,
            report.finalised_at, today, minimum, municipality.name if municipality else "",
            motion.id, motion.reference, motion.title, motion.text, motion.adopted_on,
            motion.ori_id, tuple(theme_ids),
            tuple((r.text, r.deadline, r.status, r.completed_on) for r in motion.requests),
            scope.level, tuple(scope.whole_area_ids), tuple(scope.whole_areas),
            tuple(scope.own_wijk_ids),
            tuple((n.id, n.code, n.name, n.area_id, n.area.name) for n in wijken),
            tuple(sorted(members.items())), tuple(meetings), tuple(sorted(themes.items())),
            tuple(imports), hidden_before, _activity_fingerprint(wijk_ids, scope, end))
        content = kept.get(key)
        if content is not None:
            return {**content, "narrative": sections(report)}, key

    # Counted for every theme and filtered here: with a theme condition in the query,
    # SQLite walks the theme index over the whole municipality instead of the wijken's.
    feedback = [row for row in db.session.execute(
        select(FeedbackItem.theme_id, FeedbackItem.neighbourhood_id, func.count())
        .where(FeedbackItem.neighbourhood_id.in_(wijk_ids), FeedbackItem.created_at >= start,
               FeedbackItem.created_at < end)
        .group_by(FeedbackItem.theme_id, FeedbackItem.neighbourhood_id)).tuples()
        if not theme_ids or row[0] in theme_ids]
    # Plain rows, not ORM objects: a report over a whole municipality holds thousands.
    actions = [
        {"area": area, "title": title, "owner": owner, "status": status,
         "progress": progress, "due_date": due_date.isoformat() if due_date else None,
         "started_on": local_date(created_at).isoformat()}
        for area, title, owner, status, progress, due_date, created_at in db.session.execute(
            select(Area.name, Action.title, Action.owner, Action.status, Action.progress,
                   Action.due_date, Action.created_at)
            .join(Area, Area.id == Action.area_id)
            .where(scope.action_condition(), Action.created_at < end)
            .order_by(Action.created_at, Action.id)).tuples()]

    timeline = [{"date": motion.adopted_on.isoformat(), "event": "adopted",
                 "label": motion.title}]
    for finished_at, summary, uploaded_at in imports:
        new = _new_in(json.loads(summary or "{}"), wijk_ids, uploaded_at, finished_at)
        if new:
            timeline.append({"date": local_date(finished_at).isoformat(),  # type: ignore[arg-type]
                             "event": "survey_optins", "label": str(shown(new, minimum))})
    for _area, title, starts_at, _attendance, _written in meetings:
        timeline.append({"date": local_date(starts_at).isoformat(),  # type: ignore[arg-type]
                         "event": "meeting", "label": title})
    for action in actions:
        timeline.append({"date": action["started_on"], "event": "action",
                         "label": action["title"]})
    timeline.sort(key=lambda e: (e["date"], e["event"], e["label"]))

    by_area: dict[str, list[tuple[str, str, datetime, int, bool]]] = {}
    for meeting in meetings:
        by_area.setdefault(meeting[0], []).append(meeting)
    member_rows = [
        {"wijk_code": names[wijk_id].code, "wijk": names[wijk_id].name, "source": source,
         "count": count}
        for (wijk_id, source), count in sorted(
            members.items(), key=lambda kv: (names[kv[0][0]].code, kv[0][1]))]
    members_total = _protect_rows(member_rows, "count", [_member_key(r) for r in member_rows],
                                  MEMBERS_TOTAL, minimum, hidden_before)
    meeting_rows = [
        {"area": area, "title": title,
         "date": local_date(starts_at).isoformat(),  # type: ignore[arg-type]
         "attendance": attendance, "report_written": written}
        for area in sorted(by_area)
        for _area, title, starts_at, attendance, written in by_area[area]]
    per_area = [{"area": area, "meetings": len(items),
                 "attendance": sum(m[3] for m in items)}
                for area, items in sorted(by_area.items())]
    _protect_meetings(meeting_rows, per_area, minimum, hidden_before)
    feedback_rows = [
        {"theme": themes[theme_id][0], "wijk": names[wijk_id].name, "count": count}
        for theme_id, wijk_id, count in sorted(
            feedback, key=lambda t: (themes[t[0]][1], themes[t[0]][0], names[t[1]].name))]
    feedback_total = _protect_rows(feedback_rows, "count",
                                   [_feedback_key(r) for r in feedback_rows],
                                   FEEDBACK_TOTAL, minimum, hidden_before,
                                   # "You said, we did" shows the counts per theme and
                                   # wijk (no total): a report over the same days must
                                   # hide its total, not a count that page shows.
                                   parts_shown_elsewhere=True)
    content = {
        "$schema": SCHEMA,
        "motion": {
            "@type": "Motion",
            "identifier": motion.reference,
            "name": motion.title,
            "text": motion.text,
            "date": motion.adopted_on.isoformat(),
            "result": "adopted",
            "organization": municipality.name if municipality else "",
            "ori_identifier": motion.ori_id or None,
            "requirement": [r.text for r in motion.requests],
        },
        "report": {
            "version": report.version,
            "status": ReportStatus.FINAL.value if report.finalised_at else report.status,
            "period": {"start": report.period_start.isoformat(),
                       "end": report.period_end.isoformat()},
            "finalised_on": local_date(report.finalised_at).isoformat()
            if report.finalised_at else None,
            "minimum_count": minimum,
        },
        "scope": {
            "areas": sorted({n.area.name for n in wijken}),
            "neighbourhoods": [{"code": n.code, "name": n.name} for n in wijken],
            "themes": [themes[t][0] for t in theme_ids],
            **scope.describe(),
        },
        "requests": [{"text": r.text, "deadline": r.deadline.isoformat() if r.deadline else None,
                      "status": r.status,
                      "completed_on": r.completed_on.isoformat() if r.completed_on else None,
                      "assessment": assessment(r, today)} for r in motion.requests],
        "timeline": timeline,
        "members": member_rows,
        "members_total": members_total,
        "meetings": meeting_rows,
        "meetings_per_area": per_area,
        "feedback": feedback_rows,
        "feedback_total": feedback_total,
        "actions": actions,
        "narrative": sections(report),
    }
    if kept is not None:
        kept.put(key, content)
    return content, key
