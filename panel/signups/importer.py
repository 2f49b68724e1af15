"""Importing the research bureau's export of survey respondents who want to join a panel.

Every row gets an outcome: new, updated, unchanged, skipped (said no, or left earlier) or
rejected with the reason. A dry run computes exactly the same outcomes and changes
nothing. Rows are matched to existing people on respondent id, then on email, so a
corrected file updates the same people and a repeated file changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, insert, select

from panel.areas.models import Area, District, Neighbourhood
from panel.auth.models import Role, User
from panel.auth.permissions import require_role, visible_areas
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.signups import services, validation
from panel.signups.models import ImportRecord, MemberStatus, PanelMember, Postcode, Source
from panel.tabular import Table, read_table

FIELDS = ("respondent_id", "name", "email", "phone", "postcode", "house_number",
          "wijk_code", "panel_answer")
REQUIRED = ("panel_answer",)
ALIASES: dict[str, tuple[str, ...]] = {
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
STATUS_LABELS = {
    "new": _l("new"), "updated": _l("updated"), "unchanged": _l("unchanged"),
    "skipped": _l("skipped"), "rejected": _l("rejected"),
}


@dataclass
class RowOutcome:
    line: int
    status: str
    reason: str = ""


@dataclass
class ImportReport:
    mapping: dict[str, str | None]
    rows: list[RowOutcome] = field(default_factory=list)
    file_error: str = ""
    applied: bool = False

    @property
    def missing(self) -> list[str]:
        return [f for f in REQUIRED if not self.mapping.get(f)]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    def summary(self) -> dict[str, int]:
        return {status: self.count(status) for status in STATUS_LABELS}


def detect_mapping(table: Table) -> dict[str, str | None]:
    """Which header of the file holds which field, by the usual Dutch and English names."""
    mapping: dict[str, str | None] = {}
    for name in FIELDS:
        mapping[name] = next((h for h in ALIASES[name] if h in table.headers), None)
    return mapping


@dataclass
class _Parsed:
    line: int
    respondent_id: str
    name: str
    email: str | None
    phone: str
    postcode: str
    house_number: str
    wijk: Neighbourhood | None
    street: str = ""
    city: str = ""


class _Context:
    """Everything the rows are checked against, loaded once (no query per row)."""

    def __init__(self, user: User | None) -> None:
        self.wijken = {n.code: n for n in db.session.scalars(select(Neighbourhood))}
        self.postcodes = {
            p.postcode: (p, n) for p, n in db.session.execute(
                select(Postcode, Neighbourhood).join(District, Postcode.district_id == District.id)
                .join(Neighbourhood, District.neighbourhood_id == Neighbourhood.id)).tuples()}
        self.has_postcodes = bool(self.postcodes)
        # The columns rows are matched and compared on, as plain rows: ORM objects for
        # every member would cost more than checking the file. ``_apply`` loads the ones it
        # changes.
        members = list(db.session.execute(select(
            PanelMember.id, PanelMember.status, PanelMember.respondent_key,
            *(getattr(PanelMember, name) for name in _COMPARED))))
        self.by_respondent = {m.respondent_id: m for m in members if m.respondent_id}
        self.by_email = {m.email: m for m in members if m.email}
        self.left_keys = {m.respondent_key for m in members if m.respondent_key}
        self.allowed_area_ids: set[int] | None = None
        if user is not None and user.role == Role.TEAM:
            self.allowed_area_ids = set(db.session.scalars(
                visible_areas(user).with_only_columns(Area.id)))


def _value(values: Mapping[str, str], mapping: Mapping[str, str | None], name: str) -> str:
    header = mapping.get(name)
    return values.get(header, "").strip() if header else ""


def _parse(line: int, values: Mapping[str, str], mapping: Mapping[str, str | None],
           ctx: _Context) -> _Parsed | RowOutcome:
    answer = validation.answer(_value(values, mapping, "panel_answer"))
    if answer is None:
        return RowOutcome(line, "rejected", str(_l("The answer to the panel question is not "
                                                   "yes or no.")))
    if not answer:
        return RowOutcome(line, "skipped", str(_l("Said no to the panel.")))
    respondent_id = _value(values, mapping, "respondent_id")
    raw_email = _value(values, mapping, "email")
    email = None
    if raw_email:
        try:
            email = validate_email(raw_email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            return RowOutcome(line, "rejected", str(_l("The email address is not valid.")))
    if not respondent_id and not email:
        return RowOutcome(line, "rejected", str(_l("No respondent number and no email "
                                                   "address.")))
    try:
        phone = validation.phone(_value(values, mapping, "phone"))
        raw_postcode = _value(values, mapping, "postcode")
        postcode = validation.postcode(raw_postcode) if raw_postcode else ""
        raw_number = _value(values, mapping, "house_number")
        house_number = validation.house_number(raw_number) if raw_number else ""
    except DomainError as exc:
        return RowOutcome(line, "rejected", str(exc.message))
    street = city = ""
    wijk = None
    if postcode:
        known = ctx.postcodes.get(postcode)
        if known is None and ctx.has_postcodes:
            return RowOutcome(line, "rejected", str(_l("The postcode %(postcode)s is not in "
                                                       "this municipality.",
                                                       postcode=postcode)))
        if known is not None:
            entry, wijk = known
            street, city = entry.street, entry.city
    wijk_code = _value(values, mapping, "wijk_code").upper()
    if wijk_code:
        wijk = ctx.wijken.get(wijk_code)
        if wijk is None:
            return RowOutcome(line, "rejected", str(_l("The wijk %(code)s is unknown.",
                                                       code=wijk_code)))
    if wijk is None:
        return RowOutcome(line, "rejected", str(_l("The wijk is unknown: there is no wijk code "
                                                   "and no known postcode.")))
    if ctx.allowed_area_ids is not None and wijk.area_id not in ctx.allowed_area_ids:
        return RowOutcome(line, "rejected", str(_l("This wijk is not in your gebieden.")))
    if not email and not phone and not (postcode and house_number):
        return RowOutcome(line, "rejected", str(_l("No email address, phone number or "
                                                   "address: we cannot reach this person.")))
    return _Parsed(line, respondent_id, " ".join(_value(values, mapping, "name").split()),
                   email, phone, postcode, house_number, wijk, street, city)


# The columns an import sets on a person who is already known (the keys of ``_changes``).
_COMPARED = ("respondent_id", "name", "email", "phone", "postcode", "house_number",
             "neighbourhood_id", "street", "city")


def _changes(member: Row[Any], row: _Parsed) -> dict[str, object]:
    """What the import would change about ``member`` (a row of ``_Context``)."""
    wanted: dict[str, object] = {
        "respondent_id": row.respondent_id or member.respondent_id, "name": row.name,
        "email": row.email, "phone": row.phone, "postcode": row.postcode,
        "house_number": row.house_number, "neighbourhood_id": row.wijk.id if row.wijk else None,
        "street": row.street or member.street, "city": row.city or member.city,
    }
    return {key: value for key, value in wanted.items() if getattr(member, key) != value}


def import_respondents(user: User | None, data: bytes, filename: str = "",
                       mapping: Mapping[str, str | None] | None = None,
                       dry_run: bool = False) -> ImportReport:
    """Check, and unless ``dry_run`` apply, a survey export.

    ``user`` is the staff member (admin, or team for rows in their own gebieden), or None
    for the command line. ``mapping`` says which header holds which field; by default it is
    detected from the usual names. New people who said yes become *invited* and, when they
    have an email address, get an invitation to confirm (double opt-in). Nothing is
    changed when ``dry_run`` is true or when a required column is missing.
    """
    if user is not None:
        require_role(user, Role.ADMIN, Role.TEAM)
    try:
        table = read_table(data, filename)
    except DomainError as exc:
        return ImportReport(mapping={}, file_error=str(exc.message))
    report = ImportReport(mapping=dict(mapping) if mapping else detect_mapping(table))
    if report.missing:
        return report
    ctx = _Context(user)
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    plan: list[tuple[_Parsed, int | None, dict[str, object]]] = []
    for line, values in table.rows:
        parsed = _parse(line, values, report.mapping, ctx)
        if isinstance(parsed, RowOutcome):
            report.rows.append(parsed)
            continue
        duplicate = (seen_ids.get(parsed.respondent_id) if parsed.respondent_id else None) \
            or (seen_emails.get(parsed.email) if parsed.email else None)
        if duplicate:
            report.rows.append(RowOutcome(line, "rejected", str(_l(
                "The same person is also on line %(line)s.", line=duplicate))))
            continue
        if parsed.respondent_id:
            seen_ids[parsed.respondent_id] = line
        if parsed.email:
            seen_emails[parsed.email] = line
        if parsed.respondent_id and services.respondent_key(parsed.respondent_id) \
                in ctx.left_keys:
            report.rows.append(RowOutcome(line, "skipped", str(_l("Left the panel earlier."))))
            continue
        member = (ctx.by_respondent.get(parsed.respondent_id) if parsed.respondent_id
                  else None) or (ctx.by_email.get(parsed.email) if parsed.email else None)
        if member is None:
            report.rows.append(RowOutcome(line, "new"))
            plan.append((parsed, None, {}))
        elif member.status in (MemberStatus.MEMBER, MemberStatus.LEFT):
            report.rows.append(RowOutcome(line, "unchanged", str(_l(
                "Already confirmed: the resident's own details are kept."))))
        else:
            changes = _changes(member, parsed)
            clash = changes.get("email") and ctx.by_email.get(str(changes["email"]))
            if clash and clash.id != member.id:
                report.rows.append(RowOutcome(line, "rejected", str(_l(
                    "This email address belongs to another person in the panel."))))
                continue
            report.rows.append(RowOutcome(line, "updated" if changes else "unchanged"))
            if changes:
                plan.append((parsed, member.id, changes))
    if not dry_run:
        _apply(plan)
        report.applied = True
    return report


def _apply(plan: list[tuple[_Parsed, int | None, dict[str, object]]]) -> None:
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
    require_role(user, Role.ADMIN, Role.TEAM)
    read_table(data, filename)
    record = ImportRecord(kind="respondents", filename=filename[:255], uploaded_by_id=user.id,
                          content=data)
    db.session.add(record)
    db.session.flush()
    return record


def get_upload(user: User, record_id: int) -> ImportRecord:
    """An upload that ``user`` made and that is still waiting. Raises NotFound."""
    require_role(user, Role.ADMIN, Role.TEAM)
    record = db.session.get(ImportRecord, record_id)
    if record is None or record.uploaded_by_id != user.id or record.content is None:
        raise NotFound()
    return record


def headers_of(record: ImportRecord) -> list[str]:
    return read_table(record.content or b"", record.filename).headers


def run_upload(user: User, record: ImportRecord, mapping: Mapping[str, str | None],
               dry_run: bool) -> ImportReport:
    """Check or import a stored upload with ``mapping``. After the real run the file itself
    is erased and only the counts are kept."""
    report = import_respondents(user, record.content or b"", record.filename, mapping,
                                dry_run=dry_run)
    record.mapping = json.dumps(report.mapping)
    if report.applied:
        record.content = None
        record.finished_at = utcnow()
        record.row_count = len(report.rows)
        record.summary = json.dumps(report.summary())
    db.session.flush()
    return report


def keep_record(user: User | None, filename: str, report: ImportReport) -> ImportRecord:
    """Record an import made on the command line (the file itself is not kept)."""
    record = ImportRecord(kind="respondents", filename=filename[:255],
                          uploaded_by_id=user.id if user else None,
                          mapping=json.dumps(report.mapping), content=None,
                          finished_at=utcnow(), row_count=len(report.rows),
                          summary=json.dumps(report.summary()))
    db.session.add(record)
    db.session.flush()
    return record
