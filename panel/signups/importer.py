"""Importing the research bureau's export of survey respondents who want to join a panel.

Every line gets an outcome: new, updated, unchanged, skipped (said no, gave another answer
or none, or left earlier) or rejected with the reason (the skeleton in
:mod:`panel.importing`). A dry run computes exactly the same outcomes and changes nothing.
The good lines are imported even when others are rejected.

A bureau writes its file for people, so the import reads it as people would:

- the **wijk** is a CBS code (``WK036101``, ``036101``) or a wijk's name in any case, with
  or without accents (``DE MARE``, ``Ruinepark``); a name that fits no wijk, or more than
  one, is rejected with the wijken it could be;
- the **answer** to the panel question is read by its meaning (``validation``): known yes
  and no forms are understood, staff mark any other answer as yes, no or skip (the mapping
  step, or ``--yes``/``--no`` on the command line); an answer that is not yes is skipped
  with the answer named, an empty answer is skipped as "no answer";
- **postcodes**, **phone numbers** and a separate **addition** column are put in one form
  (``validation``), and the report's notes count what was changed;
- someone whose **email address** cannot be valid but who gave a phone number or an
  address is imported without email (reached by phone or letter), with a warning;
- a **name** with letters lost to the file's encoding (``Ren? de Vries``, ``RenÃ©``) gets
  a warning.

Lines are matched to known people on respondent number; a line without one is matched on
email, when exactly one person has that address. People of one household may share an
email address when their respondent numbers differ: each is a member of their own. A
respondent number twice in the file is the same person twice: the second line is rejected.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import DOT_ATOM_TEXT, EMAIL_MAX_LENGTH
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row as DbRow
from sqlalchemy import select

from panel.areas.models import District, Neighbourhood
from panel.auth.models import User
from panel.auth.permissions import may_manage_members, require, sees_all_areas, visible_area_ids
from panel.db import db, insert_rows, utcnow
from panel.errors import DomainError, NotFound
from panel.importing import FirstSeen, Importer, ImportReport, Line, Row, Status
from panel.search import member_search_text
from panel.signups import services, validation
from panel.signups.models import (
    SEARCHED,
    ImportRecord,
    MemberStatus,
    PanelMember,
    Postcode,
    Source,
)
from panel.tabular import Table

REQUIRED = ("panel_answer",)
ALIASES: dict[str, tuple[str, ...]] = {  # field -> the normalised headers it is known by
    "respondent_id": ("respondent id", "respondentid", "respondent", "respondentnummer",
                      "respondent nummer", "respondentnr", "respnr", "resp nr", "id"),
    "name": ("naam", "name", "volledige naam", "aanhef naam", "naam respondent"),
    "email": ("e-mail", "email", "e-mailadres", "emailadres", "e-mail adres", "email adres",
              "mailadres", "mail"),
    "phone": ("telefoon", "telefoonnummer", "telefoon nummer", "phone", "tel", "telnr",
              "mobiel", "mobiel nummer", "telefoonnummer (mobiel)"),
    "postcode": ("postcode", "postal code", "pc6"),
    "house_number": ("huisnummer", "house number", "huisnr", "huis nummer", "nr"),
    "addition": ("toevoeging", "huisletter", "huisnummertoevoeging", "huisnummer toevoeging",
                 "toev", "toev.", "huisnummer-toevoeging", "addition",
                 "house number addition"),
    "wijk_code": ("wijkcode", "wijk code", "wijk", "wijknaam", "wijk naam", "naam wijk",
                  "neighbourhood code", "neighbourhood", "cbs wijkcode"),
    "panel_answer": ("wijkpanel", "panel", "deelname wijkpanel", "deelname", "antwoord",
                     "panel answer", "wil meedoen", "meedoen",
                     "wilt u deelnemen aan een wijkpanel?",
                     "wilt u deelnemen aan een wijkpanel",
                     "wilt u meedoen aan een wijkpanel?", "deelname aan wijkpanel",
                     "deelnemen aan wijkpanel", "deelnemen wijkpanel"),
}
FIELD_LABELS = {
    "respondent_id": _l("Respondent number"),
    "name": _l("Name"),
    "email": _l("Email address"),
    "phone": _l("Phone number"),
    "postcode": _l("Postcode"),
    "house_number": _l("House number"),
    "addition": _l("House number addition"),
    "wijk_code": _l("Wijk (CBS code or name)"),
    "panel_answer": _l("Answer to the panel question"),
}
FIELDS = tuple(ALIASES)
# A header that holds the panel answer although it has none of the names above, such as
# "Wilt u graag deelnemen aan ons wijkpanel?".
_ANSWER_HEADER = re.compile(r"wijkpanel|\bpanel\b.*\b(?:deelne|meedoen|meedoe|deelname)")
# A wijk's CBS code, with or without "WK" and its leading zeros (CBS writes codes as
# numbers in its own files).
_WIJK_CODE = re.compile(r"^(?:WK)?([0-9]{1,6})$")
_MAX_CANDIDATES = 12  # wijken named in one message
MAX_ANSWERS = 40  # distinct answers offered in the mapping step


def _garbled(name: str) -> bool:
    """Whether a name lost letters to an encoding: a ``?`` or the replacement character
    where a letter was, or UTF-8 read as Windows-1252 (``RenÃ©`` for ``René``)."""
    if "?" in name or "\ufffd" in name:
        return True
    try:
        return name.encode("cp1252").decode("utf-8") != name
    except UnicodeError:
        return False


class _Emails:
    """Email addresses checked and put in one form exactly as ``validate_email`` does
    (without the deliverability check), for files of many thousands of addresses.

    The checks of the domain part (IDNA and the special-use names) are most of
    ``validate_email``'s work and come out the same for every address with that domain
    part. So an address whose part before the @-sign is a plain dot-atom (the library's own
    ``DOT_ATOM_TEXT``, which it accepts as it is) and whose domain part was accepted before
    is put together from the two, after the same length check; every other address goes
    through ``validate_email`` itself. Hand-written because email_validator offers no way
    to keep the outcome of its domain checks.
    """

    def __init__(self) -> None:
        # The domain part as written -> its normalised form and the length in bytes of the
        # longest of its forms (as written, normalised, IDNA ASCII).
        self._domains: dict[str, tuple[str, int]] = {}

    def normalise(self, raw: str) -> str | None:
        """``raw`` in lower case as ``validate_email`` normalises it, or None when it is
        not a valid address."""
        local, _at, domain = raw.rpartition("@")
        known = self._domains.get(domain)
        if known is not None and DOT_ATOM_TEXT.match(local) \
                and len(local) + 1 + known[1] <= EMAIL_MAX_LENGTH:
            return f"{local}@{known[0]}".lower()
        try:
            valid = validate_email(raw, check_deliverability=False)
        except EmailNotValidError:
            return None
        if valid.original == raw and valid.local_part == local and DOT_ATOM_TEXT.match(local) \
                and valid.ascii_domain:
            self._domains[domain] = (valid.domain, max(
                len(form.encode()) for form in (domain, valid.domain, valid.ascii_domain)))
        return valid.normalized.lower()


@dataclass
class AnswerGroup:
    """One distinct answer to the panel question in a file (its spellings that mean the
    same after ``validation.normalise_answer``), how often it occurs and what it counts
    as: ``choice`` is staff's choice or the known meaning (``known``), else skip."""

    key: str
    spellings: list[str]
    count: int
    choice: str
    known: str | None

    @property
    def label(self) -> str:
        return " / ".join(self.spellings)


