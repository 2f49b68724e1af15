"""The figures withheld to protect small ones are derived state, stored with the results:
worked out in the transaction that changes results, wijken or gebieden, read by the pages
with the rows they show, and worked out by the page itself where a row was not worked out
for the current minimum."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update

from panel.areas.models import Neighbourhood
from panel.db import db
from panel.results import protection
from panel.results.models import Result
from tests import factories
from tests.results.test_disclosure_results import published
from tests.results.test_disclosure_results import survey as survey  # the small wijk De Mare
from tests.statements import counting

pytestmark = pytest.mark.usefixtures("survey")


def stored() -> dict[str, tuple[bool, int | None]]:
    db.session.expire_all()
    return {code: (withheld, protected_for) for code, withheld, protected_for in
            db.session.execute(select(Result.area_code, Result.withheld, Result.protected_for))}


def test_the_outcome_is_stored_when_the_results_are_committed():
    flags = stored()
    assert flags["WK036102"] == (True, 30)  # the second figure beside the small one
    assert {code for code, (withheld, _) in flags.items() if withheld} == {"WK036102"}
    assert {minimum for _, minimum in flags.values()} == {30}
    assert protection.is_current()


def test_the_stored_outcome_equals_the_outcome_worked_out_again():
    live = protection.withheld()
    assert {code for _, _, code in live} == {"WK036102"}
    assert protection.withheld_among(db.session.scalars(select(Result))) == live


def test_a_page_reads_the_stored_flags_without_working_anything_out(client, monkeypatch,
                                                                     app):
    monkeypatch.setitem(app.config, "PANEL_ETAG_SECONDS", 0)
    calls: list[int] = []
    monkeypatch.setattr(protection, "_rows", lambda minimum: calls.append(minimum) or [])
    assert published(client)["WK036102"]["suppressedReason"] == "protectsSmallFigure"
    page = client.get("/wijken/WK036102").get_data(as_text=True)
    assert "x: niet getoond" in page
    assert calls == []


def test_a_row_changed_past_the_session_is_worked_out_by_the_page(client, app, session):
    # Another process makes the small wijk large enough, writing past this session.
    with db.engine.begin() as connection:
        connection.execute(update(Result).where(Result.area_code == "WK036101")
                           .values(respondents=40))
        connection.execute(update(Result).where(Result.area_code == "noord")
                           .values(respondents=390))
    flags = stored()
    assert flags["WK036101"] == (False, None) and flags["noord"] == (False, None)
    assert flags["WK036102"] == (True, 30)  # stale, but the page does not trust it alone
    protection.forget()
    items = published(client)
    assert items["WK036102"]["suppressedReason"] is None
    assert items["WK036102"]["respondents"] == 150
    assert not protection.is_current()


def test_moving_a_wijk_to_another_gebied_works_the_outcome_out_again(session):
    zuid = factories.area("zuid2", "Zuid twee")
    wijk = db.session.scalars(select(Neighbourhood)
                              .where(Neighbourhood.code == "WK036103")).one()
    wijk.area_id = zuid.id
    session.commit()
    # Noord's wijken no longer add up to Noord: nothing follows by subtraction.
    assert not any(withheld for withheld, _ in stored().values())


def test_a_new_minimum_is_stored_by_the_command(runner, app, monkeypatch, client):
    monkeypatch.setitem(app.config, "PANEL_MIN_RESPONDENTS", 10)
    assert not protection.is_current()
    # Until it is stored, a page works it out for the new minimum itself.
    assert published(client)["WK036101"]["respondents"] == 12
    result = runner.invoke(args=["protect-results"])
    assert result.exit_code == 0, result.output
    flags = stored()
    assert {minimum for _, minimum in flags.values()} == {10}
    assert not any(withheld for withheld, _ in flags.values())
    again = runner.invoke(args=["protect-results"])
    assert again.exit_code == 0 and again.output != result.output
    assert protection.is_current()


def test_working_it_out_takes_a_fixed_number_of_statements_per_group(session):
    with counting(db.engine) as statements:
        protection.refresh()
    # read, clear, one update for the one indicator and edition with a withheld figure; on
    # PostgreSQL first the lock that waits for another transaction working it out
    lock = 1 if db.engine.dialect.name == "postgresql" else 0
    assert len(statements) == 3 + lock


def test_renaming_a_gebied_leaves_the_outcome_alone_and_deleting_a_result_does_not(
        session, monkeypatch):
    calls: list[object] = []
    real = protection.refresh
    monkeypatch.setattr(protection, "refresh", lambda *a: calls.append(a) or real(*a))
    noord = db.session.scalars(select(factories.Area).where(factories.Area.code == "noord")).one()
    noord.name = "Noord en Oost"
    session.commit()
    assert calls == []
    small = db.session.scalars(select(Result).where(Result.area_code == "WK036101")).one()
    db.session.delete(small)
    session.commit()
    assert len(calls) == 1
    # Without the small wijk Noord's wijken no longer add up to Noord.
    assert not any(withheld for withheld, _ in stored().values())


@pytest.mark.postgresql
def test_two_transactions_working_it_out_wait_for_each_other(app, session):
    worked_out = threading.Event()
    release = threading.Event()
    order: list[str] = []
    errors: list[BaseException] = []

    def first() -> None:
        # Makes the small wijk large enough; holds its transaction open after working out.
        with app.app_context():
            try:
                for code, respondents in (("WK036101", 40), ("noord", 390)):
                    db.session.scalars(select(Result).where(Result.area_code == code)
                                       ).one().respondents = respondents
                db.session.flush()
                protection.refresh()
                worked_out.set()
                release.wait(10)
                order.append("first committed")
                db.session.commit()
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    def second() -> None:
        with app.app_context():
            try:
                worked_out.wait(10)
                protection.refresh()
                order.append("second worked out")
                db.session.commit()
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    worked_out.wait(10)
    threads[1].join(0.5)  # the second waits for the first's lock
    assert order == [] and threads[1].is_alive()
    release.set()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    assert order == ["first committed", "second worked out"]
    # The second read what the first committed: nothing is withheld any more.
    assert not any(withheld for withheld, _ in stored().values())
