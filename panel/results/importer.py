"""Importing survey results per municipality, gebied and wijk from a CSV or XLSX file.

One line holds one value: the edition (year), the area code, the indicator code, the value
and, when known, the number of respondents and the bounds of the confidence interval.
Dutch files (decimal comma, semicolons, Windows-1252) and English ones (decimal point,
commas, UTF-8) are read alike.

Each line gets a status: new, updated, unchanged or rejected with the reasons (the
skeleton in :mod:`panel.importing`). The import is all or nothing: when any line is
rejected, nothing is imported at all, and a dry run computes exactly the same outcomes
without changing anything. Editions that do not exist yet are created unpublished, so
nothing shows on the public pages before an admin publishes it. A retired indicator takes
no new results; its existing results can still be corrected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.areas.models import Area, Municipality, Neighbourhood
from panel.areas.services import (
    DISTRICT_CODE,
    MUNICIPALITY_CODE,
    NEIGHBOURHOOD_CODE,
    get_municipality,
)
from panel.auth.permissions import may_administer
from panel.db import db
from panel.importing import FirstSeen, Importer, ImportReport, Line, Row, Status
from panel.results.models import AreaLevel, Edition, Indicator, Result, Unit
from panel.tabular import Table

FIRST_YEAR = 1990
COLUMNS: dict[str, tuple[str, ...]] = {
    "edition": ("editie", "edition", "jaar", "year"),
    "area": ("gebiedscode", "gebied code", "area code", "areacode", "code", "wijkcode",
             "wijk code"),
    "indicator": ("indicator", "indicatorcode", "indicator code"),
    "value": ("waarde", "value"),
    "respondents": ("respondenten", "aantal respondenten", "n", "respondents",
                    "number of respondents"),
    "ci_low": ("ondergrens", "ci laag", "ci low", "lower bound"),
    "ci_high": ("bovengrens", "ci hoog", "ci high", "upper bound"),
}
REQUIRED = ("edition", "area", "indicator", "value")

# A plain number: digits with at most one decimal comma or point, no thousands separators.
NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")

RANGES: dict[str, tuple[float, float | None]] = {
    Unit.PERCENTAGE: (0.0, 100.0),
    Unit.MARK: (1.0, 10.0),
    Unit.COUNT: (0.0, None),
    Unit.SCORE: (0.0, 10.0),
}
RANGE_TEXTS = {
    Unit.PERCENTAGE: _l("between 0 and 100"),
    Unit.MARK: _l("between 1 and 10"),
    Unit.COUNT: _l("0 or more"),
    Unit.SCORE: _l("between 0 and 10"),
}


# --- reading numbers ----------------------------------------------------------------------

def parse_number(text: str) -> tuple[float, bool] | None:
    """Read ``32,5``, ``32.5``, ``32`` or ``32%`` as a number.

    Returns the number and whether it had a percent sign, or None when ``text`` is not a
    plain number (for example ``1.234,5`` with a thousands separator, or ``abc``).
    """
    text = text.strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    if not NUMBER.match(text):
        return None
    return float(text.replace(",", ".")), percent


def _whole_number(text: str) -> int | None:
    """A whole number such as ``412`` (or ``412.0``, as XLSX cells may give it), else None."""
    parsed = parse_number(text)
    if parsed is None or parsed[1] or not parsed[0].is_integer():
        return None
    return int(parsed[0])


# --- checking lines -----------------------------------------------------------------------

@dataclass
class _Planned:
    """A valid line, ready to be written."""

    line: int
    year: int
    indicator: Indicator
    area_level: str
    area_code: str
    value: float
    respondents: int | None
    ci_low: float | None
    ci_high: float | None
    existing: Result | None


class _Context:
    """Everything the lines are checked against, loaded once (no query per line)."""

    def __init__(self, years: set[int]) -> None:
        self.municipality: Municipality | None = get_municipality()
        indicators = list(db.session.scalars(select(Indicator)))
        self.indicators = {i.code: i for i in indicators}
        self.indicators_folded = {i.code.lower(): i for i in indicators}
        self.wijken = set(db.session.scalars(select(Neighbourhood.code)))
        self.gebieden = set(db.session.scalars(select(Area.code)))
        self.editions: dict[int, Edition] = {}
        self.results: dict[tuple[int, int, str], Result] = {}
        self.seen = FirstSeen()  # (year, indicator id, area code) of the lines before
        if years:
            self.editions = {e.year: e for e in db.session.scalars(
                select(Edition).where(Edition.year.in_(years)))}
        if self.editions:
            by_id = {e.id: e.year for e in self.editions.values()}
            query = select(Result).where(Result.edition_id.in_(by_id))
            for result in db.session.scalars(query):
                key = (by_id[result.edition_id], result.indicator_id, result.area_code)
                self.results[key] = result

    def indicator(self, code: str) -> Indicator | None:
        return self.indicators.get(code) or self.indicators_folded.get(code.lower())


def _check_year(raw: str) -> tuple[int | None, list[str]]:
    if not raw:
        return None, [str(_l("The edition (year) is missing."))]
    year = _whole_number(raw)
    last = date.today().year + 1
    if year is None or not FIRST_YEAR <= year <= last:
        return None, [str(_l("The edition '%(value)s' is not a year between %(first)s and "
                             "%(last)s.", value=raw, first=FIRST_YEAR, last=last))]
    return year, []


def _check_area(raw: str, ctx: _Context) -> tuple[str, str, list[str]]:
    """The level and the normalised code of an area code, with the reasons it is wrong."""
    if not raw:
        return "", "", [str(_l("The area code is missing."))]
    upper = raw.upper()
    if MUNICIPALITY_CODE.match(upper):
        if ctx.municipality is None:
            return AreaLevel.MUNICIPALITY, upper, [str(_l(
                "The municipality is not set up yet, so the code %(code)s cannot be checked.",
                code=upper))]
        if upper != ctx.municipality.code:
            return AreaLevel.MUNICIPALITY, upper, [str(_l(
                "The code %(code)s is not the code of this municipality (%(municipality)s).",
                code=upper, municipality=ctx.municipality.code))]
        return AreaLevel.MUNICIPALITY, upper, []
    if NEIGHBOURHOOD_CODE.match(upper):
        if upper not in ctx.wijken:
            return AreaLevel.NEIGHBOURHOOD, upper, [str(_l("The wijk '%(code)s' does not exist.",
                                                           code=upper))]
        return AreaLevel.NEIGHBOURHOOD, upper, []
    if DISTRICT_CODE.match(upper):
        return "", upper, [str(_l(
            "Results are kept per wijk, gebied or municipality, not per buurt (%(code)s).",
            code=upper))]
    lower = raw.lower()
    if lower not in ctx.gebieden:
        return AreaLevel.AREA, lower, [str(_l("The gebied '%(code)s' does not exist.",
                                              code=lower))]
    return AreaLevel.AREA, lower, []


def _check_amount(raw: str, unit: str | None, what: str) -> tuple[float | None, list[str]]:
    """Check a value or a bound (``what`` is value, low or high) against the unit's range.

    With ``unit`` None (the indicator is unknown) only the number itself is checked.
    """
    parsed = parse_number(raw)
    if parsed is None:
        return None, [str(_l("'%(value)s' is not a number. Write it like 32,5 or 32.5, "
                             "without thousands separators.", value=raw))]
    number, percent = parsed
    if unit is None:
        return number, []
    errors = []
    if percent and unit != Unit.PERCENTAGE:
        errors.append(str(_l("'%(value)s' has a percent sign, but this indicator is not "
                             "a percentage.", value=raw)))
    low, high = RANGES.get(unit, (float("-inf"), None))
    if number < low or (high is not None and number > high):
        expected = RANGE_TEXTS.get(unit, "")
        if what == "value":
            errors.append(str(_l("The value %(value)s is out of range: it must be %(range)s.",
                                 value=raw, range=expected)))
        elif what == "low":
            errors.append(str(_l("The lower bound %(value)s is out of range: it must be "
                                 "%(range)s.", value=raw, range=expected)))
        else:
            errors.append(str(_l("The upper bound %(value)s is out of range: it must be "
                                 "%(range)s.", value=raw, range=expected)))
    return number, errors


def _same(result: Result, planned: _Planned) -> bool:
    return (result.value, result.respondents, result.ci_low, result.ci_high,
            result.area_level) == (planned.value, planned.respondents, planned.ci_low,
                                   planned.ci_high, planned.area_level)


# --- the import ---------------------------------------------------------------------------

class ResultsImporter(Importer[_Context, _Planned]):
    """``ResultsImporter(user).run(data, filename, dry_run=…)``: administrators only (or
    None for the command line). The session is flushed, never committed."""

    columns = COLUMNS
    required = REQUIRED
    missing_columns = _l(
        "The file does not have the columns it needs: editie, gebiedscode, indicator and "
        "waarde (in English: edition, area code, indicator and value). Check that the "
        "first line holds these names, separated by commas or semicolons.")
    no_lines = _l("The file has no lines with results.")

    def may_import(self, user: Any) -> bool:
        return may_administer(user)

    def check_mapping(self, table: Table, mapping: Mapping[str, str | None],
                      report: ImportReport) -> None:
        super().check_mapping(table, mapping, report)
        if bool(mapping.get("ci_low")) != bool(mapping.get("ci_high")):
            report.file_errors.append(str(_l(
                "The file has a column for only one bound of the confidence interval. Give "
                "both ondergrens and bovengrens, or neither.")))

    def prepare(self, table: Table, mapping: Mapping[str, str | None]) -> _Context:
        years = {year for year in (_whole_number(Row(values, mapping).get("edition"))
                                   for _line, values in table.rows) if year is not None}
        return _Context(years)

    def check(self, line: Line, row: Row, context: _Context) -> _Planned | None:
        """Check one line and return what to write for it (None when unchanged)."""
        messages: list[str] = []
        year, errors = _check_year(row.get("edition"))
        messages += errors

        level, code, errors = _check_area(row.get("area"), context)
        messages += errors

        indicator_code = row.get("indicator")
        indicator = context.indicator(indicator_code) if indicator_code else None
        if not indicator_code:
            messages.append(str(_l("The indicator code is missing.")))
        elif indicator is None:
            messages.append(str(_l("The indicator '%(code)s' does not exist.",
                                   code=indicator_code)))
        unit = indicator.unit if indicator else None
        line.subject = " ".join([str(year) if year is not None else "?",
                                 indicator.code if indicator else indicator_code or "?",
                                 code or "?"])

        raw_value = row.get("value")
        value = None
        if not raw_value:
            messages.append(str(_l("The value is missing.")))
        else:
            value, errors = _check_amount(raw_value, unit, "value")
            messages += errors

        respondents = None
        raw_respondents = row.get("respondents")
        if raw_respondents:
            respondents = _whole_number(raw_respondents)
            if respondents is None or respondents < 0:
                respondents = None
                messages.append(str(_l("The number of respondents '%(value)s' is not a whole "
                                       "number of 0 or more.", value=raw_respondents)))

        ci_low = ci_high = None
        raw_low, raw_high = row.get("ci_low"), row.get("ci_high")
        if bool(raw_low) != bool(raw_high):
            messages.append(str(_l("Give both bounds of the confidence interval, or neither.")))
        elif raw_low:
            ci_low, errors = _check_amount(raw_low, unit, "low")
            messages += errors
            ci_high, errors = _check_amount(raw_high, unit, "high")
            messages += errors
            if value is not None and ci_low is not None and ci_high is not None \
                    and not ci_low <= value <= ci_high:
                messages.append(str(_l("The confidence interval %(low)s to %(high)s does not "
                                       "contain the value %(value)s.", low=raw_low,
                                       high=raw_high, value=raw_value)))

        for message in messages:
            line.reject(message)
        if messages or year is None or indicator is None or value is None:
            line.status = Status.REJECTED
            return None
        earlier = context.seen.earlier((year, indicator.id, code), line.line)
        if earlier is not None:
            line.reject(_l("This result is also on line %(line)s.", line=earlier))
            return None
        existing = context.results.get((year, indicator.id, code))
        if existing is None and indicator.retired_at is not None:
            line.reject(_l("The indicator '%(code)s' is retired: it takes no new results. "
                           "Bring it back on the indicators page first.", code=indicator.code))
            return None
        planned = _Planned(line=line.line, year=year, indicator=indicator,
                           area_level=str(level), area_code=code, value=value,
                           respondents=respondents, ci_low=ci_low, ci_high=ci_high,
                           existing=existing)
        if existing is None:
            return planned
        if _same(existing, planned):
            line.status = Status.UNCHANGED
            return None
        line.status = Status.UPDATED
        return planned

    def finish(self, report: ImportReport, plan: list[_Planned], context: _Context) -> None:
        """Editions that do not exist yet are created unpublished: say so."""
        if report.ok:
            for year in sorted({p.year for p in plan} - set(context.editions)):
                report.notes.append(_("New edition %(year)s: not published yet.", year=year))

    def apply(self, plan: list[_Planned], context: _Context) -> None:
        """Write the planned lines: new editions (unpublished), new and changed results."""
        editions = dict(context.editions)
        for year in sorted({p.year for p in plan} - set(editions)):
            editions[year] = Edition(year=year, published=False)
            db.session.add(editions[year])
        db.session.flush()
        new = []
        for planned in plan:
            if planned.existing is None:
                new.append(Result(
                    edition_id=editions[planned.year].id, indicator_id=planned.indicator.id,
                    area_level=planned.area_level, area_code=planned.area_code,
                    value=planned.value, respondents=planned.respondents,
                    ci_low=planned.ci_low, ci_high=planned.ci_high))
            else:
                result = planned.existing
                result.area_level, result.value = planned.area_level, planned.value
                result.respondents = planned.respondents
                result.ci_low, result.ci_high = planned.ci_low, planned.ci_high
        db.session.add_all(new)
