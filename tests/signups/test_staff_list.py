"""The staff member list (``/beheer/leden``) as it is built for speed: the page chosen by id,
the total taken from the counts per wijk, the wijk filter made from those counts and the
labels translated once. Each shortcut must give exactly what the plain way gives."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_login import login_user
from sqlalchemy import create_engine, func, select, text

from panel.areas.services import areas_for
from panel.auth.models import Role, User
from panel.db import db, utcnow
from panel.errors import PermissionDenied
from panel.privacy.models import AuditEvent
from panel.signups import staff
from panel.signups.models import PanelMember
from tests import factories

STATUSES = ("member", "invited", "pending", "left")
SOURCES = ("survey", "online", "staff")


@pytest.fixture
def crowd(world):  # type: ignore[no-untyped-def]
    """Gebied Noord gets a second wijk; 130 members over both wijken of Noord and 20 in
    Zuid, with every status and source, and created_at values that repeat (so the order
    needs the id as well)."""
    elders = factories.neighbourhood(world.noord, "WK036102", "Aardswoud")
    start = utcnow() - timedelta(days=400)
    wijken = (world.mare, elders)
    for n in range(130):
        factories.member(wijken[n % 2], f"Lid {n}", f"lid{n}@example.org" if n % 5 else None,
                         status=STATUSES[n % 4], source=SOURCES[n % 3],
                         created_at=start + timedelta(days=n // 3))
    for n in range(20):
        factories.member(world.vrooner, f"Zuid {n}", f"zuid{n}@example.org",
                         created_at=start + timedelta(days=n))
    db.session.commit()
    return SimpleNamespace(world=world, elders=elders)


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _plain(user: User, flt: staff.MemberFilter) -> tuple[int, list[int]]:
    """The total and the ids of the page, the plain way: count, then sort all members."""
    query = staff._filtered(user, flt)
    total = db.session.scalar(query.with_only_columns(func.count(PanelMember.id))
                              .order_by(None)) or 0
    pages = max(1, -(-total // staff.PER_PAGE))
    page = min(max(1, flt.page), pages)
    ids = list(db.session.scalars(
        query.with_only_columns(PanelMember.id)
        .order_by(PanelMember.created_at.desc(), PanelMember.id.desc())
        .offset((page - 1) * staff.PER_PAGE).limit(staff.PER_PAGE)))
    return total, ids


FILTERS = [
    staff.MemberFilter(),
    staff.MemberFilter(page=2),
    staff.MemberFilter(page=3),
    staff.MemberFilter(page=99),
    staff.MemberFilter(page=-1),
    staff.MemberFilter(status="invited"),
    staff.MemberFilter(status="left", neighbourhood_code="WK036102"),
    staff.MemberFilter(neighbourhood_code="WK036101", page=2),
    staff.MemberFilter(neighbourhood_code="WK036104"),  # a wijk of another gebied
    staff.MemberFilter(status="nonsense"),
    staff.MemberFilter(source="survey"),
    staff.MemberFilter(query="lid 1"),
    staff.MemberFilter(query="lid1", status="member", source="online"),
]


@pytest.mark.parametrize("email", ["noord@example.org", "admin@example.org"])
def test_pages_and_totals_are_those_of_the_plain_query(app, crowd, email):
    with app.test_request_context():
        user = _user(email)
        login_user(user)
        counts = staff.counts_per_wijk(user)
        for flt in FILTERS:
            total, ids = _plain(user, flt)
            for given in (counts, None):
                result = staff.list_members(user, flt, given)
                assert (result.total, [m.id for m in result.members]) == (total, ids), flt
                assert result.pages == max(1, -(-total // staff.PER_PAGE))
        first = staff.list_members(user, staff.MemberFilter(), counts).members[0]
        member = db.session.get(PanelMember, first.id)
        assert (first.name, first.email, first.status, first.source, first.wijk_name) == \
            (member.name, member.email, member.status, member.source, member.neighbourhood.name)


def test_the_team_list_holds_its_own_gebied_only(app, crowd):
    with app.test_request_context():
        team = _user("noord@example.org")
        login_user(team)
        result = staff.list_members(team, staff.MemberFilter(page=1))
        assert result.total == 130 and result.pages == 3
        seen = [m.wijk_name for p in (1, 2, 3)
                for m in staff.list_members(team, staff.MemberFilter(page=p)).members]
        assert len(seen) == 130 and set(seen) == {"De Mare", "Aardswoud"}


def test_counts_list_every_wijk_also_without_members(app, crowd):
    with app.test_request_context():
        admin = _user("admin@example.org")
        factories.neighbourhood(crowd.world.zuid, "WK036105", "Leeg")
        db.session.flush()
        counts = staff.counts_per_wijk(admin)
        assert [(c.area, c.name) for c in counts] == [
            ("Noord", "Aardswoud"), ("Noord", "De Mare"), ("Zuid", "Leeg"),
            ("Zuid", "Vroonermeer")]
        by_code = {c.code: c for c in counts}
        assert by_code["WK036105"].counts == {} and by_code["WK036105"].total == 0
        assert by_code["WK036104"].counts == {"member": 20}
        assert by_code["WK036101"].total + by_code["WK036102"].total == 130
        for code, first in (("WK036101", 0), ("WK036102", 1)):  # even and odd members
            expected: dict[str, int] = {}
            for n in range(first, 130, 2):
                expected[STATUSES[n % 4]] = expected.get(STATUSES[n % 4], 0) + 1
            assert by_code[code].counts == expected
        db.session.rollback()


@pytest.mark.parametrize("email", ["noord@example.org", "admin@example.org"])
def test_the_wijk_filter_offers_what_the_areas_service_gives(app, crowd, email):
    with app.test_request_context():
        user = _user(email)
        factories.neighbourhood(crowd.world.noord, "WK036100", "Zwaansmeer")  # code first
        db.session.flush()
        expected = [(area.name, n.code, n.name) for area in areas_for(user)
                    for n in area.neighbourhoods]
        assert staff.wijk_choices(staff.counts_per_wijk(user)) == expected
        db.session.rollback()


def test_the_page_shows_the_members_with_translated_labels(login_as, crowd):
    page = login_as("noord@example.org").get("/beheer/leden").get_data(as_text=True)
    assert "130 panelleden gevonden." in page
    assert "Panelleden, pagina 1 van 3" in page
    newest = db.session.scalars(select(PanelMember).join(PanelMember.neighbourhood)
                                .where(PanelMember.name.like("Lid %"))
                                .order_by(PanelMember.created_at.desc(),
                                          PanelMember.id.desc())).first()
    assert newest is not None
    assert f'href="/beheer/leden/{newest.id}">{newest.name}</a>' in page
    assert f'aria-label="Brief voor {newest.name}"' in page
    for label in ("Uitgenodigd", "Lid", "Veiligheidsmonitor", "geen e-mail"):
        assert f'<td class="utrecht-table__cell">{label}</td>' in page, label
    assert '<optgroup label="Noord">' in page and "Vroonermeer" not in page


def test_names_are_escaped_in_the_list(login_as, world):
    factories.member(world.mare, 'Eva <b>"de" & \'t</b>', "eva@example.org")
    db.session.commit()
    page = login_as("noord@example.org").get("/beheer/leden").get_data(as_text=True)
    escaped = "Eva &lt;b&gt;&#34;de&#34; &amp; &#39;t&lt;/b&gt;"
    assert f'aria-label="Brief voor {escaped}"' in page
    assert f">{escaped}</a>" in page
    assert "<b>" not in page


def test_every_view_is_logged_and_committed_before_the_page_is_sent(login_as, crowd):
    team = login_as("noord@example.org")
    assert team.get("/beheer/leden").status_code == 200
    assert team.get("/beheer/leden", query_string={"pagina": 2, "status": "invited"}) \
        .status_code == 200
    with db.engine.connect() as connection:  # another connection sees only what is committed
        rows = connection.execute(
            select(AuditEvent.action, AuditEvent.object_type, AuditEvent.detail)
            .where(AuditEvent.object_type == "member_list").order_by(AuditEvent.id)).all()
    assert [tuple(r) for r in rows] == [
        ("list", "member_list", "page 1; 130 found; wijk=all status=all source=all"),
        ("list", "member_list", "page 1; 33 found; wijk=all status=invited source=all"),
    ]


def test_sqlite_syncs_at_checkpoints_in_wal_mode(tmp_path):
    """Every SQLite file database the app opens (whatever database this run uses)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_clerks_still_get_the_counts_only(app, login_as, crowd):
    response = login_as("clerk@example.org").get("/beheer/leden")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Panelleden per wijk" in page and "Lid 1" not in page and "lid1@" not in page
    with app.test_request_context():
        clerk = _user("clerk@example.org")
        assert clerk.role == Role.CLERK
        with pytest.raises(PermissionDenied):
            staff.list_members(clerk, staff.MemberFilter())
