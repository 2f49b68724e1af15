"""The survey import's shortcuts for files of many thousands of lines give what the plain
ways give: rows written in bulk, email addresses checked once per domain, search texts."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta, timezone

import pytest
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, insert, select, text

from panel import search
from panel.db import db, insert_rows
from panel.mail.models import OutboxMessage
from panel.signups import importer
from panel.signups.models import MemberLink, PanelMember
from tests import factories

HEADER = "respondent;naam;e-mail;telefoon;postcode;huisnummer;wijkcode;wijkpanel\n"
LINK_COLUMNS = ("member_id", "token_hash", "purpose", "created_at", "expires_at")


def _stored(table_name: str) -> list[tuple[object, ...]]:
    """The rows as the database holds them (no SQLAlchemy types in between), without ids."""
    rows = db.session.connection().exec_driver_sql(
        f"SELECT * FROM {table_name} ORDER BY id").fetchall()  # noqa: S608 (a test's own name)
    return [tuple(row)[1:] for row in rows]


def _links(member_id: int) -> list[tuple[object, ...]]:
    now = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    summer = timezone(timedelta(hours=2))  # stored as UTC, like every time
    return [(member_id, f"hash-{number}", purpose, now,
             (now + timedelta(days=number)).astimezone(summer))
            for number, purpose in enumerate(("confirm", "access", "leave", "access"))]


def test_insert_rows_stores_what_an_insert_stores(session):
    member = factories.member(factories.panel_world().mare, email="anna@example.org")
    session.flush()
    rows = _links(member.id)
    session.execute(insert(MemberLink.__table__),
                    [dict(zip(LINK_COLUMNS, row, strict=True)) for row in rows])
    expected = _stored("member_link")
    session.execute(delete(MemberLink))
    assert insert_rows(MemberLink.__table__, LINK_COLUMNS, iter(rows)) == len(rows)
    assert _stored("member_link") == expected
    session.rollback()
    assert session.scalars(select(MemberLink)).all() == []


def test_insert_rows_writes_text_with_every_character_that_needs_care(session):
    body = "tab\there, new\nline, back\\slash, quote ' \" , \\N, emoji 🙂, zero width \u200b"
    values = ("anna@example.org", "subject", body, f"<p>{body}</p>", "{}", "[]", "nl",
              "queued", 0, datetime(2026, 3, 1, tzinfo=UTC), "", datetime(2026, 3, 1, tzinfo=UTC),
              None, "", "", False)
    columns = ("to_address", "subject", "text_body", "html_body", "headers", "attachments",
               "language", "status", "attempts", "next_attempt_at", "last_error", "created_at",
               "sent_at", "message_id", "claimed_by", "is_check")
    assert insert_rows(OutboxMessage.__table__, columns, [values]) == 1
    message = session.scalars(select(OutboxMessage)).one()
    assert (message.text_body, message.html_body, message.sent_at) == \
        (body, f"<p>{body}</p>", None)


def test_insert_rows_needs_every_column_with_a_python_default(session):
    with pytest.raises(ValueError, match="created_at"):
        insert_rows(MemberLink.__table__, ("member_id", "token_hash", "purpose", "expires_at"),
                    [])
    assert insert_rows(MemberLink.__table__, LINK_COLUMNS, []) == 0


ADDRESSES = [
    "anna@example.org", "Anna.de.Vries+panel@Example.ORG", "POSTMASTER@example.org",
    "a!#$%&'*+/=?^_`{|}~-@example.org", "dot.before.@example.org", ".start@example.org",
    "two..dots@example.org", "no-at-sign.example.org", "two@at@example.org", "@example.org",
    "anna@", "anna@localhost", "anna@test", "anna@example..org", "anna@-example.org",
    "anna@example.org.", "anna@[127.0.0.1]", "Anna <anna@example.org>", '"anna"@example.org',
    '"an na"@example.org', "anna de vries@example.org", "zoë@example.org",
    "anna@bücher.example", "anna@xn--bcher-kva.example", "anna@EXAMPLE.org",
    "a" * 64 + "@example.org", "a" * 65 + "@example.org",
    "a" * (254 - len("@example.org")) + "@example.org",
    "a" * (255 - len("@example.org")) + "@example.org",
    "a" * (254 - len("@bücher.example")) + "@bücher.example",
    "a" * (254 - len("@xn--bcher-kva.example")) + "@xn--bcher-kva.example",
    "anna@exa_mple.org", "anna@example.org\n", "anna\u0338@example.org",
]


def _plain(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@pytest.mark.parametrize("address", ADDRESSES)
def test_an_email_address_is_checked_as_validate_email_checks_it(address):
    expected = _plain(address)
    fresh = importer._Emails()
    assert fresh.normalise(address) == expected
    primed = importer._Emails()  # its domain part seen before, in a plain address
    for other in ADDRESSES:
        primed.normalise(other)
        primed.normalise("x" + other)
    assert primed.normalise(address) == expected
    assert primed.normalise(address) == expected


def test_fold_gives_the_same_for_ascii_text_on_its_short_way():
    def general(value: str) -> str:  # fold without its way for ASCII text
        return search.fold(value + "é")[:-1]

    everything = "".join(chr(code) for code in range(128))
    samples = [everything, string.printable, "Jan de Vries", "1823 AB", "06-1234 5678",
               "anna.de_vries+x@example.org", "Hoff-Celik", "a\tb\nc"]
    for sample in samples:
        assert search.fold(sample) == general(sample)


def test_imported_members_have_the_search_text_the_orm_gives(world):
    data = (HEADER
            + "R1;Zoë Çelik-Işık;ZOE@Example.org;+31 (0)6-1234 5678;1801 aa;1;;ja\n"
            + "R2;Jan de Vries;;072 123 45 67;;;WK036104;ja\n").encode()
    importer.RespondentsImporter(None).run(data, "export.csv")
    db.session.commit()
    members = db.session.scalars(select(PanelMember).order_by(PanelMember.id)).all()
    assert [m.search_text for m in members] == [
        search.member_search_text(m.name, m.email, m.phone, m.postcode) for m in members]
    assert members[0].search_text == "zoecelikisik|zoe@exampleorg|0612345678|1801aa"
    texts = db.session.execute(text("SELECT search_text FROM panel_member ORDER BY id"))
    assert [row[0] for row in texts] == [m.search_text for m in members]


@pytest.mark.postgresql
def test_long_values_are_compressed_with_lz4_and_the_setting_is_kept(session):
    available = session.scalar(text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
        "WHERE name = 'default_toast_compression'"))
    body = "".join(f"<p>Regel {number} van het bericht.</p>\n" for number in range(300))
    columns = ("to_address", "subject", "text_body", "html_body", "headers", "attachments",
               "language", "status", "attempts", "next_attempt_at", "last_error", "created_at",
               "message_id", "claimed_by", "is_check")
    now = datetime(2026, 3, 1, tzinfo=UTC)
    insert_rows(OutboxMessage.__table__, columns,
                [("anna@example.org", "s", "t", body, "{}", "[]", "nl", "queued", 0, now, "",
                  now, "", "", False)])
    assert session.scalar(text("SHOW default_toast_compression")) == "pglz"
    assert session.scalar(text("SELECT pg_column_compression(html_body) FROM outbox_message")) \
        == ("lz4" if available else "pglz")
    assert session.scalars(select(OutboxMessage.html_body)).one() == body
