"""Rate limits that protect without locking out neighbours: personal links, email
addresses, staff accounts and members each have their own count, an IP address only a
loose one (many people share one), and the 429 page states the real wait, the same as
its Retry-After header.

The limiter's clock is the test's (``limiter_clock``): windows end only when the test
moves it."""

from __future__ import annotations

import html
import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits import parse_many
from sqlalchemy import select
from werkzeug.test import TestResponse

from panel import limits
from panel.auth import services as auth_services
from panel.auth.models import Role, User
from panel.db import db
from panel.extensions import limiter
from panel.feedback.models import FeedbackItem, Theme
from panel.i18n import LANGUAGE_COOKIE
from panel.meetings import services as meetings
from panel.meetings.models import Meeting
from panel.signups import services as signups
from panel.signups.models import PanelMember
from tests import factories
from tests.auth.helpers import enable_two_factor
from tests.mailbox import link_in, outbox
from tests.meetings.helpers import meeting_data
from tests.timing import Clock

MEMBERS = 31


def allowed(limit: str, granularity: str) -> int:
    """How many requests ``limit`` (a limit string of panel.limits) allows per minute,
    hour or day."""
    return next(item.amount for item in parse_many(limit) if item.GRANULARITY.name ==
                granularity)


def page_text(response: TestResponse) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ",
                                         response.get_data(as_text=True))).split())


def assert_wait(response: TestResponse, seconds: int, words: str) -> None:
    """A 429 page in the site's layout that states ``words`` and sends the same wait."""
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(seconds)
    body = response.get_data(as_text=True)
    assert body.startswith("<!DOCTYPE html>") and 'class="utrecht-heading-1">' in body
    assert "Te veel pogingen" in page_text(response)
    assert f"Wacht {words} en probeer het dan opnieuw." in page_text(response)


# --- building the world -------------------------------------------------------------------

def meeting_world() -> tuple[Meeting, list[str]]:
    """An open meeting in De Mare two weeks from now with room for everyone, and the reply
    links of its MEMBERS invited panel members (one each)."""
    world = factories.panel_world()
    members = [factories.member(world.mare, name=f"Buur {n}", email=f"buur{n}@example.org")
               for n in range(MEMBERS)]
    meeting, _ = meetings.create(world.team_noord, "noord", meeting_data(capacity=MEMBERS + 5))
    meetings.open_for_replies(world.team_noord, meeting.id)
    meetings.invite(world.team_noord, meeting.id)
    db.session.commit()
    return meeting, [link_in(outbox(m.email)[-1], "/antwoord/") for m in members]


def join_data(email: str) -> dict[str, str]:
    return {"name": "Piet Jansen", "email": email, "phone": "", "postcode": "1801 AA",
            "house_number": "12", "neighbourhood": "", "language": "nl",
            "statement_version": "2026-1", "consent": "y"}


def members_with(email: str) -> int:
    return len(db.session.scalars(select(PanelMember).where(PanelMember.email == email)).all())


def resident_client(app: Flask, member: PanelMember) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as browser_session:
        browser_session["resident_id"] = member.id
    return client


# --- reply links: per link, not per address -----------------------------------------------

def test_thirty_one_residents_reply_from_one_address(app, session, rate_limits):
    meeting, paths = meeting_world()
    statuses = [app.test_client().post(path, data={"answer": "yes"}).status_code
                for path in paths]
    assert statuses == [302] * MEMBERS
    assert db.session.get(Meeting, meeting.id).seats_taken == MEMBERS


def test_one_link_used_again_and_again_is_refused(app, session, limiter_clock: Clock):
    _, paths = meeting_world()
    client = app.test_client()
    per_minute = allowed(limits.PER_LINK, "minute")
    statuses = [client.post(paths[0], data={"answer": "yes"}).status_code for _ in range(31)]
    assert statuses == [302] * per_minute + [429] * (31 - per_minute)
    assert_wait(client.post(paths[0], data={"answer": "no"}), 60, "1 minuut")
    # The neighbour's link, from the same address, still works; reading a link is not limited.
    assert client.post(paths[1], data={"answer": "yes"}).status_code == 302
    assert client.get(paths[0]).status_code == 200
    limiter_clock.advance(60)
    assert client.post(paths[0], data={"answer": "no"}).status_code == 302


