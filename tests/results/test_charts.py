"""The server-rendered SVG bar charts: valid, accessible, escaped, CSP-safe and to scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pytest
from markupsafe import Markup

from panel.results.charts import BAR_COLOUR, HIGHLIGHT_COLOUR, Bar, bar_chart, describe_bars

SVG = "{http://www.w3.org/2000/svg}"


def percent(value: float) -> str:
    return f"{value:.1f}%".replace(".", ",")


def chart(bars: Sequence[Bar], unit: str = "percentage", chart_id: str = "chart-1",
          description: str = "Share of residents.") -> Markup:
    return bar_chart(bars, title="Ever feels unsafe", description=description, unit=unit,
                     chart_id=chart_id, value_format=percent if unit == "percentage" else str)


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def bars_of(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect")
            if "wp-chart__bar" in rect.get("class", "").split()]


def width(rect: ET.Element) -> float:
    return float(rect.get("width", "nan"))


def visible_text(root: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


def test_the_chart_is_an_image_named_by_its_title_and_description():
    markup = chart([Bar("De Mare 2023", 45.0, highlight=True), Bar("Municipality 2023", 32.0)])
    assert isinstance(markup, Markup)
    root = parse(markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert list(root)[:2] == [title, desc]  # first, as a standalone SVG needs them
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.get("id") == "chart-1-title" and desc.get("id") == "chart-1-desc"
    assert title.text == "Ever feels unsafe"
    assert desc.text == "Share of residents."
    # The drawing itself is not read out: the title and description say it all.
    assert all(text.get("aria-hidden") == "true" for text in root.iter(f"{SVG}text"))


def test_the_width_comes_from_the_viewbox_only():
    root = parse(chart([Bar("A", 10.0)]))
    assert root.get("width") is None and root.get("height") is None
    assert re.fullmatch(r"0 0 \d+ [\d.]+", root.get("viewBox", ""))


def test_without_a_description_every_bar_is_described():
    bars = [Bar("De Mare", 45.0, 40.5, 49.5, highlight=True),
            Bar("Klein", None, note="too few respondents")]
    desc = parse(chart(bars, description="")).find(f"{SVG}desc")
    assert desc is not None
    assert desc.text == "De Mare: 45,0% (40,5%–49,5%); Klein: too few respondents."
    assert describe_bars(bars, percent, lambda lo, hi: f"margin {lo:g} to {hi:g}") == \
        "De Mare: 45,0% margin 40.5 to 49.5; Klein: too few respondents."


def test_labels_titles_and_notes_are_escaped():
    markup = chart([Bar('<script>alert("x")</script>', 20.0, note="&"),
                    Bar("Noord & Zuid", None, note="<b>few</b>")],
                   description='<img src=x onerror="alert(1)">')
    assert "<script" not in markup
    assert "<img" not in markup and "<b>" not in markup
    assert "&lt;script&gt;" in markup
    root = parse(markup)  # still well-formed
    texts = visible_text(root)
    assert '<script>alert("x")</script>' in texts
    assert "<b>few</b>" in texts


def test_the_output_is_safe_under_a_strict_content_security_policy():
    markup = chart([Bar("A", 20.0, 15.0, 25.0, highlight=True), Bar("B", None, note="n/a")])
    assert "style=" not in markup and "<style" not in markup  # not even font-style=
    assert "<script" not in markup
    assert not re.search(r"\son[a-z]+\s*=", markup)  # no inline event handlers
    assert "javascript:" not in markup and "href" not in markup


def test_a_suppressed_bar_draws_nothing_but_its_note():
    root = parse(chart([Bar("De Mare", 45.0, highlight=True),
                        Bar("Klein", None, 10.0, 20.0, note="too few respondents")]))
    assert len(bars_of(root)) == 1  # only De Mare's bar
    assert len(list(root.iter(f"{SVG}rect"))) == 1
    assert "too few respondents" in visible_text(root)
    assert "Klein" in visible_text(root)
    assert not root.findall(f".//{SVG}g[@class='wp-chart__ci']")  # no whisker without a bar


def test_a_bar_without_a_note_shows_a_dash():
    root = parse(chart([Bar("Klein", None)]))
    assert bars_of(root) == []
    assert "–" in visible_text(root)


def test_the_confidence_interval_is_drawn_as_a_whisker_when_given():
    root = parse(chart([Bar("With", 50.0, 40.0, 60.0), Bar("Without", 50.0),
                        Bar("Half", 50.0, ci_low=40.0)]))
    whiskers = root.findall(f".//{SVG}path[@class='wp-chart__whisker']")
    assert len(whiskers) == 1
    with_bar = bars_of(root)[0]
    x0, full = float(with_bar.get("x", "nan")), width(with_bar) * 2  # 50% is half the scale
    match = re.match(r"M([\d.]+) ([\d.]+)H([\d.]+)", whiskers[0].get("d", ""))
    assert match
    low, high = float(match[1]), float(match[3])
    assert low == pytest.approx(x0 + 0.4 * full, abs=0.01)
    assert high == pytest.approx(x0 + 0.6 * full, abs=0.01)


@pytest.mark.parametrize(("unit", "values", "full_scale"), [
    ("percentage", [25.0, 50.0, 100.0], 100.0),
    ("mark", [2.5, 5.0, 7.5], 10.0),
    ("count", [20.0, 40.0, 80.0], 80.0),  # 0 to a round maximum
    ("count", [30.0, 55.0], 60.0),
])
def test_bar_widths_are_proportional_to_the_value_on_the_units_scale(unit, values, full_scale):
    root = parse(chart([Bar(f"Area {i}", v) for i, v in enumerate(values)], unit=unit))
    rects = bars_of(root)
    assert len(rects) == len(values)
    axis = [line for line in root.iter(f"{SVG}line")
            if line.get("class") == "wp-chart__grid"]
    scale_width = float(axis[-1].get("x1", "nan")) - float(axis[0].get("x1", "nan"))
    assert {rect.get("x") for rect in rects} == {axis[0].get("x1")}  # all start at zero
    for rect, value in zip(rects, values, strict=True):
        assert width(rect) == pytest.approx(scale_width * value / full_scale, abs=0.02)


@pytest.mark.parametrize(("unit", "ticks"), [
    ("percentage", ["0%", "50%", "100%"]),
    ("mark", ["0", "5", "10"]),
])
def test_fixed_scales_have_fixed_ticks(unit, ticks):
    root = parse(chart([Bar("A", 3.0)], unit=unit))
    labels = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")
              if t.get("class") == "wp-chart__tick"]
    assert labels == ticks


def test_values_outside_the_scale_are_clipped_but_written_exactly():
    root = parse(chart([Bar("Too high", 120.0), Bar("Negative", -5.0), Bar("Full", 100.0)]))
    too_high, negative, full = bars_of(root)
    assert width(too_high) == width(full)
    assert width(negative) == 0
    assert "120,0%" in visible_text(root)


def test_the_highlighted_bar_stands_out_in_colour_and_weight():
    root = parse(chart([Bar("De Mare", 45.0, highlight=True), Bar("Municipality", 32.0)]))
    wijk, municipality = bars_of(root)
    assert wijk.get("fill") == HIGHLIGHT_COLOUR == "#00529b"
    assert municipality.get("fill") == BAR_COLOUR == "#6e6e6e"
    labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "wp-chart__label"]
    assert [t.get("font-weight") for t in labels] == ["700", None]


def test_two_charts_on_one_page_have_unique_ids():
    page = f"<div>{chart([Bar('A', 1.0)], chart_id='chart-0')}" \
           f"{chart([Bar('A', 1.0)], chart_id='chart-1')}</div>"
    ids = [element.get("id") for element in parse(page).iter() if element.get("id")]
    assert len(ids) == 4
    assert len(set(ids)) == len(ids)


def test_long_labels_wrap_instead_of_running_into_the_bars():
    root = parse(chart([Bar("Oosterparkwijk-Noordoost en de Binnenstad 2023", 45.0)]))
    label = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "wp-chart__label")
    lines = [span.text for span in label.iter(f"{SVG}tspan")]
    assert len(lines) > 1
    assert "".join(lines).replace(" ", "") == "Oosterparkwijk-NoordoostendeBinnenstad2023"


def test_an_empty_chart_is_still_valid():
    root = parse(chart([], description=""))
    assert root.get("role") == "img"
    assert bars_of(root) == []


@pytest.mark.parametrize("chart_id", ["", "1chart", "chart one", 'x" onload="alert(1)'])
def test_invalid_chart_ids_are_refused(chart_id):
    with pytest.raises(ValueError, match="chart_id"):
        chart([Bar("A", 1.0)], chart_id=chart_id)


def test_an_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unit"):
        chart([Bar("A", 1.0)], unit="euro")


def test_characters_xml_cannot_carry_are_dropped():
    root = parse(chart([Bar("A\x00B\x1f", 1.0)]))
    assert "AB" in visible_text(root)
