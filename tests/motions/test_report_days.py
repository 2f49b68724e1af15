"""Report periods, filters and exports run over Dutch days: 00:00 to 24:00 Europe/Amsterdam,
also on the days the clocks change (23 and 25 hours)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from panel.auth.models import Role
from panel.days import day_bounds, dutch_day_bounds, local_date
from panel.feedback.models import Action, FeedbackItem, Theme
from panel.meetings.models import Meeting
from panel.motions import services
from panel.privacy.models import AuditEvent
from panel.privacy.services import AuditFilter, search_events
from panel.signups.models import ImportRecord
from panel.signups.staff import MemberFilter, export_members
from tests import factories


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# Moments around each Dutch day tested: (day, moments counted on it, moments not).
DAYS = {
    # winter: the day starts at 23:00 UTC the evening before
    "winter": (date(2025, 1, 15),
               [utc(2025, 1, 14, 23, 30), utc(2025, 1, 15, 22, 59)],
               [utc(2025, 1, 14, 22, 59), utc(2025, 1, 15, 23, 30)]),
    # summer: at 22:00 UTC
    "summer": (date(2025, 7, 15),
               [utc(2025, 7, 14, 22, 30), utc(2025, 7, 15, 21, 30)],
               [utc(2025, 7, 14, 21, 59), utc(2025, 7, 15, 22, 30)]),
    # the last Sunday of March: 23 hours, 23:00 UTC to 22:00 UTC
    "clocks forward": (date(2025, 3, 30),
                       [utc(2025, 3, 29, 23, 0), utc(2025, 3, 30, 21, 59)],
                       [utc(2025, 3, 29, 22, 59), utc(2025, 3, 30, 22, 0)]),
    # the last Sunday of October: 25 hours, 22:00 UTC to 23:00 UTC
    "clocks back": (date(2025, 10, 26),
                    [utc(2025, 10, 25, 22, 0), utc(2025, 10, 26, 22, 30)],
                    [utc(2025, 10, 25, 21, 59), utc(2025, 10, 26, 23, 0)]),
}


def test_dutch_days_are_23_24_or_25_hours_long() -> None:
    lengths = {name: day_bounds(day)[1] - day_bounds(day)[0]
               for name, (day, _in, _out) in DAYS.items()}
    assert lengths == {"winter": timedelta(hours=24), "summer": timedelta(hours=24),
                       "clocks forward": timedelta(hours=23),
                       "clocks back": timedelta(hours=25)}
    start, end = dutch_day_bounds(date(2025, 3, 29), date(2025, 3, 30))
    assert (start, end) == (utc(2025, 3, 28, 23), utc(2025, 3, 30, 22))
    for day, inside, outside in DAYS.values():
        start, end = day_bounds(day)
        assert all(start <= moment < end and local_date(moment) == day for moment in inside)
        assert not any(start <= moment < end or local_date(moment) == day
                       for moment in outside)


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    theme = Theme(code="verkeer", name_nl="Verkeer", name_en="Traffic", position=1)
    session.add(theme)
    item.motion = services.save_motion(item.clerk, services.MotionData(
        reference="M2025-011", title="Veilig in Noord", adopted_on=date(2024, 12, 1),
        text="", area_codes=["noord"]))
    item.theme = theme
    return item


@pytest.mark.parametrize("name", list(DAYS))
def test_a_report_over_one_day_counts_that_dutch_day(app, world, session, monkeypatch, name):
    monkeypatch.setitem(app.config, "PANEL_REPORT_MIN_COUNT", 1)  # show every count
    day, inside, outside = DAYS[name]
    for number, moment in enumerate(inside + outside):
        counted = moment in inside
        session.add(FeedbackItem(neighbourhood=world.mare, theme=world.theme,
                                 source="resident", text="Te hard.", created_at=moment))
        session.add(Meeting(area=world.noord, title=f"Avond {number} {counted}", status="open",
                            starts_at=moment, extra_attendees=3))
        session.add(ImportRecord(kind="respondents", finished_at=moment,
                                 summary=json.dumps({"new": 10 + number, "new_per_wijk": {
                                     str(world.mare.id): 10 + number}})))
        factories.member(world.mare, email=f"lid{number}@example.org", confirmed_at=moment)
        session.add(Action(area=world.noord, title=f"Actie {number}", created_at=moment))
    report = services.start_report(world.clerk, world.motion.id, day, day)
    session.commit()
    content = services.build(report)
    assert content["feedback_total"] == len(inside)
    assert sorted(m["title"] for m in content["meetings"]) == [
        f"Avond {n} True" for n in range(len(inside))]
    assert {m["date"] for m in content["meetings"]} == {day.isoformat()}
    assert [e["label"] for e in content["timeline"] if e["event"] == "survey_optins"] == [
        str(10 + n) for n in range(len(inside))]
    # members confirmed by the end of the day (also those before it); actions started by then
    confirmed_by_end = [m for m in inside + outside if m < day_bounds(day)[1]]
    assert content["members_total"] == len(confirmed_by_end)
    assert len(content["actions"]) == len(confirmed_by_end)
    assert {a["started_on"] for a in content["actions"]} <= {
        (day - timedelta(days=1)).isoformat(), day.isoformat()}


def test_a_report_made_final_late_in_the_evening_is_dated_by_the_dutch_day(world, session):
    report = services.start_report(world.clerk, world.motion.id, date(2025, 1, 1),
                                   date(2025, 1, 31))
    session.commit()
    services.finalise(world.clerk, report.id)
    report.finalised_at = utc(2025, 2, 3, 23, 30)  # 00:30 on 4 February in the Netherlands
    assert services.build(report)["report"]["finalised_on"] == "2025-02-04"


@pytest.mark.parametrize("name", list(DAYS))
def test_the_audit_log_filter_takes_dutch_days(world, session, name):
    day, inside, outside = DAYS[name]
    session.add_all([AuditEvent(at=moment, action="view", object_type=f"in-{moment in inside}")
                     for moment in inside + outside])
    session.commit()
    found = search_events(world.admin, AuditFilter(date_from=day, date_to=day))
    assert sorted(e.object_type for e in found.events) == ["in-True"] * len(inside)


def test_the_member_export_dates_sign_ups_by_the_dutch_day(world, session):
    member = factories.member(world.mare, email="laat@example.org")
    member.created_at = utc(2025, 1, 14, 23, 30)  # 00:30 on 15 January in the Netherlands
    session.commit()
    team = factories.user(Role.TEAM, email="team2@example.org", areas=[world.noord])
    rows = list(csv.reader(io.StringIO(export_members(team, MemberFilter(), "csv")
                                       .decode("utf-8-sig")), delimiter=";"))
    assert rows[1][-1] == "2025-01-15"


def test_sign_ups_from_the_survey_count_only_the_reports_wijken(app, world, session,
                                                                   monkeypatch):
    """An import of the survey adds people all over the municipality; a report about Noord
    counts those in Noord's wijk. An import from before the counts per wijk were kept is
    counted from the members it made there."""
    monkeypatch.setitem(app.config, "PANEL_REPORT_MIN_COUNT", 1)
    day = date(2025, 3, 3)
    start, _end = dutch_day_bounds(day, day)
    session.add(ImportRecord(kind="respondents", finished_at=start + timedelta(hours=9),
                             summary=json.dumps({"new": 5, "new_per_wijk": {
                                 str(world.mare.id): 1, str(world.vrooner.id): 4}})))
    uploaded, finished = start + timedelta(hours=13), start + timedelta(hours=14)
    session.add(ImportRecord(kind="respondents", created_at=uploaded, finished_at=finished,
                             summary=json.dumps({"new": 6})))
    for number, wijk in enumerate([world.mare] * 2 + [world.vrooner] * 4):
        factories.member(wijk, email=f"monitor{number}@example.org", source="survey",
                         status="invited", created_at=uploaded + timedelta(minutes=30))
    report = services.start_report(world.clerk, world.motion.id, day, day)
    session.commit()
    content = services.build(report)
    assert [e["label"] for e in content["timeline"] if e["event"] == "survey_optins"] == \
        ["1", "2"]
