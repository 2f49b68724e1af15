"""The outbox: rendering, building, delivering over SMTP or to files, retries, erasing."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from panel.db import db, utcnow
from panel.mail import services
from panel.mail.models import MailStatus, OutboxMessage
from tests.mailbox import deliver_over_smtp
from tests.smtpserver import smtp_server

RESIDENT = "resident.one@example.org"
OTHER = "someone.else@example.org"
LEAVE_URL = "http://wijkpanel.test/afmelden/abc"
PAGE_URL = "http://wijkpanel.test/mijn/abc"


pytestmark = pytest.mark.usefixtures("eml_outbox")  # deliver to .eml files


def queue_test(to: str = RESIDENT, language: str = "nl", name: str = "Jan",
               **context: str) -> OutboxMessage:
    return services.queue(to, _l("Language"), "test_message", {"name": name, **context},
                          language=language)


def row(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    return message


def count_rows() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id))) or 0


# --- queue ----------------------------------------------------------------------------------


def test_queue_renders_text_and_html_in_dutch(session):
    before = utcnow()
    message = queue_test(name="<b>Jan</b>", leave_url=LEAVE_URL, page_url=PAGE_URL)

    assert message.id is not None
    assert message.status == MailStatus.QUEUED
    assert message.attempts == 0
    assert before <= message.next_attempt_at <= utcnow()
    assert message.to_address == RESIDENT
    assert message.language == "nl"
    assert message.subject == "Taal"
    assert "Taal: <b>Jan</b>" in message.text_body
    assert "<" not in message.text_body.replace("<b>Jan</b>", "")
    assert message.html_body.startswith('<!DOCTYPE html>\n<html lang="nl">')
    assert "Taal: &lt;b&gt;Jan&lt;/b&gt;" in message.html_body
    with force_locale("nl"):
        leave, page = _("Leave the panel"), _("Your own page")
    assert f"{leave}: {LEAVE_URL}" in message.text_body
    assert f"{page}: {PAGE_URL}" in message.text_body
    assert f'<a href="{LEAVE_URL}"' in message.html_body
    assert f'<a href="{PAGE_URL}"' in message.html_body
    assert "<img" not in message.html_body


def test_queue_renders_text_and_html_in_english(session):
    message = queue_test(language="en", leave_url=LEAVE_URL)

    assert message.language == "en"
    assert message.subject == "Language"
    assert "Language: Jan" in message.text_body
    assert "Taal" not in message.text_body + message.html_body
    assert '<html lang="en">' in message.html_body
    assert "Do you no longer want to be in the wijkpanel?" in message.text_body
    assert f"Leave the panel: {LEAVE_URL}" in message.text_body
    assert f'<a href="{LEAVE_URL}" style="color:#00529b;text-decoration:underline;">' \
           "Leave the panel</a>" in message.html_body
    assert "Your own page" not in message.text_body + message.html_body


def test_queue_without_links_has_no_footer(session):
    message = queue_test(language="en")

    assert "Leave the panel" not in message.text_body + message.html_body
    assert "Your own page" not in message.text_body + message.html_body


def test_queue_flushes_but_does_not_commit(session):
    queue_test()
    assert count_rows() == 1
    session.rollback()
    assert count_rows() == 0


def test_queue_in_a_request_uses_the_message_language_and_restores_the_page_language(app):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert str(get_locale()) == "en_GB"  # English, with British dates
        message = queue_test(language="nl")
        assert message.subject == "Taal"
        assert "Taal: Jan" in message.text_body
        assert str(get_locale()) == "en_GB"
        assert _("Language") == "Language"
        db.session.rollback()


def test_queue_stores_extra_headers_as_json(session):
    headers = {"List-Unsubscribe": f"<{LEAVE_URL}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    message = services.queue(RESIDENT, _l("Language"), "test_message", {"name": "Jan"},
                             headers=headers)
    assert json.loads(message.headers) == {**headers, "X-Wijkpanel-Template": "test_message"}


@pytest.mark.parametrize("headers", [
    {"Subject": "other"},
    {"To": OTHER},
    {"X-Note": "line\r\nBcc: " + OTHER},
    {"X-Wijkpanel-Template": "another_template"},
    {"Bad Name": "x"},
])
def test_queue_refuses_headers_that_could_change_the_message(session, headers):
    with pytest.raises(ValueError):
        services.queue(RESIDENT, _l("Language"), "test_message", {"name": "Jan"},
                       headers=headers)
    assert count_rows() == 0


@pytest.mark.parametrize("address", ["", "no-at-sign", f"{RESIDENT}\r\nBcc: {OTHER}"])
def test_queue_refuses_a_malformed_address(session, address):
    with pytest.raises(ValueError):
        queue_test(to=address)


# --- build_message --------------------------------------------------------------------------


def test_build_message_has_both_parts_headers_and_a_stored_message_id(app, session):
    message = services.queue(RESIDENT, _l("Language"), "test_message", {"name": "Jan"},
                             language="en",
                             headers={"List-Unsubscribe": f"<{LEAVE_URL}>",
                                      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    email = services.build_message(message)

    assert email["From"] == app.config["PANEL_MAIL_FROM"]
    assert email["To"] == RESIDENT
    assert email["Subject"] == "Language"
    assert email["Date"].datetime is not None
    assert email["Content-Language"] == "en"
    assert email["List-Unsubscribe"] == f"<{LEAVE_URL}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["X-Wijkpanel-Template"] == "test_message"
    assert email["Message-ID"].startswith("<")
    assert email["Message-ID"].endswith("@wijkpanel.test>")
    assert message.message_id == email["Message-ID"]
    assert email.get_content_type() == "multipart/alternative"
    parts = list(email.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().strip() == message.text_body.strip()
    assert parts[1].get_content().strip() == message.html_body.strip()

    again = services.build_message(message)
    assert again["Message-ID"] == email["Message-ID"]


def test_build_message_encodes_a_dutch_subject(session):
    message = queue_test()
    message.subject = "Uitnodiging: bijeenkomst in het café"
    raw = services.build_message(message).as_bytes()
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["Subject"] == "Uitnodiging: bijeenkomst in het café"
    assert "café".encode() not in raw.split(b"\n\n", 1)[0]  # headers stay 7-bit


# --- delivery -------------------------------------------------------------------------------


def test_deliver_due_sends_over_smtp(session, smtp):
    first = queue_test(language="nl", leave_url=LEAVE_URL).id
    second = queue_test(to=OTHER, language="en").id
    session.commit()

    report = services.deliver_due()

    assert (report.sent, report.retried, report.failed) == (2, 0, 0)
    assert [m["To"] for m in smtp.messages] == [RESIDENT, OTHER]
    assert smtp.envelope_recipients == [[RESIDENT], [OTHER]]
    assert [m["Subject"] for m in smtp.messages] == ["Taal", "Language"]
    received = smtp.messages[0]
    assert received.get_content_type() == "multipart/alternative"
    assert "Taal: Jan" in received.get_body(("plain",)).get_content()
    assert LEAVE_URL in received.get_body(("html",)).get_content()
    for message_id, email in zip((first, second), smtp.messages, strict=True):
        stored = row(message_id)
        assert stored.status == MailStatus.SENT
        assert stored.sent_at is not None
        assert stored.attempts == 1
        assert stored.message_id == email["Message-ID"]


def test_deliver_due_writes_eml_files_without_an_smtp_host(session, eml_outbox):
    message_id = queue_test(language="en").id
    session.commit()
    assert not eml_outbox.exists()

    report = services.deliver_due()

    assert report.sent == 1
    stored = row(message_id)
    assert stored.status == MailStatus.SENT
    files = list(eml_outbox.iterdir())
    assert len(files) == 1
    assert files[0].name.startswith(f"{message_id}-")
    assert files[0].suffix == ".eml"
    email = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert isinstance(email, EmailMessage)
    assert email["To"] == RESIDENT
    assert email["Message-ID"] == stored.message_id
    assert "Language: Jan" in email.get_body(("plain",)).get_content()


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_temporary_refusal_is_retried_later_with_backoff_and_sent_once(session, smtp, stage):
    message_id = queue_test().id
    session.commit()
    smtp.reply, smtp.on = f"451 4.3.0 {RESIDENT} try again later", stage
    start = utcnow()

    report = services.deliver_due(now=start)

    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    stored = row(message_id)
    assert stored.status == MailStatus.QUEUED
    assert stored.attempts == 1
    assert stored.next_attempt_at == start + timedelta(minutes=1)
    assert stored.last_error.startswith("try_later: 451")
    assert RESIDENT not in stored.last_error
    assert "resident.one" not in stored.last_error

    second = start + timedelta(minutes=1)
    assert services.deliver_due(now=second - timedelta(seconds=1)).retried == 0  # not due
    assert services.deliver_due(now=second).retried == 1
    assert row(message_id).next_attempt_at == second + timedelta(minutes=2)

    smtp.reply = None
    third = second + timedelta(minutes=2)
    assert services.deliver_due(now=third).sent == 1
    assert services.deliver_due(now=third + timedelta(hours=1)).sent == 0
    assert len(smtp.messages) == 1
    stored = row(message_id)
    assert stored.status == MailStatus.SENT
    assert stored.attempts == 3
    assert stored.last_error == ""


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_permanent_refusal_fails_at_once(session, smtp, stage):
    message_id = queue_test().id
    session.commit()
    smtp.reply, smtp.on = f"550 5.1.1 <{RESIDENT}>: no such user", stage

    report = services.deliver_due()

    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    stored = row(message_id)
    assert stored.status == MailStatus.FAILED
    assert stored.attempts == 1
    assert stored.last_error.startswith(
        "recipient_refused: 550" if stage == "rcpt" else "message_refused: 550")
    assert RESIDENT not in stored.last_error.lower()
    smtp.reply = None
    assert services.deliver_due(now=utcnow() + timedelta(days=1)).sent == 0
    assert smtp.messages == []


def test_message_fails_after_eight_attempts(session, smtp):
    message_id = queue_test().id
    session.commit()
    smtp.reply = "451 try later"
    moment = utcnow()

    for attempt in range(1, 8):
        report = services.deliver_due(now=moment)
        assert report.retried == 1, attempt
        stored = row(message_id)
        assert (stored.status, stored.attempts) == (MailStatus.QUEUED, attempt)
        expected_wait = min(timedelta(minutes=2 ** (attempt - 1)), timedelta(hours=6))
        assert stored.next_attempt_at - moment == expected_wait
        moment = stored.next_attempt_at

    report = services.deliver_due(now=moment)
    assert (report.retried, report.failed) == (0, 1)
    stored = row(message_id)
    assert (stored.status, stored.attempts) == (MailStatus.FAILED, 8)
    smtp.reply = None
    assert services.deliver_due(now=moment + timedelta(days=1)).sent == 0
    assert smtp.messages == []


def test_unreachable_server_retries_one_message_and_stops_the_run(app, session, monkeypatch):
    with smtp_server() as server:
        pass  # its port is free, and nothing listens there once the block ends
    deliver_over_smtp(app, monkeypatch, server)
    ids = [queue_test().id, queue_test(to=OTHER).id]
    session.commit()

    report = services.deliver_due()

    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    first, second = row(ids[0]), row(ids[1])
    assert (first.status, first.attempts) == (MailStatus.QUEUED, 1)
    assert first.last_error.startswith("refused: ConnectionRefusedError")
    assert (second.status, second.attempts) == (MailStatus.QUEUED, 0)


def test_running_twice_sends_each_message_once(session, smtp):
    for address in (RESIDENT, OTHER, "third@example.org"):
        queue_test(to=address)
    session.commit()

    first = services.deliver_due()
    second = services.deliver_due()

    assert first.sent == 3
    assert second.sent == 0
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        [RESIDENT, OTHER, "third@example.org"])


def test_limit_caps_one_run(session):
    for _index in range(3):
        queue_test()
    session.commit()

    assert services.deliver_due(limit=2).sent == 2
    assert services.deliver_due(limit=2).sent == 1


def test_a_message_claimed_by_another_run_is_not_sent_again(session, smtp, monkeypatch):
    taken = queue_test().id
    free = queue_test(to=OTHER).id
    session.commit()
    original = services._due_ids

    def due_then_other_run_claims(now, limit):  # type: ignore[no-untyped-def]
        ids = original(now, limit)
        assert taken in ids
        with db.engine.begin() as connection:  # the other run commits its claim first
            connection.execute(update(OutboxMessage).where(OutboxMessage.id == taken)
                               .values(status=MailStatus.SENDING.value))
        return ids

    monkeypatch.setattr(services, "_due_ids", due_then_other_run_claims)
    report = services.deliver_due()

    assert report.sent == 1
    assert [m["To"] for m in smtp.messages] == [OTHER]
    assert row(taken).status == MailStatus.SENDING
    assert row(taken).attempts == 0
    assert row(free).status == MailStatus.SENT


def test_stale_sending_messages_are_queued_again(session, eml_outbox):
    now = utcnow()
    stale = queue_test().id
    recent = queue_test(to=OTHER).id
    worn_out = queue_test(to="third@example.org").id
    session.commit()
    for message_id, claimed_at, attempts in ((stale, now - timedelta(minutes=31), 0),
                                             (recent, now - timedelta(minutes=5), 0),
                                             (worn_out, now - timedelta(hours=2), 7)):
        message = row(message_id)
        message.status = MailStatus.SENDING.value
        message.next_attempt_at = claimed_at
        message.attempts = attempts
    session.commit()

    report = services.deliver_due(now=now)

    assert (report.requeued, report.sent, report.failed) == (1, 1, 1)
    assert row(stale).status == MailStatus.SENT
    assert row(stale).attempts == 2  # the interrupted attempt and this one
    assert row(recent).status == MailStatus.SENDING
    assert row(worn_out).status == MailStatus.FAILED
    assert row(worn_out).attempts == 8
    assert len(list(eml_outbox.iterdir())) == 1


# --- forget_address -------------------------------------------------------------------------


def test_forget_address_deletes_all_messages_and_files_for_that_address(session, eml_outbox):
    sent = queue_test().id
    session.commit()
    services.deliver_due()
    queue_test(to=RESIDENT.upper())
    queue_test(to=OTHER)
    session.commit()
    assert any(f.name.startswith(f"{sent}-") for f in eml_outbox.iterdir())

    deleted = services.forget_address(f" {RESIDENT} ")

    assert deleted == 2
    session.commit()
    remaining = session.scalars(select(OutboxMessage.to_address)).all()
    assert remaining == [OTHER]
    assert list(eml_outbox.iterdir()) == []
    assert services.forget_address(RESIDENT) == 0


# --- privacy in the log ---------------------------------------------------------------------


def test_log_never_contains_the_address_subject_or_body(session, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    sent = services.queue(RESIDENT, "Persoonlijk onderwerp", "test_message",
                          {"name": "Geheime naam"}).id
    refused = services.queue(OTHER, "Persoonlijk onderwerp", "test_message",
                             {"name": "Geheime naam"}).id
    session.commit()
    smtp.reply = None

    original = smtp.reply
    report = services.deliver_due(limit=1)
    smtp.reply = f"550 <{OTHER}> unknown"
    report2 = services.deliver_due()
    smtp.reply = original
    services.forget_address(RESIDENT)

    assert (report.sent, report2.failed) == (1, 1)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("panel")]
    assert any(str(sent) in line and "sent" in line for line in ours)
    assert any(str(refused) in line and "failed" in line for line in ours)
    text = "\n".join(ours).lower()
    for secret in (RESIDENT, OTHER, "resident.one", "someone.else", "persoonlijk",
                   "geheime naam"):
        assert secret not in text


def test_every_link_of_an_email_is_in_its_plain_text_too():
    """A mail program that shows the plain text (or a reader who prefers it) gets every
    link the HTML version has, in the body: not only in the footer after the signature."""
    import re
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "templates" / "emails"
    missing = []
    for html in sorted(folder.glob("*.html")):
        if html.name.startswith("_"):
            continue
        text = html.with_suffix(".txt").read_text(encoding="utf-8")
        for name in set(re.findall(r'href="\{\{ ([a-z_]+) \}\}"', html.read_text("utf-8"))):
            if f"{{{{ {name} }}}}" not in text:
                missing.append(f"{html.stem}: {name}")
    assert missing == []


def test_every_kind_of_email_has_a_name_on_the_outbox_page():
    from pathlib import Path

    from panel.mail.forms import KIND_LABELS

    folder = Path(__file__).resolve().parents[2] / "templates" / "emails"
    kinds = {path.stem for path in folder.glob("*.txt") if not path.name.startswith("_")}
    assert kinds == set(KIND_LABELS)
