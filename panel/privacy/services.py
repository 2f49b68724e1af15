"""Privacy: the audit log, and erasing personal data past its retention period (run
``flask purge-expired`` daily or more often).

The audit log says who (a staff account, a resident or the system) viewed, exported or
changed personal data, which object (type and id), with what result, from which address
and when. It never holds the personal data itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, event, func, select, update

from panel import later
from panel.auth import staff_sessions
from panel.auth.models import User
from panel.auth.permissions import may_administer, require
from panel.days import day_start
from panel.db import db, utcnow
from panel.errors import AccessError
from panel.logging import redact
from panel.mail.models import MailStatus, OutboxMessage
from panel.privacy.models import AuditEvent
from panel.progress import track
from panel.signups.models import ImportRecord, MemberLink, MemberStatus, PanelMember
from panel.signups.services import leave

# --- the audit log ------------------------------------------------------------------------

# What happened. Labels are for the audit page; the stored value is the key.
ACTIONS = {
    "view": _l("Viewed"),
    "list": _l("Viewed the list"),
    "search": _l("Searched"),
    "export": _l("Exported"),
    "register": _l("Registered"),
    "create": _l("Created"),
    "change": _l("Changed"),
    "upload": _l("Uploaded to check"),
    "confirm": _l("Confirmed"),
    "import": _l("Imported"),
    "erase": _l("Erased by staff"),
    "leave": _l("Left the panel"),
    "purge": _l("Erased after the retention period"),
    "end": _l("Ended"),
    "password-link": _l("Asked for a password link"),
}
# Which kind of object.
OBJECT_TYPES = {
    "member": _l("Panel member"),
    "member_list": _l("List of panel members"),
    "import": _l("Survey import"),
    "retention": _l("Retention"),
    "staff_session": _l("Staff session"),
    "staff_account": _l("Staff account"),
}
RESULTS = {"ok": _l("Done"), "denied": _l("Denied"), "failed": _l("Failed")}
ACTORS = ("staff", "resident", "system", "anonymous")
PER_PAGE = 50


def _actor(actor: User | str | None) -> tuple[int | None, str]:
    """``(actor_id, actor)``: a staff account by id, otherwise a kind of actor.

    Without ``actor``: the signed-in staff member in a request, ``anonymous`` for anyone
    else in a request, and ``system`` outside requests (commands, timers).
    """
    if isinstance(actor, User):
        return actor.id, "staff"
    if isinstance(actor, str):
        return None, actor if actor in ACTORS else "system"
    if has_request_context():
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        if getattr(user, "is_authenticated", False) and isinstance(user, User):
            return user.id, "staff"
        return None, "anonymous"
    return None, "system"


def record(action: str, object_type: str, object_id: object = "", *,
           actor: User | str | None = None, result: str = "ok",
           detail: str = "", address: str | None = None) -> AuditEvent:
    """Add one event to the audit log (flushed, committed with the rest of the request).

    ``actor`` is a staff ``User``, ``"resident"`` or ``"system"`` (see ``_actor`` for the
    default). ``object_id`` names the object by its id, never by personal data; ``detail``
    is a short note without personal data (it is redacted to be sure). The client's IP
    address is taken from the request, when there is one, unless ``address`` is given
    (work done after its request, ``panel.later``, passes its request's).
    """
    actor_id, kind = _actor(actor)
    if address is None:
        address = (request.remote_addr or "") if has_request_context() else ""
    event = AuditEvent(action=action[:40], object_type=object_type[:40],
                       object_id=str(object_id or "")[:40], actor_id=actor_id, actor=kind,
                       result=result[:12], address=address[:45],
                       detail=redact(detail)[:200])
    db.session.add(event)
    db.session.flush()
    return event


def record_denied(action: str, object_type: str, object_id: object = "", *,
                  actor: User | str | None = None, detail: str = "") -> AuditEvent:
    """Record a refused attempt and commit it on its own.

    For views, in the ``except`` that catches ``NotFound`` or ``PermissionDenied`` just
    before re-raising it: the request's own changes are rolled back first (the error page
    would discard them anyway), so the event survives the failed request.
    """
    db.session.rollback()
    event = record(action, object_type, object_id, actor=actor, result="denied",
                   detail=detail)
    db.session.commit()
    return event


@contextmanager
def denied_recorded(action: str, object_type: str, object_id: object = "", *,
                    detail: str = "") -> Iterator[None]:
    """Around the code of a view that loads an object the user may not see: a ``NotFound``
    or ``PermissionDenied`` (another gebied's member, a clerk asking for names) is recorded
    as ``denied`` (see ``record_denied``) and raised again, so the visitor still gets the
    usual 404 or 403 page."""
    try:
        yield
    except AccessError:
        record_denied(action, object_type, object_id, detail=detail)
        raise


@staff_sessions.sessions_ended.connect
def _record_ended_sessions(actor: User | None, *, ids: list[int],
                           reason: staff_sessions.Reason, **_: object) -> None:
    """Every staff session ended on purpose (``staff_sessions.sessions_ended``) is logged
    by its id, with the reason as the note; ``actor`` is who ended it (None: the signed-in
    user, or the system outside requests)."""
    for session_id in ids:
        record("end", "staff_session", session_id, actor=actor,
               detail=staff_sessions.NOTES[reason])


Model = TypeVar("Model")


@contextmanager
def created_objects(model: type[Model]) -> Iterator[list[Model]]:
    """Collect the ``model`` objects that get a database row inside the ``with`` block, so
    a view can record them by id when the service that made them returns nothing."""
    session = db.session()
    found: list[Model] = []

    def collect(_session: Any, instance: object) -> None:
        if isinstance(instance, model):
            found.append(instance)

    event.listen(session, "pending_to_persistent", collect)
    try:
        yield found
    finally:
        event.remove(session, "pending_to_persistent", collect)


@dataclass
class AuditFilter:
    """What to look for in the audit log; empty fields match everything."""

    action: str = ""
    object_type: str = ""
    actor_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


@dataclass
class AuditPage:
    """One page of events, with the email address of each staff account on it."""

    events: list[AuditEvent]
    total: int
    page: int
    pages: int
    actors: dict[int, str]


def _local_day_start(day: date) -> datetime:
    """The first moment of ``day`` in Dutch time (the time zone of the pages)."""
    return day_start(day)


def search_events(user: User, flt: AuditFilter) -> AuditPage:
    """One page of the audit log, newest first. Administrators only (PermissionDenied).

    Dates are days in Dutch time; ``date_to`` includes the whole day.
    """
    require(may_administer(user))
    query = select(AuditEvent)
    if flt.action:
        query = query.where(AuditEvent.action == flt.action)
    if flt.object_type:
        query = query.where(AuditEvent.object_type == flt.object_type)
    if flt.actor_id is not None:
        query = query.where(AuditEvent.actor_id == flt.actor_id)
    if flt.date_from:
        query = query.where(AuditEvent.at >= _local_day_start(flt.date_from))
    if flt.date_to:
        query = query.where(AuditEvent.at < _local_day_start(flt.date_to + timedelta(days=1)))
    total = db.session.scalar(query.with_only_columns(func.count(AuditEvent.id))) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, flt.page), pages)
    events = list(db.session.scalars(query.order_by(AuditEvent.at.desc(),
                                                    AuditEvent.id.desc())
                                      .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    ids = {e.actor_id for e in events if e.actor_id is not None}
    actors = {user_id: email for user_id, email in db.session.execute(
        select(User.id, User.email).where(User.id.in_(ids)))} if ids else {}
    return AuditPage(events=events, total=total, page=page, pages=pages, actors=actors)


# --- retention ----------------------------------------------------------------------------

@dataclass
class PurgeReport:
    """How many of each kind ``purge_expired`` erased."""

    unconfirmed: int = 0
    links: int = 0
    mail: int = 0
    uploads: int = 0
    audit: int = 0
    sessions: int = 0
    jobs: int = 0


def _days(key: str, default: int) -> timedelta:
    return timedelta(days=int(current_app.config.get(key, default)))


def purge_expired(now: datetime | None = None) -> PurgeReport:
    """Erase what is no longer needed:

    - people invited or signed up who never confirmed, after ``PANEL_RETENTION_UNCONFIRMED_DAYS``
      (their data is erased exactly as when someone leaves; counts stay true);
    - personal links that expired;
    - the bodies and addresses of delivered or failed mail after ``PANEL_RETENTION_MAIL_DAYS``;
    - uploaded survey files that were never imported, after ``PANEL_RETENTION_UPLOAD_DAYS``;
    - audit events older than ``PANEL_RETENTION_AUDIT_DAYS``;
    - staff sessions that ended or ran out (their rows; ending them was logged);
    - jobs handed over by a request that never ended, after a day (``panel.later``).

    People who left were erased when they left. Every erased person is written to the audit
    log (by id), and so is a summary when anything else was erased. Safe to run at any time
    and repeatedly.
    """
    now = now or utcnow()
    report = PurgeReport()
    cutoff = now - _days("PANEL_RETENTION_UNCONFIRMED_DAYS", 60)
    unconfirmed = list(db.session.scalars(select(PanelMember).where(
        PanelMember.status.in_([MemberStatus.PENDING.value, MemberStatus.INVITED.value]),
        PanelMember.created_at < cutoff)))
    for member in track(unconfirmed, str(_l("Erasing people who never confirmed")),
                        len(unconfirmed)):
        leave(member)
        record("purge", "member", member.id, actor="system",
               detail="never confirmed within the retention period")
        report.unconfirmed += 1
    report.links = db.session.execute(
        delete(MemberLink).where(MemberLink.expires_at < now)).rowcount or 0
    mail_cutoff = now - _days("PANEL_RETENTION_MAIL_DAYS", 30)
    report.mail = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status.in_([MailStatus.SENT.value, MailStatus.FAILED.value]),
               OutboxMessage.created_at < mail_cutoff, OutboxMessage.to_address != "")
        .values(to_address="", subject="", text_body="", html_body="", headers="{}",
                attachments="[]")).rowcount or 0
    upload_cutoff = now - _days("PANEL_RETENTION_UPLOAD_DAYS", 7)
    report.uploads = db.session.execute(
        update(ImportRecord)
        .where(ImportRecord.content.is_not(None), ImportRecord.created_at < upload_cutoff)
        .values(content=None)).rowcount or 0
    audit_cutoff = now - _days("PANEL_RETENTION_AUDIT_DAYS", 365)
    report.audit = db.session.execute(
        delete(AuditEvent).where(AuditEvent.at < audit_cutoff)).rowcount or 0
    report.sessions = staff_sessions.purge(now)
    report.jobs = later.purge(now)
    if report.links or report.mail or report.uploads or report.audit:
        record("purge", "retention", actor="system",
               detail=f"links={report.links} mail={report.mail} uploads={report.uploads} "
                      f"audit={report.audit}")
    db.session.flush()
    return report
