"""Importing the research bureau's export of survey respondents who want to join a panel.

Every line gets an outcome: new, updated, unchanged, skipped (said no, or left earlier) or
rejected with the reason (the skeleton in :mod:`panel.importing`). A dry run computes
exactly the same outcomes and changes nothing. Lines are matched to existing people on
respondent id, then on email, so a corrected file updates the same people and a repeated
file changes nothing. The good lines are imported even when others are rejected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row as DbRow
from sqlalchemy import insert, select

from panel.areas.models import District, Neighbourhood
from panel.auth.models import User
from panel.auth.permissions import may_manage_members, require, sees_all_areas, visible_area_ids
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.importing import FirstSeen, Importer, ImportReport, Line, Row, Status
from panel.signups import services, validation
from panel.signups.models import ImportRecord, MemberStatus, PanelMember, Postcode, Source
from panel.tabular import Table

REQUIRED = ("panel_answer",)
ALIASES: dict[str, tuple[str, ...]] = {  # field -> the normalised headers it is known by
    "respondent_id": ("respondent id", "respondentid", "respondent", "respondentnummer",
                      "respnr", "id"),
    "name": ("naam", "name", "volledige naam", "aanhef naam"),
    "email": ("e-mail", "email", "e-mailadres", "emailadres", "mail"),
    "phone": ("telefoon", "telefoonnummer", "phone", "tel"),
    "postcode": ("postcode", "postal code", "pc6"),
    "house_number": ("huisnummer", "house number", "huisnr", "nr"),
    "wijk_code": ("wijkcode", "wijk code", "wijk", "neighbourhood code", "cbs wijkcode"),
    "panel_answer": ("wijkpanel", "panel", "deelname wijkpanel", "deelname", "antwoord",
                     "panel answer", "wil meedoen", "meedoen"),
}
FIELD_LABELS = {
    "respondent_id": _l("Respondent number"),
    "name": _l("Name"),
    "email": _l("Email address"),
    "phone": _l("Phone number"),
    "postcode": _l("Postcode"),
    "house_number": _l("House number"),
    "wijk_code": _l("Wijk code"),
    "panel_answer": _l("Answer to the panel question"),
}
FIELDS = tuple(ALIASES)


@dataclass
class _Parsed:
    respondent_id: str
    name: str
    email: str | None
    phone: str
    postcode: str
    house_number: str
    wijk: Neighbourhood | None
    street: str = ""
    city: str = ""


# What to do for a line: the parsed line, the id of the known person it changes (None for a
# new person) and the changes.
_Plan = tuple[_Parsed, int | None, dict[str, object]]


class _Context:
    """Everything the lines are checked against, loaded once (no query per line)."""

    def __init__(self, user: User | None) -> None:
        self.wijken = {n.code: n for n in db.session.scalars(select(Neighbourhood))}
        self.postcodes = {
            p.postcode: (p, n) for p, n in db.session.execute(
                select(Postcode, Neighbourhood).join(District, Postcode.district_id == District.id)
                .join(Neighbourhood, District.neighbourhood_id == Neighbourhood.id)).tuples()}
        self.has_postcodes = bool(self.postcodes)
        # The columns lines are matched and compared on, as plain rows: ORM objects for
        # every member would cost more than checking the file. ``_apply`` loads the ones it
        # changes.
        members = list(db.session.execute(select(
            PanelMember.id, PanelMember.status, PanelMember.respondent_key,
            *(getattr(PanelMember, name) for name in _COMPARED))))
        self.by_respondent = {m.respondent_id: m for m in members if m.respondent_id}
        self.by_email = {m.email: m for m in members if m.email}
        self.left_keys = {m.respondent_key for m in members if m.respondent_key}
        self.allowed_area_ids: set[int] | None = None
        if user is not None and not sees_all_areas(user):
            self.allowed_area_ids = set(db.session.scalars(visible_area_ids(user)))
        self.seen_ids = FirstSeen()
        self.seen_emails = FirstSeen()


def _parse(line: Line, row: Row, ctx: _Context) -> _Parsed | None:
    """The line's values, checked; None when the line is rejected or skipped (with the
    reason on ``line``)."""
    answer = validation.answer(row.get("panel_answer"))
    if answer is None:
        line.reject(_l("The answer to the panel question is not yes or no."))
        return None
    if not answer:
        line.skip(_l("Said no to the panel."))
        return None
    respondent_id = row.get("respondent_id")
    raw_email = row.get("email")
    email = None
    if raw_email:
        try:
            email = validate_email(raw_email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            line.reject(_l("The email address is not valid."))
            return None
    if not respondent_id and not email:
        line.reject(_l("No respondent number and no email address."))
        return None
    try:
        phone = validation.phone(row.get("phone"))
        raw_postcode = row.get("postcode")
        postcode = validation.postcode(raw_postcode) if raw_postcode else ""
        raw_number = row.get("house_number")
        house_number = validation.house_number(raw_number) if raw_number else ""
    except DomainError as exc:
        line.reject(exc.message)
        return None
    street = city = ""
    wijk = None
    if postcode:
        known = ctx.postcodes.get(postcode)
        if known is None and ctx.has_postcodes:
            line.reject(_l("The postcode %(postcode)s is not in this municipality.",
                           postcode=postcode))
            return None
        if known is not None:
            entry, wijk = known
            street, city = entry.street, entry.city
    wijk_code = row.get("wijk_code").upper()
    if wijk_code:
        wijk = ctx.wijken.get(wijk_code)
        if wijk is None:
            line.reject(_l("The wijk %(code)s is unknown.", code=wijk_code))
            return None
    if wijk is None:
        line.reject(_l("The wijk is unknown: there is no wijk code and no known postcode."))
        return None
    if ctx.allowed_area_ids is not None and wijk.area_id not in ctx.allowed_area_ids:
        line.reject(_l("This wijk is not in your gebieden."))
        return None
    if not email and not phone and not (postcode and house_number):
        line.reject(_l("No email address, phone number or address: we cannot reach this "
                       "person."))
        return None
    return _Parsed(respondent_id, row.get("name"), email, phone, postcode, house_number, wijk,
                   street, city)


# The columns an import sets on a person who is already known (the keys of ``_changes``).
_COMPARED = ("respondent_id", "name", "email", "phone", "postcode", "house_number",
             "neighbourhood_id", "street", "city")


def _changes(member: DbRow[Any], row: _Parsed) -> dict[str, object]:
    """What the import would change about ``member`` (a row of ``_Context``)."""
    wanted: dict[str, object] = {
        "respondent_id": row.respondent_id or member.respondent_id, "name": row.name,
        "email": row.email, "phone": row.phone, "postcode": row.postcode,
        "house_number": row.house_number, "neighbourhood_id": row.wijk.id if row.wijk else None,
        "street": row.street or member.street, "city": row.city or member.city,
    }
    return {key: value for key, value in wanted.items() if getattr(member, key) != value}


class RespondentsImporter(Importer[_Context, _Plan]):
    """``RespondentsImporter(user).run(data, filename, dry_run=…, mapping=…)``.

    ``user`` is a staff member who manages members (a team member imports only people in
    the gebieden of their teams), or None for the command line. ``mapping`` says which
    header holds which field; by default it is detected from the usual names. New people
    who said yes become *invited* and, when they have an email address, get an invitation
    to confirm (double opt-in). The good lines are imported even when others are rejected;
    nothing changes when a required column is missing.
    """

    columns = ALIASES
    required = REQUIRED
    all_or_nothing = False
    missing_columns = _l("Choose which column holds the answer to the panel question.")

    def may_import(self, user: Any) -> bool:
        return may_manage_members(user)

    def prepare(self, table: Table, mapping: Mapping[str, str | None]) -> _Context:
        return _Context(self.user)

    def check(self, line: Line, row: Row, context: _Context) -> _Plan | None:
        parsed = _parse(line, row, context)
        if parsed is None:
            return None
        earlier = context.seen_ids.earlier(parsed.respondent_id, line.line) \
            if parsed.respondent_id else None
        if earlier is None and parsed.email:
            earlier = context.seen_emails.earlier(parsed.email, line.line)
        if earlier is not None:
            line.reject(_l("The same person is also on line %(line)s.", line=earlier))
            return None
        if parsed.respondent_id and services.respondent_key(parsed.respondent_id) \
                in context.left_keys:
            line.skip(_l("Left the panel earlier."))
            return None
        member = (context.by_respondent.get(parsed.respondent_id) if parsed.respondent_id
                  else None) or (context.by_email.get(parsed.email) if parsed.email else None)
        if member is None:
            return parsed, None, {}
        if member.status in (MemberStatus.MEMBER, MemberStatus.LEFT):
            line.status = Status.UNCHANGED
            line.messages.append(str(_l("Already confirmed: the resident's own details are "
                                        "kept.")))
            return None
        changes = _changes(member, parsed)
        clash = changes.get("email") and context.by_email.get(str(changes["email"]))
        if clash and clash.id != member.id:
            line.reject(_l("This email address belongs to another person in the panel."))
            return None
        if not changes:
            line.status = Status.UNCHANGED
            return None
        line.status = Status.UPDATED
        return parsed, member.id, changes

    def apply(self, plan: list[_Plan], context: _Context) -> None:
        _apply(plan)


def _apply(plan: list[_Plan]) -> None:
    """Carry out the plan in the caller's transaction: changes to known people (by id)
    through the ORM, new people with one bulk INSERT, then the invitations to confirm
    (double opt-in) in bulk, for the new people and for known people with a new email
    address."""
    known = {change[1] for change in plan if change[1] is not None}
    members = {member.id: member for member in _members(known)}
    changed: list[PanelMember] = []
    new: list[_Parsed] = []
    for row, member_id, changes in plan:
        if member_id is None:
            new.append(row)
            continue
        member = members[member_id]
        for key, value in changes.items():
            setattr(member, key, value)
        if "email" in changes and member.email:
            changed.append(member)
    db.session.flush()
    invite = [services.Invitee.of(member) for member in changed]
    if new:
        now = utcnow()
        rows = [{  # the columns left out stay empty (NULL)
            "neighbourhood_id": row.wijk.id if row.wijk else None,
            "status": MemberStatus.INVITED.value, "source": Source.SURVEY.value,
            "respondent_id": row.respondent_id or None, "name": row.name,
            "email": row.email, "phone": row.phone, "postcode": row.postcode,
            "house_number": row.house_number, "street": row.street, "city": row.city,
            "language": "nl", "accessibility_needs": "", "availability": "",
            "created_at": now, "updated_at": now,
        } for row in new]
        # One executemany without RETURNING, then the new ids in one SELECT: with RETURNING,
        # SQLAlchemy sends PostgreSQL statements of a thousand rows, which psycopg takes
        # seconds to parse. Every new row has ``now`` as its creation time and a respondent
        # id or an email address, both unique, so the pair finds its id.
        table = PanelMember.__table__
        db.session.execute(insert(table), rows)
        ids = {(respondent_id, email): member_id for member_id, respondent_id, email in
               db.session.execute(select(table.c.id, table.c.respondent_id, table.c.email)
                                  .where(table.c.created_at == now,
                                         table.c.source == Source.SURVEY.value)).tuples()}
        invite += [services.Invitee(ids[values["respondent_id"], values["email"]],
                                    values["email"], values["name"], values["language"],
                                    values["source"], row.wijk.name if row.wijk else "")
                   for values, row in zip(rows, new, strict=True)]
    services.send_confirmations(invite)


def _members(ids: set[int]) -> list[PanelMember]:
    """The members with these ids, a thousand ids a query (databases limit the number of
    parameters of one statement)."""
    ordered = sorted(ids)
    return [member for start in range(0, len(ordered), 1000)
            for member in db.session.scalars(select(PanelMember).where(
                PanelMember.id.in_(ordered[start:start + 1000])))]


# --- the upload flow in the staff pages ---------------------------------------------------

def store_upload(user: User, data: bytes, filename: str) -> ImportRecord:
    """Keep an uploaded file in the database (so any app process can continue the import)
    until it is imported. Raises DomainError when the file cannot be read."""
    RespondentsImporter(user).read(data, filename)
    record = ImportRecord(kind="respondents", filename=filename[:255], uploaded_by_id=user.id,
                          content=data)
    db.session.add(record)
    db.session.flush()
    return record


def get_upload(user: User, record_id: int) -> ImportRecord:
    """An upload that ``user`` made and that is still waiting. Raises NotFound."""
    require(may_manage_members(user))
    record = db.session.get(ImportRecord, record_id)
    if record is None or record.uploaded_by_id != user.id or record.content is None:
        raise NotFound()
    return record


def columns_of(user: User, record: ImportRecord) -> tuple[list[str], dict[str, str | None]]:
    """The headers of a stored upload, and which of them holds which field by their usual
    names (the mapping staff start from)."""
    importer = RespondentsImporter(user)
    table = importer.read(record.content or b"", record.filename)
    return table.headers, importer.detect_mapping(table)


def run_upload(user: User, record: ImportRecord, mapping: Mapping[str, str | None],
               dry_run: bool) -> ImportReport:
    """Check or import a stored upload with ``mapping``. After the real run the file itself
    is erased and only the counts are kept."""
    report = RespondentsImporter(user).run(record.content or b"", record.filename,
                                           dry_run=dry_run, mapping=mapping)
    record.mapping = json.dumps(report.mapping)
    if report.applied:
        record.content = None
        record.finished_at = utcnow()
        record.row_count = len(report.lines)
        record.summary = json.dumps(report.summary())
    db.session.flush()
    return report


def keep_record(user: User | None, filename: str, report: ImportReport) -> ImportRecord:
    """Record an import made on the command line (the file itself is not kept)."""
    record = ImportRecord(kind="respondents", filename=filename[:255],
                          uploaded_by_id=user.id if user else None,
                          mapping=json.dumps(report.mapping), content=None,
                          finished_at=utcnow(), row_count=len(report.lines),
                          summary=json.dumps(report.summary()))
    db.session.add(record)
    db.session.flush()
    return record
