"""Disclosure control for the tables of counts the platform publishes.

A count below the minimum (``PANEL_REPORT_MIN_COUNT``) is shown as "< N": it is *primary*
suppressed. That alone is not enough. A table that shows a total next to its parts gives a
single hidden part away by subtraction (4 rows, one "< 5", total 26). So, as statistical
offices do, :func:`protect` hides more cells (*secondary* suppression, shown as
:data:`SECONDARY`) until no hidden count can be narrowed down by what is shown.

The reader is assumed to know everything except the hidden values, and the rules below:

* a primary cell lies between 1 and N - 1 (zeros are shown);
* a secondary cell is at least N (only such cells are chosen, so a reader could know);
* every :class:`Sum` holds: its total is the sum of its parts.

From these, :func:`bounds` works out the tightest range of every hidden cell by
propagating the sums until nothing changes (exact for the tables published here, whose
sums form a tree: parts, subtotals, a total). A table is protected when the shown figures
tell nothing more about any primary cell than its "< N" and the other marks already do:
its range with the shown totals is its range without them. Where it is not, the smallest
shown part of the sum at fault that restores this is hidden too; when no single part does,
the sum's total is hidden. This repeats until every primary cell is safe.

Across versions of one report, a cell hidden in an earlier version stays hidden (pass it as
``hidden_before``): otherwise a later version could show a part the earlier one hid to
protect its neighbour. The same protected table feeds every format (page, CSV, XLSX, JSON,
the API), so no export shows what another hides.

Written here rather than taken from a library: the established tools (tau-Argus, sdcTable)
are not Python and solve general linear programmes; the tables published here are small
trees of sums, for which propagating bounds is exact and fast.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["SECONDARY", "Protected", "Sum", "bounds", "protect"]

SECONDARY = "x"  # shown instead of a count hidden to protect a small one
INFINITE = math.inf


@dataclass(frozen=True)
class Sum:
    """One relation a reader can use: ``total`` is the sum of ``parts`` (all are keys of
    the table's values)."""

    total: Hashable
    parts: tuple[Hashable, ...]


@dataclass(frozen=True)
class Protected:
    """A table's counts with what must be hidden, ready to be shown."""

    values: Mapping[Hashable, int]
    minimum: int
    primary: frozenset[Hashable] = field(default_factory=frozenset)
    secondary: frozenset[Hashable] = field(default_factory=frozenset)

    @property
    def hidden(self) -> frozenset[Hashable]:
        return self.primary | self.secondary

    def shown(self, key: Hashable) -> int | str:
        """The cell as it may be published: the count, ``"< N"`` or :data:`SECONDARY`."""
        if key in self.primary:
            return f"< {self.minimum}"
        if key in self.secondary:
            return SECONDARY
        return self.values[key]


def _reader_range(value: int, minimum: int, primary: bool) -> tuple[float, float]:
    del value  # the reader does not know it
    return (1, minimum - 1) if primary else (minimum, INFINITE)


def bounds(values: Mapping[Hashable, int], sums: Sequence[Sum], minimum: int,
           primary: Iterable[Hashable], secondary: Iterable[Hashable],
           unknown: Iterable[Hashable] = ()) -> dict[Hashable, tuple[float, float]]:
    """The tightest range a reader can work out for each hidden cell from what is shown,
    the sums and the suppression rules (see the module's docstring). Cells in ``unknown``
    are taken as not shown and free (any count), to see what the marks alone tell."""
    primary, secondary = set(primary), set(secondary)
    ranges: dict[Hashable, tuple[float, float]] = {
        key: _reader_range(values[key], minimum, key in primary) for key in primary | secondary}
    ranges.update((key, (0, INFINITE)) for key in unknown if key not in ranges)

    def span(key: Hashable) -> tuple[float, float]:
        if key in ranges:
            return ranges[key]
        return values[key], values[key]

    changed = True
    while changed:
        changed = False
        for relation in sums:
            # total - sum(parts) == 0: each cell with its sign (+1 part, -1 total).
            cells = [(relation.total, -1)] + [(part, 1) for part in relation.parts]
            if not any(key in ranges for key, _ in cells):
                continue
            # The extremes of sum(sign * cell) over every cell, kept as a finite sum and a
            # count of unbounded terms, so that one cell's own term can be taken out again.
            low_sum = high_sum = 0.0
            low_open = high_open = 0
            terms = []
            for key, sign in cells:
                lo, hi = span(key)
                low, high = (lo, hi) if sign > 0 else (-hi, -lo)
                terms.append((key, sign, low, high))
                if low == -INFINITE:
                    low_open += 1
                else:
                    low_sum += low
                if high == INFINITE:
                    high_open += 1
                else:
                    high_sum += high
            for key, sign, low, high in terms:
                if key not in ranges:
                    continue
                rest_low = -INFINITE if low_open - (low == -INFINITE) else (
                    low_sum - (0 if low == -INFINITE else low))
                rest_high = INFINITE if high_open - (high == INFINITE) else (
                    high_sum - (0 if high == INFINITE else high))
                lo, hi = ranges[key]
                # sign * key == -(the rest)
                lo_new, hi_new = (-rest_high, -rest_low) if sign > 0 else (rest_low, rest_high)
                narrowed = (max(lo, lo_new), min(hi, hi_new))
                if narrowed != (lo, hi):
                    ranges[key] = narrowed
                    changed = True
    return ranges


def _exposed(values: Mapping[Hashable, int], sums: Sequence[Sum], minimum: int,
             primary: set[Hashable], secondary: set[Hashable]) -> list[Hashable]:
    """The primary cells whose range the shown figures narrow further than the marks alone
    do. The marks alone can narrow a little: two "< 5" parts of a "< 5" total are at most
    3 each. That is what "< N" says, whatever else is shown. Every shown total counts as
    unknown for the marks alone, not only those over a hidden part: a subtotal left
    unknown would otherwise follow from the total above it and its shown siblings."""
    ranges = bounds(values, sums, minimum, primary, secondary)
    hidden = primary | secondary
    marks_alone = bounds(values, sums, minimum, primary, secondary,
                         unknown=[s.total for s in sums if s.total not in hidden])
    return [key for key in primary if ranges[key] != marks_alone[key]]


def protect(values: Mapping[Hashable, int], sums: Sequence[Sum] = (), *, minimum: int,
            hidden_before: Iterable[Hashable] = (), parts_shown_elsewhere: bool = False
            ) -> Protected:
    """Choose the cells to hide in a table of counts (keyed by any hashable).

    ``sums`` are the relations the table shows (a total and its parts; a subtotal is the
    total of one sum and a part of another). ``hidden_before`` are the cells an earlier
    version of the same report hid: they stay hidden where they still exist (as "< N" when
    now small, otherwise as :data:`SECONDARY`; a zero is shown).

    With ``parts_shown_elsewhere`` the totals are hidden rather than parts: for a table
    whose parts another page publishes as they are (a part hidden here would be read
    there and subtracted from the total)."""
    primary = {key for key, value in values.items() if 0 < value < minimum}
    secondary = {key for key in hidden_before
                 if key in values and values[key] >= minimum}
    key_order = {key: index for index, key in enumerate(values)}
    while exposed := _exposed(values, sums, minimum, primary, secondary):
        target = exposed[0]
        hidden = primary | secondary
        # The sums still showing their total that hold a hidden cell: those holding the
        # exposed cell itself first (a chain of sums can expose it through a subtotal).
        open_sums = sorted(
            (s for s in sums if s.total not in hidden
             and any(part in hidden for part in s.parts)),
            key=lambda s: target not in s.parts)
        if not open_sums:  # pragma: no cover - a shown total is what exposes a cell
            raise AssertionError("a hidden cell is exposed without a shown total")
        chosen = None
        for relation in () if parts_shown_elsewhere else open_sums:
            for candidate in sorted(
                    (key for key in relation.parts
                     if key not in hidden and values[key] >= minimum),
                    key=lambda k: (values[k], key_order[k])):
                if target not in _exposed(values, sums, minimum, primary,
                                          secondary | {candidate}):
                    chosen = candidate
                    break
            if chosen is not None:
                break
        # No single part will do: hide the total of the nearest sum that still shows it
        # (a total below the minimum is primary already, so this total is at least N).
        secondary.add(chosen if chosen is not None else open_sums[0].total)
    return Protected(values=dict(values), minimum=minimum, primary=frozenset(primary),
                     secondary=frozenset(secondary))
