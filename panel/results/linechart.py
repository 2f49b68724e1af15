"""Server-rendered, accessible SVG line charts of a trend: one figure over the editions of
the survey, with its 95% interval as a shaded band.

The same rules as the bar charts (``panel.results.charts``): one inline ``<svg role="img">``
whose ``<title>`` and ``<desc>`` say everything the picture shows (every year, value and
interval, or why a value is missing), the visible text inside is ``aria-hidden``, only
presentation attributes (no ``style``), and the width comes from the ``viewBox``.

What is drawn, from back to front: the horizontal grid with the scale of the unit on the
left (percentages from 0 to a round top, marks and scores 0 to 10, counts 0 to a round top),
the interval band (a shaded area between the lower and upper bounds of consecutive
editions; a single edition gets a whisker), the line through the values, a marker at each
value (hollow when ``marked``, e.g. an edition that is not published yet) with the value
written above it, and the years below the axis, placed by year (2015, 2019 and 2021 are not
evenly spaced). A missing or suppressed value breaks the line and the band and shows "–".

The module has no translatable strings of its own: titles, descriptions, notes and number
formats come from the caller, in the page's language.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from panel.results.charts import _ID as VALID_ID
from panel.results.charts import (
    GRID_COLOUR,
    HALO_COLOUR,
    HIGHLIGHT_COLOUR,
    NOTE_COLOUR,
    TEXT_COLOUR,
    _clean,
    _default_tick_format,
    _element,
    _n,
    _round_up,
    _text_width,
)

__all__ = ["BAND_COLOUR", "BAND_EDGE_COLOUR", "Point", "describe_points", "line_chart"]

BAND_COLOUR = "#cfe0f1"  # the interval: decoration, the bounds are in the description
BAND_EDGE_COLOUR = "#5a86b3"  # 3.7:1, the edges of the band
MARKER_FILL_MARKED = "#ffffff"

WIDTH = 320
# Narrower for overviews: the chart is shown smaller there, so its text is drawn larger.
COMPACT_WIDTH = 250
FONT_SIZE = 15  # value labels
TICK_FONT_SIZE = 13  # years and the scale
PAD_TOP = 24  # room for the value label above the highest point
PLOT_HEIGHT, COMPACT_PLOT_HEIGHT = 150, 84
AXIS_HEIGHT = 26
GAP = 6
MARKER_RADIUS = 4.5
LABEL_OFFSET = 9  # from the centre of a marker to the baseline of its label
CAP_HALF = 5
TICK_WIDTH_FACTOR = 1.3
PERCENTAGE_TOPS = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0)
FIXED_SCALES = {"mark": 10.0, "score": 10.0}


@dataclass(frozen=True)
class Point:
    """One edition: its label (the year), where it lies on the x axis (the year as a number),
    the value and its interval. ``value=None`` means suppressed or no figure; ``note`` then
    says which (for the description). ``marked`` draws a hollow marker (not published)."""

    label: str
    position: float
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    note: str = ""
    marked: bool = False

    @property
    def has_value(self) -> bool:
        return self.value is not None and math.isfinite(self.value)

    @property
    def interval(self) -> tuple[float, float] | None:
        if not self.has_value or self.ci_low is None or self.ci_high is None:
            return None
        if not (math.isfinite(self.ci_low) and math.isfinite(self.ci_high)):
            return None
        return min(self.ci_low, self.ci_high), max(self.ci_low, self.ci_high)


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    description: str,
    unit: str,
    chart_id: str,
    value_format: Callable[[float], str],
    tick_format: Callable[[float], str] | None = None,
    compact: bool = False,
) -> Markup:
    """A line chart with an interval band as inline SVG markup; ``points`` oldest first.

    ``unit`` fixes the scale (see the module). ``chart_id`` must be unique on the page and a
    valid HTML id; the title and description get ``<chart_id>-title`` and ``-desc``.
    ``value_format`` writes a value as the page does; ``tick_format`` the scale (by default
    whole numbers, with "%" for percentages). ``description`` becomes the ``<desc>``: it
    must say every year and value (``describe_points`` writes one when it is empty).
    ``compact`` draws a lower chart for overviews.
    """
    if not VALID_ID.match(chart_id):
        raise ValueError(f"chart_id must be a valid id (letter, then letters, digits, - or _): "
                         f"{chart_id!r}")
    unit = str(unit)
    if unit not in ("percentage", "mark", "score", "count"):
        raise ValueError(f"unknown unit {unit!r}")
    points = sorted(points, key=lambda p: p.position)
    top, ticks = _scale(unit, points)
    ticks_text = tick_format or _default_tick_format(unit, value_format)
    plot_height = COMPACT_PLOT_HEIGHT if compact else PLOT_HEIGHT
    width = COMPACT_WIDTH if compact else WIDTH

    tick_texts = [_clean(ticks_text(t)) for t in ticks]
    # Digits and "%" are wider than the average letter the estimate is made for.
    left = max(_text_width(t, TICK_FONT_SIZE) * TICK_WIDTH_FACTOR for t in tick_texts) + GAP + 2
    values = [_clean(value_format(p.value)) if p.has_value and p.value is not None else "–"
              for p in points]
    labels = [_clean(p.label) for p in points]
    widest = max([_text_width(v, FONT_SIZE) for v in values] +
                 [_text_width(label, TICK_FONT_SIZE) for label in labels] + [10.0])
    inset = widest / 2 + 2
    x_start, x_end = left + inset, width - inset - 2
    baseline = PAD_TOP + plot_height
    first = points[0].position if points else 0.0
    span = (points[-1].position - first) if points else 0.0

    def x_of(position: float) -> float:
        if span <= 0:
            return (x_start + x_end) / 2
        return x_start + (x_end - x_start) * (position - first) / span

    def y_of(value: float) -> float:
        return baseline - plot_height * min(max(value, 0.0), top) / top

    drawing: list[Markup] = []
    for tick, text in zip(ticks, tick_texts, strict=True):
        y = _n(y_of(tick))
        drawing.append(_element("line", {
            "class": "wp-chart__grid", "x1": _n(left), "y1": y, "x2": _n(width - 1), "y2": y,
            "stroke": TEXT_COLOUR if tick == 0 else GRID_COLOUR,
            "stroke-width": "1.5" if tick == 0 else "1"}))
        drawing.append(_element("text", {
            "aria-hidden": "true", "class": "wp-chart__tick", "x": _n(left - GAP),
            "y": _n(y_of(tick) + TICK_FONT_SIZE * 0.35), "text-anchor": "end",
            "font-size": _n(TICK_FONT_SIZE), "fill": TEXT_COLOUR}, text))

    xs = [x_of(p.position) for p in points]
    for run in _runs(points, lambda p: p.interval is not None):
        drawing.append(_band([(xs[i], points[i].interval) for i in run], y_of))
    for run in _runs(points, lambda p: p.has_value):
        if len(run) > 1:
            path = "M" + "L".join(f"{_n(xs[i])} {_n(y_of(points[i].value or 0))}" for i in run)
            drawing.append(_element("path", {
                "class": "wp-chart__line", "d": path, "fill": "none",
                "stroke": HIGHLIGHT_COLOUR, "stroke-width": "2.5",
                "stroke-linejoin": "round", "stroke-linecap": "round"}))

    spacing = min((b - a for a, b in zip(xs, xs[1:], strict=False)), default=width)
    crowded = spacing < widest + 2  # neighbouring labels would touch: alternate them
    every = 1
    while every < len(points) and spacing * every < \
            max(_text_width(label, TICK_FONT_SIZE) for label in labels) + 4:
        every += 1
    for index, (point, x, text, label) in enumerate(zip(points, xs, values, labels,
                                                        strict=True)):
        if point.has_value and point.value is not None:
            y = y_of(point.value)
            drawing.append(_element("circle", {
                "class": "wp-chart__marker wp-chart__marker--marked" if point.marked
                else "wp-chart__marker",
                "cx": _n(x), "cy": _n(y), "r": _n(MARKER_RADIUS),
                "fill": MARKER_FILL_MARKED if point.marked else HIGHLIGHT_COLOUR,
                "stroke": HIGHLIGHT_COLOUR, "stroke-width": "2"}))
            below = y - LABEL_OFFSET - FONT_SIZE < 2 or (crowded and index % 2 == 1)
            label_y = y + LABEL_OFFSET + FONT_SIZE * 0.75 if below else y - LABEL_OFFSET
            drawing.append(_element("text", {
                "aria-hidden": "true", "class": "wp-chart__value", "x": _n(x),
                "y": _n(label_y), "text-anchor": "middle", "font-weight": "700",
                "fill": TEXT_COLOUR, "stroke": HALO_COLOUR, "stroke-width": "3",
                "stroke-linejoin": "round", "paint-order": "stroke"}, text))
        else:
            drawing.append(_element("text", {
                "aria-hidden": "true", "class": "wp-chart__note", "x": _n(x),
                "y": _n(baseline - GAP), "text-anchor": "middle", "fill": NOTE_COLOUR}, text))
        if index % every == 0 or index == len(points) - 1:
            drawing.append(_element("text", {
                "aria-hidden": "true", "class": "wp-chart__tick", "x": _n(x),
                "y": _n(baseline + 18), "text-anchor": "middle",
                "font-size": _n(TICK_FONT_SIZE), "fill": TEXT_COLOUR}, label))

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    description = description.strip() or describe_points(points, value_format)
    return _element("svg", {
        "xmlns": "http://www.w3.org/2000/svg",
        "class": "wp-chart__svg wp-chart__svg--line" + (" wp-chart__svg--compact"
                                                        if compact else ""),
        "viewBox": f"0 0 {width} {_n(baseline + AXIS_HEIGHT)}",
        "preserveAspectRatio": "xMinYMin meet", "role": "img",
        "aria-labelledby": f"{title_id} {desc_id}", "font-size": _n(FONT_SIZE),
    }, Markup("").join([
        _element("title", {"id": title_id}, _clean(title)),
        _element("desc", {"id": desc_id}, _clean(description)),
        _element("g", {"aria-hidden": "true"}, Markup("").join(drawing)),
    ]))


def describe_points(points: Sequence[Point], value_format: Callable[[float], str],
                    ci_format: Callable[[float, float], str] | None = None,
                    marked_format: Callable[[str], str] | None = None) -> str:
    """Every edition in words, for the chart's description: "2015: 7,3 (7,1–7,5); 2019: 7,5
    (7,3–7,7)." ``ci_format(low, high)`` writes an interval (e.g. translated: "between 7,1
    and 7,5"); ``marked_format(label)`` the label of a marked point (e.g. "2025, not
    published"). A missing value gives its note."""
    items = []
    for point in sorted(points, key=lambda p: p.position):
        label = marked_format(point.label) if point.marked and marked_format else point.label
        if point.has_value and point.value is not None:
            text = f"{label}: {value_format(point.value)}"
            interval = point.interval
            if interval is not None:
                text += " " + (ci_format(*interval) if ci_format else
                               f"({value_format(interval[0])}–{value_format(interval[1])})")
        else:
            text = f"{label}: {point.note or '–'}"
        items.append(text)
    return "; ".join(items) + "." if items else ""


