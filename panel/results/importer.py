"""Importing survey results per municipality, gebied and wijk from a CSV or XLSX file.

One line holds one value: the edition (year), the area code, the indicator code, the value
and, when known, the number of respondents and the bounds of the confidence interval.
Dutch files (decimal comma, semicolons, Windows-1252) and English ones (decimal point,
commas, UTF-8) are read alike.

Each line gets a status: new, updated, unchanged or rejected with the reasons. The import
is all or nothing: when any line is rejected, nothing is imported at all, and a dry run
computes exactly the same outcomes without changing anything. Editions that do not exist
yet are created unpublished, so nothing shows on the public pages before an admin
publishes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.areas.models import Area, Municipality, Neighbourhood
from panel.areas.services import (
    DISTRICT_CODE,
    MUNICIPALITY_CODE,
    NEIGHBOURHOOD_CODE,
    get_municipality,
)
from panel.auth.models import Role, User
from panel.auth.permissions import require_role
from panel.db import db
from panel.errors import DomainError
from panel.results.models import AreaLevel, Edition, Indicator, Result, Unit
from panel.tabular import Table, find_column, read_table

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
}
RANGE_TEXTS = {
    Unit.PERCENTAGE: _l("between 0 and 100"),
    Unit.MARK: _l("between 1 and 10"),
    Unit.COUNT: _l("0 or more"),
}


# --- the report ---------------------------------------------------------------------------

@dataclass
class ResultLine:
    """The outcome of one line of the file."""

    line: int
    status: str  # new, updated, unchanged, rejected
    messages: list[str] = field(default_factory=list)
    edition: int | None = None
    indicator: str = ""
    area_code: str = ""
    area_level: str = ""


@dataclass
class ResultsReport:
    """What an import did, or would do: one :class:`ResultLine` per line of the file."""

    lines: list[ResultLine] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    new_editions: list[int] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        """True when the file could be read and no line is rejected."""
        return not self.file_errors and all(r.status != "rejected" for r in self.lines)

    def count(self, status: str) -> int:
        """How many lines have ``status``."""
        return sum(1 for r in self.lines if r.status == status)


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


def _cell(values: Mapping[str, str], columns: Mapping[str, str | None], key: str) -> str:
    header = columns.get(key)
    return values.get(header, "").strip() if header else ""


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


def _check_line(line: int, values: Mapping[str, str], columns: Mapping[str, str | None],
                ctx: _Context) -> tuple[ResultLine, _Planned | None]:
    """Check one line; returns its outcome and, when it is valid, what to write."""
    outcome = ResultLine(line=line, status="rejected")
    messages = outcome.messages

    year, errors = _check_year(_cell(values, columns, "edition"))
    outcome.edition = year
    messages += errors

    level, code, errors = _check_area(_cell(values, columns, "area"), ctx)
    outcome.area_level, outcome.area_code = str(level), code
    messages += errors

    indicator_code = _cell(values, columns, "indicator")
    indicator = ctx.indicator(indicator_code) if indicator_code else None
    outcome.indicator = indicator.code if indicator else indicator_code
    if not indicator_code:
        messages.append(str(_l("The indicator code is missing.")))
    elif indicator is None:
        messages.append(str(_l("The indicator '%(code)s' does not exist.",
                               code=indicator_code)))
    unit = indicator.unit if indicator else None

    raw_value = _cell(values, columns, "value")
    value = None
    if not raw_value:
        messages.append(str(_l("The value is missing.")))
    else:
        value, errors = _check_amount(raw_value, unit, "value")
        messages += errors

    respondents = None
    raw_respondents = _cell(values, columns, "respondents")
    if raw_respondents:
        respondents = _whole_number(raw_respondents)
        if respondents is None or respondents < 0:
            respondents = None
            messages.append(str(_l("The number of respondents '%(value)s' is not a whole "
                                   "number of 0 or more.", value=raw_respondents)))

    ci_low = ci_high = None
    raw_low, raw_high = _cell(values, columns, "ci_low"), _cell(values, columns, "ci_high")
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
                                   "contain the value %(value)s.", low=raw_low, high=raw_high,
                                   value=raw_value)))

    if messages or year is None or indicator is None or value is None:
        return outcome, None
    existing = ctx.results.get((year, indicator.id, code))
    planned = _Planned(line=line, year=year, indicator=indicator, area_level=outcome.area_level,
                       area_code=code, value=value, respondents=respondents, ci_low=ci_low,
                       ci_high=ci_high, existing=existing)
    if existing is None:
        outcome.status = "new"
    elif _same(existing, planned):
        outcome.status = "unchanged"
    else:
        outcome.status = "updated"
    return outcome, planned


def _same(result: Result, planned: _Planned) -> bool:
    return (result.value, result.respondents, result.ci_low, result.ci_high,
            result.area_level) == (planned.value, planned.respondents, planned.ci_low,
                                   planned.ci_high, planned.area_level)


def _columns(table: Table, report: ResultsReport) -> dict[str, str | None]:
    columns = {key: find_column(table, *names) for key, names in COLUMNS.items()}
    if any(columns[key] is None for key in REQUIRED):
        report.file_errors.append(str(_l(
            "The file does not have the columns it needs: editie, gebiedscode, indicator and "
            "waarde (in English: edition, area code, indicator and value). Check that the "
            "first line holds these names, separated by commas or semicolons.")))
    if (columns["ci_low"] is None) != (columns["ci_high"] is None):
        report.file_errors.append(str(_l(
            "The file has a column for only one bound of the confidence interval. Give both "
            "ondergrens and bovengrens, or neither.")))
    return columns


# --- the import ---------------------------------------------------------------------------

def import_results(user: User | None, data: bytes, filename: str = "",
                   dry_run: bool = False) -> ResultsReport:
    """Check, and unless ``dry_run`` import, a file with survey results.

    ``user`` must be an admin, or None for the command line (which runs with the operator's
    authority); raises PermissionDenied otherwise. When any line is rejected, or the file
    cannot be read, nothing is changed and ``applied`` stays false. The session is flushed,
    never committed: the caller commits.
    """
    if user is not None:
        require_role(user, Role.ADMIN)
    report = ResultsReport()
    try:
        table = read_table(data, filename)
    except DomainError as exc:
        report.file_errors.append(str(exc.message))
        return report
    columns = _columns(table, report)
    if report.file_errors:
        return report
    if not table.rows:
        report.file_errors.append(str(_l("The file has no lines with results.")))
        return report

    years = {y for y in (_whole_number(_cell(v, columns, "edition")) for _, v in table.rows)
             if y is not None}
    ctx = _Context(years)
    seen: dict[tuple[int, int, str], int] = {}
    plan: list[_Planned] = []
    for line, values in table.rows:
        outcome, planned = _check_line(line, values, columns, ctx)
        report.lines.append(outcome)
        if planned is None:
            continue
        key = (planned.year, planned.indicator.id, planned.area_code)
        if key in seen:
            outcome.status = "rejected"
            outcome.messages.append(str(_l("This result is also on line %(line)s.",
                                           line=seen[key])))
            continue
        seen[key] = line
        plan.append(planned)

    report.new_editions = sorted({p.year for p in plan} - set(ctx.editions))
    if dry_run or not report.ok:
        return report
    _apply(plan, ctx)
    report.applied = True
    return report


def _apply(plan: list[_Planned], ctx: _Context) -> None:
    """Write the planned lines: new editions (unpublished), new and changed results."""
    editions = dict(ctx.editions)
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
        elif not _same(planned.existing, planned):
            result = planned.existing
            result.area_level, result.value = planned.area_level, planned.value
            result.respondents = planned.respondents
            result.ci_low, result.ci_high = planned.ci_low, planned.ci_high
    db.session.add_all(new)
    db.session.flush()
