"""The life of a panel member: joining, confirming, personal links, own data, leaving.

Staff-facing work (lists, registering by hand, letters, exports) is in ``staff.py``, the
survey import in ``importer.py``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from types import SimpleNamespace
from typing import Any

from blinker import Namespace
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from panel.areas.models import District, Neighbourhood
from panel.auth.models import User
from panel.auth.permissions import may_administer, require
from panel.auth.services import normalise_email
from panel.db import db, insert_rows, utcnow
from panel.errors import DomainError
from panel.mail import services as mail
from panel.security import hash_token, new_token
from panel.signups import validation
from panel.signups.models import (
    Consent,
    ConsentChannel,
    ConsentStatement,
    LinkPurpose,
    MemberLink,
    MemberStatus,
    PanelMember,
    Postcode,
    Source,
)
from panel.urls import absolute_url, url_builder

CONFIRM_HOURS = 72  # online joining: confirm within three days
INVITATION_DAYS = 30  # survey invitation: confirm within a month
ACCESS_DAYS = 30  # a personal page link in an email
LEAVE_DAYS = 400  # the leave link in an email keeps working for more than a year
SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes
LANGUAGES = ("nl", "en")
# Moments that may suit a resident for meetings; stored as tokens, labelled in forms.
AVAILABILITY_SLOTS = (
    "weekday-morning", "weekday-afternoon", "weekday-evening",
    "saturday-morning", "saturday-afternoon", "saturday-evening",
)

LINK_GONE = _l("This link no longer works. It was already used or it has expired.")
NO_STATEMENT = _l("Joining is not possible yet. Please try again later.")

# Sent with the member just before their data is erased, so other domains can let go of
# what the member held (a meeting place goes to the waitlist) without this module knowing
# about them.
member_leaving = Namespace().signal("member-leaving")


class PostcodeUnknown(DomainError):
    """The postcode is valid but not in the municipality's table: ask for the wijk."""


# --- small helpers ------------------------------------------------------------------------

def latest_statement() -> ConsentStatement | None:
    """The consent statement residents agree to now, or None before one is published."""
    return db.session.scalars(
        select(ConsentStatement).order_by(ConsentStatement.published_at.desc(),
                                          ConsentStatement.id.desc()).limit(1)).first()


def current_statement() -> ConsentStatement:
    """The consent statement residents agree to now. Raises DomainError when none exists."""
    statement = latest_statement()
    if statement is None:
        raise DomainError(NO_STATEMENT)
    return statement


def respondent_key(respondent_id: str) -> str:
    """A keyed hash of a survey respondent id, kept after erasure to avoid re-inviting."""
    return respondent_keys()(respondent_id)


def respondent_keys() -> Callable[[str], str]:
    """``respondent_key`` for many respondent ids (the survey import): the key is looked
    up once."""
    secret = current_app.config["SECRET_KEY"].encode()
    return lambda respondent_id: hmac.digest(secret, respondent_id.strip().encode(),
                                             "sha256").hex()


def lookup_postcode(code: str) -> Postcode | None:
    return db.session.scalars(select(Postcode).where(Postcode.postcode == code)).first()


def has_postcode_table() -> bool:
    return db.session.scalars(select(Postcode.id).limit(1)).first() is not None


def get_neighbourhood(code: str) -> Neighbourhood | None:
    return db.session.scalars(select(Neighbourhood).where(Neighbourhood.code == code)).first()


def neighbourhood_for_postcode(code: str) -> Neighbourhood | None:
    return db.session.scalars(
        select(Neighbourhood).join(District).join(Postcode).where(Postcode.postcode == code)
    ).first()


def issue_link(member: PanelMember, purpose: LinkPurpose, lifetime: timedelta) -> str:
    """A new personal link for ``member``; returns the token (only its hash is stored)."""
    token, token_hash = new_token()
    db.session.add(MemberLink(member_id=member.id, token_hash=token_hash, purpose=purpose.value,
                              expires_at=utcnow() + lifetime))
    return token


def _link(token: str, purpose: LinkPurpose) -> MemberLink:
    link = db.session.scalars(
        select(MemberLink).where(MemberLink.token_hash == hash_token(token),
                                 MemberLink.purpose == purpose.value)).first()
    if link is None or link.expires_at <= utcnow() or \
            link.member.status == MemberStatus.LEFT:
        raise DomainError(LINK_GONE)
    return link


