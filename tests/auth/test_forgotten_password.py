"""A staff member who forgot their password asks for a link on /beheer/wachtwoord-vergeten:
the same answer page for every address, an email with a single-use, expiring link to the
set-password page for an active account (a short "no account" email otherwise), one audit
event either way, and two-step login still asked after the new password. The timing and
the limit per email address are tested in ``tests/test_enumeration_timing.py``."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from panel import limits
from panel.auth import services
from panel.auth.models import PasswordLink
from panel.db import db, utcnow
from panel.errors import DomainError
from panel.later import wait_for_jobs
from panel.privacy.models import AuditEvent
from tests import factories
from tests.auth.helpers import code, enable_two_factor, signed_in
from tests.mailbox import link_in, outbox

NEW_PASSWORD = "a quiet street with tall trees"


def ask(client, email: str):  # type: ignore[no-untyped-def]
    return client.post("/beheer/wachtwoord-vergeten", data={"email": email})


def token_in(email: str) -> str:
    return link_in(outbox(email)[-1], "/beheer/wachtwoord/").rsplit("/", 1)[1]


def set_password(client, token: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(f"/beheer/wachtwoord/{token}",
                       data={"password": password, "confirm": password})


def events() -> list[tuple[str, str, str]]:
    return [(e.object_id, e.result, e.detail) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "password-link").order_by(AuditEvent.id))]


# --- the service ----------------------------------------------------------------------------

def test_an_active_account_gets_a_single_use_link_that_works_two_hours(session):
    user = factories.user(email="anna@example.org")
    assert services.request_password_link(" Anna@Example.org ", "nl") is user
    [message] = outbox("anna@example.org")
    assert "Kies een nieuw wachtwoord" in message.subject and message.language == "nl"
    assert "2 uur lang" in message.text_body
    link = db.session.scalars(select(PasswordLink)).one()
    hours = (link.expires_at - link.created_at) / timedelta(hours=1)
    assert hours == pytest.approx(services.FORGOTTEN_PASSWORD_HOURS, abs=0.01)
    assert services.check_password_link(token_in("anna@example.org")) is user


def test_a_new_link_ends_the_earlier_unused_one(session):
    factories.user(email="anna@example.org")
    services.request_password_link("anna@example.org", "nl")
    first = token_in("anna@example.org")
    services.request_password_link("anna@example.org", "en")
    assert outbox("anna@example.org")[-1].language == "en"
    with pytest.raises(DomainError):
        services.check_password_link(first)
    services.check_password_link(token_in("anna@example.org"))


@pytest.mark.parametrize("account", ["none", "blocked"])
def test_an_address_without_an_active_account_gets_a_no_account_email(session, account):
    if account == "blocked":
        factories.user(email="anna@example.org", active=False)
    assert services.request_password_link("anna@example.org", "nl") is None
    [message] = outbox("anna@example.org")
    assert "/beheer/wachtwoord/" not in message.text_body
    assert "Er is geen account" in message.text_body
    assert db.session.scalars(select(PasswordLink)).all() == []


def test_an_address_that_is_not_valid_is_refused(session):
    with pytest.raises(DomainError):
        services.request_password_link("not an address", "nl")
    assert outbox() == []


# --- the pages ------------------------------------------------------------------------------

def test_the_sign_in_page_links_to_the_forgotten_password_page(client, session):
    page = client.get("/beheer/inloggen").get_data(as_text=True)
    assert 'href="/beheer/wachtwoord-vergeten">Wachtwoord vergeten?</a>' in page
    form = client.get("/beheer/wachtwoord-vergeten")
    assert form.status_code == 200
    assert 'autocomplete="username"' in form.get_data(as_text=True)


def test_every_address_gets_the_same_answer_and_one_audit_event(app, session):
    user = factories.user(email="anna@example.org")
    session.commit()
    responses = [ask(app.test_client(), email)
                 for email in ("anna@example.org", "nobody@example.org")]
    assert {(r.status_code, r.headers["Location"]) for r in responses} == \
        {(302, "/beheer/wachtwoord-vergeten/verstuurd")}
    pages = {app.test_client().get("/beheer/wachtwoord-vergeten/verstuurd")
             .get_data(as_text=True) for _ in range(2)}
    assert len(pages) == 1 and "Kijk in uw e-mail" in pages.pop()
    assert len(outbox("anna@example.org")) == len(outbox("nobody@example.org")) == 1
    assert events() == [(str(user.id), "ok", "forgotten password"),
                        ("", "failed", "forgotten password")]
    assert "nobody" not in repr(db.session.scalars(select(AuditEvent)).all())


def test_an_empty_or_wrong_address_comes_back_with_its_error(client, session):
    empty = client.post("/beheer/wachtwoord-vergeten", data={"email": ""})
    wrong = ask(client, "not an address")
    for response in (empty, wrong):
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "<title>Fout:" in page
        assert 'aria-invalid="true"' in page
    assert "Dit is geen geldig e-mailadres." in wrong.get_data(as_text=True)
    assert outbox() == [] and events() == []


def test_a_signed_in_user_changes_the_password_on_its_own_page(login_as, session):
    factories.user(email="anna@example.org")
    session.commit()
    client = login_as("anna@example.org")
    response = client.get("/beheer/wachtwoord-vergeten")
    assert response.status_code == 302 and response.headers["Location"] == "/beheer/wachtwoord"
    assert ask(client, "anna@example.org").status_code == 302 and outbox() == []


def test_the_link_sets_a_password_once_and_two_step_login_still_applies(app, session):
    user = factories.user(email="anna@example.org")
    totp = enable_two_factor(user)
    session.commit()
    client = app.test_client()
    ask(client, "anna@example.org")
    token = token_in("anna@example.org")
    assert client.get(f"/beheer/wachtwoord/{token}").status_code == 200
    done = set_password(client, token)
    assert done.status_code == 302 and done.headers["Location"] == "/beheer/inloggen"
    assert set_password(client, token, "another quiet street here").status_code == 410
    first = factories.login(client, "anna@example.org", NEW_PASSWORD)
    assert first.headers["Location"] == "/beheer/inloggen/code" and not signed_in(client)
    client.post("/beheer/inloggen/code", data={"code": code(totp)})
    assert signed_in(client)
    assert factories.login(app.test_client(), "anna@example.org",
                           factories.PASSWORD).status_code == 200  # the old one is gone


def test_an_expired_link_no_longer_works(app, session):
    factories.user(email="anna@example.org")
    session.commit()
    ask(app.test_client(), "anna@example.org")
    token = token_in("anna@example.org")
    db.session.execute(update(PasswordLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert app.test_client().get(f"/beheer/wachtwoord/{token}").status_code == 410


def test_the_form_needs_its_csrf_token(app, session, csrf_enabled):
    factories.user(email="anna@example.org")
    session.commit()
    client = app.test_client()
    assert ask(client, "anna@example.org").status_code in (200, 400)
    assert outbox() == []
    page = client.get("/beheer/wachtwoord-vergeten").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    sent = client.post("/beheer/wachtwoord-vergeten",
                       data={"email": "anna@example.org", "csrf_token": token.group(1)})
    assert sent.status_code == 302 and len(outbox("anna@example.org")) == 1


def test_after_the_response_the_email_and_the_event_with_its_ip_address_follow(app, session):
    """As in production, the work that depends on the address is done after the response
    (``panel.later``): the email and the audit event come all the same, with the IP
    address of the request."""
    user = factories.user(email="anna@example.org")
    session.commit()
    app.config["PANEL_LATER_IN_REQUEST"] = False
    try:
        response = app.test_client().post("/beheer/wachtwoord-vergeten",
                                          data={"email": "anna@example.org"},
                                          environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert response.status_code == 302 and wait_for_jobs()
    finally:
        app.config["PANEL_LATER_IN_REQUEST"] = True
    db.session.rollback()  # see what the job committed
    assert len(outbox("anna@example.org")) == 1
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.object_id, event.address) == (str(user.id), "192.0.2.7")


def test_one_ip_address_is_limited_whatever_the_addresses_typed(app, session, limiter_clock):
    per_hour = int(limits.PER_ADDRESS.split()[0])
    client = app.test_client()
    statuses = [ask(client, f"iemand{n}@example.org").status_code for n in range(per_hour + 1)]
    assert statuses == [302] * per_hour + [429]
    other = app.test_client().post("/beheer/wachtwoord-vergeten",
                                   data={"email": "iemand@example.org"},
                                   environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert other.status_code == 302
