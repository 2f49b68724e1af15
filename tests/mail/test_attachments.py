"""Attachments in the outbox: stored in base64, sent over SMTP and written to .eml files."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import icalendar
import pytest
from sqlalchemy import func, select

from panel.db import db
from panel.mail import services
from panel.mail.models import MailStatus, OutboxMessage

RESIDENT = "resident.one@example.org"
OTHER = "someone.else@example.org"
ICS_TYPE = "text/calendar; method=REQUEST"


def _ics(summary: str = "Bijeenkomst wijkpanel Noord – café") -> bytes:
    """A small invitation with a non-ASCII summary (so the charset matters)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Wijkpanel//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("uid", "test-meeting@wijkpanel")
    event.add("dtstamp", datetime(2027, 3, 1, 12, tzinfo=UTC))
    event.add("dtstart", datetime(2027, 3, 28, 17, 30, tzinfo=UTC))
    event.add("summary", summary)
    calendar.add_component(event)
    return calendar.to_ical()


ICS = _ics()


pytestmark = pytest.mark.usefixtures("eml_outbox")  # deliver to .eml files


def queue_invitation(to: str = RESIDENT, content_type: str = ICS_TYPE,
                     content: bytes = ICS) -> OutboxMessage:
    return services.queue(to, "Uitnodiging", "test_message", {"name": "Jan"},
                          attachments=[("uitnodiging.ics", content_type, content)])


