"""One scope per report: a motion about wijken counts the meetings and actions of those
wijken, a motion about gebieden those of the gebieden, a motion naming neither the whole
municipality; the report says which at the top and in its JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, update

from panel.auth.models import Role
from panel.db import db
from panel.feedback.models import Action, FeedbackItem, Theme, action_item
from panel.meetings.models import Meeting, meeting_neighbourhood
from panel.motions import services
from panel.motions.models import FollowUpReport
from tests import factories
from tests.statements import counting

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """Gebied Noord (De Mare, Daalmeer) and West (Overdie, Bergerhof), with meetings and
    actions for one wijk, for several, for wijken out of scope and for whole gebieden."""
    factories.municipality()
    noord, west = factories.area("noord", "Noord"), factories.area("west", "West")
    mare = factories.neighbourhood(noord, "WK036101", "De Mare")
    daalmeer = factories.neighbourhood(noord, "WK036103", "Daalmeer")
    overdie = factories.neighbourhood(west, "WK036105", "Overdie")
    bergerhof = factories.neighbourhood(west, "WK036106", "Bergerhof")
    clerk = factories.user(Role.CLERK, email="griffie@example.org")
    theme = Theme(code="verkeer", name_nl="Verkeer", name_en="Traffic", position=1)
    db.session.add(theme)

    def meeting(area, title: str, wijken: list) -> Meeting:  # type: ignore[no-untyped-def]
        item = Meeting(area=area, title=title, status="open", neighbourhoods=wijken,
                       starts_at=_moment(date(2025, 3, 1)))
        db.session.add(item)
        return item

    def item(wijk) -> FeedbackItem:  # type: ignore[no-untyped-def]
        found = FeedbackItem(neighbourhood=wijk, theme=theme, source="resident",
                             text="Te hard.", created_at=_moment(date(2025, 2, 1)))
        db.session.add(found)
        return found

    meetings = {
        "mare": meeting(noord, "Avond De Mare", [mare]),
        "mare_daalmeer": meeting(noord, "Avond De Mare en Daalmeer", [mare, daalmeer]),
        "overdie_bergerhof": meeting(west, "Avond Overdie en Bergerhof", [overdie, bergerhof]),
        "daalmeer": meeting(noord, "Avond Daalmeer", [daalmeer]),
        "west": meeting(west, "Avond heel West", []),
    }
    items = {w.name: item(w) for w in (mare, daalmeer, overdie, bergerhof)}

    def action(area, title: str, items=(), meetings=()) -> Action:  # type: ignore[no-untyped-def]
        found = Action(area=area, title=title, owner="Team", items=list(items),
                       meetings=list(meetings), created_at=_moment(date(2025, 4, 1)))
        db.session.add(found)
        return found

    actions = {
        "mare": action(noord, "Actie De Mare", items=[items["De Mare"]]),
        "overdie_meeting": action(west, "Actie uit de avond in Overdie",
                                  meetings=[meetings["overdie_bergerhof"]]),
        "both": action(noord, "Actie De Mare en Daalmeer",
                       items=[items["De Mare"], items["Daalmeer"]],
                       meetings=[meetings["mare"]]),
        "daalmeer": action(noord, "Actie Daalmeer", items=[items["Daalmeer"]]),
        "west": action(west, "Actie heel West"),
        "noord_meeting": action(noord, "Actie uit de avond in Daalmeer",
                                meetings=[meetings["daalmeer"]]),
    }
    db.session.flush()
    return SimpleNamespace(noord=noord, west=west, mare=mare, daalmeer=daalmeer,
                           overdie=overdie, bergerhof=bergerhof, clerk=clerk,
                           meetings=meetings, actions=actions, items=items)


def _report(world, session, areas=(), wijken=(), reference="M2025-010"):  # type: ignore[no-untyped-def]
    motion = services.save_motion(world.clerk, services.MotionData(
        reference=reference, title="Veilig in de wijk", adopted_on=date(2024, 12, 1),
        text="", area_codes=list(areas), neighbourhood_codes=list(wijken)))
    report = services.start_report(world.clerk, motion.id, *PERIOD)
    session.commit()
    return report


def _titles(rows: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return sorted(row["title"] for row in rows)


def test_a_motion_about_wijken_counts_their_meetings_and_actions_only(world, session):
    report = _report(world, session, wijken=["WK036101", "WK036105"])
    content = services.build(report)
    # each meeting once, also the one for two of the wijken; none for a whole gebied
    assert _titles(content["meetings"]) == [
        "Avond De Mare", "Avond De Mare en Daalmeer", "Avond Overdie en Bergerhof"]
    assert [(m["area"], m["meetings"]) for m in content["meetings_per_area"]] == [
        ("Noord", 2), ("West", 1)]
    assert _titles(content["actions"]) == [
        "Actie De Mare", "Actie De Mare en Daalmeer", "Actie uit de avond in Overdie"]
    assert content["scope"] == {
        "areas": ["Noord", "West"],
        "neighbourhoods": [{"code": "WK036101", "name": "De Mare"},
                           {"code": "WK036105", "name": "Overdie"}],
        "themes": [], "level": "neighbourhoods", "whole_areas": [],
        "own_neighbourhoods": ["De Mare", "Overdie"],
        "area_wide_left_out": ["Noord", "West"]}
    assert [f["wijk"] for f in content["feedback"]] == ["De Mare", "Overdie"]


def test_a_motion_about_a_gebied_counts_the_whole_gebied(world, session):
    content = services.build(_report(world, session, areas=["noord"]))
    assert _titles(content["meetings"]) == [
        "Avond Daalmeer", "Avond De Mare", "Avond De Mare en Daalmeer"]
    assert _titles(content["actions"]) == [
        "Actie Daalmeer", "Actie De Mare", "Actie De Mare en Daalmeer",
        "Actie uit de avond in Daalmeer"]
    assert content["scope"]["level"] == "areas"
    assert content["scope"]["whole_areas"] == ["Noord"]
    assert content["scope"]["area_wide_left_out"] == []


def test_a_gebied_and_a_wijk_elsewhere(world, session):
    content = services.build(_report(world, session, areas=["noord"], wijken=["WK036105"]))
    assert content["scope"]["level"] == "areas_and_neighbourhoods"
    assert "Avond heel West" not in _titles(content["meetings"])
    assert "Avond Overdie en Bergerhof" in _titles(content["meetings"])
    assert "Actie heel West" not in _titles(content["actions"])
    assert content["scope"]["area_wide_left_out"] == ["West"]


def test_a_motion_naming_nothing_counts_the_whole_municipality(world, session):
    content = services.build(_report(world, session))
    assert len(content["meetings"]) == len(world.meetings)
    assert len(content["actions"]) == len(world.actions)
    assert content["scope"]["level"] == "municipality"
    assert content["scope"]["whole_areas"] == ["Noord", "West"]


def test_the_report_says_its_scope_at_the_top(client, world, session):
    report = _report(world, session, wijken=["WK036101", "WK036105"])
    factories.login(client, "griffie@example.org")
    page = client.get(f"/beheer/moties/rapportages/{report.id}").get_data(as_text=True)
    assert "Deze rapportage gaat over de wijken De Mare en Overdie." in page
    assert "Bijeenkomsten en acties voor de hele gebieden Noord en West tellen niet mee." in page
    printed = client.get(f"/beheer/moties/rapportages/{report.id}/afdruk").get_data(
        as_text=True)
    assert "Deze rapportage gaat over de wijken De Mare en Overdie." in printed
    client.set_cookie("lang", "en")
    page = client.get(f"/beheer/moties/rapportages/{report.id}").get_data(as_text=True)
    assert "This report is about the wijken De Mare and Overdie." in page
    assert "Meetings and actions for all of the gebieden Noord and West do not count." in page


@pytest.mark.parametrize(("areas", "wijken", "sentences"), [
    ((), ("WK036101",), ["Deze rapportage gaat over wijk De Mare.",
                         "Bijeenkomsten en acties voor heel gebied Noord tellen niet mee."]),
    (("noord",), (), ["Deze rapportage gaat over gebied Noord."]),
    (("noord", "west"), (), ["Deze rapportage gaat over de gebieden Noord en West."]),
    (("noord",), ("WK036105",), [
        "Deze rapportage gaat over gebied Noord en wijk Overdie.",
        "Bijeenkomsten en acties voor heel gebied West tellen niet mee."]),
    ((), (), ["Deze rapportage gaat over de hele gemeente."]),
])
def test_the_scope_in_words(app, world, session, areas, wijken, sentences):
    from flask_babel import force_locale

    from panel.motions import exports
    content = services.build(_report(world, session, areas=areas, wijken=wijken))
    with app.test_request_context(), force_locale("nl"):
        assert exports.scope_sentences(content["scope"]) == sentences
        motion_rows = dict((r[0], r[1]) for r in exports.tables(content)[0].rows)
        assert motion_rows["Waar de rapportage over gaat"] == " ".join(sentences)


# --- kept reports follow the scope --------------------------------------------------------

@pytest.fixture
def _no_trust(app):  # type: ignore[no-untyped-def]
    app.config["PANEL_ETAG_SECONDS"] = 0
    yield
    app.config["PANEL_ETAG_SECONDS"] = 1


def _fresh(report_id: int) -> dict:  # type: ignore[type-arg]
    db.session.rollback()
    return services.data(db.session.get(FollowUpReport, report_id))


def _elsewhere(statement) -> None:  # type: ignore[no-untyped-def]
    with db.engine.begin() as connection:
        connection.execute(statement)


@pytest.mark.usefixtures("_no_trust")
def test_a_kept_report_changes_when_an_action_comes_into_the_scope(world, session):
    report = _report(world, session, wijken=["WK036101"])
    first = _fresh(report.id)
    assert "Actie Daalmeer" not in _titles(first["actions"])
    assert _fresh(report.id)["actions"] is first["actions"]  # kept
    # The Daalmeer action now also answers feedback from De Mare.
    _elsewhere(insert(action_item).values(action_id=world.actions["daalmeer"].id,
                                          item_id=world.items["De Mare"].id))
    assert "Actie Daalmeer" in _titles(_fresh(report.id)["actions"])


@pytest.mark.usefixtures("_no_trust")
def test_a_kept_report_changes_when_a_counted_action_changes(world, session):
    report = _report(world, session, wijken=["WK036101"])
    _fresh(report.id)
    _elsewhere(update(Action).where(Action.id == world.actions["mare"].id)
               .values(progress=80))
    progress = {a["title"]: a["progress"] for a in _fresh(report.id)["actions"]}
    assert progress["Actie De Mare"] == 80


@pytest.mark.usefixtures("_no_trust")
def test_a_kept_report_changes_when_a_meeting_comes_into_the_scope(world, session):
    report = _report(world, session, wijken=["WK036101"])
    assert "Avond Daalmeer" not in _titles(_fresh(report.id)["meetings"])
    _elsewhere(insert(meeting_neighbourhood).values(
        meeting_id=world.meetings["daalmeer"].id, neighbourhood_id=world.mare.id))
    assert "Avond Daalmeer" in _titles(_fresh(report.id)["meetings"])


def test_a_report_on_wijken_makes_as_many_statements_as_one_on_gebieden(world, session):
    reports = {"wijken": _report(world, session, wijken=["WK036101", "WK036105"]),
               "gebied": _report(world, session, areas=["noord"], reference="M2"),
               "alles": _report(world, session, reference="M3")}
    ids = {name: report.id for name, report in reports.items()}
    counts = {}
    with counting(db.engine) as seen:
        for name, report_id in ids.items():
            db.session.expunge_all()
            report = db.session.get(FollowUpReport, report_id)
            seen.clear()
            services.build(report)
            counts[name] = len(seen)
    assert len(set(counts.values())) == 1, counts