def answer_groups(table: Table, header: str | None,
                  choices: Mapping[str, str] | None = None) -> list[AnswerGroup]:
    """The distinct answers in the column ``header`` of ``table``, most frequent first (the
    empty answer, always skipped, last)."""
    if not header:
        return []
    chosen = _choices(choices)
    spellings: dict[str, Counter[str]] = {}
    for _line, values in table.rows:
        raw = " ".join(values.get(header, "").split())
        spellings.setdefault(validation.normalise_answer(raw), Counter())[raw] += 1
    groups = [AnswerGroup(key, [s for s, _n in counted.most_common()], counted.total(),
                          chosen.get(key) or validation.answer_choice(key) or validation.SKIP,
                          validation.answer_choice(key))
              for key, counted in spellings.items() if key]
    groups.sort(key=lambda g: (-g.count, g.key))
    if "" in spellings:
        groups.append(AnswerGroup("", [], spellings[""].total(), validation.SKIP, None))
    return groups


def _choices(choices: Mapping[str, str] | None) -> dict[str, str]:
    """Staff's choices per answer, keyed by the answer as it is compared."""
    return {validation.normalise_answer(answer): choice
            for answer, choice in (choices or {}).items()
            if choice in validation.CHOICES and validation.normalise_answer(answer)}


