"""The work list's counts, per capability and gebied, and its Dutch days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from panel.db import db
from panel.errors import NotFound
from panel.feedback.models import Action
from panel.meetings.models import Meeting, MeetingStatus
from panel.worklist import services
from tests.statements import counting
from tests.worklist.helpers import EXPECTED_LINES, EXPECTED_MEETING, NOW, work_of_every_kind


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = work_of_every_kind()
    session.commit()
    return item


def _counts(work: services.WorkList) -> dict[str, int]:
    return {line.kind: line.count for line in work.urgent + work.other}


def test_a_team_member_finds_every_kind_of_work_of_their_own_gebied(world) -> None:  # type: ignore[no-untyped-def]
    work = services.work_list(world.team_noord, now=NOW)
    assert _counts(work) == EXPECTED_LINES
    assert [line.kind for line in work.urgent] == [
        "meetings_unrecorded", "feedback_14", "feedback_7", "actions_overdue"]
    assert all(line.urgent for line in work.urgent)
    assert [item.meeting_id for item in work.meetings] == [world.noord_work.soon.id,
                                                           world.noord_work.draft.id]
    soon, draft = work.meetings
    assert {line.kind: line.count for line in soon.lines} == EXPECTED_MEETING
    assert (soon.taken, soon.free, soon.open) == (2, 0, True)
    assert [line.kind for line in draft.lines] == ["not_open"] and not draft.open
    # One meeting that needs its report, one poll: the lines open that meeting.
    lines = {line.kind: line for line in work.urgent + work.other}
    assert lines["meetings_unrecorded"].params == {"meeting_id": world.noord_work.ended.id}
    assert lines["polls"].params == {"meeting_id": world.noord_work.poll.id}
    assert work.areas == []  # one gebied: nothing to choose


def test_nothing_of_another_gebied_reaches_a_team_member(world) -> None:  # type: ignore[no-untyped-def]
    work = services.work_list(world.team_noord, now=NOW)
    titles = {item.title for item in work.meetings}
    assert titles == {"Bijeenkomst n", "Concept n"}
    with pytest.raises(NotFound):
        services.work_list(world.team_noord, area_code="zuid", now=NOW)


def test_an_administrator_sees_every_gebied_and_may_narrow_it_down(world) -> None:  # type: ignore[no-untyped-def]
    everything = services.work_list(world.admin, now=NOW)
    counts = _counts(everything)
    assert {kind: counts[kind] for kind in EXPECTED_LINES} == {
        kind: 2 * count for kind, count in EXPECTED_LINES.items()}
    assert counts["motions_overdue"] == 1 and counts["motions_due"] == 1
    assert len(everything.meetings) == 4
    assert [area.code for area in everything.areas] == ["noord", "zuid"]
    # Several meetings that need a report: the line opens the list of meetings.
    assert next(line for line in everything.urgent
                if line.kind == "meetings_unrecorded").endpoint == "meetings.staff_list"

    zuid = services.work_list(world.admin, area_code="zuid", now=NOW)
    assert {kind: _counts(zuid)[kind] for kind in EXPECTED_LINES} == EXPECTED_LINES
    assert {item.title for item in zuid.meetings} == {"Bijeenkomst z", "Concept z"}
    assert next(line for line in zuid.other if line.kind == "feedback_new").params == {
        "gebied": "zuid", "te_controleren": "1"}


def test_the_clerks_office_sees_the_motion_requests_only(world) -> None:  # type: ignore[no-untyped-def]
    work = services.work_list(world.clerk, now=NOW)
    assert _counts(work) == {"motions_overdue": 1, "motions_due": 1}
    assert work.meetings == []


def test_done_work_leaves_the_list(world, session) -> None:  # type: ignore[no-untyped-def]
    work = world.noord_work
    work.ended.closed_at, work.ended.report = NOW, "Vijf bewoners, goed gesprek."
    work.actions["overdue"].status = "done"
    work.caller.call_requested_at = None
    session.commit()
    counts = _counts(services.work_list(world.team_noord, now=NOW))
    for kind in ("meetings_unrecorded", "actions_overdue", "call_requests"):
        assert kind not in counts
    assert counts["polls"] == 1


def test_attendance_without_a_report_still_asks_for_the_report(world, session) -> None:  # type: ignore[no-untyped-def]
    world.noord_work.ended.closed_at = NOW
    session.commit()
    assert _counts(services.work_list(world.team_noord, now=NOW))["meetings_unrecorded"] == 1


def test_an_empty_list_says_so(session) -> None:  # type: ignore[no-untyped-def]
    from tests import factories

    world = factories.panel_world()
    session.commit()
    work = services.work_list(world.team_noord, now=NOW)
    assert work.empty and work.size == 0


def test_the_counts_take_a_fixed_number_of_statements(world, session) -> None:  # type: ignore[no-untyped-def]
    assert world.admin.role  # loaded before counting
    with counting(db.engine) as few:
        services.work_list(world.admin, now=NOW)
    work_of_more = [Meeting(area=world.noord, title=f"Extra {n}", status="open",
                            starts_at=NOW + timedelta(days=1 + n % 10),
                            ends_at=NOW + timedelta(days=1 + n % 10, hours=2),
                            neighbourhoods=[world.mare]) for n in range(12)]
    session.add_all(work_of_more)
    session.add_all(Action(area=world.zuid, title=f"Actie {n}", due_date=NOW.date())
                    for n in range(12))
    session.commit()
    assert world.admin.role
    with counting(db.engine) as many:
        work = services.work_list(world.admin, now=NOW)
    assert len(work.meetings) == 16
    # The gebieden, the meetings, and every other count with the weekly choice.
    assert len(many) == len(few) == 3


# --- Dutch days ---------------------------------------------------------------------------

def test_the_next_14_days_end_at_dutch_midnight_also_across_the_clock_change() -> None:
    # 00:30 on 29 March 2026 in Amsterdam (still winter time, 23:30 UTC the day before);
    # the clocks go forward that night, so the 14th day after it ends at 22:00 UTC.
    now = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    assert services.local_today(now) == date(2026, 3, 29)
    assert services.meeting_window(now) == (now, datetime(2026, 4, 12, 22, 0, tzinfo=UTC))
    # In October the clocks go back: the window ends at 23:00 UTC.
    now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    assert services.meeting_window(now)[1] == datetime(2026, 11, 3, 23, 0, tzinfo=UTC)


def test_a_meeting_late_on_the_14th_day_is_in_one_after_midnight_is_not(world, session) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # 29 March, 00:30 in Amsterdam
    for title, starts in (("Laat", datetime(2026, 4, 12, 21, 59, tzinfo=UTC)),
                          ("Te laat", datetime(2026, 4, 12, 22, 0, tzinfo=UTC))):
        session.add(Meeting(area=world.noord, title=title, status=MeetingStatus.OPEN.value,
                            starts_at=starts, ends_at=starts + timedelta(hours=1),
                            neighbourhoods=[world.mare]))
    session.commit()
    titles = {item.title for item in services.work_list(world.team_noord, now=now).meetings}
    assert "Laat" in titles and "Te laat" not in titles


def test_an_action_due_yesterday_in_dutch_time_is_overdue_at_once(world, session) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 6, 17, 22, 30, tzinfo=UTC)  # 18 June, 00:30 in Amsterdam
    for action in world.noord_work.actions.values():
        session.delete(action)
    session.add(Action(area=world.noord, title="Gisteren", due_date=date(2026, 6, 17),
                       created_at=now))
    session.commit()
    assert _counts(services.work_list(world.team_noord, now=now))["actions_overdue"] == 1


# --- the weekly email ---------------------------------------------------------------------

def test_the_weekly_email_is_off_until_chosen_and_sent_once_a_week(world, session, app) -> None:  # type: ignore[no-untyped-def]
    from tests.mailbox import outbox

    assert services.send_weekly(NOW) == 0
    services.set_weekly(world.team_noord, True)
    services.set_weekly(world.clerk, True)
    session.commit()
    assert services.work_list(world.team_noord, now=NOW).weekly
    before_seven = NOW.replace(hour=4, minute=59)  # 06:59 in Amsterdam
    assert services.send_weekly(before_seven) == 0
    assert services.send_weekly(NOW) == 2
    session.commit()
    assert services.send_weekly(NOW + timedelta(hours=1)) == 0  # not twice
    services.set_weekly(world.admin, True)
    session.commit()
    tuesday = NOW + timedelta(days=1)
    assert services.send_weekly(tuesday) == 0  # only on Monday
    assert services.send_weekly(tuesday, any_day=True) == 1  # unless asked
    session.commit()
    assert services.send_weekly(NOW + timedelta(days=7)) == 2
    session.commit()
    messages = outbox("noord@example.org")
    assert len(messages) == 2
    text = messages[0].text_body
    assert "Bijeenkomst n" in text and "Bijeenkomst z" not in text
    assert "1 melding wacht al meer dan 14 dagen op controle" in text
    assert f"/beheer/bijeenkomsten/{world.noord_work.soon.id}" in text
    assert "/brieven" not in text  # printing is a form on the meeting's page
    assert "/beheer/acties?termijn=verlopen" in text
    assert len(outbox("clerk@example.org")) == 2
    services.set_weekly(world.team_noord, False)
    session.commit()
    assert not services.work_list(world.team_noord, now=NOW).weekly


def test_a_list_without_work_is_not_sent(session) -> None:  # type: ignore[no-untyped-def]
    from tests import factories

    world = factories.panel_world()
    services.set_weekly(world.team_noord, True)
    session.commit()
    assert services.send_weekly(NOW) == 0


def test_a_change_made_elsewhere_is_counted_at_the_next_request(
        world, app) -> None:  # type: ignore[no-untyped-def]
    """Counted for every request, whichever worker answers: a staff member who just did
    something on another worker sees it counted."""
    from sqlalchemy import delete

    from panel.auth.models import user_area
    from panel.feedback.models import FeedbackItem

    user_id, noord_id = world.team_noord.id, world.team_noord.areas[0].id

    def new_feedback(area_code: str = "") -> int:
        with app.test_request_context():
            work = services.work_list(db.session.get(type(world.team_noord), user_id),
                                      area_code)
        db.session.rollback()  # ends the read
        return _counts(work)["feedback_14"]  # all of them, by today

    first = new_feedback()
    assert first == EXPECTED_LINES["feedback_new"]  # every item is older than 14 days now
    with db.engine.begin() as connection:  # elsewhere: not through this worker's session
        oldest = connection.scalar(select(FeedbackItem.id).where(
            FeedbackItem.review == "pending").order_by(FeedbackItem.id))
        connection.execute(delete(FeedbackItem).where(FeedbackItem.id == oldest))
    assert new_feedback() == first - 1

    new_feedback("noord")
    with db.engine.begin() as connection:  # the team member loses the gebied elsewhere
        connection.execute(delete(user_area).where(user_area.c.user_id == user_id,
                                                   user_area.c.area_id == noord_id))
    with app.test_request_context(), pytest.raises(NotFound):
        services.work_list(db.session.get(type(world.team_noord), user_id), "noord")
