"""The capabilities are what the roles imply: one table for every account kind, and the
staff pages show each role only the links its capabilities allow."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from panel.auth import permissions
from panel.auth.models import Role
from panel.errors import NotFound, PermissionDenied
from tests import factories

# Without a gebied: administer, all areas, member details, members, meetings, feedback,
# motions.
EXPECTED = {
    "admin": (True, True, True, True, True, True, True),
    "team": (False, False, True, True, True, True, False),
    "clerk": (False, True, False, False, False, False, True),
    "anonymous": (False,) * 7,
    "inactive": (False,) * 7,
}


@pytest.fixture
def accounts(session):  # type: ignore[no-untyped-def]
    noord, zuid = factories.area("noord"), factories.area("zuid")
    return {
        "noord": noord, "zuid": zuid,
        "admin": factories.user(Role.ADMIN),
        "team": factories.user(Role.TEAM, areas=[noord]),
        "clerk": factories.user(Role.CLERK),
        "anonymous": AnonymousUserMixin(),
        "inactive": factories.user(Role.ADMIN, active=False),
    }


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_capabilities_without_a_gebied(accounts, kind):
    user = accounts[kind]
    found = (permissions.may_administer(user), permissions.sees_all_areas(user),
             permissions.sees_member_details(user), permissions.may_manage_members(user),
             permissions.may_manage_meetings(user), permissions.may_manage_feedback(user),
             permissions.may_edit_motions(user))
    assert found == EXPECTED[kind]
    assert permissions.is_staff(user) == (kind in ("admin", "team", "clerk"))


@pytest.mark.parametrize(("kind", "noord", "zuid"), [
    ("admin", True, True), ("team", True, False), ("clerk", False, False),
    ("anonymous", False, False), ("inactive", False, False)])
def test_working_in_a_gebied(accounts, kind, noord, zuid):
    user = accounts[kind]
    for code, allowed in (("noord", noord), ("zuid", zuid)):
        area = accounts[code]
        assert permissions.may_manage_area(user, area) == allowed
        assert permissions.may_manage_meetings(user, area) == allowed
        assert permissions.may_manage_feedback(user, area) == allowed


def test_managed_area_hides_other_gebieden_and_refuses_the_clerk(accounts, session):
    assert permissions.managed_area(accounts["team"], "noord").code == "noord"
    with pytest.raises(NotFound):
        permissions.managed_area(accounts["team"], "zuid")
    with pytest.raises(NotFound):
        permissions.managed_area(accounts["admin"], "west")
    with pytest.raises(PermissionDenied):
        permissions.managed_area(accounts["clerk"], "noord")


def test_visible_areas_follow_the_role(accounts, session):
    def codes(kind: str) -> list[str]:
        return [a.code for a in session.scalars(permissions.visible_areas(accounts[kind]))]

    assert codes("admin") == codes("clerk") == ["noord", "zuid"]
    assert codes("team") == ["noord"]
    for kind in ("anonymous", "inactive"):
        with pytest.raises(PermissionDenied):
            codes(kind)


def test_only_team_accounts_have_gebieden():
    assert permissions.may_assign_areas(Role.TEAM.value)
    assert not permissions.may_assign_areas(Role.ADMIN.value)
    assert not permissions.may_assign_areas(Role.CLERK.value)


def test_the_staff_menu_and_start_page_follow_the_capabilities(session, login_as):
    factories.municipality()
    noord = factories.area("noord", "Noord")
    factories.user(Role.ADMIN, email="beheer@example.org")
    factories.user(Role.TEAM, email="noord@example.org", areas=[noord])
    factories.user(Role.CLERK, email="griffie@example.org")
    session.commit()
    pages = {email: login_as(email).get("/beheer/").get_data(as_text=True)
             for email in ("beheer@example.org", "noord@example.org", "griffie@example.org")}
    admin, team, clerk = (pages[e] for e in ("beheer@example.org", "noord@example.org",
                                             "griffie@example.org"))
    for page in (team, clerk):
        assert 'href="/beheer/accounts"' not in page and 'href="/beheer/audit"' not in page
    assert 'href="/beheer/accounts"' in admin and 'href="/beheer/audit"' in admin
    # What residents raised: for those who handle it, not for the clerk's office.
    assert 'href="/beheer/meldingen"' in admin and 'href="/beheer/meldingen"' in team
    assert 'href="/beheer/meldingen"' not in clerk
    assert "Uw gebieden" in team and "Uw gebieden" not in clerk + admin
