"""The member list's shortcuts for speed give exactly what the plain way gives: the page
rendered with the catalogue looked up once, the counts formatted without Babel's number
filter, and the list's statements built once and used again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template, render_template_string
from flask_login import login_user
from sqlalchemy import event

from panel.db import db, utcnow
from panel.signups import forms, staff, views
from tests import factories


@pytest.fixture
def listed(world):  # type: ignore[no-untyped-def]
    start = utcnow() - timedelta(days=60)
    for n in range(60):
        factories.member(world.mare, f"Lid <{n}> & 'co'", f"lid{n}@example.org",
                         status=("member", "invited")[n % 2], created_at=start + timedelta(n),
                         call_requested_at=utcnow() if n % 7 == 0 else None)
    db.session.commit()
    return world


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_page_is_the_same_with_the_catalogue_looked_up_once(app, listed, language):
    with app.test_request_context("/beheer/leden", headers={"Cookie": f"lang={language}"}):
        login_user(listed.team_noord)
        counts = staff.counts_per_wijk(listed.team_noord)
        form = views._filter_form(counts)
        context = dict(
            form=form, counts=counts, args={}, MemberStatus=forms.MemberStatus,
            result=staff.list_members(listed.team_noord, views._member_filter(form), counts),
            status_labels={k: str(v) for k, v in forms.STATUS_LABELS.items()},
            source_labels={k: str(v) for k, v in forms.SOURCE_LABELS.items()},
            format_count=views._count_format())
        # Flask-Babel's own functions, which look the catalogue up at every string, against
        # the ones every rendering gets (``panel.i18n.one_catalogue``).
        babel = {name: app.jinja_env.globals[name] for name in ("gettext", "ngettext")}
        plain = render_template("signups/members.html", **context, **babel)
        quick = render_template("signups/members.html", **context)
        assert quick == plain
        assert ("Panelleden" if language == "nl" else "Panel members") in quick
        source = ("{{ _('Letter for %(name)s', name=name) }}|{{ ngettext('%(num)s panel "
                  "member found.', '%(num)s panel members found.', n) }}|{{ _('Search') }}|"
                  "{{ ngettext('The table has %(num)s postcode now.', 'The table has "
                  "%(num)s postcodes now.', n, num=(n * 1000) | number) }}")
        for n in (1, 2):
            values = {"name": "<b>Eva</b>", "n": n}
            assert render_template_string(source, **values) == \
                render_template_string(source, **values, **babel)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_counts_are_written_as_the_number_filter_writes_them(app, language):
    with app.test_request_context("/", headers={"Cookie": f"lang={language}"}):
        count = views._count_format()
        for number in (0, 7, 999, 1000, 12345, 1234567):
            assert count(number) == render_template_string("{{ n | number }}", n=number)


def test_the_list_statements_are_built_once_and_give_the_same_pages(app, listed):
    filters = [staff.MemberFilter(), staff.MemberFilter(status="invited", page=2),
               staff.MemberFilter(query="lid 1"), staff.MemberFilter(query="%"),
               staff.MemberFilter(wants_call=True), staff.MemberFilter(source="online")]
    with app.test_request_context():
        user = listed.team_noord
        first = [staff.list_members(user, flt) for flt in filters]
        built = staff._list_statements.cache_info().currsize
        seen: list[str] = []

        def remember(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            again = [staff.list_members(user, flt) for flt in filters]
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        assert staff._list_statements.cache_info().currsize == built
        assert [(p.total, [m.id for m in p.members]) for p in again] == \
            [(p.total, [m.id for m in p.members]) for p in first]
        assert first[0].total == 60 and first[1].total == 30 and first[3].total == 0
        assert {m.id for m in first[4].members} == {
            m.id for m in first[0].members + list(staff.list_members(
                user, staff.MemberFilter(page=2)).members) if m.wants_call}
        assert len(seen) == 2 * len(filters) + sum(  # counts, then count and page (or page)
            1 for flt in filters if flt.query or flt.source or flt.wants_call)