@dataclass(slots=True)
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
    # The line's email address or phone number could not be used (kept for known people).
    email_unusable: bool = False
    phone_unusable: bool = False
    wijk_named: bool = False  # the wijk was given by its name
    garbled: bool = False  # the name may have lost letters (``_garbled``)
    # What was put in one form (the notes of the report).
    postcode_rewritten: bool = False
    phone_rewritten: bool = False
    addition_joined: bool = False


# What to do for a line: the parsed line, the id of the known person it changes (None for a
# new person) and the changes.
_Plan = tuple[_Parsed, int | None, dict[str, object]]


@dataclass
class _Counts:
    """What the report's notes count, over the lines that are not rejected or skipped."""

    postcodes: int = 0
    phones: int = 0
    additions: int = 0
    wijk_names: int = 0
    without_email: int = 0
    garbled: int = 0


class _Context:
    """Everything the lines are checked against, loaded once (no query per line)."""

    def __init__(self, user: User | None, choices: Mapping[str, str]) -> None:
        wijken = list(db.session.scalars(select(Neighbourhood).order_by(Neighbourhood.name)))
        self.wijken = {n.code: n for n in wijken}
        self.wijk_names: dict[str, list[Neighbourhood]] = {}
        for wijk in wijken:
            self.wijk_names.setdefault(validation.fold(wijk.name), []).append(wijk)
        self.found_wijken: dict[str, tuple[Neighbourhood | None, str, bool]] = {}
        by_id = {n.id: n for n in wijken}
        # postcode -> street, city, wijk (plain rows: thousands of postcodes)
        self.postcodes = {
            code: (street, city, by_id[wijk_id]) for code, street, city, wijk_id in
            db.session.execute(select(Postcode.postcode, Postcode.street, Postcode.city,
                                      District.neighbourhood_id)
                               .join(District, Postcode.district_id == District.id)).tuples()}
        self.has_postcodes = bool(self.postcodes)
        # The columns lines are matched and compared on, as plain rows: ORM objects for
        # every member would cost more than checking the file. ``_apply`` loads the ones it
        # changes.
        members = list(db.session.execute(select(
            PanelMember.id, PanelMember.status, PanelMember.respondent_key,
            *(getattr(PanelMember, name) for name in _COMPARED))))
        self.by_respondent = {m.respondent_id: m for m in members if m.respondent_id}
        self.by_email: dict[str, list[DbRow[Any]]] = {}
        for member in members:
            if member.email:
                self.by_email.setdefault(member.email, []).append(member)
        self.left_keys = {m.respondent_key for m in members if m.respondent_key}
        self.respondent_key = services.respondent_keys()
        self.allowed_area_ids: set[int] | None = None
        if user is not None and not sees_all_areas(user):
            self.allowed_area_ids = set(db.session.scalars(visible_area_ids(user)))
        self.choices = choices
        self.seen = FirstSeen()
        self.counts = _Counts()
        self.emails = _Emails()
        # The reasons of many lines, translated once.
        self.no_answer = str(_l("No answer to the panel question."))
        self.said_no = str(_l("Said no to the panel."))
        self.left_earlier = str(_l("Left the panel earlier."))
        self.already_confirmed = str(_l("Already confirmed: the resident's own details are "
                                        "kept."))
        # What was worked out for a value before: a file repeats its answers, postcodes
        # and house numbers thousands of times.
        self._answers: dict[str, tuple[str, str]] = {}
        self._postcodes: dict[str, tuple[str, Any]] = {}
        self._house_numbers: dict[tuple[str, str], tuple[str, Any]] = {}
        self._names: dict[str, bool] = {}

    def answer(self, raw: str) -> tuple[str, str]:
        """An answer as compared (``validation.normalise_answer``) and what it counts as
        (``decide``; ``""`` for an empty answer)."""
        found = self._answers.get(raw)
        if found is None:
            key = validation.normalise_answer(raw)
            found = self._answers[raw] = (key, self.decide(key) if key else "")
        return found

    def garbled(self, name: str) -> bool:
        """``_garbled(name)``, worked out once per name."""
        found = self._names.get(name)
        if found is None:
            found = self._names[name] = _garbled(name)
        return found

    def postcode(self, raw: str) -> str:
        """``validation.postcode(raw)``, worked out once per value."""
        return _once(self._postcodes, raw, validation.postcode, raw)

    def house_number(self, raw: str, addition: str) -> str:
        """``validation.house_number(raw, addition)``, worked out once per pair."""
        return _once(self._house_numbers, (raw, addition), validation.house_number, raw,
                     addition)

    def wijk(self, raw: str) -> tuple[Neighbourhood | None, str, bool]:
        """The wijk ``raw`` names (a code or a name): the wijk, or None and why not, and
        whether it was named."""
        if raw not in self.found_wijken:
            self.found_wijken[raw] = self._find_wijk(raw)
        return self.found_wijken[raw]

    def _find_wijk(self, raw: str) -> tuple[Neighbourhood | None, str, bool]:
        code = _WIJK_CODE.match(raw.replace(" ", "").upper())
        if code:
            full = "WK" + code.group(1).zfill(6)
            wijk = self.wijken.get(full)
            return wijk, "" if wijk else str(_l("The wijk %(code)s is unknown.", code=full)), \
                False
        found = self.wijk_names.get(validation.fold(raw), [])
        if len(found) == 1:
            return found[0], "", True
        if found:
            return None, str(_l("The wijk %(value)s fits more than one wijk: %(candidates)s.",
                                value=raw, candidates=_named(found))), True
        close = difflib.get_close_matches(validation.fold(raw), list(self.wijk_names),
                                          n=5, cutoff=0.6)
        if close:
            return None, str(_l("The wijk %(value)s is unknown. Did you mean %(candidates)s?",
                                value=raw, candidates=_named(
                                    [w for name in close for w in self.wijk_names[name]]))), \
                True
        return None, str(_l("The wijk %(value)s is unknown. The wijken are: %(candidates)s.",
                            value=raw, candidates=_named(list(self.wijken.values())))), True

    def decide(self, key: str) -> str:
        """Yes, no or skip for an answer (as compared): staff's choice, else its meaning."""
        return self.choices.get(key) or validation.answer_choice(key) or validation.SKIP


