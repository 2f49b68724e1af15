"""The page where staff see where they are signed in (``/beheer/sessies``) and end their
other sessions; what the session check costs a request."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from panel.auth.models import Role, StaffSession, User
from panel.db import db
from panel.privacy.models import AuditEvent
from tests import factories
from tests.auth.helpers import age_session

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
EMAIL = "team@example.org"


@pytest.fixture
def team(session) -> User:
    user = factories.user(Role.TEAM, email=EMAIL, areas=[factories.area()])
    factories.user(Role.ADMIN, email="admin@example.org")
    session.commit()
    return user


def _signed_in(app, user_agent: str, email: str = EMAIL):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert factories.login(client, email).status_code == 302
    return client


def _rows(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", cell).strip() for cell in
            re.findall(r'<th class="utrecht-table__header-cell" scope="row"[^>]*>(.*?)</th>',
                       page, re.S)]


def _session_ids() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(StaffSession.id).where(
        StaffSession.ended_at.is_(None)).order_by(StaffSession.id)))


def test_the_page_lists_the_staff_members_own_sessions_this_one_marked(app, team):
    laptop = _signed_in(app, FIREFOX)
    _signed_in(app, IPHONE)
    _signed_in(app, FIREFOX, "admin@example.org")  # someone else's: not listed
    response = laptop.get("/beheer/sessies")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1 class=\"utrecht-heading-1\">Waar u bent ingelogd</h1>" in page
    assert sorted(_rows(page)) == ["Firefox op Windows (deze browser)", "Mobile Safari op iOS"]
    assert "30 minuten" in page and "12 uur" in page
    assert page.count("Deze sessie beëindigen") == 1
    assert "Alle andere sessies beëindigen" in page


def test_the_account_pages_link_to_the_sessions(app, team):
    client = _signed_in(app, FIREFOX)
    for path in ("/beheer/", "/beheer/wachtwoord"):
        assert 'href="/beheer/sessies"' in client.get(path).get_data(as_text=True), path


def test_alone_there_is_nothing_else_to_end(app, team):
    page = _signed_in(app, FIREFOX).get("/beheer/sessies").get_data(as_text=True)
    assert "U bent nergens anders ingelogd." in page
    assert "beëindigen</button>" not in page


def test_ending_another_session_signs_that_browser_out(app, team):
    laptop = _signed_in(app, FIREFOX)
    phone = _signed_in(app, IPHONE)
    mine, other = _session_ids()
    response = laptop.post(f"/beheer/sessies/{other}/beeindigen", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "De sessie is beëindigd. Die browser is uitgelogd." in page
    assert _rows(page) == ["Firefox op Windows (deze browser)"]
    assert phone.get("/beheer/").status_code == 302
    assert _session_ids() == [mine]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "end")).one()
    assert (event.object_type, event.object_id, event.actor, event.actor_id, event.detail) \
        == ("staff_session", str(other), "staff", team.id, "ended from the list of sessions")


def test_ending_all_others_keeps_this_browser(app, team):
    laptop = _signed_in(app, FIREFOX)
    others = [_signed_in(app, IPHONE), _signed_in(app, IPHONE)]
    response = laptop.post("/beheer/sessies/andere-beeindigen", follow_redirects=True)
    assert "2 andere sessies zijn beëindigd." in response.get_data(as_text=True)
    assert [client.get("/beheer/").status_code for client in others] == [302, 302]
    assert laptop.get("/beheer/").status_code == 200
    assert len(_session_ids()) == 1


def test_this_session_is_ended_by_signing_out_not_from_the_list(app, team):
    laptop = _signed_in(app, FIREFOX)
    [mine] = _session_ids()
    response = laptop.post(f"/beheer/sessies/{mine}/beeindigen", follow_redirects=True)
    assert "Kies Uitloggen" in response.get_data(as_text=True)
    assert laptop.get("/beheer/").status_code == 200


def test_another_staff_members_session_is_not_found(app, team):
    _signed_in(app, FIREFOX, "admin@example.org")
    [theirs] = _session_ids()
    laptop = _signed_in(app, FIREFOX)
    assert laptop.post(f"/beheer/sessies/{theirs}/beeindigen").status_code == 404
    assert theirs in _session_ids()


def test_a_session_that_ended_already_says_so(app, team):
    laptop = _signed_in(app, FIREFOX)
    phone = _signed_in(app, IPHONE)
    _mine, other = _session_ids()
    phone.post("/beheer/uitloggen")
    response = laptop.post(f"/beheer/sessies/{other}/beeindigen", follow_redirects=True)
    assert "Deze sessie is al beëindigd." in response.get_data(as_text=True)


def test_ending_sessions_needs_the_csrf_token(app, team, csrf_enabled):
    laptop = _signed_in_with_csrf(app)
    _signed_in_with_csrf(app)
    _mine, other = _session_ids()
    assert laptop.post(f"/beheer/sessies/{other}/beeindigen").status_code == 400
    assert laptop.post("/beheer/sessies/andere-beeindigen").status_code == 400
    assert other in _session_ids()


def _signed_in_with_csrf(app):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/beheer/inloggen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post("/beheer/inloggen", data={
        "email": EMAIL, "password": factories.PASSWORD, "csrf_token": token.group(1)})
    assert response.status_code == 302
    return client


def test_the_sessions_page_needs_a_signed_in_staff_member(client, team):
    response = client.get("/beheer/sessies")
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/beheer/inloggen")
    assert client.post("/beheer/sessies/andere-beeindigen").status_code == 302


def test_the_session_check_is_part_of_loading_the_user_and_writes_once_a_minute(
        app, team, counted, session):
    laptop = _signed_in(app, FIREFOX)
    counted.clear()
    assert laptop.get("/beheer/sessies").status_code == 200
    about_sessions = [s for s in counted if "staff_session" in s]
    loading = [s for s in counted if "FROM staff_user" in s]
    assert len(loading) == 1 and "JOIN staff_session" in loading[0]
    assert not [s for s in about_sessions if s.startswith("UPDATE")]
    age_session(laptop, seen=61)
    counted.clear()
    assert laptop.get("/beheer/sessies").status_code == 200
    assert len([s for s in counted if s.startswith("UPDATE staff_session")]) == 1
    counted.clear()
    assert laptop.get("/beheer/sessies").status_code == 200
    assert not [s for s in counted if s.startswith("UPDATE staff_session")]