def record_consent(member: PanelMember, channel: ConsentChannel,
                   statement: ConsentStatement | None = None,
                   recorded_by_id: int | None = None) -> Consent:
    consent = Consent(member=member, statement=statement or current_statement(),
                      channel=channel.value, given_at=utcnow(), recorded_by_id=recorded_by_id)
    db.session.add(consent)
    return consent


def active_consent(member: PanelMember) -> Consent | None:
    for consent in reversed(member.consents):
        if consent.withdrawn_at is None:
            return consent
    return None


def new_short_code(member: PanelMember) -> str:
    """Give ``member`` a new short code for letters (the old one stops working)."""
    code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(8))
    member.short_code_hash = hash_token(code)
    return f"{code[:4]}-{code[4:]}"


def normalise_short_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


# --- mail ---------------------------------------------------------------------------------

def _member_context(member: Any, wijk: str, page_url: str, leave_url: str,
                    context: dict[str, Any]) -> dict[str, Any]:
    """The template context of every email to a resident (``emails/_layout`` shows the
    links); ``context`` comes last, so a caller may pass another ``wijk``."""
    return {"member": member, "page_url": page_url, "leave_url": leave_url, "wijk": wijk,
            **context}


def _unsubscribe_headers(leave_url: str) -> dict[str, str]:
    """One-click leaving from the mail program (RFC 8058)."""
    return {"List-Unsubscribe": f"<{leave_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def send_member_mail(member: PanelMember, subject: Any, template: str,
                     attachments: list[tuple[str, str, bytes]] | None = None,
                     **context: Any) -> None:
    """Queue an email to ``member`` with a personal page link and a working leave link
    (also as ``List-Unsubscribe`` headers). Does nothing for members without email."""
    if not member.email:
        return
    access = issue_link(member, LinkPurpose.ACCESS, timedelta(days=ACCESS_DAYS))
    leave = issue_link(member, LinkPurpose.LEAVE, timedelta(days=LEAVE_DAYS))
    leave_url = absolute_url("signups.leave_by_link", token=leave)
    mail.queue(
        member.email, subject, template,
        _member_context(member, member.neighbourhood.name,
                        absolute_url("residents.open_link", token=access), leave_url, context),
        language=member.language, headers=_unsubscribe_headers(leave_url),
        **({"attachments": attachments} if attachments else {}),
    )


@dataclass(frozen=True)
class _Confirmation:
    """Which confirmation email a member gets, and how long its link works."""

    template: str
    subject: Any
    lifetime: timedelta

    @property
    def expires_days(self) -> int:
        return max(1, self.lifetime.days)


_SURVEY_CONFIRMATION = _Confirmation(
    "survey_invitation", _l("Do you want to join the wijkpanel? Please confirm"),
    timedelta(days=INVITATION_DAYS))
_ONLINE_CONFIRMATION = _Confirmation(
    "confirm_join", _l("Please confirm your place in the wijkpanel"),
    timedelta(hours=CONFIRM_HOURS))


def _confirmation_kind(source: str) -> _Confirmation:
    """Survey invitees get a month to confirm, online joiners three days."""
    return _SURVEY_CONFIRMATION if source == Source.SURVEY else _ONLINE_CONFIRMATION


def send_confirmation(member: PanelMember) -> None:
    """Send the double opt-in link: for online joiners and for survey invitees. Does
    nothing for members without email (staff print them a letter with its own link)."""
    if not member.email:
        return
    kind = _confirmation_kind(member.source)
    token = issue_link(member, LinkPurpose.CONFIRM, kind.lifetime)
    send_member_mail(member, kind.subject, kind.template,
                     confirm_url=absolute_url("signups.confirm", token=token),
                     expires_days=kind.expires_days)


@dataclass(frozen=True)
class Invitee:
    """What a confirmation email needs of a member: for members just inserted in bulk,
    which have no ORM object (see ``send_confirmations``)."""

    id: int
    email: str | None
    name: str
    language: str
    source: str
    wijk: str

    @classmethod
    def of(cls, member: PanelMember) -> Invitee:
        return cls(member.id, member.email, member.name, member.language, member.source,
                   member.neighbourhood.name)


# The values of a confirmation email that differ per member (see ``send_confirmations``).
_CONFIRMATION_FIELDS = ("name", "wijk", "confirm_url", "page_url", "leave_url")


