"""The motion register and the follow-up reports to the council.

A report is built from aggregated figures only: counts, meetings, themes and actions —
never a resident's name, email, phone number or address. Counts below
``PANEL_REPORT_MIN_COUNT`` are shown as "< N". A finalised report keeps a frozen JSON
snapshot, so later changes to the data never alter what the council received.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from panel.areas.models import Area, Neighbourhood
from panel.areas.services import get_municipality
from panel.auth.models import Role, User
from panel.auth.permissions import require_role
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.feedback.models import Action, FeedbackItem, Theme
from panel.meetings.models import Meeting, MeetingStatus, Reply
from panel.motions.models import FollowUpReport, Motion, MotionRequest, ReportStatus, RequestStatus
from panel.signups.models import ImportRecord, MemberStatus, PanelMember

SCHEMA = "https://wijkpanel.example/schemas/motion-report-1.json"
EDITORS = (Role.ADMIN, Role.CLERK)


def min_count() -> int:
    return int(current_app.config.get("PANEL_REPORT_MIN_COUNT", 5))


def shown(count: int, minimum: int) -> int | str:
    """A count as it may be published: small non-zero counts become ``"< N"``."""
    return f"< {minimum}" if 0 < count < minimum else count


# --- the register -------------------------------------------------------------------------

def list_motions(user: User) -> list[Motion]:
    """Every motion (no personal data in them). Any staff member may read the register."""
    require_role(user)
    return list(db.session.scalars(select(Motion).order_by(Motion.adopted_on.desc())))


def get_motion(user: User, motion_id: int) -> Motion:
    require_role(user)
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


def save_motion(user: User, data: MotionData, motion_id: int | None = None) -> Motion:
    """Register a motion or change it. Admins and clerks only. Raises DomainError."""
    require_role(user, *EDITORS)
    reference, title = data.reference.strip(), data.title.strip()
    if not reference or not title or data.adopted_on is None:
        raise DomainError(_l("Fill in the reference, the title and the date adopted."))
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
    require_role(user)
    report = db.session.get(FollowUpReport, report_id)
    if report is None:
        raise NotFound()
    return report


def start_report(user: User, motion_id: int, period_start: date | None,
                 period_end: date | None) -> FollowUpReport:
    """Start a new draft report (the next version), taking over the last narrative."""
    require_role(user, *EDITORS)
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


def save_narrative(user: User, report_id: int, parts: list[tuple[str, str]]) -> FollowUpReport:
    """Replace the narrative sections of a draft. Raises DomainError for a final report."""
    require_role(user, *EDITORS)
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
    require_role(user, *EDITORS)
    report = get_report(user, report_id)
    if report.status == ReportStatus.FINAL:
        return report
    report.finalised_at = utcnow()
    report.finalised_by_id = user.id
    report.status = ReportStatus.FINAL.value
    report.snapshot = json.dumps(build(report), ensure_ascii=False, sort_keys=True)
    db.session.flush()
    return report


def data(report: FollowUpReport) -> dict[str, Any]:
    """The report's content: the frozen snapshot when final, computed now when a draft."""
    if report.status == ReportStatus.FINAL and report.snapshot:
        return dict(json.loads(report.snapshot))
    return build(report)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _scope(motion: Motion) -> list[Neighbourhood]:
    """The motion's wijken (its own and those of its gebieden; every wijk when it names
    none), by code, with their gebied loaded: a fixed number of queries, whatever the
    number of gebieden."""
    area_ids = [a.id for a in motion.areas]
    wijk_ids = [n.id for n in motion.neighbourhoods]
    query = (select(Neighbourhood).options(joinedload(Neighbourhood.area))
             .order_by(Neighbourhood.code))
    wijken: list[Neighbourhood] = []
    if area_ids or wijk_ids:
        wijken = list(db.session.scalars(query.where(
            Neighbourhood.area_id.in_(area_ids) | Neighbourhood.id.in_(wijk_ids))))
    return wijken or list(db.session.scalars(query))


def assessment(request: MotionRequest, today: date) -> str:
    """met, late, open or dropped, judged against the request's deadline."""
    if request.status == RequestStatus.DROPPED:
        return "dropped"
    if request.status == RequestStatus.COMPLETED:
        on_time = request.deadline is None or (request.completed_on or today) <= request.deadline
        return "met" if on_time else "late"
    return "late" if request.deadline is not None and today > request.deadline else "open"