def test_the_wait_is_that_of_the_last_window_to_end(app, session, limiter_clock: Clock):
    """A link used up for the minute and for the hour: the page states the hour's end (the
    retry after a minute would be refused again), and the link works when it has passed."""
    _, paths = meeting_world()
    client = app.test_client()
    per_minute, per_hour = (allowed(limits.PER_LINK, "minute"), allowed(limits.PER_LINK, "hour"))
    for batch in range(per_hour // per_minute):  # at 0, 60 and 120 seconds
        if batch:
            limiter_clock.advance(60)
        assert {client.post(paths[0], data={"answer": "yes"}).status_code
                for _ in range(per_minute)} == {302}
    assert_wait(client.post(paths[0], data={"answer": "yes"}), 3480, "58 minuten")
    limiter_clock.advance(60.5)
    assert_wait(client.post(paths[0], data={"answer": "yes"}), 3420, "57 minuten")
    limiter_clock.advance(3420)
    assert client.post(paths[0], data={"answer": "yes"}).status_code == 302


def test_the_page_states_seconds_minutes_and_hours_as_sent(app, session,
                                                           limiter_clock: Clock):
    _, paths = meeting_world()
    client = app.test_client()
    per_minute = allowed(limits.PER_LINK, "minute")
    for _ in range(per_minute):
        client.post(paths[0], data={"answer": "yes"})
    limiter_clock.advance(15.5)
    assert_wait(client.post(paths[0], data={"answer": "yes"}), 45, "45 seconden")

    english = app.test_client()
    english.set_cookie(LANGUAGE_COOKIE, "en")
    response = english.post(paths[0], data={"answer": "yes"})
    assert response.headers["Retry-After"] == "45"
    assert "Wait 45 seconds and try again." in page_text(response)

    limiter_clock.advance(2.25)  # 42.25 seconds left: never promise less
    assert_wait(client.post(paths[0], data={"answer": "yes"}), 43, "43 seconden")


def test_a_window_told_as_time_left_is_stated_whole(app, session, limiter_clock: Clock,
                                                     monkeypatch: pytest.MonkeyPatch):
    """A shared storage such as Redis tells a window's end as the time left in whole
    seconds (its TTL) from the moment it is asked, and asking takes a little time: a minute
    that has just begun is still stated as one minute, not two."""
    _, paths = meeting_world()
    storage = limiter.storage

    def end_as_time_left(key: str) -> float:
        left = round(storage.expirations.get(key, limiter_clock()) - limiter_clock())  # type: ignore[attr-defined]
        limiter_clock.advance(0.001)  # the round trip
        return left + limiter_clock()

    monkeypatch.setattr(storage, "get_expiry", end_as_time_left)
    client = app.test_client()
    for _ in range(allowed(limits.PER_LINK, "minute")):
        client.post(paths[0], data={"answer": "yes"})
    assert_wait(client.post(paths[0], data={"answer": "yes"}), 60, "1 minuut")


@pytest.mark.parametrize(("seconds", "stated"), [
    (0.2, 1), (45, 45), (58.01, 59), (59.5, 60), (60, 60), (61, 120), (179, 180),
    (3540, 3540), (3589, 3600), (3600, 3600), (3601, 7200), (86399, 86400),
    (86401, 172800)])
def test_the_stated_wait_is_rounded_up_to_its_unit(seconds, stated):
    assert limits.stated_wait(seconds) == stated


# --- joining: per email address, loosely per address --------------------------------------

def test_joining_counts_per_email_and_loosely_per_address(app, session, limiter_clock):
    factories.panel_world()
    db.session.commit()
    client = app.test_client()
    per_email = allowed(limits.PER_EMAIL, "hour")
    household = [client.post("/aanmelden", data=join_data("Piet@Example.org")).status_code
                 for _ in range(per_email)]
    assert household == [302] * per_email  # people of one household may share an address
    assert_wait(client.post("/aanmelden", data=join_data("piet@example.org")), 3600, "1 uur")
    assert members_with("piet@example.org") == 1

    # Another email from the same address still works; so do many, up to the loose limit.
    assert client.post("/aanmelden", data=join_data("klaas@example.org")).status_code == 302
    used = per_email + 1  # the refused one did not count for the address
    per_address = allowed(limits.PER_ADDRESS, "hour")
    statuses = [client.post("/aanmelden", data=join_data(f"buur{n}@example.org")).status_code
                for n in range(per_address - used + 1)]
    assert statuses == [302] * (per_address - used) + [429]
    assert members_with(f"buur{per_address - used}@example.org") == 0


def test_a_join_form_sent_back_with_errors_does_not_count(app, session, limiter_clock):
    """A resident who corrects typo after typo is never refused: only an accepted form
    (one that can send mail) counts, per email address and per address."""
    factories.panel_world()
    db.session.commit()
    client = app.test_client()
    per_email = allowed(limits.PER_EMAIL, "hour")
    wrong = {**join_data("piet@example.org"), "postcode": "1234"}
    tries = [client.post("/aanmelden", data=wrong).status_code for _ in range(per_email * 2)]
    assert tries == [200] * (per_email * 2)
    assert client.post("/aanmelden", data=join_data("piet@example.org")).status_code == 302
    assert members_with("piet@example.org") == 1
    # The accepted ones still count: the limit is reached after per_email of them.
    more = [client.post("/aanmelden", data=join_data("piet@example.org")).status_code
            for _ in range(per_email)]
    assert more == [302] * (per_email - 1) + [429]


def test_asking_for_a_link_counts_per_email(app, session, limiter_clock):
    factories.panel_world()
    db.session.commit()
    client = app.test_client()
    per_email = allowed(limits.PER_EMAIL, "hour")
    typos = [client.post("/mijn/link", data={"email": "anna@example"}).status_code
             for _ in range(per_email + 1)]
    assert typos == [200] * (per_email + 1)  # sent back with an error: not counted
    statuses = [client.post("/mijn/link", data={"email": "anna@example.org"}).status_code
                for _ in range(per_email + 1)]
    assert statuses == [302] * per_email + [429]
    assert client.post("/mijn/link", data={"email": "bram@example.org"}).status_code == 302


# --- letter codes: wrong codes per address ------------------------------------------------

def test_only_wrong_codes_count_for_an_address(app, session, limiter_clock):
    """A library where many residents type their right code is never stopped; someone
    guessing codes is."""
    world = factories.panel_world()
    residents = [factories.member(world.mare, name=f"Lezer {n}", email=None) for n in range(20)]
    codes = [signups.new_short_code(member) for member in residents]
    db.session.commit()
    client = app.test_client()
    per_minute = allowed(limits.WRONG_CODES_PER_ADDRESS, "minute")
    for _ in range(per_minute - 1):
        assert client.post("/code", data={"code": "AAAA-BBBB"}).status_code == 200
    assert [app.test_client().post("/code", data={"code": code}).status_code
            for code in codes] == [302] * len(codes)
    assert client.post("/code", data={"code": "AAAA-BBBB"}).status_code == 200
    assert_wait(client.post("/code", data={"code": codes[0]}), 60, "1 minuut")


# --- staff: per account, loosely per address ----------------------------------------------

def test_sign_in_counts_per_account_and_the_lockout_stays(app, session, limiter_clock):
    colleague = factories.user(Role.TEAM, email="collega@example.org")
    typist = factories.user(Role.TEAM, email="typist@example.org")
    db.session.commit()
    office = app.test_client()
    per_minute = allowed(limits.PER_ACCOUNT, "minute")
    statuses = [factories.login(office, "typist@example.org", "wrong password!").status_code
                for _ in range(per_minute + 1)]
    assert statuses == [200] * per_minute + [429]
    assert_wait(factories.login(office, "Typist@example.org", "wrong password!"), 60,
                "1 minuut")
    db.session.expire_all()
    assert auth_services.is_locked(db.session.get(User, typist.id))
    # A colleague at the next desk (same address) signs in.
    assert factories.login(app.test_client(), colleague.email).status_code == 302


def test_failed_sign_ins_from_one_address_are_limited(app, session, limiter_clock):
    """A password spray over many accounts from one address is slowed; signing in with the
    right password does not count."""
    users = [factories.user(Role.TEAM, email=f"medewerker{n}@example.org") for n in range(5)]
    db.session.commit()
    per_minute = allowed(limits.FAILED_SIGN_INS_PER_ADDRESS, "minute")
    spray = app.test_client()
    for n in range(per_minute):
        assert factories.login(spray, f"iemand{n}@example.org", "Welkom2024!").status_code == 200
        if n < len(users):
            assert factories.login(app.test_client(), users[n].email).status_code == 302
    assert_wait(factories.login(spray, "nog.iemand@example.org", "Welkom2024!"), 60, "1 minuut")
    limiter_clock.advance(60)
    assert factories.login(spray, "nog.iemand@example.org", "Welkom2024!").status_code == 200


def test_the_login_code_counts_per_account(app, session, limiter_clock):
    first = factories.user(Role.TEAM, email="eerste@example.org")
    second = factories.user(Role.TEAM, email="tweede@example.org")
    enable_two_factor(first)
    enable_two_factor(second)
    db.session.commit()
    one, other = app.test_client(), app.test_client()
    assert factories.login(one, first.email).status_code == 302
    assert factories.login(other, second.email).status_code == 302
    per_minute = allowed(limits.PER_ACCOUNT, "minute")
    statuses = [one.post("/beheer/inloggen/code", data={"code": "000000"}).status_code
                for _ in range(per_minute + 1)]
    assert statuses == [200] * per_minute + [429]
    db.session.expire_all()
    assert auth_services.is_locked(db.session.get(User, first.id))
    assert other.post("/beheer/inloggen/code", data={"code": "000000"}).status_code == 200


# --- residents on their own page: per member ----------------------------------------------

def test_feedback_counts_per_member(app, session, limiter_clock):
    world = factories.panel_world()
    db.session.add(Theme(code="verkeer", name_nl="Verkeer", name_en="Traffic", position=1))
    anna = factories.member(world.mare, "Anna Zeldenrust", "anna@example.org")
    bram = factories.member(world.mare, "Bram Bakker", "bram@example.org")
    db.session.commit()
    form = {"theme": "verkeer", "wijk": "WK036101", "place": "",
            "text": "Er wordt elke avond veel te hard gereden."}
    per_hour = allowed(limits.FEEDBACK_PER_MEMBER, "hour")
    annas = resident_client(app, anna)
    assert [annas.post("/mijn/melding", data=form).status_code
            for _ in range(per_hour + 1)] == [302] * per_hour + [429]
    assert resident_client(app, bram).post("/mijn/melding", data=form).status_code == 302
    assert len(db.session.scalars(select(FeedbackItem)).all()) == per_hour + 1


# --- nothing personal in the limiter ------------------------------------------------------

def test_no_token_email_or_address_is_kept_or_logged(app, session, limiter_clock, caplog):
    _, paths = meeting_world()
    token = paths[0].rsplit("/", 1)[1]
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="flask-limiter"):
        for _ in range(allowed(limits.PER_LINK, "minute") + 1):
            client.post(paths[0], data={"answer": "yes"})
        for _ in range(allowed(limits.PER_EMAIL, "hour") + 1):
            client.post("/aanmelden", data=join_data("piet@example.org"))
        factories.login(client, "typist@example.org", "wrong password!")
    stored = " ".join([*limiter.storage.storage, *limiter.storage.events])  # type: ignore[attr-defined]
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "exceeded" in logged and "link:" in stored and "email:" in stored
    for secret in (token, "piet@example.org", "typist@example.org", "127.0.0.1"):
        assert secret not in stored and secret not in logged