def _once(known: dict[Any, tuple[str, Any]], key: Any, check: Any, *args: str) -> str:
    """``check(*args)``, or the value or DomainError it gave before for ``key``."""
    found = known.get(key)
    if found is None:
        try:
            found = known[key] = (check(*args), None)
        except DomainError as exc:
            found = known[key] = ("", exc.message)
    if found[1] is not None:
        raise DomainError(found[1])
    return found[0]


def _named(wijken: list[Neighbourhood]) -> str:
    """``De Mare (WK036101), Overdie (WK036102)``, at most ``_MAX_CANDIDATES`` of them."""
    ordered = sorted(wijken, key=lambda w: (w.name, w.code))
    named = ", ".join(f"{w.name} ({w.code})" for w in ordered[:_MAX_CANDIDATES])
    return named + (", …" if len(ordered) > _MAX_CANDIDATES else "")


def _answer(line: Line, row: Row, ctx: _Context) -> bool:
    """Whether the line says yes; otherwise the line is skipped with the reason."""
    raw = row.get("panel_answer")
    key, choice = ctx.answer(raw)
    if not key:
        line.skip(ctx.no_answer)
        return False
    if choice == validation.NO:
        line.skip(ctx.said_no)
        return False
    if choice != validation.YES:
        line.skip(_l("Answer '%(answer)s' is not yes.", answer=raw))
        return False
    return True


