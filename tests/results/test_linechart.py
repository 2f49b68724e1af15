"""The server-rendered SVG line charts of a trend: an accessible image whose description says
every value, the interval as a band, a marker and a label at every point, years to scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pytest

from panel.results.linechart import (
    BAND_COLOUR,
    Point,
    _scale,
    describe_points,
    line_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def mark(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def percent(value: float) -> str:
    return f"{value:.0f}%"


def chart(points: Sequence[Point], unit: str = "mark", description: str = "",
          **options: object) -> ET.Element:
    markup = line_chart(points, title="Safety mark", description=description, unit=unit,
                        chart_id="trend-1", value_format=percent if unit == "percentage"
                        else mark, **options)  # type: ignore[arg-type]
    return ET.fromstring(str(markup))


def texts(root: ET.Element, css_class: str) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")
            if css_class in t.get("class", "").split()]


def with_class(root: ET.Element, tag: str, css_class: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if css_class in e.get("class", "").split()]


def numbers(path: str) -> list[tuple[float, float]]:
    values = [float(n) for n in re.findall(r"-?[0-9.]+", path)]
    return list(zip(values[::2], values[1::2], strict=True))


TWO = [Point("2015", 2015, 7.3, 7.2, 7.4), Point("2019", 2019, 7.5, 7.4, 7.6)]


def test_the_chart_is_an_image_that_says_every_value_in_words():
    root = chart(TWO)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None and list(root)[:2] == [title, desc]
    assert root.get("aria-labelledby") == "trend-1-title trend-1-desc"
    assert title.text == "Safety mark"
    assert desc.text == "2015: 7,3 (7,2–7,4); 2019: 7,5 (7,4–7,6)."
    assert all(t.get("aria-hidden") == "true" for t in root.iter(f"{SVG}text"))


def test_the_caller_may_describe_it_and_translate_the_interval():
    root = chart(TWO, description="Two editions.")
    assert root.find(f"{SVG}desc").text == "Two editions."  # type: ignore[union-attr]
    points = TWO + [Point("2023", 2023, None, note="too few respondents"),
                    Point("2025", 2025, 6.1, marked=True)]
    assert describe_points(points, mark, ci_format=lambda lo, hi: f"(margin {mark(lo)} to "
                           f"{mark(hi)})", marked_format=lambda y: f"{y}, not published") == (
        "2015: 7,3 (margin 7,2 to 7,4); 2019: 7,5 (margin 7,4 to 7,6); "
        "2023: too few respondents; 2025, not published: 6,1.")


def test_every_point_has_a_marker_a_value_label_and_its_year():
    root = chart(TWO)
    assert len(with_class(root, "circle", "wp-chart__marker")) == 2
    assert texts(root, "wp-chart__value") == ["7,3", "7,5"]
    assert [t for t in texts(root, "wp-chart__tick") if t.startswith("20")] == ["2015", "2019"]
    assert texts(root, "wp-chart__tick")[:3] == ["0", "5", "10"]  # the scale of a mark


def test_the_band_runs_between_the_bounds_around_the_line():
    root = chart(TWO)
    [area] = with_class(root, "path", "wp-chart__band-area")
    assert area.get("fill") == BAND_COLOUR
    corners = numbers(area.get("d", ""))
    [line] = with_class(root, "path", "wp-chart__line")
    through = numbers(line.get("d", ""))
    assert len(corners) == 4 and len(through) == 2
    (x1, top1), (x2, top2), (x3, bottom2), (x4, bottom1) = corners
    assert (x1, x2) == (through[0][0], through[1][0]) and (x3, x4) == (x2, x1)
    for (_, y), top, bottom in zip(through, (top1, top2), (bottom1, bottom2), strict=True):
        assert top < y < bottom  # SVG's y grows downwards: the upper bound is drawn higher
    markers = with_class(root, "circle", "wp-chart__marker")
    assert [(float(m.get("cx", "0")), float(m.get("cy", "0"))) for m in markers] == through


def test_years_lie_on_the_axis_by_their_distance():
    root = chart([Point("2015", 2015, 7.3), Point("2019", 2019, 7.5),
                  Point("2021", 2021, 7.4)])
    xs = [float(m.get("cx", "0")) for m in with_class(root, "circle", "wp-chart__marker")]
    assert xs[1] - xs[0] == pytest.approx(2 * (xs[2] - xs[1]), abs=0.02)  # two decimals


def test_a_missing_value_breaks_the_line_and_the_band():
    root = chart([Point("2013", 2013, 7.0, 6.9, 7.1), Point("2015", 2015, 7.3, 7.2, 7.4),
                  Point("2017", 2017, None, note="too few respondents"),
                  Point("2019", 2019, 7.5, 7.4, 7.6), Point("2021", 2021, 7.6, 7.5, 7.7)])
    assert len(with_class(root, "path", "wp-chart__line")) == 2
    assert len(with_class(root, "path", "wp-chart__band-area")) == 2
    assert texts(root, "wp-chart__note") == ["–"]
    assert "2017: too few respondents" in root.find(f"{SVG}desc").text  # type: ignore


def test_a_single_edition_gets_a_whisker_and_no_line():
    root = chart([Point("2019", 2019, 7.5, 7.4, 7.6)])
    assert with_class(root, "path", "wp-chart__band--single")
    assert not with_class(root, "path", "wp-chart__line")
    assert texts(root, "wp-chart__value") == ["7,5"]


def test_an_unpublished_edition_has_a_hollow_marker():
    root = chart(TWO + [Point("2023", 2023, 6.1, marked=True)])
    marked = with_class(root, "circle", "wp-chart__marker--marked")
    assert len(marked) == 1 and marked[0].get("fill") == "#ffffff"


@pytest.mark.parametrize(("unit", "values", "expected"), [
    ("percentage", [13.0, 11.0], (20.0, (0.0, 10.0, 20.0))),
    ("percentage", [45.0, 52.0], (60.0, (0.0, 30.0, 60.0))),
    ("percentage", [98.0], (100.0, (0.0, 50.0, 100.0))),
    ("mark", [7.3, 7.5], (10.0, (0.0, 5.0, 10.0))),
    ("score", [3.1], (10.0, (0.0, 5.0, 10.0))),
    ("count", [130.0, 170.0], (200.0, (0.0, 100.0, 200.0))),
])
def test_the_scale_starts_at_zero_and_fits_the_unit(unit, values, expected):
    assert _scale(unit, [Point(str(i), i, v) for i, v in enumerate(values)]) == expected


def test_percentages_keep_the_interval_on_the_scale():
    root = chart([Point("2015", 2015, 13.0, 11.0, 21.0), Point("2019", 2019, 11.0, 9.0, 13.0)],
                 unit="percentage")
    assert texts(root, "wp-chart__tick")[:3] == ["0%", "15%", "30%"]
    assert texts(root, "wp-chart__value") == ["13%", "11%"]


def test_text_is_escaped_and_the_chart_needs_no_inline_style():
    markup = str(line_chart([Point("<2019>", 2019, 7.5)], title='Mark "<script>"',
                            description="a & b\x00", unit="mark", chart_id="c",
                            value_format=mark))
    root = ET.fromstring(markup)
    assert root.find(f"{SVG}title").text == 'Mark "<script>"'  # type: ignore[union-attr]
    assert "<script>" not in markup and "\x00" not in markup
    assert "style" not in markup


def test_the_compact_chart_is_lower_and_narrower():
    wide, small = chart(TWO), chart(TWO, compact=True)
    assert [float(v) for v in small.get("viewBox", "").split()][2:] < \
        [float(v) for v in wide.get("viewBox", "").split()][2:]


@pytest.mark.parametrize(("options", "message"), [
    ({"chart_id": "1-starts-with-a-digit"}, "chart_id"),
    ({"unit": "stars"}, "unit"),
])
def test_wrong_arguments_are_refused(options, message):
    arguments = {"title": "t", "description": "", "unit": "mark", "chart_id": "c",
                 "value_format": mark, **options}
    with pytest.raises(ValueError, match=message):
        line_chart(TWO, **arguments)  # type: ignore[arg-type]
