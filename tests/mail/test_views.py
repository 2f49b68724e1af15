"""The outbox page for administrators (``/beheer/mail``): the messages with masked addresses,
the settings, and the buttons that check them and send a test message."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select, update

from panel.db import db, utcnow
from panel.mail import services
from panel.mail.models import MailStatus, OutboxMessage
from panel.mail.services import Failure
from tests import factories
from tests.mail.helpers import use_server
from tests.smtpserver import smtp_server

SECRET_SUBJECT = "Onderwerp dat niemand mag zien"
SECRET_NAME = "Geheimnaam"


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    session.commit()
    return item


def queue(to: str) -> int:
    return services.queue(to, SECRET_SUBJECT, "test_message", {"name": SECRET_NAME}).id


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def table_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(
        r'<th class="utrecht-table__header-cell utrecht-table__header-cell--numeric" '
        r'scope="row">(\d+)</th>', html)]


def test_the_admin_sees_the_outbox_with_masked_addresses(world, login_as, session, eml_outbox):
    sent, failed, waiting = (queue(f"{name}.jansen@example.nl")
                             for name in ("jan", "piet", "klaas"))
    session.commit()
    services.deliver_due(limit=1)
    session.execute(update(OutboxMessage).where(OutboxMessage.id == failed).values(
        status=MailStatus.FAILED.value, attempts=1,
        last_error="recipient_refused: 550 5.1.1 <[recipient]>: no such user"))
    session.execute(update(OutboxMessage).where(OutboxMessage.id == waiting).values(
        attempts=2, last_error="try_later: 451 try again later",
        next_attempt_at=utcnow() + timedelta(minutes=2)))
    session.commit()

    html = page_text(login_as("admin@example.org").get("/beheer/mail"))

    assert table_ids(html) == [waiting, failed, sent]  # newest first
    assert html.count("j***@e***.nl") == 1 and html.count("p***@e***.nl") == 1
    assert "k***@e***.nl" in html
    for secret in ("jansen", SECRET_SUBJECT, SECRET_NAME):
        assert secret not in html
    assert '<td class="utrecht-table__cell">Testbericht</td>' in html  # its kind in words
    assert str(escape(services.FAILURE_LABELS[Failure.RECIPIENT_REFUSED])) in html
    assert str(escape(services.FAILURE_LABELS[Failure.TRY_LATER])) in html
    assert "no such user" in html


def test_the_outbox_is_filtered_by_status_and_paged(world, login_as, session, eml_outbox):
    rows = [services.message_row(f"lid{n}@example.org", services.Rendered("s", "t", "h", "welcome"),
                                 "nl") for n in range(services.OUTBOX_PER_PAGE + 1)]
    services.queue_many(rows)
    failed = queue("someone@example.org")
    session.execute(update(OutboxMessage).where(OutboxMessage.id == failed).values(
        status=MailStatus.FAILED.value))
    session.commit()
    admin = login_as("admin@example.org")

    first = page_text(admin.get("/beheer/mail"))
    second = page_text(admin.get("/beheer/mail", query_string={"pagina": 2}))
    only_failed = page_text(admin.get("/beheer/mail", query_string={"status": "failed"}))
    queued_page_2 = page_text(admin.get("/beheer/mail",
                                        query_string={"status": "queued", "pagina": 2}))

    assert len(table_ids(first)) == services.OUTBOX_PER_PAGE
    assert table_ids(first)[0] == failed
    assert len(table_ids(second)) == 2
    assert "pagina=2" in first
    assert table_ids(only_failed) == [failed]
    assert len(table_ids(queued_page_2)) == 1 and "status=queued" in queued_page_2


def test_the_page_shows_the_settings_but_never_the_password(world, login_as, app,
                                                            monkeypatch):
    monkeypatch.setitem(app.config, "PANEL_SMTP_HOST", "smtp.gemeente.example")
    monkeypatch.setitem(app.config, "PANEL_SMTP_PORT", 2587)
    monkeypatch.setitem(app.config, "PANEL_SMTP_USER", "wijkpanel-account")
    monkeypatch.setitem(app.config, "PANEL_SMTP_PASSWORD", "zeer-geheim-wachtwoord")

    html = page_text(login_as("admin@example.org").get("/beheer/mail"))

    assert "smtp.gemeente.example" in html and "2587" in html
    assert app.config["PANEL_MAIL_FROM"] in html
    assert _("a user is set") in html
    assert "zeer-geheim-wachtwoord" not in html
    assert _("never checked") in html


@pytest.mark.parametrize("email", ["noord@example.org", "clerk@example.org"])
def test_team_and_clerk_may_not_see_or_use_the_page(world, login_as, email, eml_outbox):
    client = login_as(email)
    assert client.get("/beheer/mail").status_code == 403
    assert client.post("/beheer/mail/controleren").status_code == 403
    assert client.post("/beheer/mail/testbericht").status_code == 403
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_visitors_are_sent_to_the_login(world, client):
    response = client.get("/beheer/mail")
    assert response.status_code == 302 and "/beheer/inloggen" in response.location


def test_check_the_settings_shows_each_step_and_the_verdict(world, login_as, app, monkeypatch):
    with smtp_server() as server:
        use_server(app, monkeypatch, server)
        html = page_text(login_as("admin@example.org").post("/beheer/mail/controleren"))

    assert str(escape(_("Connected to %(host)s:%(port)s.", host=server.host,
                        port=server.port))) in html
    assert str(escape(_("The mail settings work."))) in html
    assert server.messages == []
    state = services.mail_state()
    assert state.ok is True
    assert str(escape(_("Settings check"))) in html


def test_a_failing_check_says_what_to_change(world, login_as, app, monkeypatch):
    with smtp_server() as server:
        use_server(app, monkeypatch, server, starttls=True)
        html = page_text(login_as("admin@example.org").post("/beheer/mail/controleren"))

    assert str(escape(services.explain(Failure.STARTTLS_MISSING))) in html
    assert 'role="alert"' in html
    assert services.mail_state().failure is Failure.STARTTLS_MISSING


def test_the_test_message_goes_to_the_admin_only(world, login_as, app, monkeypatch):
    with smtp_server() as server:
        use_server(app, monkeypatch, server)
        html = page_text(login_as("admin@example.org").post("/beheer/mail/testbericht"))

    [email] = server.messages
    assert email["To"] == "admin@example.org"
    assert email["X-Wijkpanel-Template"] == "mail_check"
    assert str(escape(_("The test message is sent to %(address)s.",
                        address="admin@example.org"))) in html
    [row] = db.session.scalars(select(OutboxMessage)).all()
    assert (row.status, row.to_address) == (MailStatus.SENT, "admin@example.org")
    assert "a***@e***.org" in html


def test_the_buttons_need_the_csrf_token(world, login_as, app, monkeypatch):
    admin = login_as("admin@example.org")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with smtp_server() as server:
        use_server(app, monkeypatch, server)
        assert admin.post("/beheer/mail/testbericht").status_code == 400
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          page_text(admin.get("/beheer/mail"))).group(1)
        answer = admin.post("/beheer/mail/testbericht", data={"csrf_token": token})

    assert answer.status_code == 200
    assert len(server.messages) == 1
