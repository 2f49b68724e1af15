"""Survey results per wijk, compared with the municipality and the previous edition.

A figure based on fewer respondents than ``PANEL_MIN_RESPONDENTS`` is never shown; it is
marked as "too few respondents", so nobody in a small wijk can be recognised. A figure that
would let a reader work such a figure out (by subtraction from its gebied or the
municipality) is withheld as well (``panel.results.protection``) and shown as "x".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.areas.models import Municipality, Neighbourhood
from panel.areas.services import get_municipality
from panel.auth.models import User
from panel.auth.permissions import may_administer, require
from panel.db import db, utcnow
from panel.errors import NotFound
from panel.results import protection
from panel.results.models import Edition, Indicator, Result

Z_95 = 1.959964  # the 95% confidence intervals of the survey bureau

DIRECTION_LABELS = {
    "better": _l("better"),
    "worse": _l("worse"),
    "same": _l("no meaningful difference"),
    "unknown": _l("cannot be compared"),
}


def min_respondents() -> int:
    return int(current_app.config.get("PANEL_MIN_RESPONDENTS", 30))


@dataclass(frozen=True)
class Figure:
    """One number as it may be shown: None when missing or suppressed."""

    value: float | None = None
    respondents: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    suppressed: bool = False
    withheld: bool = False  # hidden to protect a small figure elsewhere (suppressed too)

    @property
    def shown(self) -> bool:
        return self.value is not None and not self.suppressed

    @property
    def standard_error(self) -> float | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / (2 * Z_95)


def figure_of(result: Result | None, withheld: bool = False) -> Figure:
    """Turn a stored result into a figure, suppressing it when too few people answered, and
    withholding it (value, respondents, interval) when ``withheld``: it is one of
    ``protection.withheld_among(...)``."""
    if result is None:
        return Figure()
    if result.respondents is not None and result.respondents < min_respondents():
        return Figure(respondents=result.respondents, suppressed=True)
    if withheld:
        return Figure(suppressed=True, withheld=True)
    return Figure(value=result.value, respondents=result.respondents, ci_low=result.ci_low,
                  ci_high=result.ci_high)


def meaningful(a: Figure, b: Figure) -> bool | None:
    """Whether two figures differ more than chance explains (two-sided, 95%), using their
    confidence intervals. None when either has no interval or is not shown."""
    if not (a.shown and b.shown):
        return None
    se_a, se_b = a.standard_error, b.standard_error
    if se_a is None or se_b is None:
        return None
    spread = math.hypot(se_a, se_b)
    if spread == 0:
        return a.value != b.value
    return abs((a.value or 0) - (b.value or 0)) / spread > Z_95


def direction(indicator: Indicator, a: Figure, b: Figure) -> str:
    """How ``a`` compares to ``b`` for residents: better, worse, same or unknown."""
    difference = meaningful(a, b)
    if difference is None:
        return "unknown"
    if not difference:
        return "same"
    higher = (a.value or 0) > (b.value or 0)
    return "better" if higher == indicator.higher_is_better else "worse"


@dataclass
class Row:
    indicator: Indicator
    wijk: Figure
    municipality: Figure
    previous: Figure
    vs_municipality: str
    vs_previous: str


@dataclass
class WijkResults:
    neighbourhood: Neighbourhood
    edition: Edition | None
    previous_edition: Edition | None
    rows: list[Row] = field(default_factory=list)
    editions: list[Edition] = field(default_factory=list)

    @property
    def withheld(self) -> bool:
        """Whether a figure is shown as "x": the page then says what "x" means."""
        return any(figure.withheld for row in self.rows
                   for figure in (row.wijk, row.municipality, row.previous))


def visible_editions(staff: bool) -> list[Edition]:
    """Editions, newest first; unpublished ones only for staff."""
    query = select(Edition).order_by(Edition.year.desc())
    if not staff:
        query = query.where(Edition.published.is_(True))
    return list(db.session.scalars(query))


def wijk_results(code: str, year: int | None = None, staff: bool = False) -> WijkResults:
    """Every indicator for a wijk in an edition (the newest visible one by default), with the
    municipality's value and the wijk's value in the edition before. A constant number of
    queries, whatever the number of indicators. Raises NotFound."""
    wijk = db.session.scalars(select(Neighbourhood).where(Neighbourhood.code == code)).first()
    if wijk is None:
        raise NotFound()
    editions = visible_editions(staff)
    edition = next((e for e in editions if e.year == year), None) if year else \
        (editions[0] if editions else None)
    if year and edition is None:
        raise NotFound()
    report = WijkResults(neighbourhood=wijk, edition=edition, previous_edition=None,
                         editions=editions)
    if edition is None:
        return report
    older = [e for e in editions if e.year < edition.year]
    report.previous_edition = older[0] if older else None
    municipality = get_municipality()
    codes = [wijk.code] + ([municipality.code] if municipality else [])
    edition_ids = [edition.id] + ([report.previous_edition.id] if report.previous_edition else [])
    stored = {(r.edition_id, r.indicator_id, r.area_code): r for r in db.session.scalars(
        select(Result).where(Result.edition_id.in_(edition_ids), Result.area_code.in_(codes)))}
    indicators = list(db.session.scalars(select(Indicator).order_by(Indicator.position,
                                                                     Indicator.code)))
    hidden = protection.withheld_among(stored.values())

    def figure(edition_id: int, indicator_id: int, code: str) -> Figure:
        key = (edition_id, indicator_id, code)
        return figure_of(stored.get(key), key in hidden)

    for indicator in indicators:
        mine = figure(edition.id, indicator.id, wijk.code)
        whole = figure(edition.id, indicator.id, municipality.code) \
            if municipality else Figure()
        before = figure(report.previous_edition.id, indicator.id, wijk.code) \
            if report.previous_edition else Figure()
        if mine.value is None and not mine.suppressed and whole.value is None:
            continue  # not measured in this edition (retired indicators among them)
        report.rows.append(Row(indicator, mine, whole, before, direction(indicator, mine, whole),
                               direction(indicator, mine, before)))
    return report


def wijk_fingerprint(code: str, year: int | None = None) -> tuple[object, ...]:
    """The rows the public results page of a wijk is made from (published editions only),
    as plain tuples and without building the page: the page's ETag is made from them
    (``panel.conditional``). The same editions are chosen as in :func:`wijk_results`."""
    wijk = db.session.execute(select(Neighbourhood.__table__)
                              .where(Neighbourhood.code == code)).first()
    editions = db.session.execute(
        select(Edition.id, Edition.year, Edition.published)
        .where(Edition.published.is_(True)).order_by(Edition.year.desc())).all()
    shown = [e for e in editions if year is None or e.year <= year][:2]
    municipality = select(Municipality.code).limit(1).scalar_subquery()
    results = db.session.execute(
        select(Result.__table__)
        .where(Result.edition_id.in_([e.id for e in shown]),
               Result.area_code.in_([code, municipality]))
        .order_by(Result.id)).all()
    indicators = db.session.execute(select(Indicator.__table__).order_by(Indicator.id)).all()
    return (tuple(wijk) if wijk else None, [tuple(e) for e in editions],
            [tuple(r) for r in results], [tuple(i) for i in indicators],
            protection.withheld_in(protection.withheld_among(results), [e.id for e in shown]))


def set_published(user: User, year: int, published: bool) -> Edition:
    """Publish or withdraw an edition. Admin only. Raises NotFound for an unknown year."""
    require(may_administer(user))
    edition = db.session.scalars(select(Edition).where(Edition.year == year)).first()
    if edition is None:
        raise NotFound()
    edition.published = published
    edition.published_at = utcnow() if published else None
    db.session.flush()
    return edition