def _scale(unit: str, points: Sequence[Point]) -> tuple[float, tuple[float, ...]]:
    """The top of the y axis and its ticks: always from 0, so a difference looks as large
    as it is; percentages up to a round top that holds every value and interval."""
    largest = max([0.0] + [v for p in points if p.has_value
                           for v in (p.value, p.ci_high) if v is not None and math.isfinite(v)])
    if unit in FIXED_SCALES:
        top = FIXED_SCALES[unit]
    elif unit == "percentage":
        top = next((t for t in PERCENTAGE_TOPS if t >= largest), 100.0)
    else:
        top = _round_up(largest)
    half = top / 2
    return top, ((0.0, half, top) if half == int(half) else (0.0, top))


def _runs(points: Sequence[Point], keep: Callable[[Point], bool]) -> list[list[int]]:
    """The indexes of consecutive points for which ``keep`` holds."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index, point in enumerate(points):
        if keep(point):
            current.append(index)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _band(run: list[tuple[float, tuple[float, float] | None]],
          y_of: Callable[[float], float]) -> Markup:
    """The shaded interval of consecutive points, or a whisker for a single point."""
    bounds = [(x, interval) for x, interval in run if interval is not None]
    if len(bounds) == 1:
        x, (low, high) = bounds[0]
        lo, hi = _n(y_of(low)), _n(y_of(high))
        left, right, mid = _n(x - CAP_HALF), _n(x + CAP_HALF), _n(x)
        return _element("path", {
            "class": "wp-chart__band wp-chart__band--single",
            "d": f"M{mid} {lo}V{hi}M{left} {lo}H{right}M{left} {hi}H{right}",
            "fill": "none", "stroke": BAND_EDGE_COLOUR, "stroke-width": "2"})
    upper = [f"{_n(x)} {_n(y_of(high))}" for x, (_, high) in bounds]
    lower = [f"{_n(x)} {_n(y_of(low))}" for x, (low, _) in reversed(bounds)]
    area = "M" + "L".join(upper + lower) + "Z"
    edges = "M" + "L".join(upper) + "M" + "L".join(lower)
    return _element("g", {"class": "wp-chart__band"}, Markup("").join([
        _element("path", {"class": "wp-chart__band-area", "d": area, "fill": BAND_COLOUR,
                          "stroke": "none"}),
        _element("path", {"class": "wp-chart__band-edge", "d": edges, "fill": "none",
                          "stroke": BAND_EDGE_COLOUR, "stroke-width": "1",
                          "stroke-dasharray": "4 3"}),
    ]))
