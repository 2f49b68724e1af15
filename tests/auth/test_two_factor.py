"""Two-step login: setting it up, codes that work once, recovery codes, turning it off."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from panel.auth import services, two_factor
from panel.auth.models import RecoveryCode, Role, User
from panel.db import db, utcnow
from panel.errors import DomainError, PermissionDenied
from panel.security import hash_token
from tests import factories
from tests.auth.helpers import code, enable_two_factor, error_message, login_with_code, signed_in


def _enrol_through_the_web(client, user_id: int) -> tuple[pyotp.TOTP, list[str]]:
    page = client.get("/beheer/tweestaps")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert '<svg role="img"' in html and "<title>" in html and "style=" not in html
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    assert f"secret={secret}" in two_factor.provisioning_uri(db.session.get(User, user_id))
    assert f"secret={secret}" in html  # the otpauth:// link
    totp = pyotp.TOTP(secret)
    done = client.post("/beheer/tweestaps", data={"code": totp.now()})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r'<code class="utrecht-code">([a-z0-9]{5}-[a-z0-9]{5})</code>',
                       done.get_data(as_text=True))
    return totp, codes


def test_staff_member_sets_up_two_step_login_and_sees_recovery_codes_once(client, session):
    user = factories.user(Role.TEAM, email="t@example.org", areas=[factories.area()])
    session.commit()
    user_id = user.id
    factories.login(client, "t@example.org")
    assert "/beheer/tweestaps" in client.get("/beheer/").get_data(as_text=True)  # offered
    totp, codes = _enrol_through_the_web(client, user_id)
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT == len(set(codes))
    user = db.session.get(User, user_id)
    assert user.totp_enabled_at is not None
    stored = db.session.scalars(select(RecoveryCode.code_hash)
                                .where(RecoveryCode.user_id == user_id)).all()
    assert sorted(stored) == sorted(hash_token(c.replace("-", "")) for c in codes)
    assert signed_in(client)  # this session goes on
    again = client.get("/beheer/tweestaps").get_data(as_text=True)
    assert not any(c in again for c in codes)  # shown only once
    assert "10" in again  # how many are left


def test_a_wrong_first_code_does_not_turn_it_on(client, session):
    user = factories.user(Role.ADMIN, email="a@example.org")
    session.commit()
    factories.login(client, "a@example.org")
    client.get("/beheer/tweestaps")
    response = client.post("/beheer/tweestaps", data={"code": "000000"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.get(User, user.id).totp_enabled_at is None


def test_the_secret_stays_the_same_until_it_is_confirmed(session):
    user = factories.user(Role.ADMIN)
    first = two_factor.start_enrolment(user)
    assert two_factor.start_enrolment(user) == first
    assert len(first) >= 32


def test_with_two_step_login_the_password_alone_does_not_sign_in(client, session):
    user = factories.user(Role.ADMIN, email="a@example.org")
    totp = enable_two_factor(user)
    session.commit()
    first = factories.login(client, "a@example.org")
    assert first.headers["Location"] == "/beheer/inloggen/code"
    assert not signed_in(client)
    wrong = client.post("/beheer/inloggen/code", data={"code": "123456"})
    assert wrong.status_code == 200 and error_message(wrong)
    right = client.post("/beheer/inloggen/code", data={"code": code(totp)})
    assert right.status_code == 302 and right.headers["Location"] == "/beheer/"
    assert signed_in(client)


def test_the_code_step_keeps_a_local_next_page(client, session):
    user = factories.user(Role.ADMIN, email="a@example.org")
    totp = enable_two_factor(user)
    session.commit()
    client.post("/beheer/inloggen?next=/beheer/gebieden",
                data={"email": "a@example.org", "password": factories.PASSWORD})
    response = client.post("/beheer/inloggen/code", data={"code": code(totp)})
    assert response.headers["Location"] == "/beheer/gebieden"


def test_the_code_step_needs_the_password_step_first(client):
    response = client.post("/beheer/inloggen/code", data={"code": "123456"})
    assert response.status_code == 302 and response.headers["Location"] == "/beheer/inloggen"


def test_the_code_step_expires(client, session):
    from panel.auth import sessions

    user = factories.user(Role.ADMIN, email="a@example.org")
    totp = enable_two_factor(user)
    session.commit()
    factories.login(client, "a@example.org")
    with client.session_transaction() as stored:
        pending = dict(stored[sessions.PENDING])
        pending["at"] -= sessions.PENDING_SECONDS + 1
        stored[sessions.PENDING] = pending
    response = client.post("/beheer/inloggen/code", data={"code": code(totp)})
    assert response.headers["Location"] == "/beheer/inloggen"
    assert not signed_in(client)


def test_a_code_cannot_be_used_twice(client, session):
    user = factories.user(Role.ADMIN, email="a@example.org")
    totp = enable_two_factor(user)
    session.commit()
    used = code(totp)
    assert login_with_code(client, "a@example.org", used).status_code == 302
    client.post("/beheer/uitloggen")
    replay = login_with_code(client, "a@example.org", used)
    assert replay.status_code == 200 and not signed_in(client)
    older = client.post("/beheer/inloggen/code", data={"code": code(totp, -1)})
    assert older.status_code == 200 and not signed_in(client)  # an earlier step: refused too
    newer = client.post("/beheer/inloggen/code", data={"code": code(totp, +1)})
    assert newer.status_code == 302 and signed_in(client)


def test_the_last_used_step_is_stored_and_checked_in_the_service(session):
    user = factories.user(Role.ADMIN)
    totp = enable_two_factor(user)
    now = 1_900_000_000.0
    assert two_factor.verify_login_code(user, totp.at(now), now=now)
    assert user.totp_last_step == totp.timecode(now)
    assert not two_factor.verify_login_code(user, totp.at(now), now=now)
    assert not two_factor.verify_login_code(user, totp.at(now - 30), now=now)
    assert two_factor.verify_login_code(user, totp.at(now + 30), now=now)  # window of 1
    assert not two_factor.verify_login_code(user, totp.at(now + 90), now=now)  # too far


def test_a_recovery_code_works_once(client, session):
    user = factories.user(Role.ADMIN, email="a@example.org")
    enable_two_factor(user)
    codes = two_factor.replace_recovery_codes(user)
    session.commit()
    first = login_with_code(client, "a@example.org", codes[0].upper().replace("-", " "))
    assert first.status_code == 302 and signed_in(client)
    client.post("/beheer/uitloggen")
    again = login_with_code(client, "a@example.org", codes[0])
    assert again.status_code == 200 and not signed_in(client)
    other = client.post("/beheer/inloggen/code", data={"code": codes[1]})
    assert other.status_code == 302 and signed_in(client)
    assert two_factor.unused_recovery_codes(db.session.get(User, user.id)) == 8


def test_new_recovery_codes_replace_the_old_ones(session):
    user = factories.user(Role.ADMIN)
    enable_two_factor(user)
    old = two_factor.replace_recovery_codes(user)
    new = two_factor.replace_recovery_codes(user)
    assert not set(old) & set(new)
    assert not two_factor.verify_login_code(user, old[0])
    assert two_factor.verify_login_code(user, new[0])


def test_wrong_codes_count_toward_the_lockout(client, session):
    user = factories.user(Role.ADMIN, email="a@example.org")
    totp = enable_two_factor(user)
    session.commit()
    factories.login(client, "a@example.org")
    for _ in range(services.MAX_FAILED_LOGINS):
        assert client.post("/beheer/inloggen/code", data={"code": "000000"}).status_code == 200
    user = db.session.get(User, user.id)
    assert services.is_locked(user)
    # Locked: even the right code is refused, and is not used up.
    right = client.post("/beheer/inloggen/code", data={"code": code(totp)})
    assert right.status_code == 200 and not signed_in(client)
    db.session.refresh(user)
    assert user.totp_last_step is None
    # And the right password gives the same message as a wrong one.
    locked = factories.login(client, "a@example.org")
    unknown = factories.login(client, "nobody@example.org")
    assert locked.status_code == 200
    assert error_message(locked) == error_message(unknown)


def test_the_password_step_does_not_reset_the_count_of_wrong_codes(client, session):
    user = factories.user(Role.ADMIN, email="a@example.org")
    enable_two_factor(user)
    session.commit()
    for _ in range(services.MAX_FAILED_LOGINS):
        factories.login(client, "a@example.org")  # right password each time
        client.post("/beheer/inloggen/code", data={"code": "000000"})
    assert services.is_locked(db.session.get(User, user.id))


def test_the_code_step_is_rate_limited(client, session, rate_limits):
    statuses = [client.post("/beheer/inloggen/code", data={"code": "000000"}).status_code
                for _ in range(11)]
    assert statuses[10] == 429


def test_turning_it_off_needs_the_password(client, session):
    user = factories.user(Role.ADMIN, email="a@example.org")
    totp = enable_two_factor(user)
    two_factor.replace_recovery_codes(user)
    session.commit()
    login_with_code(client, "a@example.org", code(totp))
    version = db.session.get(User, user.id).session_version
    wrong = client.post("/beheer/tweestaps/uitzetten", data={"password": "not my password!"})
    assert wrong.status_code == 200
    assert db.session.get(User, user.id).totp_enabled_at is not None
    right = client.post("/beheer/tweestaps/uitzetten", data={"password": factories.PASSWORD})
    assert right.status_code == 302
    user = db.session.get(User, user.id)
    db.session.refresh(user)
    assert user.totp_enabled_at is None and user.totp_secret is None
    assert user.session_version == version + 1
    assert two_factor.unused_recovery_codes(user) == 0
    assert signed_in(client)  # this session goes on
    client.post("/beheer/uitloggen")
    assert factories.login(client, "a@example.org").headers["Location"] == "/beheer/"


def test_setting_it_up_needs_a_fresh_login(client, session):
    from tests.auth.helpers import age_session

    factories.user(Role.ADMIN, email="a@example.org")
    session.commit()
    factories.login(client, "a@example.org")
    age_session(client, auth=11 * 60)
    response = client.get("/beheer/tweestaps")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/beheer/bevestigen?next=/beheer/tweestaps")


def test_admin_turns_it_off_for_someone_who_lost_their_phone(client, session):
    admin = factories.user(Role.ADMIN, email="admin@example.org")
    clerk = factories.user(Role.CLERK, email="clerk@example.org")
    enable_two_factor(clerk)
    session.commit()
    clerk_id = clerk.id
    factories.login(client, "admin@example.org")
    page = client.get(f"/beheer/accounts/{clerk_id}").get_data(as_text=True)
    assert f"/beheer/accounts/{clerk_id}/tweestaps-uit" in page
    response = client.post(f"/beheer/accounts/{clerk_id}/tweestaps-uit")
    assert response.status_code == 302
    assert db.session.get(User, clerk_id).totp_enabled_at is None
    with pytest.raises(DomainError):
        two_factor.reset_for(db.session.get(User, admin.id), admin.id)
    with pytest.raises(PermissionDenied):
        two_factor.reset_for(db.session.get(User, clerk_id), admin.id)


def test_reset_two_factor_command(runner, session):
    user = factories.user(Role.CLERK, email="clerk@example.org")
    enable_two_factor(user)
    user.totp_enabled_at = utcnow()
    session.commit()
    result = runner.invoke(args=["reset-two-factor", "--email", "Clerk@example.org"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_enabled_at is None
    assert runner.invoke(args=["reset-two-factor", "--email", "x@example.org"]).exit_code != 0