def _parse(line: Line, row: Row, ctx: _Context) -> _Parsed | None:
    """The line's values, checked and put in one form; None when the line is rejected or
    skipped (with the reason on ``line``)."""
    if not _answer(line, row, ctx):
        return None
    respondent_id = row.get("respondent_id")
    raw_email = row.get("email")
    email = None
    if raw_email:
        email = ctx.emails.normalise(raw_email)
        if email is None:
            if not respondent_id:  # nothing else to know this person by in a later file
                line.reject(_l("The email address is not valid."))
                return None
    if not respondent_id and not email:
        line.reject(_l("No respondent number and no email address."))
        return None
    raw_phone = row.get("phone")
    try:
        phone = validation.phone(raw_phone)
    except DomainError as exc:
        phone, phone_error = "", exc.message
    else:
        phone_error = ""
    try:
        raw_postcode = row.get("postcode")
        postcode = ctx.postcode(raw_postcode) if raw_postcode else ""
        raw_number, addition = row.get("house_number"), row.get("addition")
        house_number = ctx.house_number(raw_number, addition) if raw_number else ""
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
            street, city, wijk = known
    raw_wijk = row.get("wijk_code")
    named = False
    if raw_wijk:
        wijk, problem, named = ctx.wijk(raw_wijk)
        if wijk is None:
            line.reject(problem)
            return None
    if wijk is None:
        line.reject(_l("The wijk is unknown: there is no wijk code and no known postcode."))
        return None
    if ctx.allowed_area_ids is not None and wijk.area_id not in ctx.allowed_area_ids:
        line.reject(_l("This wijk is not in your gebieden."))
        return None
    address = bool(postcode and house_number)
    if raw_email and not email and not phone and not address:
        line.reject(_l("The email address is not valid."))
        return None
    if phone_error and not email and not address:
        line.reject(phone_error)
        return None
    if not email and not phone and not address:
        line.reject(_l("No email address, phone number or address: we cannot reach this "
                       "person."))
        return None
    if raw_email and not email:
        line.warn(_l("The email address %(email)s is not valid: imported without email, to "
                     "be reached by phone or letter.", email=raw_email))
    if phone_error:
        line.warn(_l("The phone number %(phone)s is not valid: imported without it.",
                     phone=raw_phone))
    name = row.get("name")
    garbled = ctx.garbled(name)
    if garbled:
        line.warn(_l("The name %(name)s may have lost letters to the file's encoding. "
                     "Check it.", name=name))
    return _Parsed(respondent_id, name, email, phone, postcode, house_number, wijk, street,
                   city, email_unusable=bool(raw_email and not email),
                   phone_unusable=bool(phone_error), wijk_named=named, garbled=garbled,
                   postcode_rewritten=bool(postcode) and raw_postcode not in (
                       postcode, validation.postcode_text(postcode)),
                   phone_rewritten=bool(phone) and raw_phone != phone,
                   addition_joined=bool(house_number and addition))


def _count(counts: _Counts, parsed: _Parsed) -> None:
    """Count what was put in one form (the notes of the report)."""
    counts.postcodes += parsed.postcode_rewritten
    counts.phones += parsed.phone_rewritten
    counts.additions += parsed.addition_joined
    counts.wijk_names += parsed.wijk_named
    counts.garbled += parsed.garbled


