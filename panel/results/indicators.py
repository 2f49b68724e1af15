"""Managing the indicators by hand: the list by theme, creating and changing, the order,
retiring and deleting. Administrators only.

An indicator with results keeps its code and unit (its figures would otherwise be read
wrongly) and is never deleted: it can be retired instead. A retired indicator takes no new
results and is left out of the public pages of editions where it has none. The checks are
shared with the import from a file (``indicator_import.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from panel.auth.models import User
from panel.auth.permissions import may_administer, require
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.results.models import MAX_DECIMALS, Indicator, Result, Unit, default_decimals

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
NAME_LENGTH, THEME_LENGTH, EXPLANATION_LENGTH = 200, 80, 2000

# The words a unit is known by, in Dutch and English (compared in lower case).
UNIT_WORDS: dict[str, str] = {
    "percentage": Unit.PERCENTAGE, "procent": Unit.PERCENTAGE, "percent": Unit.PERCENTAGE,
    "%": Unit.PERCENTAGE, "pct": Unit.PERCENTAGE,
    "rapportcijfer": Unit.MARK, "cijfer": Unit.MARK, "mark": Unit.MARK,
    "report mark": Unit.MARK, "grade": Unit.MARK,
    "aantal": Unit.COUNT, "count": Unit.COUNT, "number": Unit.COUNT,
    "schaalscore": Unit.SCORE, "score": Unit.SCORE, "scale score": Unit.SCORE,
}
UNIT_LABELS = {
    Unit.PERCENTAGE: _l("percentage (0 to 100)"),
    Unit.MARK: _l("report mark (1 to 10)"),
    Unit.COUNT: _l("count (0 or more)"),
    Unit.SCORE: _l("scale score (0 to 10)"),
}
YES = {"ja", "j", "yes", "y", "1", "waar", "true", "x"}
NO = {"nee", "n", "no", "0", "onwaar", "false"}


def parse_unit(text: str) -> str | None:
    """``procent``, ``%``, ``Rapportcijfer``, ``count`` … as a unit, or None."""
    return UNIT_WORDS.get(" ".join(text.lower().replace("_", " ").split()))


def parse_yes_no(text: str) -> bool | None:
    """``ja``/``nee``, ``yes``/``no``, ``1``/``0`` as True/False, or None."""
    word = text.strip().lower()
    return True if word in YES else False if word in NO else None


@dataclass
class IndicatorData:
    """What an indicator is made of, as typed in a form or read from a file line.

    ``decimals`` None means the usual number for the unit; ``position`` None keeps the
    place (a new indicator goes at the end)."""

    code: str
    name_nl: str
    name_en: str = ""
    explanation_nl: str = ""
    explanation_en: str = ""
    unit: str = ""
    higher_is_better: bool | None = None
    decimals: int | None = None
    theme: str = ""
    position: int | None = None
    theme_en: str = ""

    def cleaned(self) -> IndicatorData:
        """Spaces trimmed, the code in lower case; an empty English name is the Dutch one."""
        name_nl = " ".join(self.name_nl.split())
        return IndicatorData(
            code=self.code.strip().lower(), name_nl=name_nl,
            name_en=" ".join(self.name_en.split()) or name_nl,
            explanation_nl=self.explanation_nl.strip(),
            explanation_en=self.explanation_en.strip(), unit=self.unit,
            higher_is_better=self.higher_is_better, decimals=self.decimals,
            theme=" ".join(self.theme.split()), position=self.position,
            theme_en=" ".join(self.theme_en.split()))


def check_indicator(data: IndicatorData) -> list[str]:
    """What is wrong with ``data`` (cleaned) on its own, as messages."""
    errors = []
    if not data.code:
        errors.append(str(_l("The code is missing.")))
    elif not CODE.match(data.code):
        errors.append(str(_l(
            "The code '%(code)s' is not valid. Use at most 40 lowercase letters, digits, "
            "underscores and hyphens, such as 'onveilig_buurt'.", code=data.code)))
    if not data.name_nl:
        errors.append(str(_l("The Dutch name is missing.")))
    if max(len(data.name_nl), len(data.name_en)) > NAME_LENGTH:
        errors.append(str(_l("A name is too long (at most %(max)s characters).",
                             max=NAME_LENGTH)))
    if max(len(data.explanation_nl), len(data.explanation_en)) > EXPLANATION_LENGTH:
        errors.append(str(_l("An explanation is too long (at most %(max)s characters).",
                             max=EXPLANATION_LENGTH)))
    if data.unit not in UNIT_LABELS:
        errors.append(str(_l("Choose a unit: percentage, report mark, count or scale score.")))
    if data.higher_is_better is None:
        errors.append(str(_l("Say whether a higher figure is better: yes or no.")))
    if data.decimals is not None and not 0 <= data.decimals <= MAX_DECIMALS:
        errors.append(str(_l("The number of decimals must be 0, 1, 2 or 3.")))
    if max(len(data.theme), len(data.theme_en)) > THEME_LENGTH:
        errors.append(str(_l("The theme is too long (at most %(max)s characters).",
                             max=THEME_LENGTH)))
    if data.position is not None and data.position < 0:
        errors.append(str(_l("The position must be a whole number of 0 or more.")))
    return errors


def check_change(indicator: Indicator, data: IndicatorData, results: int) -> list[str]:
    """What may not change about an indicator that already has ``results``."""
    if not results:
        return []
    errors = []
    if data.code != indicator.code.lower():
        errors.append(str(_l("This indicator has results, so its code cannot change.")))
    if data.unit != indicator.unit:
        errors.append(str(_l(
            "This indicator has results, so its unit cannot change: its figures would be "
            "read wrongly. Make a new indicator instead.")))
    return errors


def decimals_for(data: IndicatorData, indicator: Indicator | None) -> int:
    """The decimals to store: as given, else the current number (when the unit stays),
    else the usual number for the unit."""
    if data.decimals is not None:
        return data.decimals
    if indicator is not None and indicator.unit == data.unit and indicator.decimals is not None:
        return indicator.decimals
    return default_decimals(data.unit)


# --- reading ------------------------------------------------------------------------------

@dataclass
class ListedIndicator:
    indicator: Indicator
    results: int


@dataclass
class Theme:
    name: str
    indicators: list[ListedIndicator] = field(default_factory=list)


def _ordered() -> list[Indicator]:
    return list(db.session.scalars(select(Indicator).order_by(Indicator.position,
                                                              Indicator.code)))


def result_counts() -> dict[int, int]:
    """The number of results per indicator id (indicators without any are left out)."""
    return dict(db.session.execute(
        select(Result.indicator_id, func.count()).group_by(Result.indicator_id)).all())


def result_count(indicator: Indicator) -> int:
    return db.session.scalar(select(func.count()).select_from(Result)
                             .where(Result.indicator_id == indicator.id)) or 0


def indicators_by_theme(user: User) -> list[Theme]:
    """Every indicator with its number of results, grouped by theme; the themes in the
    order of their first indicator, the indicators in their order. Admin only."""
    require(may_administer(user))
    counts = result_counts()
    themes: dict[str, Theme] = {}
    for indicator in _ordered():
        theme = themes.setdefault(indicator.theme, Theme(indicator.theme))
        theme.indicators.append(ListedIndicator(indicator, counts.get(indicator.id, 0)))
    return list(themes.values())


def get_indicator(user: User, code: str) -> Indicator:
    """One indicator by code. Admin only; raises NotFound."""
    require(may_administer(user))
    indicator = db.session.scalars(select(Indicator).where(Indicator.code == code)).first()
    if indicator is None:
        raise NotFound()
    return indicator


# --- changing -----------------------------------------------------------------------------

def _renumber(order: list[Indicator]) -> None:
    for number, indicator in enumerate(order, 1):
        indicator.position = number


def _place(indicator: Indicator, position: int | None) -> None:
    """Put ``indicator`` at place ``position`` of the order (1 is first) and number all
    indicators 1, 2, 3 …. With None, or its current place, an existing indicator stays
    where it is and a new one goes at the end."""
    order = _ordered()
    if indicator in order:
        if position is None or order.index(indicator) + 1 == position:
            return
        order.remove(indicator)
    elif position is None:
        indicator.position = max((i.position for i in order), default=0) + 1
        return
    order.insert(min(max(position, 1), len(order) + 1) - 1, indicator)
    _renumber(order)


def order_number(indicator: Indicator) -> int:
    """The place of ``indicator`` in the order (1 is first)."""
    return _ordered().index(indicator) + 1


def save_indicator(user: User, data: IndicatorData,
                   indicator: Indicator | None = None) -> Indicator:
    """Create an indicator, or change ``indicator``. Admin only. Raises DomainError when
    ``data`` is not valid, the code is taken, or the code or unit of an indicator with
    results would change."""
    require(may_administer(user))
    data = data.cleaned()
    if indicator is not None and data.code == indicator.code.lower():
        data.code = indicator.code
    errors = check_indicator(data)
    if indicator is not None:
        errors += check_change(indicator, data, result_count(indicator))
    if errors:
        raise DomainError(" ".join(errors))
    clash = db.session.scalars(select(Indicator).where(
        func.lower(Indicator.code) == data.code.lower())).first()
    if clash is not None and clash is not indicator:
        raise DomainError(_l("There is already an indicator with code %(code)s.",
                             code=data.code))
    decimals = decimals_for(data, indicator)
    indicator = indicator or Indicator()
    indicator.code, indicator.name_nl, indicator.name_en = data.code, data.name_nl, \
        data.name_en
    indicator.explanation_nl, indicator.explanation_en = data.explanation_nl, \
        data.explanation_en
    indicator.unit, indicator.higher_is_better = data.unit, bool(data.higher_is_better)
    indicator.decimals, indicator.theme = decimals, data.theme
    indicator.theme_en = data.theme_en
    _place(indicator, data.position)
    db.session.add(indicator)
    db.session.flush()
    return indicator


def move(user: User, code: str, steps: int) -> Indicator:
    """Move an indicator up (``steps`` -1) or down (+1) past the next indicator of the same
    theme; at the top or bottom of its theme nothing changes. Admin only."""
    indicator = get_indicator(user, code)
    order = _ordered()
    same = [i for i in order if i.theme == indicator.theme]
    at = same.index(indicator)
    target = at + (1 if steps > 0 else -1)
    if 0 <= target < len(same):
        other = same[target]
        a, b = order.index(indicator), order.index(other)
        order[a], order[b] = other, indicator
    _renumber(order)
    db.session.flush()
    return indicator


def set_retired(user: User, code: str, retired: bool) -> Indicator:
    """Retire an indicator (no new results; hidden where it has none) or bring it back.
    Admin only."""
    indicator = get_indicator(user, code)
    if retired and indicator.retired_at is None:
        indicator.retired_at = utcnow()
    elif not retired:
        indicator.retired_at = None
    db.session.flush()
    return indicator


def delete(user: User, code: str) -> None:
    """Delete an indicator that has no results. Admin only. Raises DomainError when it has
    results: it can only be retired then."""
    indicator = get_indicator(user, code)
    if result_count(indicator):
        raise DomainError(_l("This indicator has results, so it cannot be deleted. Retire it "
                             "instead: then it takes no new results."))
    db.session.delete(indicator)
    db.session.flush()
