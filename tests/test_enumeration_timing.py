"""Asking about an email address tells nothing about it: joining (``/aanmelden``), asking
for a link to one's own page (``/mijn/link``) and the staff's forgotten-password page answer
a known and an unknown address with the same page, in the same time (the same work: one
email queued either way), and each counts its requests per email address, whichever IP
address they come from.

The requests do only what is the same for every address and leave the rest until after
the response (``panel.later``, on here as in production). The timing tests send many
requests of both kinds through the test client, alternating (so a slower or busier moment
hits both kinds alike), after a warm-up, each request timed alone (the work it left is
waited for between requests), and compare the median times with the spread of single
requests (their interquartile range): robust statistics, no fixed number of milliseconds.
When the work was done in the request, the known address of ``/mijn/link`` took about
twice as long as an unknown one, far outside the spread; with a stand-in email for
unknown addresses, still about a millisecond longer.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from panel import limits
from panel.db import db
from panel.later import wait_for_jobs
from panel.privacy.models import AuditEvent
from panel.signups.models import PanelMember
from tests import factories
from tests.mailbox import outbox
from tests.statements import counting

ROUNDS = 200  # requests of each kind that are measured
WARM_UP = 20  # requests of each kind first, not measured (caches, templates, the database)
KNOWN, UNKNOWN = "anna@example.org", "bram@example.org"
STAFF = "beheer@example.org"

Form = Callable[[int], dict[str, str]]


def join_form(email: str) -> dict[str, str]:
    return {"name": "Piet Jansen", "email": email, "phone": "", "postcode": "1801 AA",
            "house_number": "12", "neighbourhood": "", "language": "nl",
            "statement_version": "2026-1", "consent": "y"}


@dataclass(frozen=True)
class Timings:
    known: list[float]
    unknown: list[float]

    @staticmethod
    def spread(values: list[float]) -> float:
        quartiles = statistics.quantiles(values, n=4)
        return quartiles[2] - quartiles[0]

    def summary(self) -> str:
        return ", ".join(f"{name}: median {statistics.median(v) * 1000:.2f} ms, "
                         f"interquartile range {self.spread(v) * 1000:.2f} ms"
                         for name, v in (("known", self.known), ("unknown", self.unknown)))

    def assert_alike(self) -> None:
        """The medians differ by less than the spread of single requests (the mean of the
        two interquartile ranges)."""
        difference = abs(statistics.median(self.known) - statistics.median(self.unknown))
        spread = (self.spread(self.known) + self.spread(self.unknown)) / 2
        assert difference < spread, f"told apart by timing: {self.summary()}"


def timings(client: FlaskClient, path: str, known: Form, unknown: Form) -> Timings:
    """Time ``ROUNDS`` requests of each kind, alternating, after ``WARM_UP`` of each; every
    request must get the same redirect."""
    measured: dict[str, list[float]] = {"known": [], "unknown": []}
    gc.collect()
    for number in range(WARM_UP + ROUNDS):
        for kind, form in (("known", known), ("unknown", unknown)):
            data = form(number)
            start = time.perf_counter()
            response = client.post(path, data=data)
            took = time.perf_counter() - start
            assert wait_for_jobs(), "the work after the response did not end"
            assert response.status_code == 302, (kind, response.status_code)
            if number >= WARM_UP:
                measured[kind].append(took)
    return Timings(measured["known"], measured["unknown"])


@pytest.fixture
def world(app: Flask, session):  # type: ignore[no-untyped-def]
    world = factories.panel_world()
    factories.member(world.mare, email=KNOWN)
    factories.user(email=STAFF)
    db.session.commit()
    return world


# --- the same answer ----------------------------------------------------------------------

def answers(client: FlaskClient, path: str, data: dict[str, str]) -> tuple[int, str, str]:
    response = client.post(path, data=data)
    page = client.get(response.headers["Location"])
    return response.status_code, response.headers["Location"], page.get_data(as_text=True)


@pytest.mark.parametrize(("path", "form"), [
    ("/mijn/link", lambda email: {"email": email}),
    ("/aanmelden", join_form),
    ("/beheer/wachtwoord-vergeten", lambda email: {"email": email}),
])
def test_a_known_and_an_unknown_address_get_the_same_answer_and_one_email(
        app, world, path, form):
    known = STAFF if path.startswith("/beheer") else KNOWN
    before = {address: len(outbox(address)) for address in (known, UNKNOWN)}
    assert answers(app.test_client(), path, form(known)) == \
        answers(app.test_client(), path, form(UNKNOWN))
    assert {address: len(outbox(address)) - count
            for address, count in before.items()} == {known: 1, UNKNOWN: 1}


# --- the same time ------------------------------------------------------------------------

@pytest.fixture
def after_the_response(app: Flask) -> Iterator[None]:
    """The work that depends on the address is done after the response, as in
    production (the tests otherwise do it inside the request)."""
    app.config["PANEL_LATER_IN_REQUEST"] = False
    yield
    wait_for_jobs()
    app.config["PANEL_LATER_IN_REQUEST"] = True


def test_asking_for_a_link_takes_as_long_for_a_member_as_for_anyone(app, world,
                                                                   after_the_response):
    result = timings(app.test_client(), "/mijn/link", lambda _: {"email": KNOWN},
                     lambda _: {"email": UNKNOWN})
    result.assert_alike()
    assert len(outbox(KNOWN)) == len(outbox(UNKNOWN)) == WARM_UP + ROUNDS


def test_joining_again_takes_as_long_as_joining(app, world, after_the_response):
    result = timings(app.test_client(), "/aanmelden", lambda _: join_form(KNOWN),
                     lambda number: join_form(f"nieuw{number}@example.org"))
    result.assert_alike()
    assert len(db.session.scalars(select(PanelMember)).all()) == 1 + WARM_UP + ROUNDS


def test_a_forgotten_password_takes_as_long_for_an_account_as_for_anyone(
        app, world, after_the_response):
    result = timings(app.test_client(), "/beheer/wachtwoord-vergeten",
                     lambda _: {"email": STAFF}, lambda _: {"email": UNKNOWN})
    result.assert_alike()
    events = db.session.scalars(select(AuditEvent.result).where(
        AuditEvent.action == "password-link")).all()
    assert sorted(set(events)) == ["failed", "ok"] and len(events) == 2 * (WARM_UP + ROUNDS)


@pytest.mark.parametrize(("path", "form", "known"), [
    ("/mijn/link", lambda email: {"email": email}, KNOWN),
    ("/aanmelden", join_form, KNOWN),
    ("/beheer/wachtwoord-vergeten", lambda email: {"email": email}, STAFF),
])
def test_the_request_sends_the_same_statements_for_every_address(
        app, world, after_the_response, path, form, known):
    """What the timing tests measure, counted exactly: inside the request, a known and an
    unknown address make the same statements (the rest is done after the response)."""
    client = app.test_client()
    statements = {}
    for email in (known, "nieuw1@example.org", known, "nieuw2@example.org"):
        with counting(db.engine) as seen:
            assert client.post(path, data=form(email)).status_code == 302
        assert wait_for_jobs()
        statements[email] = seen  # the second of each kind: the first warms up
    assert statements[known] == statements["nieuw2@example.org"]
    assert len(outbox(known)) == 2 and len(outbox("nieuw2@example.org")) == 1


# --- limits per email address, from any IP address -----------------------------------------

def per_hour(limit: str) -> int:
    return next(int(part.split()[0]) for part in limit.split(";") if "hour" in part)


@pytest.mark.parametrize(("path", "form", "limit", "known"), [
    ("/mijn/link", lambda email: {"email": email}, limits.PER_EMAIL, KNOWN),
    ("/mijn/link", lambda email: {"email": email}, limits.PER_EMAIL, UNKNOWN),
    ("/aanmelden", join_form, limits.PER_EMAIL, KNOWN),
    ("/aanmelden", join_form, limits.PER_EMAIL, UNKNOWN),
    ("/beheer/wachtwoord-vergeten", lambda email: {"email": email},
     limits.STAFF_LINKS_PER_EMAIL, STAFF),
    ("/beheer/wachtwoord-vergeten", lambda email: {"email": email},
     limits.STAFF_LINKS_PER_EMAIL, UNKNOWN),
])
def test_the_limit_per_email_counts_every_address_from_every_ip_address(
        app, world, limiter_clock, path, form, limit, known):
    """The (N+1)th request for one address is refused, also when every request comes from
    another IP address and the address is typed another way; another address still
    passes. Known and unknown addresses count alike."""
    allowed = per_hour(limit)
    spellings = [known, known.upper(), f"  {known}  ", known.capitalize()]
    statuses = [
        app.test_client().post(path, data=form(spellings[n % len(spellings)]),
                               environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"}).status_code
        for n in range(allowed + 1)]
    assert statuses == [302] * allowed + [429]
    other = app.test_client().post(path, data=form("iemand.anders@example.org"),
                                   environ_base={"REMOTE_ADDR": "192.0.2.200"})
    assert other.status_code == 302
    limiter_clock.advance(3600)
    again = app.test_client().post(path, data=form(known),
                                   environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert again.status_code == 302