def calendar_part(email: EmailMessage) -> EmailMessage:
    """The one text/calendar attachment of a message."""
    parts = [part for part in email.iter_attachments()
             if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    part = parts[0]
    assert isinstance(part, EmailMessage)
    return part


def assert_invitation_intact(email: EmailMessage) -> None:
    """Body and attachment as queued; the attachment's bytes parse as the same calendar."""
    assert email.get_content_type() == "multipart/mixed"
    assert "Jan" in email.get_body(("plain",)).get_content()
    assert email.get_body(("html",)) is not None
    part = calendar_part(email)
    assert part.get_content_disposition() == "attachment"
    assert part.get_filename() == "uitnodiging.ics"
    assert part.get_param("method") == "REQUEST"
    assert str(part.get_param("charset")).lower() == "utf-8"
    assert part["Content-Transfer-Encoding"] == "base64"
    data = part.get_payload(decode=True)
    assert data == ICS
    parsed = icalendar.Calendar.from_ical(data)
    assert parsed["METHOD"] == "REQUEST"
    event = parsed.walk("VEVENT")[0]
    assert str(event["UID"]) == "test-meeting@wijkpanel"
    assert str(event["SUMMARY"]) == "Bijeenkomst wijkpanel Noord – café"
    assert event.decoded("DTSTART") == datetime(2027, 3, 28, 17, 30, tzinfo=UTC)


# --- queue ----------------------------------------------------------------------------------


def test_queue_stores_attachments_as_base64_json(session):
    message = queue_invitation()

    stored = json.loads(message.attachments)
    assert stored == [{
        "filename": "uitnodiging.ics",
        "content_type": "text/calendar; method=REQUEST; charset=UTF-8",
        "data": base64.b64encode(ICS).decode("ascii"),
    }]


def test_queue_without_attachments_stores_an_empty_list(session):
    message = services.queue(RESIDENT, "Onderwerp", "test_message", {"name": "Jan"})
    assert json.loads(message.attachments) == []
    email = services.build_message(message)
    assert email.get_content_type() == "multipart/alternative"
    assert list(email.iter_attachments()) == []


def test_queue_keeps_a_given_charset_and_non_text_types_as_they_are(session):
    message = services.queue(RESIDENT, "Onderwerp", "test_message", {"name": "Jan"},
                             attachments=[
                                 ("afzegging.ics", "text/calendar; method=CANCEL; "
                                  "charset=utf-8", ICS),
                                 ("verslag.pdf", "application/pdf", b"%PDF-1.7\n\x00\xff"),
                             ])

    stored = json.loads(message.attachments)
    assert [item["content_type"] for item in stored] == [
        "text/calendar; method=CANCEL; charset=utf-8", "application/pdf"]
    email = services.build_message(message)
    parts = list(email.iter_attachments())
    assert [p.get_filename() for p in parts] == ["afzegging.ics", "verslag.pdf"]
    assert parts[0].get_param("method") == "CANCEL"
    assert parts[1].get_content_type() == "application/pdf"
    assert parts[1].get_payload(decode=True) == b"%PDF-1.7\n\x00\xff"


@pytest.mark.parametrize("filename", ["", "../uitnodiging.ics", "map/uitnodiging.ics",
                                      "a\\b.ics", "uit\r\nnodiging.ics", "..", "x" * 101])
def test_queue_refuses_an_unusable_file_name(session, filename):
    with pytest.raises(ValueError):
        services.queue(RESIDENT, "Onderwerp", "test_message", {"name": "Jan"},
                       attachments=[(filename, ICS_TYPE, ICS)])
    assert session.scalar(select(func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize("content_type", ["", "text", "text/", "calendar",
                                          "text/calendar\r\nBcc: x@example.org",
                                          "text/calendar; method"])
def test_queue_refuses_an_unusable_content_type(session, content_type):
    with pytest.raises(ValueError):
        queue_invitation(content_type=content_type)


def test_queue_refuses_content_that_is_not_bytes(session):
    with pytest.raises(TypeError):
        queue_invitation(content=ICS.decode())  # type: ignore[arg-type]


def test_build_message_refuses_damaged_stored_attachments(session):
    message = queue_invitation()
    message.attachments = json.dumps([{"filename": "uitnodiging.ics"}])
    with pytest.raises(ValueError):
        services.build_message(message)
    message.attachments = json.dumps([{"filename": "a.ics", "content_type": ICS_TYPE,
                                       "data": "not base64!"}])
    with pytest.raises(ValueError):
        services.build_message(message)


def test_a_message_with_damaged_attachments_fails_without_stopping_the_run(session, eml_outbox):
    damaged = queue_invitation().id
    fine = queue_invitation(to=OTHER).id
    session.get(OutboxMessage, damaged).attachments = "{"
    session.commit()

    report = services.deliver_due()

    assert (report.sent, report.failed) == (1, 1)
    assert session.get(OutboxMessage, damaged, populate_existing=True).status == \
        MailStatus.FAILED
    assert session.get(OutboxMessage, fine, populate_existing=True).status == MailStatus.SENT


# --- delivery -------------------------------------------------------------------------------


def test_invitation_is_delivered_over_smtp_with_the_attachment_intact(session, smtp):
    message_id = queue_invitation().id
    session.commit()

    report = services.deliver_due()

    assert report.sent == 1
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received["To"] == RESIDENT
    assert received["Message-ID"] == db.session.get(OutboxMessage, message_id).message_id
    assert_invitation_intact(received)


def test_eml_file_without_smtp_holds_the_attachment(session, eml_outbox):
    message_id = queue_invitation().id
    session.commit()

    report = services.deliver_due()

    assert report.sent == 1
    files = list(eml_outbox.iterdir())
    assert len(files) == 1
    assert files[0].name.startswith(f"{message_id}-")
    email = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert isinstance(email, EmailMessage)
    assert_invitation_intact(email)


def test_forget_address_deletes_messages_with_attachments_and_their_files(session, eml_outbox):
    queue_invitation()
    session.commit()
    services.deliver_due()
    queue_invitation()
    queue_invitation(to=OTHER)
    session.commit()
    assert len(list(eml_outbox.iterdir())) == 1

    assert services.forget_address(RESIDENT) == 2
    session.commit()

    assert session.scalars(select(OutboxMessage.to_address)).all() == [OTHER]
    assert list(eml_outbox.iterdir()) == []
