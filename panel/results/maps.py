"""Server-rendered choropleth maps: one indicator for every wijk, as inline SVG.

No JavaScript, no inline styles, no library for the drawing: the same rules as the bar charts
(``charts.py``). The map takes the width of its container from its ``viewBox``.

* **Classes**: at most five, of equal width over the range of the figures shown, with the
  breaks on the indicator's own decimals (:func:`class_breaks`). A figure is put in a class
  by the value a reader sees (rounded), so the legend's ranges ("40% to 43%") never
  contradict the figure written in a shape.
* **Colours**: ColorBrewer's *YlOrRd* (sequential, safe for colour-blind readers and in
  grey print), light for better and dark for worse, whatever the direction of the
  indicator. Every fill has at least 3:1 contrast with the black boundary lines.
* **Not by colour alone**: the figure is written inside every shape (at the centre of its
  largest inscribed circle), wijken with too few respondents are hatched and carry no
  figure, wijken without a figure are grey with dots.
* **Accessible**: every shape is a link (``<a href>``, focusable with the keyboard) whose
  name is the wijk and its figure ("De Mare: 6,8"); the SVG is a group with a title and a
  description, the written figures are hidden from screen readers (the names say them).
  The focus ring is a thick stroke set in CSS (``.wp-map__link:focus-visible``).

The module has no translatable strings: names, titles and figures come from the caller.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import shapely
from markupsafe import Markup

from panel.results.charts import _clean, _element, _n

__all__ = ["Band", "MapArea", "choropleth", "class_breaks", "classify", "label_points",
           "legend_swatch", "palette"]

MAX_CLASSES = 5
# ColorBrewer YlOrRd for 1 to 5 classes, light (better) to dark (worse). The darkest fill
# still has 3.2:1 with the black boundary lines; neighbouring classes differ 1.4:1 to 1.7:1
# in luminance, so the order also shows in grey.
PALETTES: dict[int, tuple[str, ...]] = {
    1: ("#feb24c",),
    2: ("#ffeda0", "#f03b20"),
    3: ("#ffeda0", "#feb24c", "#f03b20"),
    4: ("#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"),
    5: ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"),
}
LINE_COLOUR = "#000000"
HATCH_COLOUR = "#595959"  # 7:1 on white: the hatch of "too few respondents"
MISSING_COLOUR = "#e0e0e0"  # no figure: light grey ...
DOT_COLOUR = "#767676"  # ... with dots (4.5:1 on white)
DARK_TEXT, LIGHT_TEXT = "#000000", "#ffffff"

SUPPRESSED, MISSING, OUTSIDE = "suppressed", "missing", "outside"

# Text inside the shapes, in map units for a map 1000 units wide (scaled for other widths):
# about 12 px on a phone 360 px wide (the map is 264 px there), 25 px at its widest (34rem).
FONT_SIZE = 46.0
MIN_FONT_SIZE = 32.0
CHAR_WIDTH = 0.6  # the average advance of a digit or "%" as a fraction of the font size
# The wijk's name above its figure, where both fit (hidden on narrow screens by CSS).
NAME_FONT_SIZE = 24.0
NAME_CHAR_WIDTH = 0.56
HATCH_SPACING = 22.0
# Reading order for the keyboard: top to bottom in bands of this share of the height,
# left to right within a band.
READING_BANDS = 8

_COMMAND = re.compile(r"([MmLlHhVvZz])|(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")


@dataclass(frozen=True)
class Band:
    """One class of the map: the figures from ``low`` to ``high`` (both as shown, on the
    indicator's decimals) and its fill."""

    low: Decimal
    high: Decimal
    fill: str

    @property
    def text_colour(self) -> str:
        return LIGHT_TEXT if _luminance(self.fill) < 0.18 else DARK_TEXT

    @property
    def halo_colour(self) -> str:
        return DARK_TEXT if self.text_colour == LIGHT_TEXT else LIGHT_TEXT


@dataclass(frozen=True)
class MapArea:
    """One wijk as the map draws it. ``kind`` is the index of its band (0 is the lowest
    figure), or ``SUPPRESSED``, ``MISSING`` or ``OUTSIDE`` (a shape without a wijk page: drawn
    grey, not a link). ``name`` is the wijk's name, ``label`` the link's accessible name
    ("De Mare: 6,8"), ``text`` the figure written inside ("6,8"; empty for no figure).
    ``point`` is (x, y, radius) of the largest circle inside the shape
    (:func:`label_points`)."""

    code: str
    name: str
    label: str
    path: str
    href: str | None
    kind: int | str
    text: str = ""
    point: tuple[float, float, float] | None = None


def _rounded(value: float, decimals: int) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def palette(count: int, higher_is_better: bool) -> tuple[str, ...]:
    """The fills of ``count`` bands from the lowest figure to the highest: dark is worse."""
    colours = PALETTES[max(1, min(MAX_CLASSES, count))]
    return tuple(reversed(colours)) if higher_is_better else colours


def class_breaks(values: Sequence[float], decimals: int, higher_is_better: bool,
                 classes: int = MAX_CLASSES) -> list[Band]:
    """Bands of (nearly) equal width over the range of the figures as shown (rounded to
    ``decimals``): the breaks are the equal steps of the range, rounded half up to the
    indicator's decimals, and each band ends one smallest step (``10 ** -decimals``) below
    the next, so they meet without a gap or an overlap: "40% to 41%", "42% to 44%". There
    are at most ``classes`` bands, and no more than there are different figures unless
    each band is one step wide.
    """
    decimals = max(0, decimals)
    shown = sorted({_rounded(v, decimals) for v in values if v is not None and math.isfinite(v)})
    if not shown:
        return []
    step = Decimal(1).scaleb(-decimals)
    low, high = shown[0], shown[-1]
    units = (high - low) / step  # the range in smallest steps
    # One band per step when the range has no more steps than bands; otherwise no more bands
    # than there are different figures.
    if units + 1 <= classes:
        starts = [low + k * step for k in range(int(units) + 1)]
    else:
        count = max(1, min(classes, len(shown)))
        starts = sorted({low + (units * k / count).quantize(Decimal(1), rounding=ROUND_HALF_UP)
                         * step for k in range(count)})
    ends = [following - step for following in starts[1:]] + [high]
    fills = palette(len(starts), higher_is_better)
    return [Band(a, b, fill) for a, b, fill in zip(starts, ends, fills, strict=True)]


def classify(value: float, bands: Sequence[Band], decimals: int) -> int:
    """The index of the band a figure is in, by its rounded value."""
    shown = _rounded(value, max(0, decimals))
    for index, band in enumerate(bands):
        if shown <= band.high:
            return index
    return len(bands) - 1


# --- shapes -------------------------------------------------------------------------------

def _rings(path: str) -> list[list[tuple[float, float]]]:
    """The rings of SVG path data made of straight lines (M, L, H, V, Z, absolute or
    relative, as ``panel.areas.boundaries`` writes them)."""
    rings: list[list[tuple[float, float]]] = []
    ring: list[tuple[float, float]] = []
    command, numbers = "M", []
    x = y = 0.0

    def flush() -> None:
        nonlocal ring
        if len(ring) >= 3:
            rings.append(ring)
        ring = []

    def apply(cmd: str, args: list[float]) -> None:
        nonlocal x, y
        if cmd in "Mm":
            for i in range(0, len(args) - 1, 2):
                dx, dy = args[i], args[i + 1]
                x, y = (x + dx, y + dy) if cmd == "m" else (dx, dy)
                if i == 0:
                    flush()
                ring.append((x, y))
        elif cmd in "Ll":
            for i in range(0, len(args) - 1, 2):
                dx, dy = args[i], args[i + 1]
                x, y = (x + dx, y + dy) if cmd == "l" else (dx, dy)
                ring.append((x, y))
        elif cmd in "Hh":
            for value in args:
                x = x + value if cmd == "h" else value
                ring.append((x, y))
        elif cmd in "Vv":
            for value in args:
                y = y + value if cmd == "v" else value
                ring.append((x, y))

    for letter, number in _COMMAND.findall(path):
        if letter:
            apply(command, numbers)
            numbers = []
            command = letter
            if letter in "Zz":
                if ring:
                    x, y = ring[0]
                flush()
        else:
            numbers.append(float(number))
    apply(command, numbers)
    flush()
    return rings


def _geometry(path: str) -> shapely.Geometry | None:
    """The area a path fills (even-odd: a ring inside another is a hole)."""
    area = None
    for ring in _rings(path):
        polygon = shapely.make_valid(shapely.Polygon(ring))
        area = polygon if area is None else shapely.symmetric_difference(area, polygon)
    return None if area is None or area.is_empty else area


def label_points(paths: Sequence[str]) -> list[tuple[float, float, float] | None]:
    """For each path, the centre and radius of the largest circle inside it (the place
    where a label is easiest to read), or None for an empty path."""
    points: list[tuple[float, float, float] | None] = []
    for path in paths:
        area = _geometry(path)
        if area is None:
            points.append(None)
            continue
        xmin, ymin, xmax, ymax = area.bounds
        tolerance = max(xmax - xmin, ymax - ymin, 1.0) / 200
        line = shapely.maximum_inscribed_circle(area, tolerance)
        (cx, cy), (ex, ey) = shapely.get_coordinates(line)[:2]
        points.append((round(float(cx), 1), round(float(cy), 1),
                       round(math.hypot(ex - cx, ey - cy), 1)))
    return points


# --- drawing ------------------------------------------------------------------------------

def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _pattern(kind: str, pattern_id: str, scale: float) -> Markup:
    """The hatch of "too few respondents" or the dots of "no figure"."""
    spacing = _n(HATCH_SPACING * scale)
    if kind == SUPPRESSED:
        return _element("pattern", {
            "id": pattern_id, "patternUnits": "userSpaceOnUse", "width": spacing,
            "height": spacing, "patternTransform": "rotate(45)"}, Markup("").join([
                _element("rect", {"width": spacing, "height": spacing, "fill": "#ffffff"}),
                _element("rect", {"width": _n(HATCH_SPACING * scale * 0.4), "height": spacing,
                                  "fill": HATCH_COLOUR})]))
    half = _n(HATCH_SPACING * scale / 2)
    return _element("pattern", {
        "id": pattern_id, "patternUnits": "userSpaceOnUse", "width": spacing,
        "height": spacing}, Markup("").join([
            _element("rect", {"width": spacing, "height": spacing, "fill": MISSING_COLOUR}),
            _element("circle", {"cx": half, "cy": half, "r": _n(HATCH_SPACING * scale * 0.16),
                                "fill": DOT_COLOUR})]))


def _fill(kind: int | str, bands: Sequence[Band], prefix: str) -> str:
    if isinstance(kind, int):
        return bands[kind].fill
    if kind == SUPPRESSED:
        return f"url(#{prefix}-suppressed)"
    if kind == MISSING:
        return f"url(#{prefix}-missing)"
    return MISSING_COLOUR


def _font_size(text: str, radius: float, scale: float) -> float:
    """The largest font size up to FONT_SIZE whose text fits the circle, at least
    MIN_FONT_SIZE (a label that does not fit sticks out, on its halo)."""
    half_width = len(text) * CHAR_WIDTH / 2
    fits = radius / math.hypot(half_width, 0.5) * 0.95
    return max(MIN_FONT_SIZE * scale, min(FONT_SIZE * scale, fits))


def _label(area: MapArea, bands: Sequence[Band], scale: float) -> Markup:
    """The figure written at the centre of the shape's largest inscribed circle, with the
    wijk's name above it where both fit inside; on a halo, so it stays readable on any
    fill and where it sticks out."""
    if area.point is None or area.kind == OUTSIDE:
        return Markup("")
    x, y, radius = area.point
    if isinstance(area.kind, int):
        fill, halo = bands[area.kind].text_colour, bands[area.kind].halo_colour
    else:
        fill, halo = DARK_TEXT, LIGHT_TEXT
    text = _clean(area.text)
    name = _clean(area.name)
    size = _font_size(text, radius, scale) if text else 0.0
    name_size = NAME_FONT_SIZE * scale
    width = max(len(name) * NAME_CHAR_WIDTH * name_size, len(text) * CHAR_WIDTH * size)
    height = name_size * 1.2 + size
    with_name = bool(name) and math.hypot(width / 2, height / 2) <= radius
    paint = {"fill": fill, "stroke": halo, "stroke-linejoin": "round", "paint-order": "stroke"}
    parts: list[Markup] = []
    if with_name:
        top = y - height / 2 if text else y - name_size / 2
        parts.append(_element("text", {
            "class": "wp-map__name", "x": _n(x), "y": _n(top + name_size * 0.8),
            "font-size": _n(name_size), "font-weight": "400",
            "stroke-width": _n(name_size * 0.2), **paint}, name))
        figure_y = top + name_size * 1.2 + size * 0.8
    else:
        figure_y = y + size * 0.35
    if text:
        parts.append(_element("text", {
            "class": "wp-map__figure", "x": _n(x), "y": _n(figure_y), "font-size": _n(size),
            "stroke-width": _n(size * 0.18), **paint}, text))
    return Markup("").join(parts)


def _reading_order(areas: Sequence[MapArea], height: float) -> list[MapArea]:
    band = max(height / READING_BANDS, 1.0)

    def key(area: MapArea) -> tuple[int, float, str]:
        x, y = (area.point[0], area.point[1]) if area.point else (0.0, 0.0)
        return int(y // band), x, area.code

    return sorted(areas, key=key)


def choropleth(view_box: str, areas: Sequence[MapArea], bands: Sequence[Band], *, title: str,
               description: str, map_id: str = "wp-map") -> Markup:
    """The map as inline SVG markup: every area a shape, a link where it has a page.

    ``view_box`` is ``"0 0 W H"``. ``title`` and ``description`` become the SVG's accessible
    name and description; ``map_id`` (unique on the page) prefixes the ids inside.
    """
    _x, _y, width, height = (float(part) for part in view_box.split())
    scale = width / 1000
    ordered = _reading_order(areas, height)
    shapes: list[Markup] = []
    labels: list[Markup] = []
    for area in ordered:
        css = f"wp-map__area wp-map__area--{area.kind}"
        shape = _element("path", {
            "class": css, "d": area.path, "fill": _fill(area.kind, bands, map_id),
            "fill-rule": "evenodd", "stroke": LINE_COLOUR, "stroke-width": "1",
            "stroke-linejoin": "round", "vector-effect": "non-scaling-stroke"})
        if area.href:
            shapes.append(_element("a", {
                "class": "wp-map__link", "href": area.href, "aria-label": _clean(area.label),
            }, _element("title", {}, _clean(area.label)) + shape))
        else:
            shapes.append(_element("g", {"aria-hidden": "true"}, shape))
        labels.append(_label(area, bands, scale))
    title_id, desc_id = f"{map_id}-title", f"{map_id}-desc"
    return _element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "class": "wp-map__svg", "id": map_id,
        "viewBox": view_box, "preserveAspectRatio": "xMidYMid meet", "role": "group",
        "aria-labelledby": title_id, "aria-describedby": desc_id,
    }, Markup("").join([
        _element("title", {"id": title_id}, _clean(title)),
        _element("desc", {"id": desc_id}, _clean(description)),
        _element("defs", {}, _pattern(SUPPRESSED, f"{map_id}-{SUPPRESSED}", scale)
                 + _pattern(MISSING, f"{map_id}-{MISSING}", scale)),
        _element("g", {"class": "wp-map__shapes"}, Markup("").join(shapes)),
        _element("g", {"class": "wp-map__labels", "aria-hidden": "true",
                       "pointer-events": "none", "text-anchor": "middle",
                       "font-weight": "700"}, Markup("").join(labels)),
    ]))


def legend_swatch(kind: int | str, bands: Sequence[Band], swatch_id: str) -> Markup:
    """A small square in the fill of a band (or the hatch or the dots) for the legend, whose
    words are HTML next to it. Decorative: hidden from screen readers. A swatch with a
    pattern defines its own, with the id ``swatch_id`` (unique on the page)."""
    defs = Markup("")
    if isinstance(kind, int):
        fill = bands[kind].fill
    else:
        defs = _element("defs", {}, _pattern(kind, swatch_id, 0.6))
        fill = f"url(#{swatch_id})"
    return _element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "class": "wp-map-legend__swatch",
        "viewBox": "0 0 24 24", "aria-hidden": "true", "focusable": "false"},
        defs + _element("rect", {"x": "0.5", "y": "0.5", "width": "23", "height": "23",
                                 "fill": fill, "stroke": LINE_COLOUR}))
