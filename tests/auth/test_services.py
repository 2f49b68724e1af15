"""Staff accounts: creation, one-time password links, signing in, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from panel.auth import services
from panel.auth.models import PasswordLink, Role
from panel.db import db, utcnow
from panel.errors import DomainError, PermissionDenied
from panel.security import hash_token
from tests import factories


def test_new_account_has_no_password_and_a_link_that_is_stored_hashed(session):
    factories.area("noord")
    user, token = services.create_user(None, " Anna@Example.ORG ", "team", ["noord"], "Anna")
    assert user.email == "anna@example.org"
    assert user.password_hash is None
    assert [a.code for a in user.areas] == ["noord"]
    link = db.session.scalars(select(PasswordLink)).one()
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    assert len(token) >= 40


def test_password_is_hashed_slowly_with_a_salt(session):
    user, token = services.create_user(None, "a@example.org", "admin")
    services.set_password(token, "a long enough password")
    other, other_token = services.create_user(None, "b@example.org", "admin")
    services.set_password(other_token, "a long enough password")
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert "a long enough password" not in user.password_hash
    assert user.password_hash != other.password_hash  # salted


def test_password_link_works_once(session):
    _, token = services.create_user(None, "a@example.org", "admin")
    services.set_password(token, "first password here")
    with pytest.raises(DomainError, match="werkt niet meer"):
        services.set_password(token, "second password here")


def test_password_link_expires(session):
    _, token = services.create_user(None, "a@example.org", "admin", link_hours=1)
    link = db.session.scalars(select(PasswordLink)).one()
    link.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(DomainError):
        services.check_password_link(token)


def test_a_new_link_replaces_the_old_one(session):
    user, first = services.create_user(None, "a@example.org", "admin")
    second = services.issue_password_link(user)
    with pytest.raises(DomainError):
        services.check_password_link(first)
    assert services.check_password_link(second) is user


def test_short_passwords_are_refused_and_keep_the_link(session):
    _, token = services.create_user(None, "a@example.org", "admin")
    with pytest.raises(DomainError, match="12"):
        services.set_password(token, "too short")
    assert services.check_password_link(token).email == "a@example.org"


@pytest.mark.parametrize(("email", "role", "areas", "message"), [
    ("not-an-email", "admin", [], "geen geldig e-mailadres"),
    ("a@example.org", "boss", [], "Onbekende rol"),
    ("a@example.org", "team", [], "minstens één gebied"),
    ("a@example.org", "team", ["nowhere"], "Onbekend gebied"),
])
def test_bad_account_input_is_refused(session, email, role, areas, message):
    with pytest.raises(DomainError, match=message):
        services.create_user(None, email, role, areas)


def test_the_same_email_cannot_get_two_accounts(session):
    services.create_user(None, "a@example.org", "admin")
    with pytest.raises(DomainError, match="al een account"):
        services.create_user(None, "A@example.org", "clerk")


def test_authenticate_does_not_tell_which_part_was_wrong(session):
    user = factories.user(Role.ADMIN, email="a@example.org")
    assert services.authenticate("a@example.org", factories.PASSWORD) is user
    assert services.authenticate("A@Example.org", factories.PASSWORD) is user
    assert services.authenticate("a@example.org", "wrong password!") is None
    assert services.authenticate("nobody@example.org", factories.PASSWORD) is None
    assert services.authenticate("not an email", factories.PASSWORD) is None


def test_blocked_accounts_cannot_sign_in(session):
    factories.user(Role.ADMIN, email="a@example.org", active=False)
    assert services.authenticate("a@example.org", factories.PASSWORD) is None


def test_only_admins_manage_accounts(session):
    clerk = factories.user(Role.CLERK)
    with pytest.raises(PermissionDenied):
        services.create_user(clerk, "x@example.org", "admin")
    with pytest.raises(PermissionDenied):
        services.list_users(clerk)


def test_admin_changes_role_and_gebieden(session):
    admin = factories.user(Role.ADMIN)
    noord = factories.area("noord")
    clerk = factories.user(Role.CLERK)
    services.update_user(admin, clerk.id, "Nieuw", "team", ["noord"], True)
    assert clerk.role == "team" and clerk.areas == [noord]
    services.update_user(admin, clerk.id, "Nieuw", "clerk", ["noord"], True)
    assert clerk.areas == []  # only team members belong to gebieden


def test_admin_cannot_lock_themselves_out(session):
    admin = factories.user(Role.ADMIN)
    with pytest.raises(DomainError, match="eigen beheerdersrechten"):
        services.update_user(admin, admin.id, "", "clerk", [], True)
    with pytest.raises(DomainError):
        services.update_user(admin, admin.id, "", "admin", [], False)