# The columns an import sets on a person who is already known (the keys of ``_changes``).
_COMPARED = ("respondent_id", "name", "email", "phone", "postcode", "house_number",
             "neighbourhood_id", "street", "city")


def _changes(member: DbRow[Any], row: _Parsed) -> dict[str, object]:
    """What the import would change about ``member`` (a row of ``_Context``). An email
    address or phone number the line has but that cannot be used does not erase the one
    the person has."""
    wanted: dict[str, object] = {
        "respondent_id": row.respondent_id or member.respondent_id, "name": row.name,
        "email": member.email if row.email_unusable else row.email,
        "phone": member.phone if row.phone_unusable else row.phone,
        "postcode": row.postcode, "house_number": row.house_number,
        "neighbourhood_id": row.wijk.id if row.wijk else None,
        "street": row.street or member.street, "city": row.city or member.city,
    }
    return {key: value for key, value in wanted.items() if getattr(member, key) != value}


class RespondentsImporter(Importer[_Context, _Plan]):
    """``RespondentsImporter(user, answers).run(data, filename, dry_run=…, mapping=…)``.

    ``user`` is a staff member who manages members (a team member imports only people in
    the gebieden of their teams), or None for the command line. ``mapping`` says which
    header holds which field; by default it is detected from the usual names. ``answers``
    says what answers to the panel question count as (``{"ja, graag": "yes", "Misschien":
    "skip"}``; see ``validation.CHOICES``); known yes and no forms need no choice. New
    people who said yes become *invited* and, when they have an email address, get an
    invitation to confirm (double opt-in). The good lines are imported even when others are
    rejected; nothing changes when a required column is missing.
    """

    columns = ALIASES
    required = REQUIRED
    all_or_nothing = False
    missing_columns = _l("Choose which column holds the answer to the panel question.")

    def __init__(self, user: Any = None, answers: Mapping[str, str] | None = None) -> None:
        super().__init__(user)
        self.answers = _choices(answers)
        # After a real run: the new people per wijk id, kept with the import's counts so
        # that a report about some wijken counts only theirs.
        self.new_per_wijk: dict[int, int] = {}

    def may_import(self, user: Any) -> bool:
        return may_manage_members(user)

    def detect_mapping(self, table: Table) -> dict[str, str | None]:
        """The usual names, and a header about taking part in a wijkpanel for the answer."""
        mapping = super().detect_mapping(table)
        if mapping.get("panel_answer") is None:
            taken = set(mapping.values())
            mapping["panel_answer"] = next(
                (h for h in table.headers if h not in taken and _ANSWER_HEADER.search(h)),
                None)
        return mapping

    def prepare(self, table: Table, mapping: Mapping[str, str | None]) -> _Context:
        return _Context(self.user, self.answers)

    def check(self, line: Line, row: Row, context: _Context) -> _Plan | None:
        parsed = _parse(line, row, context)
        if parsed is None:
            return None
        # The same respondent number twice is the same person; without a number, the same
        # email address (people of one household have numbers of their own).
        key = ("respondent", parsed.respondent_id) if parsed.respondent_id \
            else ("email", parsed.email)
        earlier = context.seen.earlier(key, line.line)
        if earlier is not None:
            line.reject(_l("The same person is also on line %(line)s.", line=earlier))
            return None
        if parsed.respondent_id and context.left_keys \
                and context.respondent_key(parsed.respondent_id) in context.left_keys:
            line.skip(context.left_earlier)
            return None
        if parsed.respondent_id:
            member = context.by_respondent.get(parsed.respondent_id)
        else:
            sharing = context.by_email.get(parsed.email or "", [])
            if len(sharing) > 1:
                line.reject(_l("More than one panel member has this email address. Add the "
                               "respondent number, so it is clear who this is."))
                return None
            member = sharing[0] if sharing else None
        _count(context.counts, parsed)
        if member is None:
            context.counts.without_email += parsed.email is None
            return parsed, None, {}
        if member.status in (MemberStatus.MEMBER, MemberStatus.LEFT):
            line.status = Status.UNCHANGED
            line.messages.append(context.already_confirmed)
            return None
        changes = _changes(member, parsed)
        if not changes:
            line.status = Status.UNCHANGED
            return None
        line.status = Status.UPDATED
        context.counts.without_email += not changes.get("email", member.email)
        return parsed, member.id, changes

    def finish(self, report: ImportReport, plan: list[_Plan], context: _Context) -> None:
        """Notes on what was put in one form and who has no email address."""
        counts = context.counts
        notes = (
            (counts.postcodes, _l("Postcodes written in the usual form (such as 1813EG): "
                                  "%(count)s.", count=counts.postcodes)),
            (counts.phones, _l("Phone numbers written in the usual form (such as 072 512 34 "
                               "56 or 06 12345678): %(count)s.", count=counts.phones)),
            (counts.additions, _l("House number additions joined to the house number: "
                                  "%(count)s.", count=counts.additions)),
            (counts.wijk_names, _l("Lines with the wijk's name instead of its code: "
                                   "%(count)s.", count=counts.wijk_names)),
            (counts.without_email, _l("New or changed people without a usable email "
                                      "address, to be reached by phone or letter: %(count)s.",
                                      count=counts.without_email)),
            (counts.garbled, _l("Names that may have lost letters to the file's encoding: "
                                "%(count)s. Check them.", count=counts.garbled)),
        )
        report.notes += [str(note) for count, note in notes if count]

    def apply(self, plan: list[_Plan], context: _Context) -> None:
        self.new_per_wijk = _apply(plan)


