"""The member list's tables and filter options, written in Python rather than in the
template: a page has 50 rows of seven values each and an administrator's counts a hundred
wijken, and Jinja's output of them (an escape, an attribute lookup and a step of every
enclosing template's generator per value) was most of the page's work. Every value is
escaped with ``markupsafe.escape`` exactly as Jinja escapes it, and the markup is the one
the templates wrote (``tests/signups/test_member_list_shortcuts.py`` compares them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple

from babel.numbers import get_group_symbol
from flask import url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from panel.i18n import current_language
from panel.signups import forms, staff
from panel.signups.models import MemberStatus
from panel.widgets import option_tags

# The columns of the counts per wijk, in this order.
COUNTED = (MemberStatus.MEMBER.value, MemberStatus.INVITED.value, MemberStatus.PENDING.value,
            MemberStatus.LEFT.value)


class Texts(NamedTuple):
    """The member labels in one language, and what the member list makes of them."""

    status_labels: dict[str, str]
    source_labels: dict[str, str]
    status_html: dict[str, str]  # the labels escaped
    source_html: dict[str, str]
    status_options: dict[str | None, Markup]  # the filter's options, by the chosen value
    source_options: dict[str | None, Markup]
    group_symbol: str  # of whole numbers (``1.234``, ``1,234``), escaped


@cache
def texts_for(language: str) -> Texts:
    """The member labels in ``language`` and what is made of them, worked out once per
    language (the catalogues do not change while the application runs) instead of on
    every request. The thousands separator is the one the ``number`` filter writes."""
    status = {k: str(v) for k, v in forms.STATUS_LABELS.items()}
    source = {k: str(v) for k, v in forms.SOURCE_LABELS.items()}

    def by_chosen(labels: dict[str, str]) -> dict[str | None, Markup]:
        choices = [(key, label, None) for key, label in labels.items()]
        return {chosen: option_tags(choices, chosen) for chosen in (None, *labels)}

    return Texts(status, source, {k: str(escape(v)) for k, v in status.items()},
                 {k: str(escape(v)) for k, v in source.items()}, by_chosen(status),
                 by_chosen(source), str(escape(get_group_symbol(get_locale()))))


def count_rows(counts: list[staff.WijkCount]) -> Markup:
    """The rows of the counts per wijk (``signups/_counts.html``): gebied, wijk and the
    members per status in the order of the columns (``COUNTED``), written as the page's
    language writes whole numbers (``1.234``, ``1,234``: what the ``number`` filter gives).
    Written here rather than in the template for the reason given at ``member_rows``: an
    administrator sees a hundred wijken, with six values each."""
    group = texts_for(current_language()).group_symbol
    areas: dict[str, str] = {}
    out = []
    for row in counts:
        if row.area not in areas:
            areas[row.area] = str(escape(row.area))
        # The numbers are written with a comma between thousands, then the language's
        # separator put in its place (the cells' markup has no comma).
        cells = "".join(
            f'\n      <td class="utrecht-table__cell utrecht-table__cell--numeric">'
            f'{row.counts[status] if status in row.counts else 0:,}</td>\n      '
            for status in COUNTED).replace(",", group)
        out.append(
            f'\n    <tr class="utrecht-table__row">\n'
            f'      <td class="utrecht-table__cell">{areas[row.area]}</td>\n'
            f'      <th class="utrecht-table__header-cell" scope="row">{escape(row.name)}</th>'
            f'\n      {cells}\n    </tr>\n  ')
    return Markup("".join(out))  # noqa: S704 (every value above is escaped)


def member_rows(members: Sequence[staff.MemberRow], texts: Texts, *, member_base: str,
                 letter_for: str, erased: str, no_email: str, wants_call: str) -> Markup:
    """The rows of the member list (``signups/members.html`` passes its translated texts).

    Written here rather than in the template: a page has 50 rows of seven values each, and
    Jinja's output of them (an escape, an attribute lookup and a step of every enclosing
    template's generator per value) was most of the page's work. The names and email
    addresses are escaped as Jinja escapes them; the labels, texts
    and wijk names once per page; ids are numbers. ``letter_for`` is the checkbox's label
    with ``%(name)s`` where the name goes. A member's page is ``member_base`` followed by
    the member's id.
    """
    names = [str(escape(m.name)) for m in members]
    emails = [str(escape(m.email or "")) for m in members]
    member_base = str(escape(member_base))
    letter_before, _slot, letter_after = str(escape(letter_for)).partition("%(name)s")
    erased, no_email = str(escape(erased)), str(escape(no_email))
    call = f'<br><span class="wp-muted">{escape(wants_call)}</span>'
    statuses, sources = texts.status_html, texts.source_html
    wijken: dict[str, str] = {}
    left = MemberStatus.LEFT.value
    out = []
    for m, name, email in zip(members, names, emails, strict=True):
        if m.wijk_name not in wijken:
            wijken[m.wijk_name] = str(escape(m.wijk_name))
        letter = "" if m.status == left else (
            f'<input type="checkbox" class="utrecht-checkbox utrecht-checkbox--html-input" '
            f'name="member" value="{m.id}" id="letter-{m.id}" '
            f'aria-label="{letter_before}{name}{letter_after}">')
        out.append(
            f'\n      <tr class="utrecht-table__row">\n'
            f'        <td class="utrecht-table__cell">{letter}</td>\n'
            f'        <td class="utrecht-table__cell"><a class="utrecht-link" '
            f'href="{member_base}{m.id}">{name or erased}</a>{call if m.wants_call else ""}</td>\n'
            f'        <td class="utrecht-table__cell">{wijken[m.wijk_name]}</td>\n'
            f'        <td class="utrecht-table__cell">'
            f'{statuses[m.status] if m.status in statuses else ""}</td>\n'
            f'        <td class="utrecht-table__cell">'
            f'{sources[m.source] if m.source in sources else ""}</td>\n'
            f'        <td class="utrecht-table__cell">{email or no_email}</td>\n'
            f'      </tr>\n    ')
    return Markup("".join(out))  # noqa: S704 (every value above is escaped)


def list_context(counts: list[staff.WijkCount], flt: staff.MemberFilter,
                  result: staff.MemberPage, args: Mapping[str, str]) -> dict[str, Any]:
    """What ``signups/members.html`` shows besides the layout (``args`` as for
    ``_member_filter``).

    The links that keep the filter (the downloads, the other pages) take their query from
    one ``url_for`` of the list with the query string's values (all but the page; none
    whose name starts with ``_``, which ``url_for`` would take as its own options)."""
    kept = {k: v for k, v in args.items() if k != "pagina" and not k.startswith("_")}
    base, _sep, query = url_for("signups.members", **kept).partition("?")
    texts = texts_for(current_language())
    return dict(
        count_rows=count_rows(counts), flt=flt, result=result, member_rows=member_rows,
        texts=texts, status_labels=texts.status_labels, MemberStatus=forms.MemberStatus,
        # The select's first option is selected when the field was sent empty, as WTForms
        # does (when it was not sent, no option says so and the browser takes the first).
        chosen={name: args.get(name) for name in ("wijk", "status", "source")},
        wijk_options=option_tags([(code, name, area) for area, code, name
                               in staff.wijk_choices(counts)], args.get("wijk")),
        status_options=texts.status_options.get(args.get("status"),
                                                texts.status_options[None]),
        source_options=texts.source_options.get(args.get("source"),
                                                texts.source_options[None]),
        chosen_area=next((c for c in counts if c.area_code == flt.area_code), None)
        if flt.area_code else None,
        member_base=f"{base}/", page_link=(f"{base}?pagina=", f"&{query}" if query else ""),
        export_query=f"?{query}" if query else "")