def build(report: FollowUpReport) -> dict[str, Any]:
    """Compute the report's figures from the data (aggregates only)."""
    motion = report.motion
    minimum = min_count()
    start, end = _day_start(report.period_start), _day_end(report.period_end)
    today = (report.finalised_at or utcnow()).date()
    wijken = _scope(motion)
    wijk_ids = [n.id for n in wijken]
    names = {n.id: n for n in wijken}
    area_ids = sorted({n.area_id for n in wijken})
    theme_ids = [t.id for t in motion.themes]
    municipality = get_municipality()

    members = Counter({(wijk_id, source): count for wijk_id, source, count in db.session.execute(
        select(PanelMember.neighbourhood_id, PanelMember.source, func.count(PanelMember.id))
        .where(PanelMember.neighbourhood_id.in_(wijk_ids),
               PanelMember.confirmed_at.is_not(None), PanelMember.confirmed_at <= end,
               (PanelMember.status == MemberStatus.MEMBER.value)
               | (PanelMember.left_at > end))
        .group_by(PanelMember.neighbourhood_id, PanelMember.source)).tuples()})
    meetings = list(db.session.scalars(
        select(Meeting).where(Meeting.area_id.in_(area_ids), Meeting.starts_at >= start,
                              Meeting.starts_at <= end,
                              Meeting.status == MeetingStatus.OPEN.value)
        .options(selectinload(Meeting.area)).order_by(Meeting.starts_at, Meeting.id)))
    present = dict(db.session.execute(
        select(Reply.meeting_id, func.count(Reply.id))
        .where(Reply.meeting_id.in_([m.id for m in meetings]), Reply.attended.is_(True))
        .group_by(Reply.meeting_id)).tuples().all())
    # Counted for every theme and filtered here: with a theme condition in the query,
    # SQLite walks the theme index over the whole municipality instead of the wijken's.
    feedback = [row for row in db.session.execute(
        select(FeedbackItem.theme_id, FeedbackItem.neighbourhood_id, func.count(FeedbackItem.id))
        .where(FeedbackItem.neighbourhood_id.in_(wijk_ids), FeedbackItem.created_at >= start,
               FeedbackItem.created_at <= end)
        .group_by(FeedbackItem.theme_id, FeedbackItem.neighbourhood_id)).tuples()
        if not theme_ids or row[0] in theme_ids]
    themes = {t.id: t for t in db.session.scalars(select(Theme))}
    actions = list(db.session.scalars(
        select(Action).where(Action.area_id.in_(area_ids), Action.created_at <= end)
        .options(selectinload(Action.area)).order_by(Action.created_at, Action.id)))
    imports = list(db.session.scalars(
        select(ImportRecord).where(ImportRecord.finished_at.is_not(None),
                                   ImportRecord.finished_at >= start,
                                   ImportRecord.finished_at <= end)
        .order_by(ImportRecord.finished_at)))

    timeline = [{"date": motion.adopted_on.isoformat(), "event": "adopted",
                 "label": motion.title}]
    for record in imports:
        new = json.loads(record.summary or "{}").get("new", 0)
        timeline.append({"date": record.finished_at.date().isoformat(),  # type: ignore[union-attr]
                         "event": "survey_optins",
                         "label": str(shown(int(new), minimum))})
    for meeting in meetings:
        timeline.append({"date": meeting.starts_at.date().isoformat(),  # type: ignore[union-attr]
                         "event": "meeting", "label": meeting.title})
    for action in actions:
        timeline.append({"date": action.created_at.date().isoformat(), "event": "action",
                         "label": action.title})
    timeline.sort(key=lambda e: (e["date"], e["event"], e["label"]))

    by_area: dict[str, list[Meeting]] = {}
    for meeting in meetings:
        by_area.setdefault(meeting.area.name, []).append(meeting)
    return {
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
            "finalised_on": report.finalised_at.date().isoformat()
            if report.finalised_at else None,
            "minimum_count": minimum,
        },
        "scope": {
            "areas": sorted({names[i].area.name for i in wijk_ids}),
            "neighbourhoods": [{"code": n.code, "name": n.name} for n in wijken],
            "themes": [t.name_nl for t in motion.themes],
        },
        "requests": [{"text": r.text, "deadline": r.deadline.isoformat() if r.deadline else None,
                      "status": r.status,
                      "completed_on": r.completed_on.isoformat() if r.completed_on else None,
                      "assessment": assessment(r, today)} for r in motion.requests],
        "timeline": timeline,
        "members": [
            {"wijk_code": names[wijk_id].code, "wijk": names[wijk_id].name, "source": source,
             "count": shown(count, minimum)}
            for (wijk_id, source), count in sorted(
                members.items(), key=lambda kv: (names[kv[0][0]].code, kv[0][1]))],
        "members_total": shown(sum(members.values()), minimum),
        "meetings": [
            {"area": area, "title": m.title, "date": m.starts_at.date().isoformat(),  # type: ignore[union-attr]
             "attendance": shown(present.get(m.id, 0) + m.extra_attendees, minimum),
             "report_written": bool(m.report)}
            for area in sorted(by_area) for m in by_area[area]],
        "meetings_per_area": [
            {"area": area, "meetings": len(items),
             "attendance": shown(sum(present.get(m.id, 0) + m.extra_attendees for m in items),
                                 minimum)}
            for area, items in sorted(by_area.items())],
        "feedback": [
            {"theme": themes[theme_id].name_nl, "wijk": names[wijk_id].name,
             "count": shown(count, minimum)}
            for theme_id, wijk_id, count in sorted(
                feedback, key=lambda t: (themes[t[0]].position, themes[t[0]].name_nl,
                                         names[t[1]].name))],
        "feedback_total": shown(sum(c for _, _, c in feedback), minimum),
        "actions": [
            {"area": a.area.name, "title": a.title, "owner": a.owner, "status": a.status,
             "progress": a.progress, "due_date": a.due_date.isoformat() if a.due_date else None,
             "started_on": a.created_at.date().isoformat()} for a in actions],
        "narrative": sections(report),
    }
