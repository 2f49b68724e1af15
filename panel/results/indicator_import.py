"""Loading indicators from a CSV or XLSX file, or from a catalogue shipped with the platform.

One line is one indicator: code, Dutch name (naam), and its unit (eenheid) and whether a
higher figure is better (hoger_is_beter); optionally the English name, the explanations,
the number of decimals, the theme and the position. Dutch and English headers and unit
names are read alike (``procent``, ``%`` and ``percentage`` are one unit). An empty cell
keeps what an existing indicator has (a new one gets the usual value).

Each line is new, updated, unchanged or rejected with the reasons, checked with the same
rules as the form (:mod:`panel.results.indicators`). The import is all or nothing. A code
twice in the file is rejected, and so is a new unit for an indicator that has results: its
figures would be read wrongly.

The catalogues (``catalogue/*.csv``) are loaded through the same import, so loading one
again changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.auth.permissions import may_administer
from panel.db import db
from panel.importing import FirstSeen, Importer, ImportReport, Line, Row, Status
from panel.results.indicators import (
    IndicatorData,
    check_change,
    check_indicator,
    decimals_for,
    parse_unit,
    parse_yes_no,
    result_counts,
)
from panel.results.models import Indicator
from panel.tabular import Table

CATALOGUE_FOLDER = Path(__file__).resolve().parent / "catalogue"
# name on the command line -> file in CATALOGUE_FOLDER
CATALOGUES = {"veiligheidsmonitor": "veiligheidsmonitor.csv"}

COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "indicatorcode", "indicator code", "indicator"),
    "name_nl": ("naam", "naam nl", "name nl", "nederlandse naam", "dutch name"),
    "name_en": ("naam en", "name en", "engelse naam", "english name"),
    "explanation_nl": ("uitleg", "uitleg nl", "explanation nl", "toelichting",
                       "toelichting nl"),
    "explanation_en": ("uitleg en", "explanation en", "toelichting en"),
    "unit": ("eenheid", "unit"),
    "higher_is_better": ("hoger is beter", "higher is better"),
    "decimals": ("decimalen", "aantal decimalen", "decimals"),
    "theme": ("thema", "thema nl", "theme", "theme nl"),
    "theme_en": ("thema en", "theme en"),
    "position": ("volgorde", "positie", "position", "order"),
}
REQUIRED = ("code", "name_nl", "unit", "higher_is_better")


def _whole_number(text: str) -> int | None:
    """``2`` (or ``2.0``, as XLSX cells may give it) as a whole number, else None."""
    text = text.strip()
    if text.endswith((".0", ",0")):
        text = text[:-2]
    return int(text) if text.lstrip("-").isdigit() else None


@dataclass
class _Planned:
    data: IndicatorData  # cleaned, every field filled in
    decimals: int
    position: int
    existing: Indicator | None


@dataclass
class _Context:
    existing: dict[str, Indicator]  # by code in lower case
    results: dict[int, int]  # number of results per indicator id
    next_position: int  # for new indicators without a position in the file
    seen: FirstSeen = field(default_factory=FirstSeen)


def _same(indicator: Indicator, planned: _Planned) -> bool:
    data = planned.data
    return (indicator.name_nl, indicator.name_en, indicator.explanation_nl,
            indicator.explanation_en, indicator.unit, indicator.higher_is_better,
            indicator.decimals, indicator.theme, indicator.theme_en, indicator.position) == (
        data.name_nl, data.name_en, data.explanation_nl, data.explanation_en, data.unit,
        data.higher_is_better, planned.decimals, data.theme, data.theme_en, planned.position)


class IndicatorsImporter(Importer[_Context, _Planned]):
    """``IndicatorsImporter(user).run(data, filename, dry_run=…)``: administrators only (or
    None for the command line). The session is flushed, never committed."""

    columns = COLUMNS
    required = REQUIRED
    missing_columns = _l(
        "The file does not have the columns it needs: code, naam, eenheid and hoger_is_beter "
        "(in English: code, name_nl, unit and higher_is_better). Check that the first line "
        "holds these names, separated by commas or semicolons.")
    no_lines = _l("The file has no lines with indicators.")

    def may_import(self, user: Any) -> bool:
        return may_administer(user)

    def prepare(self, table: Table, mapping: Mapping[str, str | None]) -> _Context:
        indicators = list(db.session.scalars(select(Indicator)))
        positions = [i.position for i in indicators]
        positions += [n for n in (_whole_number(Row(values, mapping).get("position"))
                                  for _line, values in table.rows) if n is not None]
        return _Context(existing={i.code.lower(): i for i in indicators},
                        results=result_counts(), next_position=max(positions, default=0) + 1)

    def check(self, line: Line, row: Row, context: _Context) -> _Planned | None:
        code = row.get("code").lower()
        line.subject = code or "?"
        current = context.existing.get(code) if code else None
        messages: list[str] = []
        skip: set[str] = set()  # general messages a more precise one replaces

        raw_unit = row.get("unit")
        unit = parse_unit(raw_unit) if raw_unit else (current.unit if current else "")
        if raw_unit and unit is None:
            messages.append(str(_l(
                "The unit '%(value)s' is not known. Use percentage (procent, %%), "
                "rapportcijfer, aantal or schaalscore.", value=raw_unit)))
            skip.add(str(_l("Choose a unit: percentage, report mark, count or scale score.")))

        raw_better = row.get("higher_is_better")
        better = parse_yes_no(raw_better) if raw_better else \
            (current.higher_is_better if current else None)
        if raw_better and better is None:
            messages.append(str(_l("'%(value)s' is not yes or no: write ja or nee in the "
                                   "column hoger_is_beter.", value=raw_better)))
            skip.add(str(_l("Say whether a higher figure is better: yes or no.")))

        raw_decimals = row.get("decimals")
        decimals = _whole_number(raw_decimals) if raw_decimals else None
        if raw_decimals and decimals is None:
            messages.append(str(_l("The number of decimals must be 0, 1, 2 or 3.")))

        raw_position = row.get("position")
        position = _whole_number(raw_position) if raw_position else None
        if raw_position and (position is None or position < 0):
            position = None
            messages.append(str(_l("The position '%(value)s' is not a whole number of 0 or "
                                   "more.", value=raw_position)))

        def kept(name: str, value: str) -> str:
            return row.get(name) or value

        data = IndicatorData(
            code=code, name_nl=row.get("name_nl"),
            name_en=kept("name_en", current.name_en if current else ""),
            explanation_nl=kept("explanation_nl", current.explanation_nl if current else ""),
            explanation_en=kept("explanation_en", current.explanation_en if current else ""),
            unit=unit or "", higher_is_better=better, decimals=decimals,
            theme=kept("theme", current.theme if current else ""), position=position,
            theme_en=kept("theme_en", current.theme_en if current else ""),
        ).cleaned()
        messages += [m for m in check_indicator(data) if m not in skip and m not in messages]
        if code and (earlier := context.seen.earlier(code, line.line)) is not None:
            messages.append(str(_l("This code is also on line %(line)s.", line=earlier)))
        if current is not None and not messages:
            messages += check_change(current, data, context.results.get(current.id, 0))
        for message in messages:
            line.reject(message)
        if messages:
            return None

        if position is None:
            if current is not None:
                position = current.position
            else:
                position = context.next_position
                context.next_position += 1
        planned = _Planned(data=data, decimals=decimals_for(data, current), position=position,
                           existing=current)
        if current is None:
            return planned
        if current.retired_at is not None:
            line.warn(_l("This indicator is retired and stays retired."))
        if _same(current, planned):
            line.status = Status.UNCHANGED
            return None
        line.status = Status.UPDATED
        return planned

    def apply(self, plan: list[_Planned], context: _Context) -> None:
        for planned in plan:
            data = planned.data
            indicator = planned.existing or Indicator(code=data.code)
            indicator.name_nl, indicator.name_en = data.name_nl, data.name_en
            indicator.explanation_nl = data.explanation_nl
            indicator.explanation_en = data.explanation_en
            indicator.unit, indicator.higher_is_better = data.unit, bool(data.higher_is_better)
            indicator.decimals, indicator.theme = planned.decimals, data.theme
            indicator.theme_en = data.theme_en
            indicator.position = planned.position
            db.session.add(indicator)


def catalogue_path(name: str) -> Path:
    """The file of a shipped catalogue (a name from CATALOGUES)."""
    return CATALOGUE_FOLDER / CATALOGUES[name]


def load_catalogue(user: Any, name: str, *, dry_run: bool = False) -> ImportReport:
    """Load a shipped catalogue of indicators through the same import as a file. Loading it
    again changes nothing."""
    path = catalogue_path(name)
    return IndicatorsImporter(user).run(path.read_bytes(), path.name, dry_run=dry_run)
