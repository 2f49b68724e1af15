"""Each worker keeps the draft reports it built, keyed by what they are made of: a kept
report is reused while nothing changed and is built again as soon as anything it shows
changes, also when another process (a worker, a command) made the change."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from panel.areas.models import Neighbourhood
from panel.db import db
from panel.feedback.models import Action, FeedbackItem, Theme
from panel.meetings.models import Meeting, Reply
from panel.motions import services
from panel.motions.models import FollowUpReport
from panel.signups.models import ImportRecord, PanelMember
from tests import factories
from tests.statements import counting
from tests.timing import Clock

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """A draft report on gebied Noord (De Mare) with members, a meeting with replies,
    feedback on two themes, actions and a survey import in 2025."""
    item = factories.panel_world()
    traffic = Theme(code="verkeer", name_nl="Verkeer", name_en="Traffic", position=1)
    youth = Theme(code="jeugd", name_nl="Jongeren", name_en="Young people", position=2)
    session.add_all([traffic, youth])
    members = [factories.member(item.mare, email=f"lid{n}@example.org",
                                confirmed_at=_moment(date(2025, 2, 1))) for n in range(8)]
    meeting = Meeting(area=item.noord, title="Wijkavond", status="open",
                      starts_at=_moment(date(2025, 3, 1)))
    session.add(meeting)
    session.flush()
    session.add_all([Reply(meeting_id=meeting.id, member_id=m.id, status="attending",
                           attended=n < 5) for n, m in enumerate(members)])
    session.add_all([FeedbackItem(neighbourhood=item.mare, theme=traffic if n % 2 else youth,
                                  source="resident", text="Te hard gereden.",
                                  created_at=_moment(date(2025, 4, 1) + timedelta(days=n)))
                     for n in range(12)])
    session.add_all([Action(area=item.noord, title=f"Actie {n}", owner="Team Noord",
                            progress=10 * n, created_at=_moment(date(2025, 5, 1 + n)))
                     for n in range(3)])
    session.add(ImportRecord(kind="respondents", finished_at=_moment(date(2025, 1, 20)),
                             summary=json.dumps({"new": 7,
                                                 "new_per_wijk": {str(item.mare.id): 7}})))
    motion = services.save_motion(item.clerk, services.MotionData(
        reference="M2025-002", title="Veilig in Noord", adopted_on=date(2024, 12, 1),
        text="", area_codes=["noord"], requests=[
            services.RequestData("Zet een panel op.", date(2099, 1, 1))]))
    report = services.start_report(item.clerk, motion.id, *PERIOD)
    session.commit()
    return SimpleNamespace(**vars(item), report=report, meeting=meeting, members=members,
                           traffic=traffic)


@pytest.fixture(autouse=True)
def _key_worked_out_every_time(app):  # type: ignore[no-untyped-def]
    """These tests change data the way another worker would and read the report at once:
    without trusting a worked-out key for a second (tested on its own below)."""
    app.config["PANEL_ETAG_SECONDS"] = 0
    yield
    app.config["PANEL_ETAG_SECONDS"] = 1


def _fresh(report_id: int) -> dict[str, Any]:
    """The report as a new request of another worker sees it: kept when nothing changed."""
    db.session.rollback()  # a new transaction (never a commit: that forgets kept reports)
    return services.data(db.session.get(FollowUpReport, report_id))


def _elsewhere(change: Callable[[Any], None]) -> None:
    """Make a change the way another process would: on its own connection, outside this
    session (so no commit of this session tells the kept reports)."""
    with db.engine.begin() as connection:
        change(connection)


def _statements(run: Callable[[], object]) -> list[str]:
    with counting(db.engine) as seen:
        run()
    return seen


def test_a_kept_report_is_reused_while_nothing_changes(world):
    report_id = world.report.id
    first = _fresh(report_id)
    assert first == services.build(db.session.get(FollowUpReport, report_id))
    reading = _statements(lambda: _fresh(report_id))
    again = _fresh(report_id)
    assert again == first
    assert again["actions"] is first["actions"]  # kept, not built again
    assert not any("GROUP BY feedback_item" in s for s in reading)
    db.session.rollback()
    building = _statements(lambda: services.build(db.session.get(FollowUpReport, report_id)))
    assert len(reading) == len(building)  # the two counts replaced by two fingerprints
    assert any("GROUP BY feedback_item" in s for s in building)


def _add_feedback(world) -> Callable[[Any], None]:  # type: ignore[no-untyped-def]
    return lambda c: c.execute(insert(FeedbackItem).values(
        neighbourhood_id=world.mare.id, theme_id=world.traffic.id, source="resident",
        text="Nog een melding.", created_at=_moment(date(2025, 9, 1))))


CHANGES: dict[str, Callable[[Any], Callable[[Any], None]]] = {
    "feedback added": _add_feedback,
    "feedback removed": lambda w: lambda c: c.execute(delete(FeedbackItem).where(
        FeedbackItem.id == db.session.query(FeedbackItem.id).order_by(
            FeedbackItem.id).limit(1).scalar_subquery())),
    "action changed": lambda w: lambda c: c.execute(
        update(Action).where(Action.title == "Actie 1").values(progress=95)),
    "action added": lambda w: lambda c: c.execute(insert(Action).values(
        area_id=w.noord.id, title="Nieuwe actie", owner="Team Noord",
        created_at=_moment(date(2025, 10, 1)))),
    "member left": lambda w: lambda c: c.execute(update(PanelMember).where(
        PanelMember.id == w.members[0].id).values(status="left",
                                                  left_at=_moment(date(2025, 6, 1)))),
    "attendance marked": lambda w: lambda c: c.execute(update(Reply).where(
        Reply.member_id == w.members[7].id).values(attended=True)),
    "meeting renamed": lambda w: lambda c: c.execute(update(Meeting).where(
        Meeting.id == w.meeting.id).values(title="Wijkavond De Mare")),
    "theme renamed": lambda w: lambda c: c.execute(update(Theme).where(
        Theme.id == w.traffic.id).values(name_nl="Verkeer en parkeren")),
    "wijk renamed": lambda w: lambda c: c.execute(update(Neighbourhood).where(
        Neighbourhood.id == w.mare.id).values(name="De Mare-Oost")),
    "survey imported": lambda w: lambda c: c.execute(insert(ImportRecord).values(
        kind="respondents", finished_at=_moment(date(2025, 11, 1)),
        summary=json.dumps({"new": 30, "new_per_wijk": {str(w.mare.id): 30}}))),
}


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_made_elsewhere_shows_at_once(world, name):
    report_id = world.report.id
    before = _fresh(report_id)
    _elsewhere(CHANGES[name](world))
    after = _fresh(report_id)
    assert after != before, name
    assert after == services.build(db.session.get(FollowUpReport, report_id))


def test_the_text_and_the_day_are_never_kept(world, monkeypatch):
    report_id = world.report.id
    assert _fresh(report_id)["requests"][0]["assessment"] == "open"
    services.save_narrative(world.clerk, report_id, [("Kern", "Het panel loopt.")])
    assert services.data(world.report)["narrative"] == [{"title": "Kern",
                                                         "body": "Het panel loopt."}]
    monkeypatch.setattr(services, "utcnow", lambda: _moment(date(2099, 2, 1)))
    assert _fresh(report_id)["requests"][0]["assessment"] == "late"


def test_a_commit_in_the_worker_ends_the_trust_but_keeps_the_reports(app, world, session):
    """A commit (any: an audit event, a reply) makes the next request work the report's key
    out again; the kept report is used when the key is still the same."""
    app.config["PANEL_ETAG_SECONDS"] = 60
    first = _fresh(world.report.id)
    assert services._kept().keys and services._kept().reports
    session.commit()
    assert not services._kept().keys
    assert services._kept().reports
    reading = _statements(lambda: _fresh(world.report.id))
    assert reading  # the key is worked out again
    assert _fresh(world.report.id)["actions"] is first["actions"]  # the same kept report


def test_a_final_report_is_kept_as_its_snapshot(world, session):
    services.finalise(world.clerk, world.report.id)
    session.commit()
    first = _fresh(world.report.id)
    _elsewhere(_add_feedback(world))
    assert _fresh(world.report.id) is first
    assert first["report"]["status"] == "final"


def test_the_kept_reports_stay_within_their_rows(monkeypatch):
    monkeypatch.setattr(services, "KEPT_ROWS", 10)
    kept = services._Kept()

    def report(actions: int) -> dict[str, Any]:
        return {"actions": [{}] * actions, "timeline": []}

    kept.put("a", report(3))  # 4 rows each, counting the report itself
    kept.put("b", report(3))
    assert kept.get("a") is not None  # "a" is now the most recently used
    kept.put("c", report(3))
    assert kept.get("b") is None and kept.get("a") is not None and kept.get("c") is not None
    assert kept.rows == 8
    kept.put("big", report(10))  # more than all the rows: not kept
    assert kept.get("big") is None and kept.rows == 8
    kept.clear()
    assert kept.rows == 0 and kept.get("a") is None


def test_a_worked_out_key_is_trusted_for_the_kept_seconds(app, world, monkeypatch):
    """Within PANEL_ETAG_SECONDS a worker reads a report again without any statement; a
    change made elsewhere shows once they are over, one made in the worker at once."""
    clock = Clock()  # the seconds pass when the test says so
    monkeypatch.setattr(services, "time_now", clock)

    report_id = world.report.id
    app.config["PANEL_ETAG_SECONDS"] = 0.3
    before = _fresh(report_id)
    assert _statements(lambda: services.data_and_key(
        db.session.get(FollowUpReport, report_id))) == []
    _elsewhere(_add_feedback(world))
    assert _fresh(report_id) == before  # within the trusted time
    clock.advance(0.35)
    after = _fresh(report_id)
    assert after != before
    assert after == services.build(db.session.get(FollowUpReport, report_id))

    assert _fresh(report_id) == after  # trusted again; a commit here forgets it
    action = db.session.scalars(select(Action).where(Action.title == "Actie 1")).one()
    action.progress = 77
    db.session.commit()
    assert _fresh(report_id) == services.build(db.session.get(FollowUpReport, report_id))
    assert _fresh(report_id) != after


def test_a_kept_fragment_is_rendered_once_per_key():
    kept = services._Kept()
    assert kept.fragment(("tables", 1)) is None
    kept.keep_fragment(("tables", 1), "<p>een</p>")
    assert kept.fragment(("tables", 1)) == "<p>een</p>"
    kept.clear()
    assert kept.fragment(("tables", 1)) is None