def _confirmation_context(member: Any, values: dict[str, str],
                          kind: _Confirmation) -> dict[str, Any]:
    """The context ``send_confirmation`` renders with, from the per-member ``values``."""
    return _member_context(member, values["wijk"], values["page_url"], values["leave_url"],
                           {"confirm_url": values["confirm_url"],
                            "expires_days": kind.expires_days})


def _confirmation_stencil(kind: _Confirmation, language: str) -> mail.Stencil:
    def make_context(slots: dict[str, str]) -> dict[str, Any]:
        # The templates use only the member's name; the rest comes from the values.
        return _confirmation_context(SimpleNamespace(name=slots["name"]), slots, kind)

    return mail.Stencil(kind.template, kind.subject, language, make_context,
                        _CONFIRMATION_FIELDS)


def send_confirmations(invitees: Iterable[Invitee]) -> int:
    """``send_confirmation`` for many members at once (the survey import).

    Every invitee with email gets the same links (new opaque tokens, stored hashed, with
    the same lifetimes) and the same email, byte for byte, as ``send_confirmation`` gives.
    But the link rows and then the outbox messages are inserted in bulk as they are made
    (``insert_rows``: the messages are never all in memory), the links are built with one URL
    adapter, and each template is rendered once per language and then filled in per member
    (``mail.Stencil``, which renders in full whatever it cannot fill in safely). Invitees
    without email are skipped. Never commits: nothing is sent unless the caller commits.
    Returns the number of emails queued.
    """
    build = url_builder()
    confirm_url = build.with_token("signups.confirm")
    page_url = build.with_token("residents.open_link")
    leave_url = build.with_token("signups.leave_by_link")
    now = utcnow()
    access_expires, leave_expires = now + timedelta(days=ACCESS_DAYS), \
        now + timedelta(days=LEAVE_DAYS)
    invited = [member for member in invitees if member.email]
    tokens: list[tuple[str, str, str]] = []  # confirm, access and leave, per invitee

    def links() -> Iterator[tuple[object, ...]]:  # as _LINK_COLUMNS
        for member in invited:
            confirm, confirm_hash = new_token()
            access, access_hash = new_token()
            leave, leave_hash = new_token()
            tokens.append((confirm, access, leave))
            yield (member.id, confirm_hash, LinkPurpose.CONFIRM.value, now,
                   now + _confirmation_kind(member.source).lifetime)
            yield member.id, access_hash, LinkPurpose.ACCESS.value, now, access_expires
            yield member.id, leave_hash, LinkPurpose.LEAVE.value, now, leave_expires

    def messages() -> Iterator[dict[str, Any]]:
        stencils: dict[tuple[str, str], mail.Stencil] = {}
        for member, (confirm, access, leave) in zip(invited, tokens, strict=True):
            kind = _confirmation_kind(member.source)
            values = {"name": member.name, "wijk": member.wijk,
                      "confirm_url": confirm_url(confirm), "page_url": page_url(access),
                      "leave_url": leave_url(leave)}
            key = (kind.template, member.language)
            if key not in stencils:
                stencils[key] = _confirmation_stencil(kind, member.language)
            rendered = stencils[key].render(
                values, partial(_confirmation_context, member, values, kind))
            yield mail.message_row(member.email or "", rendered, member.language,
                                   _unsubscribe_headers(values["leave_url"]), now=now)

    insert_rows(MemberLink.__table__, _LINK_COLUMNS, links())
    return mail.queue_many(messages())


_LINK_COLUMNS = ("member_id", "token_hash", "purpose", "created_at", "expires_at")


# --- joining online -----------------------------------------------------------------------

@dataclass
class JoinRequest:
    name: str
    email: str
    phone: str
    postcode: str
    house_number: str
    neighbourhood_code: str
    language: str
    statement_version: str
    call_me: bool = False  # "call me: I have a question", with the phone number


CALL_NEEDS_PHONE = _l("Fill in your phone number, so we can call you.")
NEEDS_HOUSE_NUMBER = _l("Fill in your house number.")


@dataclass(frozen=True)
class CheckedJoin:
    """A sign-up that passed every check (``check_join``), as plain values: what
    ``finish_join`` needs, also after the request has ended (``panel.later``)."""

    name: str
    email: str
    phone: str
    postcode: str
    house_number: str
    street: str
    city: str
    neighbourhood_id: int
    language: str
    statement_id: int
    call_me: bool


