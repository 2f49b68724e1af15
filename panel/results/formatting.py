"""Figures as residents read them: the indicator's decimals, rounded half up, in the page's
language (``32%``, ``7,3``, ``1.200`` in Dutch), and respondent counts with thousands
separators (``4.000``). Shared by the pages, the charts' descriptions and the downloads."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol
from flask_babel import get_locale
from flask_babel import gettext as _

from panel.disclosure import SECONDARY
from panel.exports import csv_bytes
from panel.results.models import MAX_DECIMALS, Indicator, Unit, default_decimals
from panel.results.services import Figure

__all__ = ["count_text", "figure_text", "format_value", "interval_text", "respondents_text",
           "results_csv"]

# Per locale: the table that turns Python's "1,234.5" and "-" into the locale's symbols.
_SYMBOLS: dict[str, dict[int, str]] = {}


def _write(number: Decimal | int, places: int, grouping: bool) -> str:
    """``number`` (already rounded) with ``places`` decimals, in the locale's symbols, as
    Babel's ``format_decimal`` writes it with the pattern ``0.00`` or ``#,##0.00``.

    Babel parses its pattern and looks up the locale's symbols on every call; a results page
    writes some 400 figures, and that was a fifth of the time it took. The symbols are
    Babel's own, looked up once per locale (tests compare the two over many values)."""
    locale = get_locale()
    key = str(locale)
    table = _SYMBOLS.get(key)
    if table is None:
        table = _SYMBOLS[key] = str.maketrans({
            ".": get_decimal_symbol(locale), ",": get_group_symbol(locale),
            "-": get_minus_sign_symbol(locale)})
    text = f"{number:{',' if grouping else ''}.{places}f}"
    return text.translate(table)


def format_value(indicator: Indicator, value: float | None) -> str:
    """A figure as residents read it, with the indicator's number of decimals, rounded half
    up and in the page's language: ``32%``, ``7,6`` or ``1.200`` in Dutch."""
    if value is None:
        return ""
    if not math.isfinite(value):
        return str(value)
    places = indicator.decimals if indicator.decimals is not None \
        else default_decimals(indicator.unit)
    places = max(0, min(MAX_DECIMALS, places))
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if indicator.unit == Unit.PERCENTAGE:
        return f"{_write(rounded, places, grouping=False)}%"
    return _write(rounded, places, grouping=indicator.unit == Unit.COUNT)


def figure_text(indicator: Indicator, figure: Figure) -> str:
    """The figure, or why there is none: "too few respondents", "no figure", or "x" for a
    figure withheld to protect a small one (``panel.results.protection``)."""
    if figure.withheld:
        return SECONDARY
    if figure.suppressed:
        return _("too few respondents")
    if figure.value is None:
        return _("no figure")
    return format_value(indicator, figure.value)


def count_text(count: int | None) -> str:
    """A whole number with thousands separators in the page's language (``4.000``)."""
    return _write(count, 0, grouping=True) if count is not None else ""


def respondents_text(figure: Figure) -> str:
    """How many answered, only where the figure itself is shown: the count of a suppressed
    figure would tell how small the group is; "x" where the figure is withheld."""
    if figure.withheld:
        return SECONDARY
    return count_text(figure.respondents) if figure.shown else ""


def interval_text(indicator: Indicator, figure: Figure) -> str:
    """The 95% interval as ``7,1–7,5``, or empty when it is unknown or not shown."""
    if not figure.shown or figure.ci_low is None or figure.ci_high is None:
        return ""
    low, high = sorted((figure.ci_low, figure.ci_high))
    return f"{format_value(indicator, low)}–{format_value(indicator, high)}"


def results_csv(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """A download of survey figures (:func:`panel.exports.csv_bytes`), with a line under
    the table that says what "x" means when a figure in it is withheld, as the page says
    under its table."""
    table = [list(row) for row in rows]
    if any(cell == SECONDARY for row in table for cell in row):
        table.append([_("x: not shown, so that a small number cannot be worked out.")])
    return csv_bytes(headers, table)
