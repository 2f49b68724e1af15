"""Retention: what is past its period is erased; what is still needed stays."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from panel.db import db, utcnow
from panel.mail.models import OutboxMessage
from panel.mail.services import queue
from panel.privacy.services import purge_expired
from panel.signups.models import ImportRecord, LinkPurpose, MemberLink
from panel.signups.services import issue_link
from tests import factories


def test_unconfirmed_people_are_erased_after_the_retention_period(session):
    world = factories.panel_world()
    old = factories.member(world.mare, name="Nooit Bevestigd", email="oud@example.org",
                           status="invited", source="survey")
    old.created_at = utcnow() - timedelta(days=61)
    recent = factories.member(world.mare, name="Net Uitgenodigd", email="nieuw@example.org",
                              status="invited", source="survey")
    confirmed = factories.member(world.mare, name="Lid", email="lid@example.org")
    confirmed.created_at = utcnow() - timedelta(days=400)
    report = purge_expired()
    assert report.unconfirmed == 1
    assert (old.status, old.name, old.email) == ("left", "", None)
    assert recent.status == "invited" and confirmed.status == "member"
    assert purge_expired().unconfirmed == 0  # running again changes nothing


def test_expired_links_old_mail_and_stale_uploads_are_erased(session, app):
    world = factories.panel_world()
    member = factories.member(world.mare, email="lid@example.org")
    issue_link(member, LinkPurpose.ACCESS, timedelta(days=-1))
    issue_link(member, LinkPurpose.ACCESS, timedelta(days=5))
    message = queue("lid@example.org", "Onderwerp", "test_message", {"name": "x"})
    message.status, message.created_at = "sent", utcnow() - timedelta(days=31)
    fresh = queue("lid@example.org", "Onderwerp", "test_message", {"name": "x"})
    db.session.add(ImportRecord(kind="respondents", filename="x.csv", content=b"data",
                                created_at=utcnow() - timedelta(days=8)))
    db.session.flush()
    report = purge_expired()
    assert (report.links, report.mail, report.uploads) == (1, 1, 1)
    assert db.session.scalar(select(func.count(MemberLink.id))) == 1
    assert message.to_address == "" and message.text_body == ""
    assert fresh.to_address == "lid@example.org"
    assert db.session.scalars(select(ImportRecord)).one().content is None
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


def test_purge_command(runner, session):
    result = runner.invoke(args=["purge-expired"])
    assert result.exit_code == 0 and "Gewist: 0 mensen" in result.output
