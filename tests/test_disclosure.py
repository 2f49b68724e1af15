"""Disclosure control: no hidden count can be worked out from what a table shows.

Each test plays the reader: it takes only what is shown (the counts, "< N", "x" and the
sums), tries every value the hidden cells could have, and checks that every small hidden
count could still be anything from 1 to N - 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from panel.disclosure import SECONDARY, Sum, bounds, protect

MINIMUM = 5


def readable_values(shown: Mapping[Hashable, int | str], sums: Sequence[Sum],
                    ceiling: int, free: Sequence[Hashable] = ()) -> dict[Hashable, set[int]]:
    """Every value each hidden cell can take given what is shown, by trying them all: a
    primary cell 1 … N - 1, a secondary one N … ``ceiling``. A total in ``free`` is taken
    as not shown: it is whatever its parts add up to (``sums`` lists parts before the sums
    they are in)."""
    hidden = [key for key, value in shown.items()
              if not isinstance(value, int) and key not in free]
    choices = [range(1, MINIMUM) if shown[key] == f"< {MINIMUM}"
               else range(MINIMUM, ceiling + 1) for key in hidden]
    possible: dict[Hashable, set[int]] = {key: set() for key in hidden}
    for guess in itertools.product(*choices):
        cells = {**shown, **dict(zip(hidden, guess, strict=True))}
        for relation in sums:
            if relation.total in free:
                cells[relation.total] = sum(cells[p] for p in relation.parts)  # type: ignore[misc]
        if all(cells[s.total] == sum(cells[p] for p in s.parts)  # type: ignore[misc]
               for s in sums if s.total not in free):
            for key, value in zip(hidden, guess, strict=True):
                possible[key].add(value)
    return possible


def shown_table(values: Mapping[Hashable, int], sums: Sequence[Sum],
                **options: object) -> dict[Hashable, int | str]:
    protected = protect(values, sums, minimum=MINIMUM, **options)  # type: ignore[arg-type]
    return {key: protected.shown(key) for key in values}


def assert_safe(values: Mapping[Hashable, int], shown: Mapping[Hashable, int | str],
                sums: Sequence[Sum]) -> None:
    """The shown totals tell the reader nothing about a small hidden count beyond what the
    marks alone say; a secondary cell is not worked out exactly either."""
    ceiling = max(values.values()) + MINIMUM
    hidden = {key for key, value in shown.items() if not isinstance(value, int)}
    shown_totals = [s.total for s in sums
                    if s.total not in hidden and any(p in hidden for p in s.parts)]
    with_totals = readable_values(shown, sums, ceiling)
    marks_alone = readable_values(shown, sums, ceiling, free=shown_totals)
    for key, possible in with_totals.items():
        if shown[key] == f"< {MINIMUM}":
            assert possible == marks_alone[key], (key, possible, marks_alone[key])
        else:
            assert len(possible) > 1, (key, possible)


def test_a_single_small_row_next_to_its_total_is_protected_by_a_second() -> None:
    # The case found: four rows, one "< 5", total 26.
    values = {"a": 4, "b": 10, "c": 7, "d": 5, "total": 26}
    sums = [Sum("total", ("a", "b", "c", "d"))]

    shown = shown_table(values, sums)

    assert shown["a"] == "< 5"
    assert list(shown.values()).count(SECONDARY) == 1
    assert_safe(values, shown, sums)


def test_without_protection_the_hidden_row_is_given_away() -> None:
    # The reader of this test can find what a table with only "< 5" gives away.
    values = {"a": 4, "b": 10, "c": 7, "d": 5, "total": 26}
    sums = [Sum("total", ("a", "b", "c", "d"))]
    naive = {key: f"< {MINIMUM}" if 0 < value < MINIMUM else value
             for key, value in values.items()}

    assert readable_values(naive, sums, 40)["a"] == {4}


def test_the_second_cell_is_large_enough_to_leave_the_small_one_open() -> None:
    # Hiding the 5 would tell the reader a + 5 = 6 with a >= 1, so a = 1: a larger part
    # must be hidden instead.
    values = {"a": 1, "b": 5, "c": 12, "total": 18}
    sums = [Sum("total", ("a", "b", "c"))]

    shown = shown_table(values, sums)

    assert shown["b"] == 5 and shown["c"] == SECONDARY
    assert_safe(values, shown, sums)


def test_two_small_rows_can_still_give_each_other_away() -> None:
    # 1 + 1 = 2 pins both; the sum must be hidden or widened.
    values = {"a": 1, "b": 1, "c": 20, "total": 22}
    sums = [Sum("total", ("a", "b", "c"))]

    shown = shown_table(values, sums)

    assert shown["a"] == shown["b"] == "< 5"
    assert_safe(values, shown, sums)


def test_a_subtotal_chain_is_protected_at_every_level() -> None:
    # Meetings per gebied, and the gebieden's subtotals under a grand total.
    values = {("n", 1): 3, ("n", 2): 12, ("n", 3): 9, "north": 24,
              ("w", 1): 8, ("w", 2): 6, "west": 14, "all": 38}
    sums = [Sum("north", (("n", 1), ("n", 2), ("n", 3))),
            Sum("west", (("w", 1), ("w", 2))),
            Sum("all", ("north", "west"))]

    shown = shown_table(values, sums)

    assert shown[("n", 1)] == "< 5"
    assert_safe(values, shown, sums)


def test_a_cell_hidden_in_an_earlier_version_stays_hidden() -> None:
    first = {"a": 4, "b": 6, "c": 30, "total": 40}
    sums = [Sum("total", ("a", "b", "c"))]
    earlier = protect(first, sums, minimum=MINIMUM)
    assert earlier.secondary == {"b"}

    later = protect({"a": 4, "b": 6, "c": 31, "total": 41}, sums, minimum=MINIMUM,
                    hidden_before=earlier.hidden)

    # Showing b = 6 now would give a = 40 - 6 - 30 away in the earlier version.
    assert later.shown("b") == SECONDARY
    assert later.shown("a") == "< 5"


def test_a_table_whose_parts_are_published_elsewhere_hides_its_total() -> None:
    values = {"a": 4, "b": 10, "c": 7, "total": 21}
    sums = [Sum("total", ("a", "b", "c"))]

    shown = shown_table(values, sums, parts_shown_elsewhere=True)

    assert shown == {"a": "< 5", "b": 10, "c": 7, "total": SECONDARY}
    assert_safe(values, shown, sums)


def test_zeros_and_large_counts_are_shown_as_they_are() -> None:
    values = {"a": 0, "b": 12, "c": 30, "total": 42}
    shown = shown_table(values, [Sum("total", ("a", "b", "c"))])
    assert shown == values


def test_a_small_total_is_hidden_itself_and_needs_nothing_more() -> None:
    values = {"a": 0, "b": 3, "total": 3}
    shown = shown_table(values, [Sum("total", ("a", "b"))])
    assert shown == {"a": 0, "b": "< 5", "total": "< 5"}


def test_bounds_are_what_the_sums_allow() -> None:
    values = {"a": 2, "b": 20, "total": 22}
    ranges = bounds(values, [Sum("total", ("a", "b"))], MINIMUM, {"a"}, {"b"})
    assert ranges == {"a": (1, 4), "b": (18, 21)}


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[Hashable, int], list[Sum]]:
    """A total over groups of rows, each group with its own subtotal: the shape of the
    tables reports publish, with counts around the minimum."""
    values: dict[Hashable, int] = {}
    sums: list[Sum] = []
    subtotals = []
    for group in range(draw(st.integers(1, 3))):
        parts = []
        for row in range(draw(st.integers(1, 4))):
            values[(group, row)] = draw(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8, 11]))
            parts.append((group, row))
        values[group] = sum(values[p] for p in parts)
        subtotals.append(group)
        sums.append(Sum(group, tuple(parts)))
    values["total"] = sum(values[g] for g in subtotals)
    sums.append(Sum("total", tuple(subtotals)))
    return values, sums


@settings(max_examples=150, deadline=None, derandomize=True)
@given(tables())
def test_no_hidden_count_can_be_worked_out_of_any_such_table(
        table: tuple[dict[Hashable, int], list[Sum]]) -> None:
    values, sums = table
    shown = shown_table(values, sums)
    hidden = [key for key, value in shown.items() if not isinstance(value, int)]
    if len(hidden) <= 5:  # the reader's search stays small enough to try every value
        assert_safe(values, shown, sums)
    else:  # larger tables: at least no small count is pinned down
        protected = protect(values, sums, minimum=MINIMUM)
        ranges = bounds(values, sums, MINIMUM, protected.primary, protected.secondary)
        assert all(ranges[key][1] > ranges[key][0] for key in protected.primary)
