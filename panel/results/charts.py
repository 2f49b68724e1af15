"""Server-rendered, accessible SVG bar charts: no JavaScript, no inline styles, no library.

A chart is one inline ``<svg role="img">`` whose ``<title>`` and ``<desc>`` say everything the
picture shows (every label and value), so screen readers read those and skip the drawing; the
visible text inside is ``aria-hidden``. The SVG only uses presentation attributes (``fill``,
``font-size`` …), never ``style`` attributes or ``<style>`` elements, so it works under a
Content-Security-Policy without ``'unsafe-inline'``. Width comes from the ``viewBox``: with
``svg { width: 100%; height: auto; }`` (``results.css``) it scales to its container.

The module has no translatable strings of its own: titles, descriptions, notes and the number
formats all come from the caller, in the page's language.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "bar_chart", "describe_bars", "HIGHLIGHT_COLOUR", "BAR_COLOUR", "TEXT_COLOUR"]

# Colours, all checked against a white background (WCAG 2.1: 3:1 for graphics, 4.5:1 for text).
HIGHLIGHT_COLOUR = "#00529b"  # 7.8:1, the wijk being looked at
BAR_COLOUR = "#6e6e6e"  # 5.1:1, the areas it is compared with
TEXT_COLOUR = "#1a1a1a"  # 17.4:1
NOTE_COLOUR = "#4b4b4b"  # 8.7:1, "too few respondents" and the like
GRID_COLOUR = "#d0d0d0"  # decoration only, the values are written out next to the bars
HALO_COLOUR = "#ffffff"  # outline that keeps the whisker visible on a dark bar

# Geometry in SVG user units. Text scales with the chart, so the viewBox is about as wide as
# the content column of a phone: labels (15 units) come out at about 10.5 px on a 320 px
# screen, 12.5 px at 360 px, and 19.5 px at the 26rem max-width that results.css sets.
WIDTH = 320
FONT_SIZE = 15
TICK_FONT_SIZE = 13
LINE_HEIGHT = 18
BAR_HEIGHT = 18
ROW_MIN_HEIGHT = 30
ROW_PADDING = 10
PAD_TOP = 6
AXIS_HEIGHT = 24
GAP = 8
CAP_HALF = 6  # half the height of a whisker's end caps
# The label column fits the longest label up to 40% of the width, and grows to at most 50%
# when a single word or hyphenated piece would not fit otherwise.
LABEL_MIN, LABEL_MAX, LABEL_HARD_MAX = 56.0, WIDTH * 0.4, WIDTH * 0.5
VALUE_MIN, VALUE_MAX = 32.0, 80.0
# Average advance of a character as a fraction of the font size, taken from the widest
# font a visitor is likely to see: the design tokens ask for Noto Sans (about 0.53 regular
# and 0.57 bold for Dutch text; Arial and the phones' own fonts a little less), but a
# computer without it shows DejaVu Sans (about 0.63 and 0.69), as Debian and many other
# Linux systems do. Estimated for the narrower font, a label ran off the chart's left edge
# ("emeente 2023"); estimated for the wider one, it only wraps a little sooner.
CHAR_WIDTH, BOLD_CHAR_WIDTH = 0.64, 0.70

SCALES: dict[str, tuple[float, tuple[float, ...]] | None] = {
    "percentage": (100.0, (0.0, 50.0, 100.0)),
    "mark": (10.0, (0.0, 5.0, 10.0)),
    "score": (10.0, (0.0, 5.0, 10.0)),  # a scale score, 0 to 10
    "count": None,  # 0 to a round number at or above the largest value
}

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_HYPHENATED = re.compile(r"[^-]+-*|-+")  # "Noord-Oost" -> "Noord-", "Oost"
# Characters that XML 1.0 does not allow, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Bar:
    """One bar: an area and its value. ``value=None`` means suppressed or no data; the chart
    then draws no bar but shows ``note`` (e.g. "too few respondents") in its place."""

    label: str
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    highlight: bool = False
    note: str = ""


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str,
    unit: str,
    chart_id: str,
    value_format: Callable[[float], str],
    tick_format: Callable[[float], str] | None = None,
) -> Markup:
    """A horizontal bar chart as inline SVG markup.

    ``unit`` fixes the scale: ``"percentage"`` 0–100, ``"mark"`` and ``"score"`` 0–10 (ticks
    0, 5, 10), ``"count"`` 0 to a round maximum. Values outside the scale are drawn clipped
    to it (the written value stays exact). ``chart_id`` must be unique on the page and a
    valid HTML id; the title and description get the ids ``<chart_id>-title`` and
    ``<chart_id>-desc``.

    ``value_format`` writes a value the way the page does (locale, decimals, "%").
    ``tick_format`` writes the axis ticks; by default whole numbers ("0%", "50%", "100%" and
    "0", "5", "10", which read the same in Dutch and English) and ``value_format`` for counts.

    ``description`` becomes the SVG ``<desc>`` and, with the title, the accessible name: it
    must say everything the picture shows (every label and value or note). When it is empty,
    ``describe_bars(bars, value_format)`` is used.
    """
    if not _ID.match(chart_id):
        raise ValueError(f"chart_id must be a valid id (letter, then letters, digits, - or _): "
                         f"{chart_id!r}")
    unit = str(unit)
    if unit not in SCALES:
        raise ValueError(f"unknown unit {unit!r}; expected one of {', '.join(SCALES)}")
    ticks_text = tick_format or _default_tick_format(unit, value_format)
    scale_max, ticks = _scale(unit, bars)

    # Columns: labels | gap | plot area | values written at the end of the bars.
    label_width = max([LABEL_MIN] + [_label_width(_clean(bar.label), bar.highlight)
                                     for bar in bars])
    value_texts = [_clean(value_format(bar.value)) if _has_value(bar) and bar.value is not None
                   else "" for bar in bars]
    value_width = min(VALUE_MAX, max([VALUE_MIN] + [
        _text_width(text, FONT_SIZE, bold=True) + GAP for text in value_texts]))
    plot_x = label_width + GAP
    plot_width = WIDTH - plot_x - value_width - 2

    def x_of(value: float) -> float:
        return plot_x + plot_width * min(max(value, 0.0), scale_max) / scale_max

    rows: list[Markup] = []
    y: float = PAD_TOP
    for bar, value_text in zip(bars, value_texts, strict=True):
        label_lines = _wrap(_clean(bar.label), label_width, FONT_SIZE, bold=bar.highlight)
        note_lines = ([] if _has_value(bar) else
                      _wrap(_clean(bar.note) or "–", WIDTH - plot_x - GAP, FONT_SIZE))
        lines = max(len(label_lines), len(note_lines))
        row_height = max(ROW_MIN_HEIGHT, lines * LINE_HEIGHT + ROW_PADDING)
        centre = y + row_height / 2
        weight = {"font-weight": "700"} if bar.highlight else {}
        rows.append(_text_block(label_lines, label_width, centre, "wp-chart__label",
                                {"text-anchor": "end", "fill": TEXT_COLOUR, **weight}))
        if _has_value(bar):
            assert bar.value is not None
            end = x_of(bar.value)
            rows.append(_element("rect", {
                "class": "wp-chart__bar wp-chart__bar--highlight" if bar.highlight
                else "wp-chart__bar",
                "x": _n(plot_x), "y": _n(centre - BAR_HEIGHT / 2),
                "width": _n(end - plot_x), "height": _n(BAR_HEIGHT),
                "fill": HIGHLIGHT_COLOUR if bar.highlight else BAR_COLOUR}))
            interval = _interval(bar)
            if interval is not None:
                low, high = x_of(interval[0]), x_of(interval[1])
                rows.append(_whisker(low, high, centre))
                end = max(end, high)
            rows.append(_text_block([value_text], end + GAP / 2 + 2, centre, "wp-chart__value",
                                    {"text-anchor": "start", "fill": TEXT_COLOUR, **weight}))
        else:
            rows.append(_text_block(note_lines, plot_x + GAP / 2 + 2, centre, "wp-chart__note",
                                    {"text-anchor": "start", "fill": NOTE_COLOUR}))
        y += row_height

    axis_y = y + 2
    grid: list[Markup] = []
    for tick in ticks:
        x = _n(x_of(tick))
        grid.append(_element("line", {
            "class": "wp-chart__grid", "x1": x, "y1": _n(PAD_TOP - 2), "x2": x, "y2": _n(axis_y),
            "stroke": TEXT_COLOUR if tick == 0 else GRID_COLOUR,
            "stroke-width": "1.5" if tick == 0 else "1"}))
        grid.append(_element("text", {
            "aria-hidden": "true", "class": "wp-chart__tick", "x": x, "y": _n(axis_y + 16),
            "text-anchor": "middle", "font-size": _n(TICK_FONT_SIZE), "fill": TEXT_COLOUR,
        }, _clean(ticks_text(tick))))

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    description = description.strip() or describe_bars(bars, value_format)
    return _element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "class": "wp-chart__svg",
        "viewBox": f"0 0 {WIDTH} {_n(axis_y + AXIS_HEIGHT)}",
        "preserveAspectRatio": "xMinYMin meet", "role": "img",
        "aria-labelledby": f"{title_id} {desc_id}", "font-size": _n(FONT_SIZE),
    }, Markup("").join([
        _element("title", {"id": title_id}, _clean(title)),
        _element("desc", {"id": desc_id}, _clean(description)),
        _element("g", {"aria-hidden": "true"}, Markup("").join(grid + rows)),
    ]))


def _scale(unit: str, bars: Sequence[Bar]) -> tuple[float, tuple[float, ...]]:
    """The largest value on the axis and the ticks for ``unit``."""
    fixed = SCALES[unit]
    if fixed is not None:
        return fixed
    largest = max([0.0] + [v for bar in bars for v in (bar.value, bar.ci_high)
                           if v is not None and math.isfinite(v)])
    top = _round_up(largest)
    half = top / 2
    return top, ((0.0, half, top) if half == int(half) else (0.0, top))


def _round_up(value: float) -> float:
    """The smallest of 1, 2, 4, 6, 8 × 10ⁿ (n ≥ 0) that is at least ``value``."""
    if value <= 1:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 4, 6, 8, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _has_value(bar: Bar) -> bool:
    return bar.value is not None and math.isfinite(bar.value)


def _interval(bar: Bar) -> tuple[float, float] | None:
    """The confidence interval, low before high, or None when it is not (fully) known."""
    if bar.ci_low is None or bar.ci_high is None:
        return None
    if not (math.isfinite(bar.ci_low) and math.isfinite(bar.ci_high)):
        return None
    return min(bar.ci_low, bar.ci_high), max(bar.ci_low, bar.ci_high)


def describe_bars(bars: Sequence[Bar], value_format: Callable[[float], str],
                  ci_format: Callable[[float, float], str] | None = None) -> str:
    """Every bar as text, for the chart's description: "Noord: 23% (19%–27%); Zuid: …".

    ``ci_format(low, high)`` writes a confidence interval (e.g. translated: "margin 19% to
    27%"); by default "(low–high)" with ``value_format``. A suppressed bar shows its note.
    """
    items = []
    for bar in bars:
        if _has_value(bar):
            assert bar.value is not None
            text = f"{bar.label}: {value_format(bar.value)}"
            interval = _interval(bar)
            if interval is not None:
                low, high = interval
                text += " " + (ci_format(low, high) if ci_format else
                               f"({value_format(low)}–{value_format(high)})")
        else:
            text = f"{bar.label}: {bar.note or '–'}"
        items.append(text)
    return "; ".join(items) + "." if items else ""


def _default_tick_format(unit: str, value_format: Callable[[float], str]
                         ) -> Callable[[float], str]:
    if unit == "percentage":
        return lambda tick: f"{tick:.0f}%"
    if unit in ("mark", "score"):
        return lambda tick: f"{tick:.0f}"
    return value_format


def _whisker(low: float, high: float, centre: float) -> Markup:
    """A thin horizontal line with end caps, dark with a white halo (visible on any bar)."""
    top, bottom = _n(centre - CAP_HALF), _n(centre + CAP_HALF)
    lo, hi, mid = _n(low), _n(high), _n(centre)
    path = f"M{lo} {mid}H{hi}M{lo} {top}V{bottom}M{hi} {top}V{bottom}"
    return _element("g", {"class": "wp-chart__ci", "fill": "none"}, Markup("").join([
        _element("path", {"class": "wp-chart__halo", "d": path, "stroke": HALO_COLOUR,
                          "stroke-width": "4"}),
        _element("path", {"class": "wp-chart__whisker", "d": path, "stroke": TEXT_COLOUR,
                          "stroke-width": "1.5"}),
    ]))


def _text_block(lines: list[str], x: float, centre: float, css_class: str,
                attributes: dict[str, str]) -> Markup:
    """A (multi-line) text element vertically centred on ``centre``, hidden from readers."""
    first = centre - (len(lines) - 1) * LINE_HEIGHT / 2 + FONT_SIZE * 0.35
    spans = Markup("").join(
        _element("tspan", {"x": _n(x), "y": _n(first + i * LINE_HEIGHT)}, line)
        for i, line in enumerate(lines))
    return _element("text", {"aria-hidden": "true", "class": css_class, **attributes}, spans)


def _element(tag: str, attributes: dict[str, str], content: str | None = None) -> Markup:
    """``<tag …>content</tag>``, or ``<tag …/>`` without content. Attribute values and plain
    text content are escaped; Markup content (other elements) is kept as it is. Tag and
    attribute names are this module's constants, never input.

    Written with ``escape`` (markupsafe's C speedups) and plain strings rather than
    ``Markup.format``: a results page draws some 20,000 elements, and ``Markup.format``
    made drawing them most of the time the page took."""
    attrs = "".join([f' {name}="{escape(value)}"' for name, value in attributes.items()])
    if content is None:
        return Markup(f"<{tag}{attrs}/>")  # noqa: S704 (every value escaped above)
    return Markup(f"<{tag}{attrs}>{escape(content)}</{tag}>")  # noqa: S704 (escaped)


def _wrap(text: str, width: float, font_size: float, *, bold: bool = False) -> list[str]:
    """Break ``text`` into lines that fit ``width`` (estimated): between words, or after a
    hyphen ("Oosterpark-" / "Noord"); a piece longer than a whole line is cut where it must.
    Nothing is left out: the end of a label ("… 2021") often tells two bars apart."""
    per_line = max(4, int(width / (font_size * (BOLD_CHAR_WIDTH if bold else CHAR_WIDTH))
                          + 1e-6))
    lines: list[str] = []
    line = ""
    for piece, starts_word in _pieces(text):
        while len(piece) > per_line:  # no place to break: cut it
            if line:
                lines.append(line)
                line = ""
            lines.append(piece[:per_line])
            piece, starts_word = piece[per_line:], False
        joined = line + (" " if starts_word and line else "") + piece
        if len(joined) <= per_line:
            line = joined
        else:
            lines.append(line)
            line = piece
    if line or not lines:
        lines.append(line)
    return lines


def _pieces(text: str) -> list[tuple[str, bool]]:
    """The places a line may end: each word, split after its hyphens, and whether the piece
    begins a new word (then a space goes before it on the same line)."""
    return [(piece, i == 0) for word in text.split()
            for i, piece in enumerate(_HYPHENATED.findall(word))]


def _widest_piece(text: str, font_size: float, *, bold: bool = False) -> float:
    return max([0.0] + [_text_width(piece, font_size, bold=bold) for piece, _ in _pieces(text)])


def _label_width(label: str, bold: bool) -> float:
    """The width the label column needs for ``label``: all of it on one line when that fits
    in LABEL_MAX, else enough for its widest unbreakable piece (at most LABEL_HARD_MAX)."""
    whole = _text_width(label, FONT_SIZE, bold=bold)
    if whole <= LABEL_MAX:
        return whole
    return min(LABEL_HARD_MAX, max(LABEL_MAX, _widest_piece(label, FONT_SIZE, bold=bold)))


def _text_width(text: str, font_size: float, *, bold: bool = False) -> float:
    """Estimated width of ``text`` on one line, in user units."""
    return len(text) * font_size * (BOLD_CHAR_WIDTH if bold else CHAR_WIDTH)


def _clean(text: str) -> str:
    """``text`` without characters XML cannot carry (they would break the page's markup)."""
    return _XML_INVALID.sub("", str(text))


def _n(number: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
