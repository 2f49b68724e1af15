"""Erasing personal data past its retention period (run ``flask purge-expired`` daily)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from panel.db import db, utcnow
from panel.mail.models import MailStatus, OutboxMessage
from panel.signups.models import ImportRecord, MemberLink, MemberStatus, PanelMember
from panel.signups.services import leave


@dataclass
class PurgeReport:
    unconfirmed: int = 0
    links: int = 0
    mail: int = 0
    uploads: int = 0


def _days(key: str, default: int) -> timedelta:
    return timedelta(days=int(current_app.config.get(key, default)))


def purge_expired(now: datetime | None = None) -> PurgeReport:
    """Erase what is no longer needed:

    - people invited or signed up who never confirmed, after ``PANEL_RETENTION_UNCONFIRMED_DAYS``
      (their data is erased exactly as when someone leaves; counts stay true);
    - personal links that expired;
    - the bodies and addresses of delivered or failed mail after ``PANEL_RETENTION_MAIL_DAYS``;
    - uploaded survey files that were never imported, after ``PANEL_RETENTION_UPLOAD_DAYS``.

    People who left were erased when they left. Safe to run at any time and repeatedly.
    """
    now = now or utcnow()
    report = PurgeReport()
    cutoff = now - _days("PANEL_RETENTION_UNCONFIRMED_DAYS", 60)
    for member in db.session.scalars(select(PanelMember).where(
            PanelMember.status.in_([MemberStatus.PENDING.value, MemberStatus.INVITED.value]),
            PanelMember.created_at < cutoff)):
        leave(member)
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
    db.session.flush()
    return report
