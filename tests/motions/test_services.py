"""The motion register and follow-up reports: figures, small counts, freezing, versions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from panel.auth.models import Role
from panel.db import db, utcnow
from panel.errors import DomainError, PermissionDenied
from panel.motions import services
from panel.motions.models import MotionRequest
from tests import factories


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    for number in range(7):
        factories.member(item.mare, name=f"Lid {number}", email=f"lid{number}@example.org",
                         source="survey", confirmed_at=utcnow() - timedelta(days=10))
    factories.member(item.vrooner, name="Zuid", email="zuid@example.org",
                     confirmed_at=utcnow() - timedelta(days=10))
    item.motion = services.save_motion(item.clerk, services.MotionData(
        reference="M2023-003", title="Betrekken inwoners bij veiligheid",
        adopted_on=date(2023, 1, 26), text="De raad verzoekt...", area_codes=["noord"],
        requests=[services.RequestData("Inventariseer", date(2023, 9, 30), "completed",
                                       date(2023, 9, 1)),
                  services.RequestData("Koppel terug", date(2023, 9, 30), "open")]))
    session.commit()
    return item


def period(world):  # type: ignore[no-untyped-def]
    today = utcnow().date()
    return services.start_report(world.clerk, world.motion.id, today - timedelta(days=30), today)


def test_requests_are_marked_met_or_late_against_their_deadline(world):
    content = services.build(period(world))
    assert [r["assessment"] for r in content["requests"]] == ["met", "late"]
    late = MotionRequest(text="x", deadline=date(2023, 9, 30), status="completed",
                         completed_on=date(2023, 10, 1))
    assert services.assessment(late, date(2024, 1, 1)) == "late"
    future = MotionRequest(text="x", deadline=date(2099, 1, 1), status="open")
    assert services.assessment(future, date(2024, 1, 1)) == "open"


def test_members_are_counted_by_source_and_wijk_within_the_motions_scope(world):
    content = services.build(period(world))
    assert content["members"] == [{"wijk_code": "WK036101", "wijk": "De Mare",
                                   "source": "survey", "count": 7}]
    assert content["members_total"] == 7  # the member in gebied zuid is outside the scope


def test_small_counts_are_shown_as_less_than_n(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PANEL_REPORT_MIN_COUNT", 10)
    content = services.build(period(world))
    assert content["members"][0]["count"] == "< 10"
    assert content["members_total"] == "< 10"
    assert content["report"]["minimum_count"] == 10
    assert services.shown(0, 10) == 0


def test_a_final_report_does_not_change_when_the_data_changes(world):
    report = period(world)
    services.save_narrative(world.clerk, report.id, [("Kernboodschap", "Het gaat goed.")])
    services.finalise(world.clerk, report.id)
    before = services.data(report)
    factories.member(world.mare, name="Nieuw", email="nieuw@example.org",
                     confirmed_at=utcnow() - timedelta(days=1))
    db.session.commit()
    assert services.data(report) == before
    live = services.build(report)  # the live figures did change: 1 online and 7 by survey
    assert [m["count"] for m in live["members"]] == ["< 5", 7]
    assert live["members_total"] == "x"  # 8 less 7 would give the 1 away
    with pytest.raises(DomainError):
        services.save_narrative(world.clerk, report.id, [("x", "y")])
    newer = services.start_report(world.clerk, world.motion.id, report.period_start,
                                  report.period_end)
    assert newer.version == 2 and services.sections(newer) == services.sections(report)
    assert services.data(newer)["members"] == live["members"]


def test_no_personal_data_in_a_report(world):
    text = str(services.build(period(world)))
    for member_text in ("Lid 3", "lid3@example.org", "Zuid"):
        assert member_text not in text


def test_only_admins_and_clerks_maintain_motions(world):
    with pytest.raises(PermissionDenied):
        services.save_motion(world.team_noord, services.MotionData(
            reference="X", title="X", adopted_on=date(2024, 1, 1), text=""))
    with pytest.raises(DomainError, match="al een motie"):
        services.save_motion(world.admin, services.MotionData(
            reference="M2023-003", title="Dubbel", adopted_on=date(2024, 1, 1), text=""))
    assert [m.reference for m in services.list_motions(world.team_noord)] == ["M2023-003"]
    factories.user(Role.CLERK)  # another clerk may read too
