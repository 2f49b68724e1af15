"""Panel members as staff see them: scoped lists, counts, registering by hand, exports and
letters. Team members see only the members of their own gebieden; clerks see counts only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from panel.areas.models import Area, Neighbourhood
from panel.areas.services import get_municipality
from panel.auth.models import Role, User
from panel.auth.permissions import require_role, visible_areas
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
    """Members of the gebieden ``user`` may see. Clerks may not see members at all."""
    require_role(user, Role.ADMIN, Role.TEAM)
    areas = visible_areas(user).with_only_columns(Area.id)
    return (select(PanelMember).join(PanelMember.neighbourhood)
            .where(Neighbourhood.area_id.in_(areas)))


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
class MemberPage:
    members: list[PanelMember]
    total: int
    page: int
    pages: int


def list_members(user: User, flt: MemberFilter) -> MemberPage:
    """One page of the members ``user`` may see, newest first."""
    query = _filtered(user, flt)
    total = db.session.scalar(query.with_only_columns(func.count(PanelMember.id))
                              .order_by(None)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, flt.page), pages)
    members = list(db.session.scalars(
        query.options(joinedload(PanelMember.neighbourhood))
        .order_by(PanelMember.created_at.desc(), PanelMember.id.desc())
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    return MemberPage(members=members, total=total, page=page, pages=pages)


@dataclass
class WijkCount:
    area: str
    code: str
    name: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def counts_per_wijk(user: User) -> list[WijkCount]:
    """Members per wijk and status for the gebieden ``user`` may see (every role: these are
    aggregates, without personal data)."""
    require_role(user)
    areas = visible_areas(user).with_only_columns(Area.id)
    rows = db.session.execute(
        select(Area.name, Neighbourhood.code, Neighbourhood.name, PanelMember.status,
               func.count(PanelMember.id))
        .select_from(Neighbourhood).join(Area)
        .outerjoin(PanelMember, PanelMember.neighbourhood_id == Neighbourhood.id)
        .where(Area.id.in_(areas))
        .group_by(Area.name, Neighbourhood.code, Neighbourhood.name, PanelMember.status)
        .order_by(Area.name, Neighbourhood.name))
    result: dict[str, WijkCount] = {}
    for area_name, code, name, status, count in rows:
        item = result.setdefault(code, WijkCount(area=area_name, code=code, name=name))
        if status:
            item.counts[status] = count
    return list(result.values())


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
    require_role(user, Role.ADMIN, Role.TEAM)
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
    if email and db.session.scalars(select(PanelMember.id).where(
            PanelMember.email == email)).first() is not None:
        raise DomainError(_l("There is already a panel member with this email address."))
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


def update_member(user: User, member_id: int, reg: Registration) -> PanelMember:
    """Staff change a resident's details at the resident's request (by phone or post).
    Raises DomainError for invalid input, NotFound outside the user's gebieden."""
    member = get_member_for(user, member_id)
    if member.status == MemberStatus.LEFT:
        raise DomainError(_l("This resident has left the panel."))
    wijk = _check_wijk_for(user, reg.neighbourhood_code)
    name = " ".join(reg.name.split())
    if not name:
        raise DomainError(_l("Fill in the name."))
    email = services.normalise_email(reg.email) if reg.email.strip() else None
    if email and db.session.scalars(select(PanelMember.id).where(
            PanelMember.email == email, PanelMember.id != member.id)).first() is not None:
        raise DomainError(_l("There is already a panel member with this email address."))
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
            url = absolute_url("signups.code_link", code=services.normalise_short_code(code))
        items.append(letters.Letter(
            name=member.name, street=member.street, house_number=member.house_number,
            postcode=member.postcode, city=member.city, language=member.language,
            wijk_name=member.neighbourhood.name, short_code=code, url=url,
            code_url=absolute_url("signups.code"), kind=kind))
        audit("export", "member", member.id, actor=user, detail=f"letter (docx, {kind})")
    db.session.flush()
    return letters.build_letters_docx(
        items, municipality.name if municipality else "",
        current_app.config.get("PANEL_MUNICIPALITY_PHONE", ""))
