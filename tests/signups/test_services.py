"""Joining, confirming, personal links, own data and leaving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from panel.db import db, utcnow
from panel.errors import DomainError
from panel.mail.models import OutboxMessage
from panel.signups import services
from panel.signups.models import Consent, MemberLink, MemberStatus, PanelMember
from tests.mailbox import link_in, outbox


def join(email: str = "piet@example.org", **overrides) -> None:  # type: ignore[no-untyped-def]
    values = dict(name="Piet Jansen", email=email, phone="", postcode="1801 aa",
                  house_number="12", neighbourhood_code="", language="nl",
                  statement_version="2026-1")
    values.update(overrides)
    services.join(services.JoinRequest(**values))


def token_of(message: OutboxMessage, path: str) -> str:
    return link_in(message, path).rsplit("/", 1)[1]


def test_joining_online_makes_a_pending_member_with_consent_and_sends_a_link(world):
    join()
    member = db.session.scalars(select(PanelMember)).one()
    assert (member.status, member.source) == ("pending", "online")
    assert member.neighbourhood is world.mare
    assert (member.postcode, member.street, member.city) == ("1801AA", "Marelaan", "Alkmaar")
    consent = member.consents[0]
    assert (consent.statement.version, consent.channel) == ("2026-1", "online")
    [message] = outbox("piet@example.org")
    assert "/aanmelden/bevestigen/" in message.text_body
    assert message.language == "nl"


def test_confirming_makes_a_member_and_the_link_works_once(world):
    join()
    token = token_of(outbox()[0], "/aanmelden/bevestigen/")
    member = services.confirm(token, "2026-1")
    assert member.status == MemberStatus.MEMBER and member.confirmed_at is not None
    with pytest.raises(DomainError, match="werkt niet meer"):
        services.confirm(token, "2026-1")
    assert len(member.consents) == 1  # consent is not recorded twice


def test_confirmation_link_expires(world):
    join()
    token = token_of(outbox()[0], "/aanmelden/bevestigen/")
    for link in db.session.scalars(select(MemberLink)):
        link.expires_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(DomainError):
        services.confirmation_member(token)


def test_joining_twice_creates_no_second_member_and_sends_a_new_link(world):
    join()
    join(name="Someone Else")
    assert db.session.scalar(select(func.count(PanelMember.id))) == 1
    assert len(outbox("piet@example.org")) == 2
    token = token_of(outbox()[1], "/aanmelden/bevestigen/")
    services.confirm(token, "2026-1")
    join()
    assert "al in het wijkpanel" in outbox()[-1].text_body or \
        "already in the wijkpanel" in outbox()[-1].text_body


def test_unknown_postcode_asks_for_the_wijk(world):
    with pytest.raises(services.PostcodeUnknown):
        join(postcode="9999 ZZ")
    join(postcode="9999 ZZ", neighbourhood_code="WK036104")
    assert db.session.scalars(select(PanelMember)).one().neighbourhood is world.vrooner


@pytest.mark.parametrize(("field", "value"), [
    ("email", "not-an-email"), ("postcode", "12345"), ("postcode", "1801 SS"),
    ("house_number", "twelve"), ("phone", "abc"), ("name", "  "),
    ("statement_version", "old"), ("neighbourhood_code", "WK999999"),
])
def test_bad_input_is_refused_with_a_message(world, field, value):
    with pytest.raises(DomainError) as caught:
        join(**{field: value})
    assert str(caught.value.message)
    assert db.session.scalar(select(func.count(PanelMember.id))) == 0


def test_access_link_opens_the_page_until_it_expires(world):
    join()
    member = services.confirm(token_of(outbox()[0], "/aanmelden/bevestigen/"), "2026-1")
    welcome = outbox()[-1]
    token = token_of(welcome, "/mijn/link/")
    assert services.member_by_access_link(token) is member
    assert services.member_by_access_link(token) is member  # usable more than once
    for link in db.session.scalars(select(MemberLink)):
        link.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(DomainError):
        services.member_by_access_link(token)


def test_link_request_mails_a_link_to_members_and_a_way_to_join_to_others(world):
    join()
    services.confirm(token_of(outbox()[0], "/aanmelden/bevestigen/"), "2026-1")
    before = len(outbox())
    services.request_access_link("not an email")
    assert len(outbox()) == before
    services.request_access_link("Nobody@example.org", "en")
    [stranger] = outbox("nobody@example.org")
    assert stranger.language == "en" and "/mijn/link/" not in stranger.text_body
    assert "http://wijkpanel.test/aanmelden" in stranger.text_body
    services.request_access_link("PIET@example.org")
    assert len(outbox()) == before + 2 and "/mijn/link/" in outbox()[-1].text_body


def test_every_member_email_has_a_leave_link_and_list_unsubscribe(world):
    join()
    message = outbox()[0]
    assert "/afmelden/" in message.text_body and "/afmelden/" in message.html_body
    assert "List-Unsubscribe" in message.headers and "One-Click" in message.headers


def test_leaving_erases_personal_data_and_keeps_counts(world):
    join(phone="072 123 45 67")
    member = services.confirm(token_of(outbox()[0], "/aanmelden/bevestigen/"), "2026-1")
    access = token_of(outbox()[-1], "/mijn/link/")
    code = services.new_short_code(member)
    services.leave(member)
    assert member.status == "left" and member.left_at is not None
    assert (member.name, member.email, member.phone, member.postcode, member.street) == \
        ("", None, "", "", "")
    assert member.neighbourhood is world.mare
    assert all(c.withdrawn_at for c in db.session.scalars(select(Consent)))
    assert db.session.scalar(select(func.count(MemberLink.id))) == 0
    assert outbox("piet@example.org") == []
    with pytest.raises(DomainError):
        services.member_by_access_link(access)
    with pytest.raises(DomainError):
        services.member_by_short_code(code)
    assert services.get_member(member.id) is None


def test_details_can_be_changed_also_to_an_address_of_the_household(world):
    join()
    join(email="other@example.org")
    member = db.session.scalars(select(PanelMember).where(
        PanelMember.email == "piet@example.org")).one()
    change = services.DetailsChange(name="Piet J.", email="piet@example.org", phone="",
                                    language="en", accessibility_needs="Ringleiding",
                                    availability=["weekday-evening", "made-up", "saturday-morning"])
    services.update_details(member, change)
    assert (member.name, member.language) == ("Piet J.", "en")
    assert member.availability_slots == ["weekday-evening", "saturday-morning"]
    # Another member's address may be shared (a household); the page reveals nothing.
    change.email = "Other@Example.org"
    services.update_details(member, change)
    assert member.email == "other@example.org"
    assert len(services.members_with_email("other@example.org")) == 2
    change.email = ""
    with pytest.raises(DomainError):
        services.update_details(member, change)


def test_short_code_opens_the_page(world, app):
    member = services.get_neighbourhood("WK036101")
    resident = PanelMember(neighbourhood=member, name="Oma Jansen", status="invited",
                           source="staff")
    db.session.add(resident)
    db.session.flush()
    code = services.new_short_code(resident)
    assert len(code) == 9 and code[4] == "-"
    assert services.member_by_short_code(code.lower().replace("-", " ")) is resident
    with pytest.raises(DomainError):
        services.member_by_short_code("AAAA-AAAA")


def test_my_data_holds_the_consent_proof(world):
    join()
    member = db.session.scalars(select(PanelMember)).one()
    data = services.my_data(member)
    assert data["member"]["email"] == "piet@example.org"
    assert data["consents"][0]["statement_version"] == "2026-1"
    assert "wijkpanel" in data["consents"][0]["statement_text"]


@pytest.mark.parametrize(("fields", "line"), [
    ({"street": "Laat", "house_number": "12", "postcode": "1811AB", "city": "Alkmaar"},
     "Laat 12, 1811 AB Alkmaar"),
    ({"postcode": "1811AB"}, "1811 AB"),
    ({"street": "Laat", "house_number": "12"}, "Laat 12"),
    ({}, ""),
])
def test_the_address_is_written_as_on_a_letter(fields, line):
    assert PanelMember(**fields).address_line == line
