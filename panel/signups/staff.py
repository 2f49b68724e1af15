"""Panel members as staff see them: scoped lists, counts, registering by hand, exports and
letters. Team members see only the members of their own gebieden; clerks see counts only
(``sees_member_details``), and only those who ``may_manage_members`` change anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any, TypeVar

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, false, func, select
from sqlalchemy.orm import joinedload

from panel.areas.models import Area, Neighbourhood
from panel.areas.services import get_municipality
from panel.auth.models import User
from panel.auth.permissions import (
    may_manage_members,
    require,
    require_staff,
    sees_all_areas,
    sees_member_details,
    visible_area_ids,
    visible_areas,
)
from panel.days import local_date
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.exports import Sheet, csv_bytes, xlsx_bytes
from panel.i18n import locale_of
from panel.privacy.services import record as audit
from panel.search import query_words
from panel.signups import letters, services, validation
from panel.signups.models import (
    ConsentChannel,
    LinkPurpose,
    MemberStatus,
    PanelMember,
    Source,
)
from panel.urls import absolute_url

PER_PAGE = 50


@dataclass
class MemberFilter:
    query: str = ""
    neighbourhood_code: str = ""
    status: str = ""
    source: str = ""
    page: int = 1
    wants_call: bool = False  # only residents who asked to be called
    without_email: bool = False  # only people without an email address (phone or post)
    area_code: str = ""  # only the wijken of this gebied


def _scope(user: User) -> Select[tuple[PanelMember]]:
    """Members of the gebieden ``user`` may see. Clerks may not see members at all.

    The members are chosen by ``neighbourhood_id IN (the wijken of those gebieden)``, not
    by the gebied of the joined wijk: then the database can find them, with their status,
    in an index on ``panel_member.neighbourhood_id`` (SQLite, which keeps no statistics,
    otherwise picks the index on the status alone when the status is filtered). The wijk
    stays joined for the filter on its code and for ordering the export.
    """
    require(sees_member_details(user))
    wijken = select(Neighbourhood.id).where(Neighbourhood.area_id.in_(visible_area_ids(user)))
    return (select(PanelMember).join(PanelMember.neighbourhood)
            .where(PanelMember.neighbourhood_id.in_(wijken)))


_Query = TypeVar("_Query", bound=Select[Any])


def _looked_for(flt: MemberFilter) -> list[str] | None:
    """The words the search looks for in the members' search text, every one of them:
    ``None`` without a search, ``[]`` when the query has nothing left to look for (it then
    finds nobody)."""
    return query_words(flt.query) if flt.query.strip() else None


def _like_pattern(wanted: str) -> str:
    """``LIKE`` pattern for text containing ``wanted``, with ``/`` as the escape
    character (``panel.search`` leaves no ``%``, ``_`` or ``/``; escaped all the same)."""
    escaped = wanted.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _matching(query: _Query, flt: MemberFilter, *, bound: bool = False) -> _Query:
    """``query`` with the filter's conditions on the member (not on the wijk); with
    ``bound``, as parameters named after the filter's fields (``_member_parameters``) in a
    statement that serves every filter of the same shape.

    The search looks for each folded word of the query in the members' folded search text
    (see ``panel.search``: without case, accents, spaces or punctuation, phone numbers in
    the national form), so SQLite and PostgreSQL find the same members; ``%`` and ``_``
    are escaped, and a query with nothing left to look for finds nobody.
    """
    def value(name: str, given: object) -> Any:
        return bindparam(name) if bound else given

    if flt.status:
        query = query.where(PanelMember.status == value("status", flt.status))
    if flt.source:
        query = query.where(PanelMember.source == value("source", flt.source))
    if flt.wants_call:
        query = query.where(PanelMember.call_requested_at.is_not(None))
    if flt.without_email:
        query = query.where(PanelMember.email.is_(None))
    wanted = _looked_for(flt)
    if wanted == []:
        query = query.where(false())
    elif wanted is not None:
        for number, word in enumerate(wanted):
            query = query.where(PanelMember.search_text.like(
                value(f"pattern_{number}", _like_pattern(word)), escape="/"))
    return query


def _member_parameters(flt: MemberFilter) -> dict[str, Any]:
    """The values of ``_matching(…, bound=True)``'s parameters for ``flt``."""
    return {"status": flt.status, "source": flt.source,
            **{f"pattern_{number}": _like_pattern(word)
               for number, word in enumerate(_looked_for(flt) or [])}}