def _apply(plan: list[_Plan]) -> dict[int, int]:
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
    per_wijk = Counter(row.wijk.id for row in new if row.wijk)
    if new:
        now = utcnow()
        invited, survey = MemberStatus.INVITED.value, Source.SURVEY.value
        # The columns left out stay empty (NULL).
        rows = ((row.wijk.id if row.wijk else None, invited, survey, row.respondent_id or None,
                 row.name, row.email, row.phone, row.postcode, row.house_number, row.street,
                 row.city, "nl", "", "", now, now,
                 member_search_text(*(getattr(row, column) for column in SEARCHED)))
                for row in new)
        # The rows in bulk (``insert_rows``: a COPY on PostgreSQL, which gives no ids back),
        # then the new ids in one SELECT. Every new row has ``now`` as its creation time and
        # a respondent id or an email address, both unique, so the pair finds its id.
        table = PanelMember.__table__
        insert_rows(table, _NEW_MEMBER_COLUMNS, rows)
        ids = {(respondent_id, email): member_id for member_id, respondent_id, email in
               db.session.execute(select(table.c.id, table.c.respondent_id, table.c.email)
                                  .where(table.c.created_at == now,
                                         table.c.source == survey)).tuples()}
        invite += [services.Invitee(ids[row.respondent_id or None, row.email], row.email,
                                    row.name, "nl", survey, row.wijk.name if row.wijk else "")
                   for row in new]
    services.send_confirmations(invite)
    return dict(per_wijk)


def record_summary(report: ImportReport, new_per_wijk: Mapping[int, int]) -> str:
    """What an import record keeps of a real run: the lines per status and the new people
    per wijk id (``"new_per_wijk"``)."""
    return json.dumps({**report.summary(),
                       "new_per_wijk": {str(wijk): count
                                        for wijk, count in sorted(new_per_wijk.items())}})


# The columns of a new member's row in ``_apply``; ``search_text`` is made as the column's
# default makes it (``member_search_text`` of the ``SEARCHED`` columns).
_NEW_MEMBER_COLUMNS = ("neighbourhood_id", "status", "source", "respondent_id", "name", "email",
                       "phone", "postcode", "house_number", "street", "city", "language",
                       "accessibility_needs", "availability", "created_at", "updated_at",
                       "search_text")


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


