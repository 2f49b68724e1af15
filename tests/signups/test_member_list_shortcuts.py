"""The member list's shortcuts for speed give exactly what the plain way gives: the page
rendered with the catalogue looked up once; the filter read without WTForms; the rows, the
counts (without Babel's number filter) and the filter's options written in Python as the
template and WTForms wrote them; and the list's statements built once and used again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template, render_template_string, request
from flask_login import login_user
from sqlalchemy import event
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    widgets,
)

from panel.db import db, utcnow
from panel.i18n import current_language
from panel.signups import member_table, staff, views
from panel.signups.models import MemberStatus
from panel.widgets import option_tags
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
        flt = views._member_filter({})
        context = member_table.list_context(
            counts, flt, staff.list_members(listed.team_noord, flt, counts), {})
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


# What the page's parts written in Python (``signups.views``) replace: the template's loops
# and WTForms' select, as they were.
COUNT_ROWS = """{% for row in counts %}
    <tr class="utrecht-table__row">
      <td class="utrecht-table__cell">{{ row.area }}</td>
      <th class="utrecht-table__header-cell" scope="row">{{ row.name }}</th>
      {% for status in (MemberStatus.MEMBER, MemberStatus.INVITED, MemberStatus.PENDING, MemberStatus.LEFT) %}
      <td class="utrecht-table__cell utrecht-table__cell--numeric">{{ row.counts.get(status, 0) | number }}</td>
      {% endfor %}
    </tr>
  {% endfor %}"""  # noqa: E501
MEMBER_ROWS = """
    {%- set letter_before, letter_after = _("Letter for %(name)s", name="%(name)s").split("%(name)s") %}
    {%- set erased, no_email, wants_call = _("(erased)"), _("no email"), _("Wants to be called") %}
    {%- set left = MemberStatus.LEFT %}{% for m in members %}
      <tr class="utrecht-table__row">
        <td class="utrecht-table__cell">{% if m.status != left %}<input type="checkbox" class="utrecht-checkbox utrecht-checkbox--html-input" name="member" value="{{ m.id }}" id="letter-{{ m.id }}" aria-label="{{ letter_before }}{{ m.name }}{{ letter_after }}">{% endif %}</td>
        <td class="utrecht-table__cell"><a class="utrecht-link" href="{{ member_base }}{{ m.id }}">{{ m.name or erased }}</a>{% if m.wants_call %}<br><span class="wp-muted">{{ wants_call }}</span>{% endif %}</td>
        <td class="utrecht-table__cell">{{ m.wijk_name }}</td>
        <td class="utrecht-table__cell">{{ status_labels[m.status] }}</td>
        <td class="utrecht-table__cell">{{ source_labels[m.source] }}</td>
        <td class="utrecht-table__cell">{{ m.email or no_email }}</td>
      </tr>
    {% endfor %}"""  # noqa: E501
TRICKY = "<b>\"Ab\" & 'Co'</b>"


class FilterForm(Form):
    q = StringField()
    wijk = SelectField(choices=[], validate_choice=False)
    status = SelectField(choices=[], validate_choice=False)
    source = SelectField(choices=[], validate_choice=False)
    bellen = BooleanField()
    zonder_email = BooleanField()
    gebied = HiddenField()


@pytest.mark.parametrize("query", [
    "", "q=jan", "q=", "wijk=&status=&source=", "wijk=WK01&status=invited&source=online",
    "status=invited&status=member", "bellen=y", "bellen=", "bellen=false", "bellen=0",
    "zonder_email=on", "gebied=noord", "pagina=3", "pagina=abc", "pagina=0", "pagina=-2",
    "pagina=", "pagina= 2 "])
def test_the_filter_is_read_as_the_form_read_it(app, query):
    with app.test_request_context(f"/beheer/leden?{query}"):
        form = FilterForm(request.args)
        assert views._member_filter(request.args.to_dict()) == staff.MemberFilter(
            query=form.q.data or "", neighbourhood_code=form.wijk.data or "",
            status=form.status.data or "", source=form.source.data or "",
            page=request.args.get("pagina", 1, type=int) or 1,
            wants_call=bool(form.bellen.data), without_email=bool(form.zonder_email.data),
            area_code=form.gebied.data or "")


@pytest.mark.parametrize("chosen", [None, "", "W2", "member", "nothing"])
def test_the_options_are_what_wtforms_wrote(app, chosen):
    choices = [("W1", TRICKY, "Noord & Oost"), ("W2", "Wijk 2", "Noord & Oost"),
               ("W3", "Wijk <3>", "Zuid"), ("member", "Member", None), ("W&4", "'4'", None)]
    with app.test_request_context("/"):
        form = FilterForm(MultiDict() if chosen is None else MultiDict({"wijk": chosen}))
        form.wijk.choices = [SelectChoice("", "All")] + [
            SelectChoice(value, label, optgroup=group) for value, label, group in choices]
        expected = str(widgets.Select()(form.wijk))  # WTForms' own widget
        written = render_template_string(
            '<select id="wijk" name="wijk">'
            '<option {% if chosen == "" %}selected {% endif %}value="">All</option>'
            "{{ options }}</select>", chosen=chosen, options=option_tags(choices, chosen))
        assert written == expected


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_rows_are_what_the_template_wrote(app, language):
    rows = [staff.MemberRow(7, TRICKY, "a&b@example.org", "member", "survey", "De <Wijk>", True),
            staff.MemberRow(8, "", None, "left", "online", "De <Wijk>", False),
            staff.MemberRow(9, "Eva", None, "invited", "staff", "Oost & West", False),
            staff.MemberRow(10, "Odd", "odd@example.org", "unknown", "other", "Oost", True)]
    counts = [staff.WijkCount("Noord & <Oost>", f"W{n}", f"Wijk <{n}>", counts={
        "member": n, "left": n + 1, "other": 5}) for n in (0, 7, 999, 1000, 12345, 1234567)]
    with app.test_request_context("/beheer/leden", headers={"Cookie": f"lang={language}"}):
        texts = member_table.texts_for(current_language())
        labels = dict(status_labels=texts.status_labels, source_labels=texts.source_labels,
                      MemberStatus=MemberStatus, member_base="/beheer/leden/")
        assert str(member_table.count_rows(counts)) == \
            render_template_string(COUNT_ROWS, counts=counts, **labels)
        # Escaped together, and one by one when a value holds the character they are
        # joined with.
        for members in (rows, [*rows, staff.MemberRow(11, "A\0B <", "c\0@d", "member",
                                                      "online", "Oost", False)]):
            written = render_template_string(
                '{{ member_rows(members, texts, member_base=member_base, letter_for=_("Letter '
                'for %(name)s", name="%(name)s"), erased=_("(erased)"), no_email=_("no email"), '
                'wants_call=_("Wants to be called")) }}',
                members=members, texts=texts, member_rows=member_table.member_rows, **labels)
            assert written == \
                render_template_string(MEMBER_ROWS, members=members, **labels)


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