def _filtered(user: User, flt: MemberFilter) -> Select[tuple[PanelMember]]:
    query = _scope(user)
    if flt.neighbourhood_code:
        query = query.where(Neighbourhood.code == flt.neighbourhood_code)
    if flt.area_code:
        query = query.where(Neighbourhood.area_id.in_(
            select(Area.id).where(Area.code == flt.area_code)))
    return _matching(query, flt)


@dataclass
class WijkCount:
    area: str
    code: str
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    id: int = 0
    area_code: str = ""

    def chosen_by(self, flt: MemberFilter) -> bool:
        """Whether ``flt``'s wijk and gebied take in this wijk."""
        return (not flt.neighbourhood_code or self.code == flt.neighbourhood_code) and \
            (not flt.area_code or self.area_code == flt.area_code)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member as the list shows it: only these columns are read."""

    id: int
    name: str
    email: str | None
    status: str
    source: str
    wijk_name: str
    wants_call: bool


@dataclass
class MemberPage:
    members: Sequence[MemberRow]
    total: int
    page: int
    pages: int


NEWEST_FIRST = (PanelMember.created_at.desc(), PanelMember.id.desc())


def _total_from_counts(counts: Sequence[WijkCount], flt: MemberFilter) -> int | None:
    """How many members ``flt`` finds, worked out from ``counts_per_wijk`` when it filters
    on wijk and status only (``None`` when it searches or filters on something else)."""
    if flt.query.strip() or flt.source or flt.wants_call or flt.without_email:
        return None
    return sum(c.counts.get(flt.status, 0) if flt.status else c.total for c in counts
               if c.chosen_by(flt))


def list_members(user: User, flt: MemberFilter,
                 counts: Sequence[WijkCount] | None = None) -> MemberPage:
    """One page of the members ``user`` may see, newest first, as rows with the columns
    the list shows (``MemberRow``), not as full objects.

    ``counts`` are ``counts_per_wijk(user)``, which the page shows anyway (counted here
    when not given). They name the wijken ``user`` may see, with their ids and names, so
    the members are chosen by ``neighbourhood_id IN (those ids)``, without joining the
    wijk, gebied and the user's gebieden again (which cost PostgreSQL more to plan than to
    run), and each row's wijk name comes from them. The total is taken from them when the
    filter allows, instead of being counted again. The page is chosen by id first (the
    filter, the order and the page, from the index on ``(neighbourhood_id, created_at,
    id)`` alone), and only its 50 rows are read, as plain rows through the session's
    connection (the ORM would only pass them through its own row handling).
    """
    require(sees_member_details(user))
    if counts is None:
        counts = counts_per_wijk(user)
    wijken = {c.id: c.name for c in counts if c.chosen_by(flt)}
    wanted = _looked_for(flt)
    counting, paging = _list_statements(bool(flt.status), bool(flt.source), flt.wants_call,
                                        None if wanted is None else len(wanted),
                                        flt.without_email)
    parameters = {"wijken": list(wijken), **_member_parameters(flt)}
    connection = db.session.connection()
    total = _total_from_counts(counts, flt)
    if total is None:
        total = connection.execute(counting, parameters).scalar() or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, flt.page), pages)
    rows = connection.execute(paging, {**parameters, "first": (page - 1) * PER_PAGE,
                                       "size": PER_PAGE}).all()
    members = [MemberRow(member_id, name, email, status, source, wijken[wijk_id],
                         bool(wants_call))
               for member_id, name, email, status, source, wijk_id, wants_call in rows]
    return MemberPage(members=members, total=total, page=page, pages=pages)


@cache
def _list_statements(status: bool, source: bool, wants_call: bool,
                     search: int | None, without_email: bool = False,
                     ) -> tuple[Select[Any], Select[Any]]:
    """The statements ``list_members`` counts and reads a page with, for one shape of
    filter (which of its fields are used; ``search``: none, or the number of words to
    look for, 0 for a search that finds nobody), built once: with bound parameters for
    the wijken, the filter's values and the page, the same statement objects serve every
    request, so SQLAlchemy need not build and walk them again each time."""
    words = " ".join(f"w{number}" for number in range(search or 0))
    shape = MemberFilter(status="s" if status else "", source="s" if source else "",
                         wants_call=wants_call, without_email=without_email,
                         query="" if search is None else words or "%")
    chosen = _matching(select(PanelMember.id).where(PanelMember.neighbourhood_id.in_(
        bindparam("wijken", expanding=True))), shape, bound=True)
    counting = chosen.with_only_columns(func.count(PanelMember.id))
    page = chosen.order_by(*NEWEST_FIRST).offset(bindparam("first")).limit(bindparam("size"))
    paging = (select(PanelMember.id, PanelMember.name, PanelMember.email, PanelMember.status,
                     PanelMember.source, PanelMember.neighbourhood_id,
                     PanelMember.call_requested_at.is_not(None))
              .where(PanelMember.id.in_(page)).order_by(*NEWEST_FIRST))
    return counting, paging


def counts_per_wijk(user: User) -> list[WijkCount]:
    """Members per wijk and status for the gebieden ``user`` may see (every role: these are
    aggregates, without personal data). Every wijk of those gebieden is listed, also
    without members: by gebied, then by wijk name.

    The members are counted per ``(neighbourhood_id, status)`` first and the names joined
    to those few counts afterwards: grouping by the names instead made the database sort
    all of a gebied's members by them, and counting by the two columns can be done from an
    index on ``panel_member (neighbourhood_id, status, …)`` alone.
    """
    require_staff(user)
    rows = db.session.connection().execute(_counts_statement(user)).all()
    result: dict[str, WijkCount] = {}
    for area_name, area_code, wijk_id, code, name, status, count in rows:
        item = result.get(code)
        if item is None:
            item = result[code] = WijkCount(area=area_name, code=code, name=name, id=wijk_id,
                                            area_code=area_code)
        if status:
            item.counts[status] = count
    return list(result.values())


# ``counts_per_wijk``'s statement per account (and whether it sees every gebied), built
# once and used again: building it and working out its cache key cost more than running it.
_COUNTS_STATEMENTS: dict[tuple[int, bool], Select[Any]] = {}


def _counts_statement(user: User) -> Select[Any]:
    key = (user.id, sees_all_areas(user))
    statement = _COUNTS_STATEMENTS.get(key)
    if statement is None:
        if len(_COUNTS_STATEMENTS) >= 1000:
            _COUNTS_STATEMENTS.clear()
        statement = _COUNTS_STATEMENTS[key] = _build_counts_statement(user)
    return statement


def _build_counts_statement(user: User) -> Select[Any]:
    areas = visible_area_ids(user)
    counted = (
        select(PanelMember.neighbourhood_id, PanelMember.status,
               func.count().label("members"))
        .where(PanelMember.neighbourhood_id.in_(
            select(Neighbourhood.id).where(Neighbourhood.area_id.in_(areas))))
        .group_by(PanelMember.neighbourhood_id, PanelMember.status)
        .subquery())
    return (select(Area.name, Area.code, Neighbourhood.id, Neighbourhood.code,
                   Neighbourhood.name, counted.c.status, counted.c.members)
            .select_from(Neighbourhood).join(Area)
            .outerjoin(counted, counted.c.neighbourhood_id == Neighbourhood.id)
            .where(Area.id.in_(areas))
            .order_by(Area.name, Neighbourhood.name))


def wijk_choices(counts: Sequence[WijkCount]) -> list[tuple[str, str, str]]:
    """``(gebied name, wijk code, wijk name)`` for the wijk filter, from ``counts_per_wijk``
    (the same wijken, without asking the database again): by gebied, then by wijk code,
    as ``areas.services.areas_for`` lists them."""
    order = {area: position for position, area in enumerate(dict.fromkeys(
        c.area for c in counts))}
    return [(c.area, c.code, c.name)
            for c in sorted(counts, key=lambda c: (order[c.area], c.code))]


def get_member_for(user: User, member_id: int) -> PanelMember:
    """One member, if ``user`` may see it. Raises NotFound otherwise (also for other
    gebieden, so ids of other teams' members reveal nothing)."""
    member = db.session.scalars(_scope(user).where(PanelMember.id == member_id)).first()
    if member is None:
        raise NotFound()
    return member


def _check_wijk_for(user: User, code: str) -> Neighbourhood:
    wijk = services.get_neighbourhood(code)
    if wijk is None:
        raise DomainError(_l("Choose a wijk from the list."))
    allowed = db.session.scalars(visible_areas(user).where(Area.id == wijk.area_id)).first()
    if allowed is None:
        raise DomainError(_l("This wijk is not in your gebieden."))
    return wijk


def _check_postcode_in(postcode: str, wijk: Neighbourhood) -> None:
    """A postcode the postcode table places in another wijk than the one chosen is a slip
    of the pen in one of them. A postcode the table does not know is accepted: staff may
    know a new street before the table does. Raises DomainError."""
    if not postcode:
        return
    known = services.neighbourhood_for_postcode(postcode)
    if known is not None and known.id != wijk.id:
        raise DomainError(_l("Postcode %(postcode)s is in wijk %(found)s, not in %(chosen)s. "
                             "Check the postcode or choose wijk %(found)s.",
                             postcode=validation.postcode_text(postcode), found=known.name,
                             chosen=wijk.name))


@dataclass
class Registration:
    name: str
    email: str
    phone: str
    street: str
    house_number: str
    postcode: str
    city: str
    neighbourhood_code: str
    language: str
    channel: str  # paper or phone


def register(user: User, reg: Registration) -> PanelMember:
    """Staff register a resident who gave consent on paper or by phone. The resident is a
    member at once; the consent records who entered it. Raises DomainError."""
    require(may_manage_members(user))
    wijk = _check_wijk_for(user, reg.neighbourhood_code)
    name = " ".join(reg.name.split())
    if not name:
        raise DomainError(_l("Fill in the name."))
    email = services.normalise_email(reg.email) if reg.email.strip() else None
    postcode = validation.postcode(reg.postcode) if reg.postcode.strip() else ""
    house_number = validation.house_number(reg.house_number) if reg.house_number.strip() \
        else ""
    phone = validation.phone(reg.phone)
    _check_postcode_in(postcode, wijk)
    if not email and not phone and not (postcode and house_number):
        raise DomainError(_l("Fill in an email address, a phone number or an address, so "
                             "we can reach this resident."))
    _check_not_registered(name, email)
    channel = ConsentChannel(reg.channel) if reg.channel in (
        ConsentChannel.PAPER, ConsentChannel.PHONE) else ConsentChannel.PAPER
    member = PanelMember(neighbourhood=wijk, status=MemberStatus.MEMBER.value,
                         source=Source.STAFF.value, name=name, email=email, phone=phone,
                         street=reg.street.strip(), house_number=house_number,
                         postcode=postcode, city=reg.city.strip(),
                         language=reg.language if reg.language in services.LANGUAGES else "nl",
                         confirmed_at=utcnow())
    db.session.add(member)
    db.session.flush()
    services.record_consent(member, channel, recorded_by_id=user.id)
    db.session.flush()
    audit("register", "member", member.id, actor=user, detail=f"by staff, consent {channel.value}")
    return member


def _check_not_registered(name: str, email: str | None, member_id: int | None = None) -> None:
    """People of one household may share an email address, but a second member with the
    same name and address is the same person twice. Raises DomainError."""
    if not email:
        return
    for other in services.members_with_email(email):
        if other.id != member_id and other.name.casefold() == name.casefold():
            raise DomainError(_l("There is already a panel member with this name and email "
                                 "address."))


def update_member(user: User, member_id: int, reg: Registration) -> PanelMember:
    """Staff change a resident's details at the resident's request (by phone or post).
    Raises DomainError for invalid input, NotFound outside the user's gebieden."""
    require(may_manage_members(user))
    member = get_member_for(user, member_id)
    if member.status == MemberStatus.LEFT:
        raise DomainError(_l("This resident has left the panel."))
    wijk = _check_wijk_for(user, reg.neighbourhood_code)
    name = " ".join(reg.name.split())
    if not name:
        raise DomainError(_l("Fill in the name."))
    email = services.normalise_email(reg.email) if reg.email.strip() else None
    _check_not_registered(name, email, member.id)
    member.name, member.email, member.neighbourhood = name, email, wijk
    member.phone = validation.phone(reg.phone)
    member.postcode = validation.postcode(reg.postcode) if reg.postcode.strip() else ""
    _check_postcode_in(member.postcode, wijk)
    member.house_number = validation.house_number(reg.house_number) \
        if reg.house_number.strip() else ""
    member.street, member.city = reg.street.strip(), reg.city.strip()
    member.language = reg.language if reg.language in services.LANGUAGES else member.language
    db.session.flush()
    audit("change", "member", member.id, actor=user, detail="details changed by staff")
    return member


def confirm_for(user: User, member_id: int, channel: str) -> PanelMember:
    """Staff confirm an invited resident who said yes by phone or by post (with consent)."""
    require(may_manage_members(user))
    member = get_member_for(user, member_id)
    if member.status == MemberStatus.LEFT:
        raise DomainError(_l("This resident has left the panel."))
    if member.status != MemberStatus.MEMBER:
        checked = ConsentChannel(channel) if channel in (
            ConsentChannel.PAPER, ConsentChannel.PHONE) else ConsentChannel.PHONE
        services.record_consent(member, checked, recorded_by_id=user.id)
        member.status = MemberStatus.MEMBER.value
        member.confirmed_at = utcnow()
        db.session.flush()
        audit("confirm", "member", member.id, actor=user,
              detail=f"by staff, consent {checked.value}")
    return member


def mark_called(user: User, member_id: int) -> PanelMember:
    """Staff called a resident who asked to be called: the request is done. Raises
    DomainError when there is no open request (a colleague marked it already), NotFound
    outside the user's gebieden."""
    require(may_manage_members(user))
    member = get_member_for(user, member_id)
    if member.call_requested_at is None:
        raise DomainError(_l("This resident has no open request to be called."))
    member.call_requested_at = None
    db.session.flush()
    audit("change", "member", member.id, actor=user, detail="called at the resident's request")
    return member


def remove_for(user: User, member_id: int) -> None:
    """Staff take a resident off the panel at the resident's request (by phone or post)."""
    require(may_manage_members(user))
    member = get_member_for(user, member_id)
    services.leave(member)
    audit("erase", "member", member.id, actor=user, detail="taken off the panel by staff")


EXPORT_HEADERS = ("wijk", "wijkcode", "status", "bron", "naam", "e-mail", "telefoon",
                  "straat", "huisnummer", "postcode", "plaats", "taal", "aangemeld op")


def _dutch_labels() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The words the export writes for a status, a source and a language: Dutch, as its
    column names are, whatever the language of the page it was asked from (the same file
    for every colleague)."""
    from panel.signups.forms import SOURCE_LABELS, STATUS_LABELS

    with force_locale(locale_of("nl")):
        return ({key: str(label) for key, label in STATUS_LABELS.items()},
                {key: str(label) for key, label in SOURCE_LABELS.items()},
                {"nl": "Nederlands", "en": "Engels"})


def export_members(user: User, flt: MemberFilter, fmt: str) -> bytes:
    """The members ``user`` may see (with the filter) as CSV or XLSX, formula-safe; the
    status, source and language in words, as the member list shows them."""
    query = _filtered(user, flt).options(joinedload(PanelMember.neighbourhood)) \
        .order_by(Neighbourhood.code, PanelMember.name)
    statuses, sources, languages = _dutch_labels()
    rows = [
        (m.neighbourhood.name, m.neighbourhood.code, statuses.get(m.status, m.status),
         sources.get(m.source, m.source), m.name, m.email or "", m.phone, m.street,
         m.house_number, m.postcode, m.city, languages.get(m.language, m.language),
         local_date(m.created_at).isoformat())
        for m in db.session.scalars(query)
    ]
    audit("export", "member_list", actor=user,
          detail=f"{'xlsx' if fmt == 'xlsx' else 'csv'}; {len(rows)} rows; "
                 f"wijk={flt.neighbourhood_code or 'all'} status={flt.status or 'all'} "
                 f"source={flt.source or 'all'} search={'yes' if flt.query.strip() else 'no'}")
    if fmt == "xlsx":
        return xlsx_bytes([Sheet(title="Panelleden", headers=list(EXPORT_HEADERS),
                                 rows=rows)])
    return csv_bytes(EXPORT_HEADERS, rows)


def letters_for(user: User, member_ids: Sequence[int]) -> bytes:
    """Printable letters (DOCX) for the chosen members: each gets a new short code and a QR
    code to their page; invited residents are asked to confirm. Raises DomainError."""
    require(may_manage_members(user))
    members = [get_member_for(user, member_id) for member_id in member_ids]
    members = [m for m in members if m.status != MemberStatus.LEFT]
    if not members:
        raise DomainError(_l("Choose at least one resident."))
    municipality = get_municipality()
    items = []
    for member in members:
        code = services.new_short_code(member)
        kind = "access" if member.status == MemberStatus.MEMBER else "invitation"
        if kind == "invitation":
            token = services.issue_link(member, LinkPurpose.CONFIRM,
                                        timedelta(days=services.INVITATION_DAYS))
            url = absolute_url("signups.confirm", token=token)
        else:
            url = absolute_url("residents.code_link", code=services.normalise_short_code(code))
        items.append(letters.Letter(
            name=member.name, street=member.street, house_number=member.house_number,
            postcode=member.postcode, city=member.city, language=member.language,
            wijk_name=member.neighbourhood.name, short_code=code, url=url,
            code_url=absolute_url("residents.code"), kind=kind))
        audit("export", "member", member.id, actor=user, detail=f"letter (docx, {kind})")
    db.session.flush()
    return letters.build_letters_docx(
        items, municipality.name if municipality else "",
        current_app.config.get("PANEL_MUNICIPALITY_PHONE", ""))
