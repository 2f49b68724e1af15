"""The choropleth map of one indicator (``panel/results/maps.py``): class breaks on the
indicator's decimals, colours whose darkness follows "worse", and an SVG in which every wijk
is a focusable link named by the wijk and its figure."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from panel.results import maps
from panel.results.maps import Band, MapArea, choropleth, class_breaks, classify, label_points

SVG = "{http://www.w3.org/2000/svg}"
SQUARE = "M{x} {y}L{x2} {y} {x2} {y2} {x} {y2}Z"


def square(x: float, y: float, size: float = 200) -> str:
    return SQUARE.format(x=x, y=y, x2=x + size, y2=y + size)


def ranges(bands: list[Band]) -> list[tuple[str, str]]:
    return [(str(band.low), str(band.high)) for band in bands]


# --- class breaks -------------------------------------------------------------------------

def test_five_bands_of_equal_width_on_whole_percentages():
    bands = class_breaks([40.0, 41.2, 43.6, 47.0, 52.4], 0, higher_is_better=False)
    assert ranges(bands) == [("40", "41"), ("42", "44"), ("45", "46"), ("47", "49"),
                             ("50", "52")]


def test_bands_follow_the_indicators_decimals():
    bands = class_breaks([6.14, 6.5, 6.9, 7.2, 7.46, 7.0], 1, higher_is_better=True)
    # 6,1 to 7,5 is 14 steps of 0,1: the breaks at 2,8 5,6 8,4 and 11,2 steps, rounded.
    assert ranges(bands) == [("6.1", "6.3"), ("6.4", "6.6"), ("6.7", "6.8"), ("6.9", "7.1"),
                             ("7.2", "7.5")]
    two = class_breaks([0.123, 0.5], 2, higher_is_better=True)
    assert ranges(two) == [("0.12", "0.30"), ("0.31", "0.50")]


def test_bands_meet_without_gaps_or_overlaps():
    for values, decimals in (([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 99.0], 0),
                             ([7.04, 7.05, 7.95], 1), ([0.0, 1000.0], 0)):
        bands = class_breaks(values, decimals, higher_is_better=False)
        step = Decimal(1).scaleb(-decimals)
        for before, after in zip(bands, bands[1:], strict=False):
            assert after.low == before.high + step
            assert before.low <= before.high


def test_a_figure_is_classed_by_the_value_readers_see():
    bands = class_breaks([40.0, 52.0, 41.0, 44.0, 47.0], 0, higher_is_better=False)
    assert ranges(bands)[1] == ("42", "44")
    # 41.5 is shown as "42%", so it belongs to "42% to 44%", not to "40% to 41%".
    assert classify(41.5, bands, 0) == 1
    assert classify(41.49, bands, 0) == 0
    assert classify(52.0, bands, 0) == len(bands) - 1


def test_never_more_bands_than_figures_or_steps():
    assert ranges(class_breaks([5.0, 5.0, 5.2], 0, True)) == [("5", "5")]
    assert ranges(class_breaks([1.0, 3.0], 0, True)) == [("1", "1"), ("2", "2"), ("3", "3")]
    assert len(class_breaks([10.0, 20.0, 30.0], 0, True)) == 3
    assert class_breaks([], 0, True) == []


def test_darker_is_worse_whichever_way_the_indicator_points():
    lower_better = class_breaks([10.0, 20.0, 30.0, 40.0, 50.0], 0, higher_is_better=False)
    higher_better = class_breaks([10.0, 20.0, 30.0, 40.0, 50.0], 0, higher_is_better=True)
    assert [b.fill for b in lower_better] == list(maps.PALETTES[5])  # high values darkest
    assert [b.fill for b in higher_better] == list(reversed(maps.PALETTES[5]))


def contrast(a: str, b: str) -> float:
    light, dark = sorted((maps._luminance(a), maps._luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_every_fill_stands_out_from_the_lines_and_from_its_neighbours(count):
    palette = maps.PALETTES[count]
    for fill in palette:
        assert contrast(fill, maps.LINE_COLOUR) >= 3  # the boundaries and the focus ring
    for lighter, darker in zip(palette, palette[1:], strict=False):
        assert maps._luminance(lighter) > maps._luminance(darker)  # also in grey
        assert contrast(lighter, darker) >= 1.3
    for band in [Band(Decimal(0), Decimal(0), fill) for fill in palette]:
        assert contrast(band.text_colour, band.halo_colour) == 21  # the figure on its halo


# --- the SVG ------------------------------------------------------------------------------

@pytest.fixture
def drawn() -> ET.Element:
    bands = class_breaks([6.8, 7.5], 1, higher_is_better=True)
    areas = [
        MapArea("WK036101", "De Mare", "De Mare: 6,8", square(0, 0), "/wijken/WK036101",
                classify(6.8, bands, 1), "6,8", (100, 100, 100)),
        MapArea("WK036102", "Overdie <&>", "Overdie <&>: 7,5", square(300, 0),
                "/wijken/WK036102", classify(7.5, bands, 1), "7,5", (400, 100, 100)),
        MapArea("WK036109", "Koedijk", "Koedijk: te weinig deelnemers", square(0, 300),
                "/wijken/WK036109", maps.SUPPRESSED, "", (100, 400, 100)),
        MapArea("WK036103", "Huiswaard", "Huiswaard: geen cijfer", square(300, 300),
                "/wijken/WK036103", maps.MISSING, "", (400, 400, 100)),
    ]
    markup = choropleth("0 0 1000 600", areas, bands, title="Kaart: rapportcijfer, 2023",
                        description="Elke wijk is een link.")
    return ET.fromstring(str(markup))


def links(root: ET.Element) -> dict[str, ET.Element]:
    return {a.get("href", ""): a for a in root.iter(f"{SVG}a")}


def test_the_map_is_a_named_group_with_a_description(drawn):
    assert drawn.get("role") == "group"
    title = drawn.find(f"{SVG}title")
    desc = drawn.find(f"{SVG}desc")
    assert title is not None and title.text == "Kaart: rapportcijfer, 2023"
    assert desc is not None and desc.text == "Elke wijk is een link."
    assert drawn.get("aria-labelledby") == title.get("id")
    assert drawn.get("aria-describedby") == desc.get("id")
    assert drawn.get("viewBox") == "0 0 1000 600"
    assert drawn.get("style") is None and drawn.find(f".//{SVG}style") is None  # CSP


def test_every_wijk_is_a_link_named_by_its_wijk_and_figure(drawn):
    found = links(drawn)
    assert set(found) == {"/wijken/WK036101", "/wijken/WK036102", "/wijken/WK036109",
                          "/wijken/WK036103"}
    assert found["/wijken/WK036101"].get("aria-label") == "De Mare: 6,8"
    assert found["/wijken/WK036102"].get("aria-label") == "Overdie <&>: 7,5"  # escaped
    for link in found.values():
        # A link with an href is in the tab order; nothing takes it out.
        assert link.get("tabindex") in (None, "0")
        assert link.get("aria-hidden") is None
        assert link.find(f"{SVG}path") is not None
        assert link.find(f"{SVG}title").text == link.get("aria-label")  # the tooltip


def test_the_figure_is_written_in_its_shape_and_hidden_from_screen_readers(drawn):
    labels = drawn.find(f".//{SVG}g[@class='wp-map__labels']")
    assert labels is not None and labels.get("aria-hidden") == "true"
    figures = [t.text for t in labels.iter(f"{SVG}text") if t.get("class") == "wp-map__figure"]
    assert figures == ["6,8", "7,5"]
    first = next(t for t in labels.iter(f"{SVG}text") if t.text == "6,8")
    assert float(first.get("font-size")) >= maps.MIN_FONT_SIZE


def test_too_few_respondents_is_hatched_and_has_no_figure(drawn):
    koedijk = links(drawn)["/wijken/WK036109"]
    path = koedijk.find(f"{SVG}path")
    assert path.get("fill") == "url(#wp-map-suppressed)"
    assert drawn.find(f".//{SVG}pattern[@id='wp-map-suppressed']") is not None
    texts = [t.text for t in drawn.iter(f"{SVG}text")]
    assert "Koedijk" in texts  # its name, where it fits
    assert not any(text and "%" in text for text in texts)
    missing = links(drawn)["/wijken/WK036103"].find(f"{SVG}path")
    assert missing.get("fill") == "url(#wp-map-missing)"


def test_colours_by_band_and_lines_that_do_not_scale(drawn):
    paths = {a.get("href"): a.find(f"{SVG}path") for a in drawn.iter(f"{SVG}a")}
    assert paths["/wijken/WK036101"].get("fill") != paths["/wijken/WK036102"].get("fill")
    # 6,8 of a mark where higher is better: the worse one is the darker one.
    assert maps._luminance(paths["/wijken/WK036101"].get("fill")) < \
        maps._luminance(paths["/wijken/WK036102"].get("fill"))
    for path in paths.values():
        assert path.get("vector-effect") == "non-scaling-stroke"
        assert path.get("stroke") == maps.LINE_COLOUR


def test_keyboard_order_reads_the_map_from_top_to_bottom(drawn):
    assert [a.get("href")[-2:] for a in drawn.iter(f"{SVG}a")] == ["01", "02", "09", "03"]


def test_the_legend_swatches_are_decorative():
    bands = class_breaks([1.0, 2.0], 0, True)
    swatch = ET.fromstring(str(maps.legend_swatch(maps.SUPPRESSED, bands, "legend-hatch")))
    assert swatch.get("aria-hidden") == "true"
    assert swatch.find(f".//{SVG}pattern").get("id") == "legend-hatch"
    plain = ET.fromstring(str(maps.legend_swatch(0, bands, "unused")))
    assert plain.find(f".//{SVG}rect").get("fill") == bands[0].fill


def test_labels_go_in_the_largest_inscribed_circle():
    # An L shape: the label goes in its corner, not at the centre of its box (which is
    # outside the shape).
    l_shape = "M0 0L100 0 100 300 400 300 400 400 0 400Z"
    (x, y, radius), = label_points([l_shape])
    assert x < 100 + radius and y > 300 - radius and 50 <= radius <= 60
    assert not (x > 100 and y < 300)
    # A hole (a ring inside the ring) is not part of the shape.
    ring = "M0 0L300 0 300 300 0 300ZM50 50L250 50 250 250 50 250Z"
    (x, y, radius), = label_points([ring])
    assert not (50 < x < 250 and 50 < y < 250) and radius <= 30  # the frame is 50 wide
    assert label_points(["", "M0 0L10 0 10 10 0 10Z"])[0] is None
    # Relative commands, H and V too.
    (x, y, radius), = label_points(["m10 10 h100 v100 h-100 z"])
    assert (x, y, radius) == (60, 60, 50)
