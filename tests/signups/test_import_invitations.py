"""The survey import's invitations, queued in bulk: the same emails and links as one by one."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from panel.db import db
from panel.mail import services as mail
from panel.mail.models import OutboxMessage
from panel.security import hash_token
from panel.signups import importer, services
from panel.signups.models import LinkPurpose, MemberLink, MemberStatus, PanelMember
from tests import factories
from tests.mailbox import link_in, outbox

HEADER = "respondent;naam;e-mail;telefoon;postcode;huisnummer;wijkcode;wijkpanel\n"
MESSAGE_COLUMNS = ("to_address", "subject", "text_body", "html_body", "headers",
                   "attachments", "language", "status", "attempts", "last_error",
                   "message_id", "sent_at")


class FixedTokens:
    """Stands in for ``new_token``: the same tokens in the same order for both paths."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> tuple[str, str]:
        self.count += 1
        token = f"Tok{self.count:03d}_aZ-9"
        return token, hash_token(token)


def _message() -> dict[str, object]:
    [message] = db.session.scalars(select(OutboxMessage)).all()
    return {column: getattr(message, column) for column in MESSAGE_COLUMNS}


def _links() -> list[tuple[object, ...]]:
    return [(link.member_id, link.token_hash, link.purpose, link.used_at,
             round((link.expires_at - link.created_at).total_seconds()))
            for link in db.session.scalars(select(MemberLink).order_by(MemberLink.id))]


def _mime(row: dict[str, object]) -> bytes:
    """The email as delivered, without what differs per delivery (date, Message-ID and
    the random MIME boundary)."""
    email = mail.build_message(OutboxMessage(**row))
    del email["Date"], email["Message-ID"]
    email.set_boundary("BOUNDARY")
    return email.as_bytes()


def _both_paths(monkeypatch, member: PanelMember):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "new_token", FixedTokens())
    services.send_confirmation(member)
    db.session.flush()
    single, single_links = _message(), _links()
    db.session.execute(delete(MemberLink))
    db.session.execute(delete(OutboxMessage))
    monkeypatch.setattr(services, "new_token", FixedTokens())
    assert services.send_confirmations([services.Invitee.of(member)]) == 1
    return single, single_links, _message(), _links()