def finished_upload(user: User, record_id: int) -> ImportRecord | None:
    """An upload that ``user`` made and imported (its file is erased, its counts kept),
    or None."""
    require(may_manage_members(user))
    record = db.session.get(ImportRecord, record_id)
    if record is None or record.uploaded_by_id != user.id or record.finished_at is None:
        return None
    return record


def finished_counts(record: ImportRecord) -> dict[str, int]:
    """The lines per status an import kept (0 for a status it did not count)."""
    kept = json.loads(record.summary or "{}")
    return {status.value: int(kept.get(status.value, 0)) for status in Status}


def get_upload(user: User, record_id: int) -> ImportRecord:
    """An upload that ``user`` made and that is still waiting. Raises NotFound."""
    require(may_manage_members(user))
    record = db.session.get(ImportRecord, record_id)
    if record is None or record.uploaded_by_id != user.id or record.content is None:
        raise NotFound()
    return record


@dataclass
class Review:
    """What the mapping step shows of a stored upload: the line with the column names (and
    the first lines, where staff may choose another), the headers, which of them holds
    which field, and the distinct answers to the panel question."""

    header_line: int
    first_lines: list[tuple[int, list[str]]]
    headers: list[str]
    mapping: dict[str, str | None]
    answers: list[AnswerGroup]  # at most ``MAX_ANSWERS`` to choose for, and the empty one
    more_answers: int = 0  # the rarer answers left out (they count as their meaning)
    table: Table | None = None  # the file as read, for the check in the same request


def review_upload(user: User, record: ImportRecord, header_line: int | None = None,
                  mapping: Mapping[str, str | None] | None = None,
                  answers: Mapping[str, str] | None = None) -> Review:
    """The mapping step for a stored upload: with the header row ``header_line`` (found by
    itself when None), ``mapping`` (by the usual names when None; a header that is not in
    the file counts as none) and staff's ``answers`` choices so far."""
    importer = RespondentsImporter(user)
    table = importer.read(record.content or b"", record.filename, header_line)
    chosen = importer.detect_mapping(table) if mapping is None else \
        {name: mapping.get(name) for name in FIELDS}
    chosen = {name: header if header and header in table.headers else None
              for name, header in chosen.items()}
    groups = answer_groups(table, chosen["panel_answer"], answers)
    given = [group for group in groups if group.key]
    empty = [group for group in groups if not group.key]
    return Review(table.header_line, table.first_lines, table.headers, chosen,
                  given[:MAX_ANSWERS] + empty, max(0, len(given) - MAX_ANSWERS), table)


def run_upload(user: User, record: ImportRecord, mapping: Mapping[str, str | None],
               dry_run: bool, header_line: int | None = None,
               answers: Mapping[str, str] | None = None,
               table: Table | None = None) -> ImportReport:
    """Check or import a stored upload with ``mapping``, the header row ``header_line`` and
    staff's choices for the ``answers`` to the panel question (``table``: the file as the
    review of this request read it). After the real run the file itself is erased and only
    the counts are kept."""
    respondents = RespondentsImporter(user, answers)
    report = respondents.run(
        record.content or b"", record.filename, dry_run=dry_run, mapping=mapping,
        header_line=header_line, table=table)
    record.mapping = json.dumps(report.mapping)
    if report.applied:
        record.content = None
        record.finished_at = utcnow()
        record.row_count = len(report.lines)
        record.summary = record_summary(report, respondents.new_per_wijk)
    db.session.flush()
    return report


def keep_record(user: User | None, filename: str, report: ImportReport,
                new_per_wijk: Mapping[int, int]) -> ImportRecord:
    """Record an import made on the command line (the file itself is not kept)."""
    record = ImportRecord(kind="respondents", filename=filename[:255],
                          uploaded_by_id=user.id if user else None,
                          mapping=json.dumps(report.mapping), content=None,
                          finished_at=utcnow(), row_count=len(report.lines),
                          summary=record_summary(report, new_per_wijk))
    db.session.add(record)
    db.session.flush()
    return record
