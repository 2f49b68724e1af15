"""Staff sessions kept on the server: the service that starts, finds, ends and cleans
them up (``panel/auth/staff_sessions.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from panel.auth import services, staff_sessions
from panel.auth.models import Role, StaffSession, User
from panel.auth.staff_sessions import Reason, State
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.privacy.models import AuditEvent
from panel.privacy.services import purge_expired
from panel.security import hash_token
from tests import factories

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture
def staff(session) -> User:
    user = factories.user(Role.TEAM, email="team@example.org", areas=[factories.area()])
    session.commit()
    return user


def _row(token: str) -> StaffSession:
    return db.session.scalars(
        select(StaffSession).where(StaffSession.token_hash == hash_token(token))).one()


def _ended_events() -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [(e.object_id, e.actor, e.detail) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "end").order_by(AuditEvent.id))]


def test_only_the_hash_of_the_id_and_the_names_of_browser_and_system_are_stored(staff):
    token = staff_sessions.open_session(staff, FIREFOX)
    row = _row(token)
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert (row.browser, row.system) == ("Firefox", "Windows")
    assert row.created_at == row.last_seen_at and row.ended_at is None
    assert "133" not in row.browser + row.system  # no versions


def test_the_device_is_the_browser_and_system_family_or_nothing():
    assert staff_sessions.device(IPHONE) == ("Mobile Safari", "iOS")
    assert staff_sessions.device("curl/8.5.0") == ("curl", "")
    assert staff_sessions.device("") == ("", "")
    assert staff_sessions.device(None) == ("", "")


def test_find_loads_the_user_with_the_session_in_one_statement(staff, counted):
    token, user_id = staff_sessions.open_session(staff, FIREFOX), staff.id
    db.session.commit()
    db.session.expire_all()
    counted.clear()
    found = staff_sessions.find(user_id, token)
    assert found is not None and found.live and found.user.id == user_id
    assert len(counted) == 1
    assert "staff_user" in counted[0] and "staff_session" in counted[0]


def test_find_refuses_an_unknown_id_and_another_accounts_id(staff, session):
    other = factories.user(Role.ADMIN, email="other@example.org")
    token = staff_sessions.open_session(staff)
    session.commit()
    assert staff_sessions.find(staff.id, token + "x") is None
    assert staff_sessions.find(other.id, token) is None


def test_a_session_is_idle_after_the_idle_limit_and_too_old_after_the_absolute_one(
        staff, app):
    token = staff_sessions.open_session(staff)
    row = _row(token)
    now = row.created_at
    assert staff_sessions.state_of(row, now + timedelta(minutes=29)) is State.LIVE
    assert staff_sessions.state_of(row, now + timedelta(minutes=30)) is State.IDLE
    row.last_seen_at = now + timedelta(hours=11, minutes=50)
    assert staff_sessions.state_of(row, now + timedelta(hours=11, minutes=59)) is State.LIVE
    assert staff_sessions.state_of(row, now + timedelta(hours=12)) is State.TOO_OLD
    app.config["PANEL_SESSION_IDLE_MINUTES"] = 5
    try:
        assert staff_sessions.state_of(row, row.last_seen_at + timedelta(minutes=6)) \
            is State.IDLE
    finally:
        app.config["PANEL_SESSION_IDLE_MINUTES"] = 30


def test_a_blocked_account_is_never_live(staff, session):
    token = staff_sessions.open_session(staff)
    staff.active = False
    session.commit()
    found = staff_sessions.find(staff.id, token)
    assert found is not None and found.state is State.LIVE and not found.live


def test_the_last_use_is_written_at_most_once_a_minute_and_survives_a_rollback(
        staff, session):
    token = staff_sessions.open_session(staff)
    session.commit()
    row = _row(token)
    started = row.last_seen_at
    assert not staff_sessions.touch(row, started + timedelta(seconds=59))
    assert staff_sessions.touch(row, started + timedelta(seconds=60))
    assert not staff_sessions.touch(row, started + timedelta(seconds=100))
    session.rollback()  # a request that fails: the last use is written all the same
    assert _row(token).last_seen_at == started + timedelta(seconds=60)


def test_ending_all_sessions_ends_every_live_row_and_logs_each(staff, session):
    first = staff_sessions.open_session(staff, FIREFOX)
    second = staff_sessions.open_session(staff, IPHONE)
    ended = staff_sessions.end_all(staff, Reason.PASSWORD)
    session.commit()
    assert ended == sorted([_row(first).id, _row(second).id])
    assert all(_row(t).ended_at is not None and _row(t).end_reason == "password"
               for t in (first, second))
    assert staff_sessions.end_all(staff, Reason.PASSWORD) == []  # nothing left to end
    assert _ended_events() == [(str(i), "system", "password changed") for i in ended]
    assert staff_sessions.find(staff.id, first).state is State.ENDED


def test_signing_out_ends_only_that_session_and_names_who_did_it(staff, session):
    mine = staff_sessions.open_session(staff)
    other = staff_sessions.open_session(staff)
    staff_sessions.end(staff, mine, actor=staff)
    session.commit()
    assert _row(mine).end_reason == "signed_out" and _row(other).ended_at is None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "end")).one()
    assert (event.object_type, event.object_id, event.actor, event.actor_id,
            event.detail) == ("staff_session", str(_row(mine).id), "staff", staff.id,
                              "signed out")


def test_a_staff_member_lists_their_live_sessions_most_recently_used_first(staff, session):
    other_user = factories.user(Role.ADMIN, email="other@example.org")
    old = staff_sessions.open_session(staff, FIREFOX)
    recent = staff_sessions.open_session(staff, IPHONE)
    ended = staff_sessions.open_session(staff)
    idle = staff_sessions.open_session(staff)
    staff_sessions.open_session(other_user)
    staff_sessions.end(staff, ended)
    _row(old).last_seen_at = utcnow() - timedelta(minutes=5)
    _row(idle).last_seen_at = utcnow() - timedelta(minutes=31)
    session.commit()
    listed = staff_sessions.active_sessions(staff)
    assert [row.id for row in listed] == [_row(recent).id, _row(old).id]


def test_a_staff_member_ends_one_of_their_other_sessions(staff, session):
    mine = _row(staff_sessions.open_session(staff)).id
    other = _row(staff_sessions.open_session(staff)).id
    staff_sessions.end_one_of_mine(staff, other, current_id=mine)
    session.commit()
    assert [row.id for row in staff_sessions.active_sessions(staff)] == [mine]
    assert _ended_events() == [(str(other), "staff", "ended from the list of sessions")]
    with pytest.raises(DomainError):
        staff_sessions.end_one_of_mine(staff, other, current_id=mine)  # ended already
    with pytest.raises(DomainError):
        staff_sessions.end_one_of_mine(staff, mine, current_id=mine)  # the one in use


def test_nobody_ends_another_staff_members_session(staff, session):
    other_user = factories.user(Role.ADMIN, email="other@example.org")
    theirs = _row(staff_sessions.open_session(other_user)).id
    session.commit()
    with pytest.raises(NotFound):
        staff_sessions.end_one_of_mine(staff, theirs, current_id=None)
    assert staff_sessions.end_others(staff, current_id=None) == []
    assert [row.id for row in staff_sessions.active_sessions(other_user)] == [theirs]


def test_ending_the_others_keeps_the_one_in_use(staff, session):
    mine = _row(staff_sessions.open_session(staff)).id
    others = sorted(_row(staff_sessions.open_session(staff)).id for _ in range(3))
    assert staff_sessions.end_others(staff, current_id=mine) == others
    session.commit()
    assert [row.id for row in staff_sessions.active_sessions(staff)] == [mine]


def test_a_new_password_or_two_step_login_ends_every_session(staff, session):
    token = staff_sessions.open_session(staff)
    services.change_password(staff, "een nieuwe lange zin om te onthouden")
    session.commit()
    assert _row(token).end_reason == "password"
    token = staff_sessions.open_session(staff)
    services.bump_session_version(staff)
    session.commit()
    assert _row(token).end_reason == "two_step"


def test_blocking_an_account_or_changing_its_role_ends_its_sessions(session):
    world = factories.panel_world()
    session.commit()
    team = world.team_noord
    token = staff_sessions.open_session(team)
    services.update_user(world.admin, team.id, "Test", "team", ["noord", "zuid"], True)
    session.commit()
    assert _row(token).ended_at is None  # other gebieden: read on every request
    services.update_user(world.admin, team.id, "Test", "clerk", [], True)
    session.commit()
    assert _row(token).end_reason == "role"
    token = staff_sessions.open_session(team)
    services.update_user(world.admin, team.id, "Test", "clerk", [], False)
    session.commit()
    assert _row(token).end_reason == "blocked"
    admin_events = [e for e in _ended_events() if e[2] in ("role changed", "account blocked")]
    assert len(admin_events) == 2


def test_signing_in_again_removes_the_users_sessions_that_are_over(staff, session):
    ended = staff_sessions.open_session(staff)
    idle = staff_sessions.open_session(staff)
    live = staff_sessions.open_session(staff)
    staff_sessions.end(staff, ended)
    _row(idle).last_seen_at = utcnow() - timedelta(hours=1)
    session.commit()
    newest = staff_sessions.open_session(staff)
    session.commit()
    left = set(db.session.scalars(select(StaffSession.token_hash)))
    assert left == {hash_token(live), hash_token(newest)}


def test_purge_removes_every_session_that_is_over_and_keeps_the_live_ones(staff, session):
    other_user = factories.user(Role.ADMIN, email="other@example.org")
    live = staff_sessions.open_session(staff)
    ended = staff_sessions.open_session(other_user)
    too_old = staff_sessions.open_session(other_user)
    staff_sessions.end(other_user, ended)
    _row(too_old).created_at = utcnow() - timedelta(hours=13)
    session.commit()
    report = purge_expired()
    session.commit()
    assert report.sessions == 2
    assert list(db.session.scalars(select(StaffSession.token_hash))) == [hash_token(live)]
    assert purge_expired().sessions == 0

