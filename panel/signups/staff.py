"""Panel members as staff see them: scoped lists, counts, registering by hand, exports and
letters. Team members see only the members of their own gebieden; clerks see counts only
(``sees_member_details``), and only those who ``may_manage_members`` change anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from panel.areas.models import Area, Neighbourhood
from panel.areas.services import get_municipality
from panel.auth.models import User
from panel.auth.permissions import (
    may_manage_members,
    require,
    require_staff,
    sees_member_details,
    visible_area_ids,
    visible_areas,
)
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.exports import Sheet, csv_bytes, xlsx_bytes
from panel.privacy.services import record as audit
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


def _filtered(user: User, flt: MemberFilter) -> Select[tuple[PanelMember]]:
    query = _scope(user)
    if flt.neighbourhood_code:
        query = query.where(Neighbourhood.code == flt.neighbourhood_code)
    if flt.status:
        query = query.where(PanelMember.status == flt.status)
    if flt.source:
        query = query.where(PanelMember.source == flt.source)
    if flt.query.strip():
        like = f"%{flt.query.strip().lower()}%"
        query = query.where(or_(func.lower(PanelMember.name).like(like),
                                func.lower(PanelMember.email).like(like),
                                PanelMember.postcode.like(like.upper().replace(" ", ""))))
    return query


@dataclass
class WijkCount:
    area: str
    code: str
    name: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class MemberRow(Protocol):
    """A member as the list shows it: only these columns are read."""

    id: int
    name: str
    email: str | None
    status: str
    source: str
    wijk_name: str


@dataclass
class MemberPage:
    members: Sequence[MemberRow]
    total: int
    page: int
    pages: int


NEWEST_FIRST = (PanelMember.created_at.desc(), PanelMember.id.desc())


def _total_from_counts(counts: Sequence[WijkCount], flt: MemberFilter) -> int | None:
    """How many members ``flt`` finds, worked out from ``counts_per_wijk`` when it filters
    on wijk and status only (``None`` when it searches or filters on the source)."""
    if flt.query.strip() or flt.source:
        return None
    return sum(c.counts.get(flt.status, 0) if flt.status else c.total for c in counts
               if not flt.neighbourhood_code or c.code == flt.neighbourhood_code)


def list_members(user: User, flt: MemberFilter,
                 counts: Sequence[WijkCount] | None = None) -> MemberPage:
    """One page of the members ``user`` may see, newest first, as rows with the columns
    the list shows (``MemberRow``), not as full objects.

    With ``counts`` (``counts_per_wijk(user)``, which the page shows anyway) the total is
    taken from them when the filter allows, instead of being counted again. The page is
    chosen by id first (``ids``: the filter, the order and the page), and only its 50 rows
    are read: sorting a gebied's thousands of members then needs the sort columns only,
    and with an index on ``(neighbourhood_id, …, created_at)`` no table row at all.
    """
    query = _filtered(user, flt)
    total = _total_from_counts(counts, flt) if counts is not None else None
    if total is None:
        total = db.session.scalar(query.with_only_columns(func.count(PanelMember.id))
                                  .order_by(None)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, flt.page), pages)
    ids = (query.with_only_columns(PanelMember.id).order_by(*NEWEST_FIRST)
           .offset((page - 1) * PER_PAGE).limit(PER_PAGE))
    members = db.session.execute(
        select(PanelMember.id, PanelMember.name, PanelMember.email, PanelMember.status,
               PanelMember.source, Neighbourhood.name.label("wijk_name"))
        .join(PanelMember.neighbourhood).where(PanelMember.id.in_(ids))
        .order_by(*NEWEST_FIRST)).all()
    return MemberPage(members=cast(Sequence[MemberRow], members), total=total, page=page,
                      pages=pages)


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
    areas = visible_area_ids(user)
    counted = (
        select(PanelMember.neighbourhood_id, PanelMember.status,
               func.count().label("members"))
        .where(PanelMember.neighbourhood_id.in_(
            select(Neighbourhood.id).where(Neighbourhood.area_id.in_(areas))))
        .group_by(PanelMember.neighbourhood_id, PanelMember.status)
        .subquery())
    rows = db.session.execute(
        select(Area.name, Neighbourhood.code, Neighbourhood.name, counted.c.status,
               counted.c.members)
        .select_from(Neighbourhood).join(Area)
        .outerjoin(counted, counted.c.neighbourhood_id == Neighbourhood.id)
        .where(Area.id.in_(areas))
        .order_by(Area.name, Neighbourhood.name))
    result: dict[str, WijkCount] = {}
    for area_name, code, name, status, count in rows:
        item = result.setdefault(code, WijkCount(area=area_name, code=code, name=name))
        if status:
            item.counts[status] = count
    return list(result.values())


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


def remove_for(user: User, member_id: int) -> None:
    """Staff take a resident off the panel at the resident's request (by phone or post)."""
    require(may_manage_members(user))
    member = get_member_for(user, member_id)
    services.leave(member)
    audit("erase", "member", member.id, actor=user, detail="taken off the panel by staff")


EXPORT_HEADERS = ("wijk", "wijkcode", "status", "bron", "naam", "e-mail", "telefoon",
                  "straat", "huisnummer", "postcode", "plaats", "taal", "aangemeld op")


def export_members(user: User, flt: MemberFilter, fmt: str) -> bytes:
    """The members ``user`` may see (with the filter) as CSV or XLSX, formula-safe."""
    query = _filtered(user, flt).options(joinedload(PanelMember.neighbourhood)) \
        .order_by(Neighbourhood.code, PanelMember.name)
    rows = [
        (m.neighbourhood.name, m.neighbourhood.code, m.status, m.source, m.name, m.email or "",
         m.phone, m.street, m.house_number, m.postcode, m.city, m.language,
         m.created_at.date().isoformat())
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
