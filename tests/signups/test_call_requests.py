"""Residents who ask to be called: on the join form and on their own page; staff of the
gebied see the request with the phone number and mark it as called; leaving erases it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from panel.auth.models import Role
from panel.db import db, utcnow
from panel.privacy.models import AuditEvent
from panel.signups import services, staff
from panel.signups.models import PanelMember
from tests import factories
from tests.mailbox import link_in, outbox

VERSION = "2026-1"


def join_data(**overrides: str) -> dict[str, str]:
    data = {"name": "Fatma Kaya", "email": "fatma@example.org", "phone": "",
            "postcode": "1801 AA", "house_number": "12", "neighbourhood": "",
            "language": "nl", "statement_version": VERSION, "consent": "y"}
    data.update(overrides)
    return data


def member_with(email: str) -> PanelMember:
    return db.session.scalars(select(PanelMember).where(PanelMember.email == email)).one()


def events(member_id: int) -> list[tuple[str, str, str]]:
    return [tuple(row) for row in db.session.execute(
        select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail)
        .where(AuditEvent.object_type == "member", AuditEvent.object_id == str(member_id))
        .order_by(AuditEvent.id))]


def open_own_page(client, member: PanelMember) -> None:  # type: ignore[no-untyped-def]
    """Sign the resident in with a personal link from an email, as they would."""
    services.request_access_link(member.email or "")
    db.session.commit()
    assert client.get(link_in(outbox(member.email)[-1], "/mijn/link/")).status_code == 302


@pytest.fixture
def caller(world):  # type: ignore[no-untyped-def]
    """A member in De Mare (gebied Noord) who asked to be called."""
    member = factories.member(world.mare, "Ruud Bellen", "ruud@example.org",
                              phone="06 12345678", call_requested_at=utcnow())
    db.session.commit()
    return member


# --- joining ------------------------------------------------------------------------------

def test_asking_for_a_call_without_a_phone_number_asks_for_one(client, world):
    response = client.post("/aanmelden", data=join_data(call_me="y"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    error = re.search(r'<div class="utrecht-form-field-error-message" id="phone-error">'
                      r"([^<]*)</div>", page)
    assert error is not None
    assert error.group(1) == "Vul uw telefoonnummer in, dan kunnen wij u bellen."
    box = re.search(r'<input[^>]*id="call_me"[^>]*>', page)
    assert box is not None and "checked" in box.group(0)  # what was ticked stays ticked
    assert db.session.scalars(select(PanelMember)).all() == []
    assert outbox() == []


def test_the_service_also_refuses_a_call_without_a_number(world):
    request = services.JoinRequest(
        name="Fatma Kaya", email="fatma@example.org", phone=" ", postcode="1801 AA",
        house_number="12", neighbourhood_code="", language="nl", statement_version=VERSION,
        call_me=True)
    with pytest.raises(services.DomainError, match="telefoonnummer"):
        services.join(request)


def test_joining_with_the_box_ticked_asks_for_a_call(client, world):
    before = utcnow()
    response = client.post("/aanmelden", data=join_data(call_me="y", phone="+31 6 1234 5678"))
    assert response.headers["Location"] == "/aanmelden/verstuurd"
    member = member_with("fatma@example.org")
    assert member.phone == "06 12345678"
    assert member.call_requested_at is not None and member.call_requested_at >= before


def test_joining_without_the_box_asks_for_no_call(client, world):
    client.post("/aanmelden", data=join_data(phone="06 12345678"))
    assert member_with("fatma@example.org").call_requested_at is None


def test_the_join_form_offers_the_box_with_its_explanation(client, world):
    page = client.get("/aanmelden").get_data(as_text=True)
    assert "Bel mij, ik heb een vraag" in page
    assert 'aria-describedby="call_me-hint"' in page


# --- the resident's own page --------------------------------------------------------------

def test_a_resident_asks_for_a_call_on_their_own_page(client, world):
    member = factories.member(world.mare, "Piet Jansen", "piet@example.org")
    db.session.commit()
    open_own_page(client, member)
    page = client.get("/mijn").get_data(as_text=True)
    assert 'action="/mijn/bellen"' in page
    response = client.post("/mijn/bellen", data={"phone": "072-512 34 56"})
    assert response.headers["Location"] == "/mijn#bellen"
    db.session.refresh(member)
    assert member.phone == "072 512 34 56" and member.call_requested_at is not None
    assert events(member.id)[-1] == ("change", "resident", "asked to be called")
    page = client.get("/mijn").get_data(as_text=True)
    assert "Bedankt. Wij bellen u snel." in page
    assert "U hebt gevraagd of wij u bellen. Wij bellen u op 072 512 34 56." in page
    assert 'action="/mijn/bellen"' not in page
    first = member.call_requested_at
    client.post("/mijn/bellen", data={"phone": "06 12345678"})  # asking again
    db.session.refresh(member)
    assert member.call_requested_at == first and member.phone == "06 12345678"


@pytest.mark.parametrize("phone", ["", "   ", "bel me"])
def test_a_call_without_a_valid_number_is_not_asked(client, world, phone):
    member = factories.member(world.mare, "Piet Jansen", "piet@example.org")
    db.session.commit()
    open_own_page(client, member)
    response = client.post("/mijn/bellen", data={"phone": phone})
    page = response.get_data(as_text=True)
    assert response.status_code == 200  # the page again, with the message at the number
    assert "<title>Fout: " in page and 'href="#call-phone"' in page
    error = re.search(r'id="call-phone-error">(?:<[^>]+>)*([^<]+)<', page)
    assert error and error.group(1).strip().startswith(("Vul uw telefoonnummer in",
                                                         "Dit is geen telefoonnummer"))
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="call-phone"', page) or \
        re.search(r'<input[^>]*id="call-phone"[^>]*aria-invalid="true"', page)
    db.session.refresh(member)
    assert member.call_requested_at is None and member.phone == ""


def test_without_a_session_nothing_is_asked(client, caller):
    response = client.post("/mijn/bellen", data={"phone": "06 11111111"})
    assert response.headers["Location"] == "/mijn"
    db.session.refresh(caller)
    assert caller.phone == "06 12345678"


# --- staff --------------------------------------------------------------------------------

def test_staff_see_the_request_with_the_number_and_mark_it_as_called(caller, login_as):
    team = login_as("noord@example.org")
    page = team.get(f"/beheer/leden/{caller.id}").get_data(as_text=True)
    assert "Wil gebeld worden" in page
    assert '<a class="utrecht-link" href="tel:0612345678">06 12345678</a>' in page
    assert f'action="/beheer/leden/{caller.id}/gebeld"' in page
    listed = team.get("/beheer/leden", query_string={"bellen": "1"}).get_data(as_text=True)
    assert "1 panellid gevonden." in listed and f">{caller.name}</a>" in listed
    assert "Wil gebeld worden" in listed
    response = team.post(f"/beheer/leden/{caller.id}/gebeld")
    assert response.headers["Location"] == f"/beheer/leden/{caller.id}"
    page = team.get(f"/beheer/leden/{caller.id}").get_data(as_text=True)
    assert "Opgeslagen: de bewoner is gebeld." in page and "Wil gebeld worden" not in page
    db.session.refresh(caller)
    assert caller.call_requested_at is None and caller.phone == "06 12345678"
    assert ("change", "staff", "called at the resident's request") in events(caller.id)
    listed = team.get("/beheer/leden", query_string={"bellen": "y"}).get_data(as_text=True)
    assert "0 panelleden gevonden." in listed


def test_marking_twice_says_it_was_done_already(caller, world):
    staff.mark_called(world.team_noord, caller.id)
    with pytest.raises(services.DomainError, match="geen open verzoek"):
        staff.mark_called(world.team_noord, caller.id)


def test_a_team_of_another_gebied_cannot_see_or_clear_it(caller, world, login_as):
    factories.user(Role.TEAM, email="zuid@example.org", areas=[world.zuid])
    db.session.commit()
    zuid = login_as("zuid@example.org")
    assert zuid.get(f"/beheer/leden/{caller.id}").status_code == 404
    assert zuid.post(f"/beheer/leden/{caller.id}/gebeld").status_code == 404
    listed = zuid.get("/beheer/leden", query_string={"bellen": "y"}).get_data(as_text=True)
    assert "0 panelleden gevonden." in listed and caller.name not in listed
    db.session.refresh(caller)
    assert caller.call_requested_at is not None
    assert events(caller.id)[-1][:2] == ("change", "staff")
    denied = db.session.scalars(select(AuditEvent.result).where(
        AuditEvent.object_id == str(caller.id)).order_by(AuditEvent.id.desc())).first()
    assert denied == "denied"


def test_the_clerk_cannot_clear_it(caller, login_as):
    clerk = login_as("clerk@example.org")
    assert clerk.post(f"/beheer/leden/{caller.id}/gebeld").status_code == 403
    db.session.refresh(caller)
    assert caller.call_requested_at is not None


def test_leaving_erases_the_request(caller):
    services.leave(caller)
    db.session.commit()
    db.session.refresh(caller)
    assert (caller.call_requested_at, caller.phone, caller.search_text) == (None, "", "")
    assert services.my_data(caller)["member"]["call_requested_at"] is None


def test_my_data_holds_the_request(caller):
    assert services.my_data(caller)["member"]["call_requested_at"] == \
        caller.call_requested_at.isoformat()
