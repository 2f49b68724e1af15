"""Reminders: an email shortly before a meeting to every member who has a place.

``send_due_reminders`` is run by ``flask send-reminders`` (e.g. every hour from cron). Each
reminder is claimed on its reply with a conditional UPDATE and committed together with the
queued email, so two runs at the same time, or a run after a crash, never send one twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from panel.db import db, utcnow
from panel.meetings.models import Meeting, MeetingStatus, Reply, ReplyStatus
from panel.progress import track
from panel.signups.models import MemberStatus, PanelMember
from panel.signups.services import send_member_mail

log = logging.getLogger(__name__)

DEFAULT_REMINDER_HOURS = 48  # when PANEL_REMINDER_HOURS is not configured
TEMPLATE = "meeting_reminder"


def reminder_hours() -> int:
    """How many hours before a meeting its reminders go out: ``PANEL_REMINDER_HOURS``, or
    48 when that setting is missing."""
    return int(current_app.config.get("PANEL_REMINDER_HOURS", DEFAULT_REMINDER_HOURS))


def _due(now: datetime, until: datetime) -> list[tuple[int, Meeting, PanelMember]]:
    """Replies that need a reminder now, with their meeting and member, in one query:
    attending, not reminded yet, for an open meeting that starts after ``now`` and no later
    than ``until``, from a member (status member) with an email address."""
    rows = db.session.execute(
        select(Reply.id, Meeting, PanelMember)
        .join(Meeting, Reply.meeting_id == Meeting.id)
        .join(PanelMember, Reply.member_id == PanelMember.id)
        .where(Meeting.status == MeetingStatus.OPEN.value,
               Meeting.starts_at > now, Meeting.starts_at <= until,
               Reply.status == ReplyStatus.ATTENDING.value,
               Reply.reminder_sent_at.is_(None),
               PanelMember.status == MemberStatus.MEMBER.value,
               PanelMember.email.is_not(None), PanelMember.email != "")
        .order_by(Meeting.starts_at, Meeting.id, Reply.id)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def _claim(reply_id: int, now: datetime) -> bool:
    """Mark the reply as reminded unless another run did so first (or the member no longer
    has a place). True when this run may send the reminder."""
    result = db.session.execute(
        update(Reply)
        .where(Reply.id == reply_id, Reply.reminder_sent_at.is_(None),
               Reply.status == ReplyStatus.ATTENDING.value)
        .values(reminder_sent_at=now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def send_due_reminders(now: datetime | None = None, hours_before: int | None = None) -> int:
    """Queue a reminder for every member who has a place (reply ``attending``) at an open
    meeting that starts after ``now`` and at most ``hours_before`` hours later (default
    ``reminder_hours()``). Returns how many reminders were queued.

    Members without an email address are skipped (staff call them) and not marked, and so
    are members who are not (or no longer) in the panel. The reminder is in the member's
    language, with their own page link to say they cannot come after all.

    Unlike other services this function **commits**, once per reminder: the claim
    (``reply.reminder_sent_at``, set only while it is still empty) and the queued email go
    into the database together, so a reminder is never queued twice, also not by two runs
    at the same time, and a run that is killed leaves nothing half done. Call it with no
    pending changes of your own. ``now`` must be aware. The loop shows its progress when a
    command asked for it (``panel.progress``).
    """
    now = now or utcnow()
    hours = reminder_hours() if hours_before is None else hours_before
    if hours <= 0:
        return 0
    queued = 0
    due = _due(now, now + timedelta(hours=hours))
    for reply_id, meeting, member in track(due, _("Queueing reminders"), len(due)) if due else ():
        if not _claim(reply_id, now):
            db.session.rollback()
            continue
        if member.status != MemberStatus.MEMBER.value or not member.email:
            db.session.rollback()  # left the panel since the query: nothing to send
            continue
        try:
            send_member_mail(member, _l("Reminder: %(title)s", title=meeting.title),
                             TEMPLATE, meeting=meeting, starts=meeting.starts_at,
                             reply_url=None)
        except ValueError:
            # A malformed stored address: leave the reply unmarked and go on with the rest.
            db.session.rollback()
            log.warning("reminder for reply %s not queued: unusable address", reply_id)
            continue
        db.session.commit()
        queued += 1
    db.session.rollback()  # end the transaction the selection opened (nothing to keep)
    return queued