def check_join(request: JoinRequest) -> CheckedJoin:
    """Check a sign-up, the same way whether or not its email address is known: nothing
    here looks the address up. Raises DomainError for invalid input and PostcodeUnknown
    when the wijk must be chosen."""
    name = " ".join(request.name.split())
    if not name:
        raise DomainError(_l("Fill in your name."))
    email = normalise_email(request.email)
    phone = validation.phone(request.phone)
    if request.call_me and not phone:
        raise DomainError(CALL_NEEDS_PHONE)
    language = request.language if request.language in LANGUAGES else "nl"
    statement = current_statement()
    if request.statement_version != statement.version:
        raise DomainError(_l("The text about your data has changed. Please read it again."))
    postcode = validation.postcode(request.postcode) if request.postcode.strip() else ""
    house_number = validation.house_number(request.house_number) \
        if request.house_number.strip() else ""
    if postcode and not house_number:
        raise DomainError(NEEDS_HOUSE_NUMBER)

    street = city = ""
    if request.neighbourhood_code:
        wijk = get_neighbourhood(request.neighbourhood_code)
        if wijk is None:
            raise DomainError(_l("Choose your wijk from the list."))
    elif postcode:
        entry = lookup_postcode(postcode)
        if entry is None:
            raise PostcodeUnknown(_l("We do not know this postcode. Choose your wijk from "
                                     "the list."))
        wijk = entry.district.neighbourhood
        street, city = entry.street, entry.city
    else:
        raise PostcodeUnknown(_l("Fill in your postcode, or choose your wijk."))
    return CheckedJoin(name=name, email=email, phone=phone, postcode=postcode,
                       house_number=house_number, street=street, city=city,
                       neighbourhood_id=wijk.id, language=language,
                       statement_id=statement.id, call_me=request.call_me)


def finish_join(checked: CheckedJoin) -> PanelMember | None:
    """Create the pending member of a checked sign-up and email the confirmation link;
    returns the new member. When the email is already known, nobody new is created and
    None is returned: each person with that address (people of one household may share
    one) gets an email of their own (a new confirmation link, or a link to their own
    page). (A known resident who asks to be called does so on their own page, which that
    email links to: the form changes nothing about known people.) The page shown is the
    same either way, and the view does this after its response (``panel.later``), so
    neither the page nor its timing tells whether an address was known."""
    existing = members_with_email(checked.email)
    for known in existing:
        if known.status == MemberStatus.MEMBER:
            send_member_mail(known, _l("You are already in the wijkpanel"),
                             "already_member")
        else:
            send_confirmation(known)
    if existing:
        return None
    member = PanelMember(neighbourhood_id=checked.neighbourhood_id,
                         status=MemberStatus.PENDING.value, source=Source.ONLINE.value,
                         name=checked.name, email=checked.email, phone=checked.phone,
                         postcode=checked.postcode, house_number=checked.house_number,
                         street=checked.street, city=checked.city,
                         language=checked.language,
                         call_requested_at=utcnow() if checked.call_me else None)
    db.session.add(member)
    db.session.flush()
    record_consent(member, ConsentChannel.ONLINE,
                   db.session.get(ConsentStatement, checked.statement_id))
    send_confirmation(member)
    db.session.flush()
    return member


def join(request: JoinRequest) -> PanelMember | None:
    """Someone joins online: ``check_join`` then ``finish_join`` (see there), at once.
    A new member who ticked "call me" gets ``call_requested_at``, and must give a phone
    number. Raises DomainError for invalid input and PostcodeUnknown when the wijk must
    be chosen."""
    return finish_join(check_join(request))


def confirmation_member(token: str) -> PanelMember:
    """The member a confirmation link belongs to, if it still works. Raises DomainError."""
    link = _link(token, LinkPurpose.CONFIRM)
    if link.used_at is not None:
        raise DomainError(LINK_GONE)
    return link.member


def confirm(token: str, statement_version: str) -> PanelMember:
    """Confirm a place in the panel through a single-use link (double opt-in).

    Survey invitees give their consent here; online joiners gave it on the form. The link is
    claimed with a conditional update, so a double click confirms once and the second click
    gets a DomainError. Raises DomainError.
    """
    link = _link(token, LinkPurpose.CONFIRM)
    statement = current_statement()
    if statement_version != statement.version:
        raise DomainError(_l("The text about your data has changed. Please read it again."))
    claimed = db.session.execute(
        update(MemberLink).where(MemberLink.id == link.id, MemberLink.used_at.is_(None))
        .values(used_at=utcnow())).rowcount
    if claimed != 1:
        raise DomainError(LINK_GONE)
    return _make_member(link.member, statement)


