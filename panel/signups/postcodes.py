"""The municipality's postcode table (PC6 -> buurt), used to find a resident's wijk.

Loaded from a file with the columns postcode and buurtcode, and optionally straat and
plaats. Each line is new, updated, unchanged or rejected with the reason; the import is
all or nothing (the skeleton in :mod:`panel.importing`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.areas.models import District
from panel.auth.permissions import may_administer
from panel.db import db
from panel.errors import DomainError
from panel.importing import FirstSeen, Importer, Line, Row, Status
from panel.signups import validation
from panel.signups.models import Postcode
from panel.tabular import Table


@dataclass
class _Planned:
    postcode: str
    district: District
    street: str
    city: str
    existing: Postcode | None


@dataclass
class _Context:
    districts: dict[str, District]
    existing: dict[str, Postcode]
    seen: FirstSeen = field(default_factory=FirstSeen)


class PostcodesImporter(Importer[_Context, _Planned]):
    """``PostcodesImporter(None).run(data, filename, dry_run=…)`` (the command line)."""

    columns = {
        "postcode": ("postcode", "pc6"),
        "district": ("buurtcode", "buurt", "district code", "buurt code"),
        "street": ("straat", "straatnaam", "street"),
        "city": ("plaats", "woonplaats", "city"),
    }
    required = ("postcode", "district")
    missing_columns = _l("The file needs the columns postcode and buurtcode.")

    def may_import(self, user: Any) -> bool:
        return may_administer(user)

    def prepare(self, table: Table, mapping: Mapping[str, str | None]) -> _Context:
        return _Context(
            districts={d.code: d for d in db.session.scalars(select(District))},
            existing={p.postcode: p for p in db.session.scalars(select(Postcode))})

    def check(self, line: Line, row: Row, context: _Context) -> _Planned | None:
        line.subject = row.get("postcode")
        try:
            code = validation.postcode(row.get("postcode"))
        except DomainError as exc:
            line.reject(exc.message)
            return None
        line.subject = code
        district = context.districts.get(row.get("district").upper())
        if district is None:
            line.reject(_l("The buurt %(code)s does not exist.", code=row.get("district")))
            return None
        earlier = context.seen.earlier(code, line.line)
        if earlier is not None:
            line.reject(_l("This postcode is also on line %(line)s.", line=earlier))
            return None
        existing = context.existing.get(code)
        planned = _Planned(code, district, row.get("street")[:120], row.get("city")[:80],
                           existing)
        if existing is None:
            return planned
        if (existing.district_id, existing.street, existing.city) == \
                (district.id, planned.street, planned.city):
            line.status = Status.UNCHANGED
            return None
        line.status = Status.UPDATED
        return planned

    def apply(self, plan: list[_Planned], context: _Context) -> None:
        for planned in plan:
            entry = planned.existing or Postcode(postcode=planned.postcode)
            entry.district = planned.district
            entry.street, entry.city = planned.street, planned.city
            db.session.add(entry)
