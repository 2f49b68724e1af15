"""Signing in and out, setting a password, and managing accounts through the web."""

from __future__ import annotations

import re

from sqlalchemy import select

from panel.auth import services
from panel.auth.models import Role, User
from panel.db import db
from tests import factories


def test_staff_pages_ask_for_login(client):
    response = client.get("/beheer/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/beheer/inloggen")


def test_login_and_logout(client, session):
    factories.user(Role.ADMIN, email="a@example.org")
    session.commit()
    response = factories.login(client, "a@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/beheer/"
    assert "Welkom" in client.get("/beheer/").get_data(as_text=True)
    client.post("/beheer/uitloggen")
    assert client.get("/beheer/").status_code == 302


def test_login_message_is_the_same_for_unknown_email_and_wrong_password(client, session):
    factories.user(Role.ADMIN, email="a@example.org")
    session.commit()
    wrong_password = factories.login(client, "a@example.org", "wrong password!")
    unknown = factories.login(client, "nobody@example.org")
    assert wrong_password.status_code == unknown.status_code == 200

    def message(response) -> str:  # type: ignore[no-untyped-def]
        return re.search(r'utrecht-alert--error">\s*<p[^>]*>(.*?)</p>',
                         response.get_data(as_text=True), re.S).group(1)

    assert message(wrong_password) == message(unknown)
    assert "klopt niet" in message(unknown)


def test_login_follows_only_local_next(client, session):
    factories.user(Role.ADMIN, email="a@example.org")
    session.commit()
    response = client.post("/beheer/inloggen?next=https://evil.example/",
                           data={"email": "a@example.org", "password": factories.PASSWORD})
    assert response.headers["Location"] == "/beheer/"
    client.post("/beheer/uitloggen")
    response = client.post("/beheer/inloggen?next=/beheer/gebieden",
                           data={"email": "a@example.org", "password": factories.PASSWORD})
    assert response.headers["Location"] == "/beheer/gebieden"


def test_forms_without_csrf_token_are_refused(client, session, csrf_enabled):
    factories.user(Role.ADMIN, email="a@example.org")
    session.commit()
    response = factories.login(client, "a@example.org")
    assert response.status_code == 400
    assert client.get("/beheer/").status_code == 302


def test_login_with_csrf_token_works(client, session, csrf_enabled):
    factories.user(Role.ADMIN, email="a@example.org")
    session.commit()
    page = client.get("/beheer/inloggen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/beheer/inloggen", data={
        "email": "a@example.org", "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_login_attempts_are_rate_limited(client, session, rate_limits):
    statuses = [factories.login(client, "x@example.org", "wrong password!").status_code
                for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert "Te veel pogingen" in factories.login(client, "x@example.org").get_data(as_text=True)


def test_set_password_through_the_link(client, session):
    _, token = services.create_user(None, "new@example.org", "clerk")
    session.commit()
    page = client.get(f"/beheer/wachtwoord/{token}")
    assert page.status_code == 200 and "new@example.org" in page.get_data(as_text=True)
    mismatch = client.post(f"/beheer/wachtwoord/{token}",
                           data={"password": "a long enough password", "confirm": "other"})
    assert "niet gelijk" in mismatch.get_data(as_text=True)
    done = client.post(f"/beheer/wachtwoord/{token}", data={
        "password": "a long enough password", "confirm": "a long enough password"})
    assert done.status_code == 302
    assert factories.login(client, "new@example.org", "a long enough password").status_code == 302
    reused = client.get(f"/beheer/wachtwoord/{token}")
    assert reused.status_code == 410 and "werkt niet meer" in reused.get_data(as_text=True)


def test_unknown_password_link_is_gone(client):
    assert client.get("/beheer/wachtwoord/made-up-token").status_code == 410


def test_admin_creates_an_account_and_sees_the_link_once(client, session):
    factories.user(Role.ADMIN, email="admin@example.org")
    factories.area("noord", "Noord")
    session.commit()
    factories.login(client, "admin@example.org")
    response = client.post("/beheer/accounts/nieuw", data={
        "email": "team@example.org", "name": "Team", "role": "team", "areas": ["noord"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    link = re.search(r"http://wijkpanel.test/beheer/wachtwoord/[\w-]+", page).group(0)
    assert client.get(link.replace("http://wijkpanel.test", "")).status_code == 200
    user = db.session.scalars(select(User).where(User.email == "team@example.org")).one()
    assert [a.code for a in user.areas] == ["noord"]


def test_a_new_account_gets_no_role_until_one_is_chosen_and_both_steps_are_logged(
        client, session):
    from panel.privacy.models import AuditEvent

    factories.user(Role.ADMIN, email="admin@example.org")
    factories.area("noord", "Noord")
    session.commit()
    factories.login(client, "admin@example.org")
    form = client.get("/beheer/accounts/nieuw").get_data(as_text=True)
    select_role = form.split('id="role"', 1)[1].split("</select>", 1)[0]
    assert select_role.split("<option", 2)[1] == ' value="">Kies een rol</option>'
    assert "selected" not in select_role  # the browser shows the first: no role
    page = client.post("/beheer/accounts/nieuw", data={
        "email": "nieuw@example.org", "name": "Nieuw"}).get_data(as_text=True)
    assert "Kies een rol." in page
    assert db.session.scalars(select(User).where(User.email == "nieuw@example.org")).first() \
        is None
    client.post("/beheer/accounts/nieuw", data={
        "email": "nieuw@example.org", "name": "Nieuw", "role": "team", "areas": ["noord"]})
    user = db.session.scalars(select(User).where(User.email == "nieuw@example.org")).one()
    client.post(f"/beheer/accounts/{user.id}", data={"name": "Nieuw", "role": "clerk",
                                                     "active": "y"})
    events = [(e.action, e.detail) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "staff_account",
                                 AuditEvent.object_id == str(user.id))
        .order_by(AuditEvent.id))]
    assert events == [("create", "role team; gebieden noord; active"),
                      ("change", "role clerk; gebieden -; active")]


def test_admin_edits_an_account_and_makes_a_new_link(client, session):
    factories.user(Role.ADMIN, email="admin@example.org")
    other = factories.user(Role.CLERK, email="clerk@example.org")
    session.commit()
    other_id = other.id
    factories.login(client, "admin@example.org")
    response = client.post(f"/beheer/accounts/{other_id}", data={
        "name": "Griffier", "role": "clerk", "active": ""})
    assert response.status_code == 302
    assert db.session.get(User, other_id).active is False
    page = client.post(f"/beheer/accounts/{other_id}/link").get_data(as_text=True)
    assert "/beheer/wachtwoord/" in page


def test_non_admins_cannot_reach_account_pages(client, session):
    team = factories.user(Role.TEAM, email="team@example.org", areas=[factories.area()])
    factories.user(Role.CLERK, email="clerk@example.org")
    session.commit()
    for email in ("team@example.org", "clerk@example.org"):
        factories.login(client, email)
        assert client.get("/beheer/accounts").status_code == 403
        assert client.get("/beheer/accounts/nieuw").status_code == 403
        assert client.get(f"/beheer/accounts/{team.id}").status_code == 403
        assert client.post(f"/beheer/accounts/{team.id}/link").status_code == 403
        client.post("/beheer/uitloggen")


def test_create_user_command_prints_a_working_link(runner, client, session):
    factories.area("noord")
    session.commit()
    result = runner.invoke(args=["create-user", "--email", "t@example.org", "--role", "team",
                                 "--area", "noord"])
    assert result.exit_code == 0, result.output
    link = re.search(r"http://wijkpanel.test(/beheer/wachtwoord/[\w-]+)", result.output)
    assert link and client.get(link.group(1)).status_code == 200


def test_create_user_command_reports_bad_input(runner):
    result = runner.invoke(args=["create-user", "--email", "t@example.org", "--role", "team"])
    assert result.exit_code != 0
    assert "gebied" in result.output
