"""The setup checklist on the administrator's start page: each step done or still to do,
counted in a fixed number of statements, shown to administrators only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from panel.auth.models import Role, User
from panel.db import db, utcnow
from panel.errors import PermissionDenied
from panel.mail import services as mail_services
from panel.mail.services import Failure, MailState
from panel.results.models import Indicator
from panel.setup import services
from tests import factories
from tests.statements import counting

STEPS = ["municipality", "areas", "postcodes", "statement", "indicators", "teams", "mail"]


def mail(ok: bool | None, failure: Failure | None = None, reason: str = "") -> MailState:
    return MailState(ok=ok, checked_at=utcnow() if ok is not None else None, failure=failure,
                     reason=reason, outbox_failed=0, outbox_waiting=0)


@pytest.fixture
def mail_works(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(mail_services, "mail_state", lambda: mail(True))


def indicator(code: str = "onveilig", retired: bool = False) -> Indicator:
    item = Indicator(code=code, name_nl="Voelt zich weleens onveilig",
                     name_en="Ever feels unsafe", unit="percentage", higher_is_better=False,
                     retired_at=utcnow() if retired else None)
    db.session.add(item)
    db.session.flush()
    return item


def admin() -> User:
    return db.session.scalars(select(User).where(User.email == "admin@example.org")).one()


@pytest.fixture
def ready(session, mail_works):  # type: ignore[no-untyped-def]
    """A municipality where every step is done: panel_world (two gebieden with a wijk, a
    buurt and a postcode each, a consent statement) with a team for Zuid and an indicator."""
    world = factories.panel_world()
    factories.user(Role.TEAM, email="zuid@example.org", areas=[world.zuid])
    indicator()
    session.commit()
    return world


def state(user: User | None = None) -> dict[str, tuple[bool, str]]:
    checklist = services.checklist(user or admin())
    assert [step.key for step in checklist.steps] == STEPS
    return {step.key: (step.done, step.text) for step in checklist.steps}


def test_on_an_empty_municipality_every_step_is_to_do(session):
    factories.user(Role.ADMIN, email="admin@example.org")
    session.commit()
    checklist = services.checklist(admin())
    assert [step.done for step in checklist.steps] == [False] * 7
    assert checklist.remaining == 7 and not checklist.done
    texts = {step.key: step.text for step in checklist.steps}
    assert "GM0361" in texts["municipality"]
    assert "buurten" in texts["postcodes"]  # first the buurten
    assert "gebieden" in texts["teams"]
    assert "test" in texts["mail"]  # never checked: send a test message


def test_when_everything_is_there_every_step_is_done_with_a_short_fact(ready):
    checklist = services.checklist(admin())
    assert checklist.done and checklist.remaining == 0
    assert state() == {
        "municipality": (True, "GM0361 Testgemeente"),
        "areas": (True, "2 wijken in 2 gebieden"),
        "postcodes": (True, "2 postcodes"),
        "statement": (True, "Versie 2026-1"),
        "indicators": (True, "1 indicator in gebruik"),
        "teams": (True, "Elk gebied heeft een teamlid."),
        "mail": state()["mail"],
    }
    assert state()["mail"][0] and "Gecontroleerd op" in state()["mail"][1]
    endpoints = [step.endpoint for step in checklist.steps]
    assert endpoints == ["areas.municipality", "areas.index", "signups.postcodes",
                         "signups.statement", "results.indicators", "auth.users",
                         "mail.outbox"]


def test_a_gebied_without_wijken_is_not_enough(ready):
    db.session.execute(update(User).values(active=True))
    factories.area("leeg", "Leeg")
    db.session.commit()
    # Areas stay done (there are wijken); the new gebied has no team.
    assert state()["areas"][0] is True
    assert state()["teams"] == (False, "Dit gebied heeft nog geen teamlid: Leeg. Maak een "
                                       "account voor minstens één teamlid.")


def test_gebieden_without_wijken(session, mail_works):
    factories.user(Role.ADMIN, email="admin@example.org")
    factories.area("noord", "Noord")
    session.commit()
    done, text = state()["areas"]
    assert not done and "wijken" in text


@pytest.mark.parametrize("change, step", [
    ("no municipality", "municipality"),
    ("no postcodes", "postcodes"),
    ("no statement", "statement"),
    ("only retired indicators", "indicators"),
    ("no team for zuid", "teams"),
    ("inactive team for zuid", "teams"),
    ("mail not checked", "mail"),
    ("mail failing", "mail"),
])
def test_each_step_is_to_do_without_its_part(ready, monkeypatch, change, step):
    from panel.areas.models import Municipality
    from panel.signups.models import ConsentStatement, Postcode

    zuid_team = select(User).where(User.email == "zuid@example.org")
    if change == "no municipality":
        db.session.execute(Municipality.__table__.delete())
    elif change == "no postcodes":
        db.session.execute(Postcode.__table__.delete())
    elif change == "no statement":
        db.session.execute(ConsentStatement.__table__.delete())
    elif change == "only retired indicators":
        db.session.execute(update(Indicator).values(retired_at=utcnow()))
        indicator("tweede", retired=True)
    elif change == "no team for zuid":
        db.session.delete(db.session.scalars(zuid_team).one())
    elif change == "inactive team for zuid":
        db.session.scalars(zuid_team).one().active = False
    elif change == "mail not checked":
        monkeypatch.setattr(mail_services, "mail_state", lambda: mail(None))
    elif change == "mail failing":
        monkeypatch.setattr(mail_services, "mail_state", lambda: mail(
            False, Failure.REFUSED, "De mailserver weigert verbindingen."))
    db.session.commit()
    steps = state()
    assert [key for key, (done, _text) in steps.items() if not done] == [step]
    if step == "teams":
        assert "Zuid" in steps["teams"][1] and "Noord" not in steps["teams"][1]
    if change == "mail failing":
        assert "De mailserver weigert verbindingen." in steps["mail"][1]


def test_a_fixed_number_of_statements_whatever_the_size(ready, app):
    def statements() -> int:
        with app.test_request_context(), counting(db.engine) as seen:
            services.checklist(admin())
        return len(seen)

    few = statements()
    for number in range(20):
        area = factories.area(f"gebied-{number}")
        factories.neighbourhood(area, f"WK0361{number + 20:02d}")
        indicator(f"indicator-{number}")
    db.session.commit()
    assert statements() == few <= 3  # mail_state is replaced here; it adds three


def test_a_change_made_elsewhere_shows_at_the_next_request(ready, app):
    """Worked out for every request: a change made by another worker or a command shows
    at once."""
    from panel.signups.models import Postcode

    def postcodes_done() -> bool:
        with app.test_request_context():
            done = {step.key: step.done for step in services.checklist(admin()).steps}
        db.session.rollback()  # ends the read
        return done["postcodes"]

    assert postcodes_done() is True
    with db.engine.begin() as connection:  # elsewhere: not through this worker's session
        connection.execute(Postcode.__table__.delete())
    assert postcodes_done() is False


def test_only_administrators_get_the_checklist(ready):
    for email in ("noord@example.org", "clerk@example.org"):
        user = db.session.scalars(select(User).where(User.email == email)).one()
        with pytest.raises(PermissionDenied):
            services.checklist(user)


# --- on the start page --------------------------------------------------------------------

def _steps_on(page: str) -> list[tuple[str, str]]:
    return re.findall(r'id="setup-(\w+)">\s*<span class="wp-checklist__status">'
                      r'(?:<span aria-hidden="true">✓ </span>)?([^<]+)</span>', page)


def test_the_administrator_sees_the_steps_in_order_with_their_status(ready, login_as,
                                                                      monkeypatch):
    monkeypatch.setattr(mail_services, "mail_state", lambda: mail(None))
    db.session.execute(update(Indicator).values(retired_at=utcnow()))
    db.session.commit()
    page = login_as("admin@example.org").get("/beheer/").get_data(as_text=True)
    assert "Voordat inwoners kunnen meedoen" in page
    assert "<ol class=\"utrecht-ordered-list wp-checklist\">" in page
    assert _steps_on(page) == [(key, "Klaar:") for key in STEPS[:4]] + [
        ("indicators", "Nog doen:"), ("teams", "Klaar:"), ("mail", "Nog doen:")]
    assert "Nog 2 stappen te doen." in page
    assert 'href="/beheer/indicatoren"' in page and 'href="/beheer/postcodes"' in page


def test_when_all_is_done_the_steps_are_folded_away(ready, login_as):
    page = login_as("admin@example.org").get("/beheer/").get_data(as_text=True)
    assert "Alles is klaar. Inwoners kunnen meedoen." in page
    assert "<details" in page and len(_steps_on(page)) == 7


@pytest.mark.parametrize("email", ["noord@example.org", "clerk@example.org"])
def test_team_and_clerk_do_not_see_the_checklist(ready, login_as, email):
    page = login_as(email).get("/beheer/").get_data(as_text=True)
    assert "Voordat inwoners kunnen meedoen" not in page and "wp-checklist" not in page