@pytest.mark.parametrize("source", ["survey", "online"])
@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("name", [
    "Anna de Vries",
    "",
    "Zoë <b>& \"Q\" 'O'Brien'",
    "{{ member.name }} %(name)s $name {0}",
    "wpslot0000000000000000n0x",  # looks like a placeholder
])
def test_a_bulk_invitation_is_byte_for_byte_the_single_one(world, monkeypatch, caplog, source,
                                                          language, name):
    world.mare.name = "De Mare & <Oost>"
    member = factories.member(world.mare, name=name, email="anna@example.org",
                              status=MemberStatus.INVITED.value, source=source,
                              language=language)
    with caplog.at_level(logging.WARNING):
        single, single_links, bulk, bulk_links = _both_paths(monkeypatch, member)
    assert not caplog.records  # filled in from the stencil, not rendered in full
    assert bulk == single
    assert bulk_links == single_links
    assert _mime(bulk) == _mime(single)
    assert "List-Unsubscribe" in bulk["headers"]
    days = 30 if source == "survey" else 3
    assert [(purpose, seconds // 86400) for _, _, purpose, _, seconds in bulk_links] == \
        [("confirm", days), ("access", 30), ("leave", 400)]


def test_a_template_that_changes_a_value_falls_back_to_full_rendering(world, monkeypatch,
                                                                       caplog):
    member = factories.member(world.mare, name="Anna", email="anna@example.org",
                              status=MemberStatus.INVITED.value, source="survey")
    monkeypatch.setattr(mail.Stencil, "fill",
                        lambda self, values: mail.Rendered("wrong", "wrong", "wrong"))
    with caplog.at_level(logging.WARNING, logger="panel.signups.services"):
        single, _, bulk, _ = _both_paths(monkeypatch, member)
    assert bulk == single
    assert "rendering each message in full" in caplog.text


def _import(lines: list[str], dry_run: bool = False) -> importer.ImportReport:
    data = (HEADER + "".join(lines)).encode()
    return importer.RespondentsImporter(None).run(data, "export.csv", dry_run=dry_run)


def _people(count: int) -> list[str]:
    lines = []
    for number in range(count):
        email = f"resident{number}@example.org" if number % 4 else ""
        phone = "" if email else "072 123 45 67"
        wijk = "WK036101" if number % 2 else "WK036104"
        lines.append(f"R{number};Resident <{number}> & co;{email};{phone};;;{wijk};ja\n")
    return lines


def test_the_import_queues_one_invitation_with_three_hashed_links_per_email(world, client):
    lines = _people(40)
    dry = _import(lines, dry_run=True)
    assert db.session.scalar(select(func.count(PanelMember.id))) == 0
    assert outbox() == [] and db.session.scalar(select(func.count(MemberLink.id))) == 0
    report = _import(lines)
    assert [(r.line, r.status, r.messages) for r in report.lines] == \
        [(r.line, r.status, r.messages) for r in dry.lines]
    assert report.count("new") == 40
    db.session.commit()

    messages = outbox()
    assert len(messages) == 30  # the ten without email get a letter, not a link
    assert {m.to_address for m in messages} == {f"resident{n}@example.org"
                                                for n in range(40) if n % 4}
    links = list(db.session.scalars(select(MemberLink)))
    assert len(links) == 90
    assert {link.member.email for link in links} == {m.to_address for m in messages}
    message = next(m for m in messages if m.to_address == "resident5@example.org")
    assert "Resident &lt;5&gt; &amp; co" in message.html_body
    assert "Resident <5> & co" in message.text_body
    for path, purpose in (("/aanmelden/bevestigen/", "confirm"), ("/mijn/link/", "access"),
                          ("/afmelden/", "leave")):
        token = link_in(message, path).rsplit("/", 1)[1]
        stored = db.session.scalars(select(MemberLink).where(
            MemberLink.token_hash == hash_token(token))).one()
        assert stored.purpose == purpose and stored.member.email == "resident5@example.org"
        assert token not in {link.token_hash for link in links}  # only the hash is kept
    member = db.session.scalars(select(PanelMember).where(
        PanelMember.email == "resident5@example.org")).one()
    for link in db.session.scalars(select(MemberLink).where(MemberLink.member_id == member.id)):
        lifetime = {"confirm": 30, "access": 30, "leave": 400}[link.purpose]
        assert abs(link.expires_at - link.created_at - timedelta(days=lifetime)) \
            < timedelta(seconds=1)

    # The links work: open the page, then confirm, which works once.
    page = link_in(message, "/mijn/link/")
    assert client.get(page).status_code == 302
    confirm = link_in(message, "/aanmelden/bevestigen/")
    assert client.get(confirm).status_code == 200
    assert client.post(confirm, data={"statement_version": "2026-1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(PanelMember, member.id).status == MemberStatus.MEMBER
    assert client.get(confirm).status_code == 410
    assert client.get(link_in(message, "/afmelden/")).status_code == 200


def test_a_new_email_address_of_a_known_person_gets_an_invitation(world):
    _import(["R1;Bram Bakker;;072 123 45 67;;;WK036104;ja\n"])
    db.session.commit()
    assert outbox() == [] and db.session.scalar(select(func.count(MemberLink.id))) == 0
    report = _import(["R1;Bram Bakker;bram@example.org;;;;WK036104;ja\n"])
    assert [r.status for r in report.lines] == ["updated"]
    [message] = outbox("bram@example.org")
    assert "Vroonermeer" in message.text_body and "Bram Bakker" in message.text_body
    bram = db.session.scalars(select(PanelMember)).one()
    assert {link.purpose for link in db.session.scalars(select(MemberLink))} == \
        {LinkPurpose.CONFIRM, LinkPurpose.ACCESS, LinkPurpose.LEAVE}
    assert services.confirmation_member(
        link_in(message, "/aanmelden/bevestigen/").rsplit("/", 1)[1]) is bram


def test_nothing_is_left_when_the_import_is_not_committed(world):
    _import(_people(8))
    db.session.rollback()
    assert db.session.scalar(select(func.count(PanelMember.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(select(func.count(MemberLink.id))) == 0


def test_the_import_logs_no_personal_data(world, caplog):
    with caplog.at_level(logging.DEBUG):
        _import(_people(8))
    assert caplog.records  # the outbox says how many it queued
    for text in ("example.org", "Resident", "/aanmelden/", "/mijn/", "/afmelden/"):
        assert text not in caplog.text
