"""Status rules, links between actions and items, notifications once per change, the
personal-data check, and a public page without unchecked words or names."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.feedback import services
from panel.feedback.models import Action, Notification, Theme
from tests import factories
from tests.mailbox import outbox


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    db.session.add_all([Theme(code="verkeer", name_nl="Verkeer", name_en="Traffic"),
                        Theme(code="jeugd", name_nl="Jeugdoverlast", name_en="Youth nuisance")])
    item.anna = factories.member(item.mare, name="Anna Zeldzaamnaam", email="anna@example.org")
    item.bram = factories.member(item.mare, name="Bram Bakker", email="bram@example.org",
                                 language="en")
    item.zuid = factories.member(item.vrooner, name="Zuid Lid", email="zuid@example.org")
    session.commit()
    return item


def submit(member, text="Er wordt te hard gereden.", theme="verkeer"):  # type: ignore[no-untyped-def]
    return services.submit(member, theme, "", "Marelaan", text)


def test_feedback_is_stored_unchecked_and_flagged_when_it_names_someone(world):
    plain = submit(world.anna)
    named = submit(world.anna, "Meneer Jansen op nummer 3 dealt.", "jeugd")
    assert (plain.review, plain.flagged, plain.status) == ("pending", False, "new")
    assert named.flagged is True


@pytest.mark.parametrize(("steps", "allowed"), [
    (["handling", "passed_on", "done"], True),
    (["done", "handling"], True),
    (["done", "declined"], False),
    (["declined", "done"], False),
])
def test_status_rules(world, steps, allowed):
    item = submit(world.anna)
    reason, partner = "Hier gaat de politie over.", "police"
    if allowed:
        for step in steps:
            services.set_status(world.team_noord, item.id, step, reason, partner)
        assert item.status == steps[-1]
    else:
        services.set_status(world.team_noord, item.id, steps[0], reason, partner)
        with pytest.raises(DomainError):
            services.set_status(world.team_noord, item.id, steps[1], reason, partner)


def test_declining_needs_a_reason_and_passing_on_a_partner(world):
    item = submit(world.anna)
    with pytest.raises(DomainError, match="reden"):
        services.set_status(world.team_noord, item.id, "declined")
    with pytest.raises(DomainError, match="partner"):
        services.set_status(world.team_noord, item.id, "passed_on")
    services.set_status(world.team_noord, item.id, "declined", "Geen taak van de gemeente.")
    assert item.status_reason == "Geen taak van de gemeente."


def test_a_team_only_triages_its_own_gebied(world):
    item = submit(world.zuid)
    with pytest.raises(NotFound):
        services.set_status(world.team_noord, item.id, "handling")


def test_one_action_answers_many_items_and_an_item_leads_to_several_actions(world):
    first, second = submit(world.anna), submit(world.bram)
    data = services.ActionData("Snelheidscontroles", "", "Politie", None, [first.id, second.id])
    one = services.create_action(world.team_noord, "noord", data)
    two = services.create_action(world.team_noord, "noord", services.ActionData(
        "Drempels", "", "Gemeente", None, [first.id]))
    assert {i.id for i in one.items} == {first.id, second.id}
    assert {a.id for a in first.actions} == {one.id, two.id}
    assert first.status == "handling"  # taking action means it is being handled
    zuid_item = submit(world.zuid)
    with pytest.raises(NotFound):
        services.create_action(world.team_noord, "noord", services.ActionData(
            "Elders", "", "", None, [zuid_item.id]))


def test_residents_are_told_once_per_status_change(world):
    first, second = submit(world.anna), submit(world.bram)
    action = services.create_action(world.team_noord, "noord", services.ActionData(
        "Snelheidscontroles", "", "Politie", None, [first.id, second.id]))
    update = services.update_action(world.team_noord, action.id, "in_progress", 30, "Gestart.")
    assert len(outbox("anna@example.org")) == 1 and len(outbox("bram@example.org")) == 1
    assert "News about what you raised" in outbox("bram@example.org")[0].subject
    assert services.notify(update) == 0  # the same change again: nobody is told twice
    services.update_action(world.team_noord, action.id, "in_progress", 60, "Halverwege.")
    assert len(outbox("anna@example.org")) == 1  # progress only, no status change
    services.update_action(world.team_noord, action.id, "done", 100, "Klaar.")
    assert len(outbox("anna@example.org")) == 2
    assert db.session.scalar(select(func.count(Notification.id))) == 4
    assert "/afmelden/" in outbox("anna@example.org")[-1].text_body


def test_an_action_is_quiet_30_days_after_its_last_log_entry(world):
    item = submit(world.anna)
    action = services.create_action(world.team_noord, "noord", services.ActionData(
        "Snelheidscontroles", "", "Politie", None, [item.id]))
    assert action.last_progress_at == action.created_at == action.updates[0].created_at
    entry = services.update_action(world.team_noord, action.id, "in_progress", 30, "Gestart.")
    assert action.last_progress_at == entry.created_at
    db.session.flush()

    def quiet(now: datetime) -> bool:
        return bool(db.session.scalar(select(func.count(Action.id)).where(
            Action.id == action.id,
            services.due_condition(services.Due.QUIET, services.due_bounds(now)))))

    assert not quiet(entry.created_at + timedelta(days=29))
    assert quiet(entry.created_at + timedelta(days=31))
    services.update_action(world.team_noord, action.id, "done", 100, "Klaar.")
    assert not quiet(utcnow() + timedelta(days=31))  # done is not open


def test_an_action_made_without_a_log_entry_has_its_creation_as_last_progress(world):
    action = Action(area=world.noord, title="Zonder logboek")
    db.session.add(action)
    db.session.flush()
    assert action.last_progress_at == action.created_at


def test_residents_who_left_are_not_told(world):
    from panel.signups.services import leave

    item = submit(world.anna)
    action = services.create_action(world.team_noord, "noord", services.ActionData(
        "Snelheidscontroles", "", "", None, [item.id]))
    leave(world.anna)
    services.update_action(world.team_noord, action.id, "done", 100, "")
    assert outbox() == []


def test_publishing_needs_text_without_personal_data(world):
    item = submit(world.anna, "Meneer Jansen rijdt elke dag te hard.")
    with pytest.raises(DomainError, match="persoonsgegevens te bevatten: naam"):
        services.review(world.team_noord, item.id, item.text, publish=True)
    assert item.review == "pending"
    services.review(world.team_noord, item.id, "Iemand rijdt elke dag te hard.", publish=True)
    assert (item.review, item.public_text, item.flagged) == \
        ("approved", "Iemand rijdt elke dag te hard.", False)


def test_the_public_page_never_shows_unchecked_words_or_names(world):
    checked = submit(world.anna, "Er wordt te hard gereden bij de school.")
    unchecked = submit(world.bram, "Het is 's avonds druk bij de snackbar.")
    hidden = submit(world.anna, "Meneer Jansen is de dader.", "jeugd")
    services.review(world.team_noord, checked.id, "Er wordt te hard gereden.", publish=True)
    services.review(world.team_noord, hidden.id, "", publish=False)
    services.create_action(world.team_noord, "noord", services.ActionData(
        "Snelheidscontroles", "", "Politie", None, [checked.id]))
    wijk, report = services.public_report("WK036101")
    by_theme = {part.theme.code: part for part in report}
    assert by_theme["verkeer"].count == 2 and by_theme["jeugd"].count == 1
    quotes = [q.public_text for part in report for q in part.quotes]
    assert quotes == ["Er wordt te hard gereden."]
    assert [a.title for a in by_theme["verkeer"].actions] == ["Snelheidscontroles"]
    assert unchecked.text not in str(quotes) and "Jansen" not in str(quotes)


def test_open_items_by_age(world):
    from datetime import timedelta

    from panel.db import utcnow

    fresh, old = submit(world.anna), submit(world.bram)
    old.created_at = utcnow() - timedelta(days=40)
    done = submit(world.anna)
    services.set_status(world.team_noord, done.id, "done")
    overview = dict((area.code, counts) for area, counts in
                    services.open_items_by_age(world.team_noord))
    assert overview == {"noord": [1, 0, 1, 0]}
    assert fresh.id != old.id