def confirm_in_session(member: PanelMember, statement_version: str) -> PanelMember:
    """A resident who opened their page with a letter's code confirms their place there.
    Raises DomainError when the statement they read is not the current one."""
    statement = current_statement()
    if statement_version != statement.version:
        raise DomainError(_l("The text about your data has changed. Please read it again."))
    return _make_member(member, statement)


def _make_member(member: PanelMember, statement: ConsentStatement) -> PanelMember:
    if active_consent(member) is None:
        channel = ConsentChannel.SURVEY if member.source == Source.SURVEY else \
            ConsentChannel.ONLINE
        record_consent(member, channel, statement)
    if member.status != MemberStatus.MEMBER:
        member.status = MemberStatus.MEMBER.value
        member.confirmed_at = utcnow()
        send_member_mail(member, _l("Welcome to the wijkpanel"), "welcome")
    db.session.flush()
    return member


# --- the resident's own page --------------------------------------------------------------

def member_by_access_link(token: str) -> PanelMember:
    """The member a personal page link belongs to. Raises DomainError when it expired."""
    return _link(token, LinkPurpose.ACCESS).member


def member_by_short_code(code: str) -> PanelMember:
    """The member with this short code (from a letter). Raises DomainError."""
    cleaned = normalise_short_code(code)
    member = None
    if len(cleaned) == 8:
        member = db.session.scalars(select(PanelMember).where(
            PanelMember.short_code_hash == hash_token(cleaned))).first()
    if member is None or member.status == MemberStatus.LEFT:
        raise DomainError(_l("This code is not correct. Check the code in your letter."))
    return member


def members_with_email(address: str) -> list[PanelMember]:
    """The members (not those who left) with this email address, oldest first: people of
    one household may share one."""
    return list(db.session.scalars(
        select(PanelMember).where(PanelMember.email == address,
                                  PanelMember.status != MemberStatus.LEFT.value)
        .options(joinedload(PanelMember.neighbourhood))  # the mails name the wijk
        .order_by(PanelMember.id)))


def request_access_link(email: str, language: str = "nl") -> list[PanelMember]:
    """Email a personal page link (or a new confirmation link) to each member with this
    address, each with their own link; an unknown address gets one short email in the
    page's ``language`` that no panel membership was found, with the way to join and to
    ask again. Returns the members mailed.

    The view calls this after its response (``panel.later``), so neither the page nor its
    timing tells whether an address belongs to a member (README, privacy and security).
    Telling an unknown address, as many public services do, helps someone who used
    another address; the limit per email address (``panel.limits.PER_EMAIL``, counted for
    every address) keeps the form from being used to send it again and again. An address
    that is not valid gets nothing (it cannot be a member's).
    """
    try:
        address = normalise_email(email)
    except DomainError:
        return []
    members = members_with_email(address)
    if not members:
        send_no_membership_mail(address, language)
    for member in members:
        if member.status == MemberStatus.MEMBER:
            send_member_mail(member, _l("Your link to your own page"), "access_link")
        else:
            send_confirmation(member)
    return members


def send_no_membership_mail(address: str, language: str) -> None:
    """Tell ``address`` that no panel membership was found for it, with the way to join.
    Its links (joining, the page to ask for a link again) are the same for everyone: the
    mail holds nothing personal."""
    mail.queue(address, _l("We did not find you in the wijkpanel"), "no_membership",
               {"join_url": absolute_url("signups.join"),
                "request_url": absolute_url("residents.my_page")},
               language=language if language in LANGUAGES else "nl")


def get_member(member_id: int | None) -> PanelMember | None:
    """The member of a resident's session, or None when gone."""
    if member_id is None:
        return None
    member = db.session.get(PanelMember, member_id)
    if member is None or member.status == MemberStatus.LEFT:
        return None
    return member


@dataclass
class DetailsChange:
    name: str
    email: str
    phone: str
    language: str
    accessibility_needs: str
    availability: list[str]


