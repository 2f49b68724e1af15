"""People of one household may share an email address: each is a member of their own, with
their own links and consent, wherever the platform looks people up by email."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from panel.db import db
from panel.errors import DomainError
from panel.mail import services as mail
from panel.signups import services, staff
from panel.signups.models import Consent, MemberLink, PanelMember
from tests import factories
from tests.mailbox import link_in, outbox

SHARED = "fam.jansen@example.org"


@pytest.fixture
def household(world):  # type: ignore[no-untyped-def]
    """Anna (a member) and Bram (invited) Jansen share one address; Cor has his own."""
    anna = factories.member(world.mare, "Anna Jansen", SHARED, status="member",
                            source="survey", respondent_id="R1")
    bram = factories.member(world.mare, "Bram Jansen", SHARED, status="invited",
                            source="survey", respondent_id="R2")
    cor = factories.member(world.mare, "Cor Smit", "cor@example.org")
    db.session.commit()
    return anna, bram, cor


def members() -> int:
    return db.session.scalar(select(func.count(PanelMember.id))) or 0


def test_asking_for_a_link_sends_each_member_of_the_household_their_own(household):
    anna, bram, _cor = household
    services.request_access_link(" Fam.Jansen@Example.org ")
    messages = outbox(SHARED)
    assert len(messages) == 2
    by_name = {("Anna" in m.text_body, "Bram" in m.text_body): m for m in messages}
    anna_mail, bram_mail = by_name[True, False], by_name[False, True]
    assert "/mijn/link/" in anna_mail.text_body  # a member: a link to her own page
    assert "/aanmelden/bevestigen/" in bram_mail.text_body  # invited: a link to confirm
    anna_page = link_in(anna_mail, "/mijn/link/").rsplit("/", 1)[1]
    bram_page = link_in(bram_mail, "/mijn/link/").rsplit("/", 1)[1]
    assert services.member_by_access_link(anna_page) is anna
    assert services.member_by_access_link(bram_page) is bram


def test_joining_online_with_a_households_address_makes_nobody_new(household, world):
    services.join(services.JoinRequest(
        name="Dirk Jansen", email=SHARED, phone="", postcode="1801 AA", house_number="12",
        neighbourhood_code="", language="nl", statement_version="2026-1"))
    assert members() == 3
    assert sorted("Anna" in m.text_body for m in outbox(SHARED)) == [False, True]


def test_each_member_of_a_household_confirms_with_their_own_consent(household):
    _anna, bram, _cor = household
    services.request_access_link(SHARED)
    [bram_mail] = [m for m in outbox(SHARED) if "Bram" in m.text_body]
    token = link_in(bram_mail, "/aanmelden/bevestigen/").rsplit("/", 1)[1]
    confirmed = services.confirm(token, "2026-1")
    assert confirmed is bram and bram.status == "member"
    consents = db.session.scalars(select(Consent)).all()
    assert [(c.member_id, c.channel) for c in consents] == [(bram.id, "survey")]


def test_leaving_keeps_the_mail_waiting_for_the_rest_of_the_household(household):
    anna, bram, cor = household
    services.request_access_link(SHARED)
    services.request_access_link("cor@example.org")
    services.leave(anna)
    assert anna.email is None and len(outbox(SHARED)) == 2
    assert db.session.scalars(select(MemberLink).where(
        MemberLink.member_id == anna.id)).all() == []
    services.leave(bram)  # the last one with the address: its mail goes too
    assert outbox(SHARED) == []
    services.leave(cor)
    assert outbox("cor@example.org") == []
    assert mail.forget_address(SHARED) == 0


def test_staff_register_a_second_member_with_the_households_address(household, world):
    registration = staff.Registration(
        name="Dirk Jansen", email="FAM.jansen@example.org", phone="", street="", postcode="",
        house_number="", city="", neighbourhood_code="WK036101", language="nl",
        channel="paper")
    dirk = staff.register(world.team_noord, registration)
    assert dirk.email == SHARED and members() == 4
    registration.name = "anna jansen"
    with pytest.raises(DomainError, match="naam en dit e-mailadres"):
        staff.register(world.team_noord, registration)


def test_staff_change_an_address_to_the_households_but_not_to_the_same_person_twice(
        household, world):
    anna, _bram, cor = household
    change = staff.Registration(
        name="Cor Smit", email=SHARED, phone="", street="", postcode="", house_number="",
        city="", neighbourhood_code="WK036101", language="nl", channel="")
    staff.update_member(world.team_noord, cor.id, change)
    assert cor.email == SHARED
    change.name = "Anna Jansen"
    with pytest.raises(DomainError, match="naam en dit e-mailadres"):
        staff.update_member(world.team_noord, cor.id, change)
    unchanged = staff.Registration(
        name="Anna Jansen", email=SHARED, phone="072 512 34 56", street="", postcode="",
        house_number="", city="", neighbourhood_code="WK036101", language="nl", channel="")
    staff.update_member(world.team_noord, anna.id, unchanged)  # her own name and address
    assert anna.phone == "072 512 34 56"


def test_the_member_list_finds_every_member_with_the_address(household, world):
    found = staff.list_members(world.team_noord, staff.MemberFilter(query="fam.jansen"))
    assert sorted(m.name for m in found.members) == ["Anna Jansen", "Bram Jansen"]


def test_letters_for_a_household_each_have_their_own_code(household, world):
    anna, bram, _cor = household
    document = staff.letters_for(world.team_noord, [anna.id, bram.id])
    assert document[:2] == b"PK"
    assert anna.short_code_hash and bram.short_code_hash
    assert anna.short_code_hash != bram.short_code_hash