def update_details(member: PanelMember, change: DetailsChange) -> PanelMember:
    """A resident changes their own details. Raises DomainError for invalid input.

    The email address may be one another member has (people of one household may share
    one), so the page reveals nothing about other people's addresses."""
    name = " ".join(change.name.split())
    if not name:
        raise DomainError(_l("Fill in your name."))
    email = normalise_email(change.email) if change.email.strip() else None
    if email is None and member.email:
        raise DomainError(_l("Fill in your email address."))
    member.name = name
    member.email = email
    member.phone = validation.phone(change.phone)
    member.language = change.language if change.language in LANGUAGES else member.language
    member.accessibility_needs = change.accessibility_needs.strip()[:2000]
    member.availability = ",".join(s for s in AVAILABILITY_SLOTS if s in change.availability)
    db.session.flush()
    return member


def request_call(member: PanelMember, phone: str) -> PanelMember:
    """A resident asks to be called (a question, or help with joining or confirming), on
    the phone number they give, which becomes their number. Staff who manage members see
    the request on the member's page until they mark it as called. Asking again while a
    request is open keeps its first time. Raises DomainError without a valid number."""
    number = validation.phone(phone)
    if not number:
        raise DomainError(CALL_NEEDS_PHONE)
    member.phone = number
    member.call_requested_at = member.call_requested_at or utcnow()
    db.session.flush()
    return member


def leave(member: PanelMember) -> None:
    """Leave the panel at once: consent is withdrawn, personal links stop working, queued
    mail is dropped and every personal detail is erased. The member's wijk and dates stay,
    so aggregate counts remain true."""
    now = utcnow()
    member_leaving.send(member)
    if member.email and not any(other.id != member.id
                                for other in members_with_email(member.email)):
        # Not while someone of the same household still uses the address: the outbox
        # knows messages by address only, and theirs must still go.
        mail.forget_address(member.email)
    for consent in member.consents:
        consent.withdrawn_at = consent.withdrawn_at or now
    db.session.execute(delete(MemberLink).where(MemberLink.member_id == member.id))
    if member.respondent_id:
        member.respondent_key = respondent_key(member.respondent_id)
    member.status = MemberStatus.LEFT.value
    member.left_at = now
    member.respondent_id = None
    member.name = ""
    member.email = None
    member.phone = member.postcode = member.house_number = member.street = member.city = ""
    member.accessibility_needs = member.availability = member.search_text = ""
    member.short_code_hash = member.call_requested_at = None
    db.session.flush()


def member_by_leave_link(token: str) -> PanelMember:
    """The member of a leave link from an email. Raises DomainError."""
    return _link(token, LinkPurpose.LEAVE).member


def my_data(member: PanelMember) -> dict[str, Any]:
    """Everything the platform holds about ``member``, for the resident's download."""
    return {
        "member": {
            "name": member.name, "email": member.email, "phone": member.phone,
            "postcode": member.postcode, "house_number": member.house_number,
            "street": member.street, "city": member.city, "language": member.language,
            "wijk": {"code": member.neighbourhood.code, "name": member.neighbourhood.name},
            "status": member.status, "source": member.source,
            "respondent_id": member.respondent_id,
            "accessibility_needs": member.accessibility_needs,
            "availability": member.availability_slots,
            "created_at": member.created_at.isoformat(),
            "confirmed_at": member.confirmed_at.isoformat() if member.confirmed_at else None,
            "call_requested_at": member.call_requested_at.isoformat()
            if member.call_requested_at else None,
        },
        "consents": [
            {"statement_version": c.statement.version, "channel": c.channel,
             "given_at": c.given_at.isoformat(),
             "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
             "statement_text": c.statement.text(member.language)}
            for c in member.consents
        ],
    }


def publish_statement(user: User, version: str, text_nl: str,
                      text_en: str) -> ConsentStatement:
    """An administrator publishes a new consent statement. New sign-ups agree to it from
    now on; earlier consents keep pointing at the version that was agreed to. Raises
    PermissionDenied for other accounts and DomainError for a missing text or a version
    that exists."""
    require(may_administer(user))
    version = version.strip()
    if not version or not text_nl.strip() or not text_en.strip():
        raise DomainError(_l("Fill in the version and both texts."))
    if db.session.scalars(select(ConsentStatement.id).where(
            ConsentStatement.version == version)).first() is not None:
        raise DomainError(_l("This version already exists. Choose a new version."))
    statement = ConsentStatement(version=version, text_nl=text_nl.strip(),
                                 text_en=text_en.strip(), published_at=utcnow())
    db.session.add(statement)
    db.session.flush()
    return statement
