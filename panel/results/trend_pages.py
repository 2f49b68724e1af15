"""What the trend, municipality and gebied pages show, in the page's language: the line
charts (kept per worker, see ``trends.kept_chart``), the tables, and the CSV downloads.

A page's table and its CSV download are made from one :class:`Table`, so the download
holds exactly the columns and editions the page shows, with the year in every header that
belongs to one edition ("Figure 2019", "Respondents 2019"). A suppressed figure shows
"too few respondents" and no respondent count, on the page and in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from panel.i18n import current_language
from panel.results import linechart
from panel.results.formatting import (
    figure_text,
    format_value,
    interval_text,
    respondents_text,
    results_csv,
)
from panel.results.models import Edition, Indicator
from panel.results.services import Figure
from panel.results.trends import AreaOverview, OverviewRow, Place, Trend, kept_chart

__all__ = ["Cell", "Table", "comparison_text", "edition_label", "overview_csv",
           "overview_tables", "place_link", "trend_chart", "trend_csv", "trend_table"]


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None


@dataclass
class Table:
    """A table as the page shows it: the first cell of a row is its header."""

    key: str
    caption: str
    headers: list[str]
    numeric: tuple[int, ...] = ()
    rows: list[list[Cell]] = field(default_factory=list)
    group: str = ""  # the theme of an overview's table (a column of the download)


def edition_label(edition: Edition) -> str:
    """The year, marked when staff see an edition that is not published yet."""
    if edition.published:
        return str(edition.year)
    return _("%(year)s (not published)", year=edition.year)


def comparison_text(result: str, year: int | None) -> str:
    """How a figure compares with the one of ``year``: "better than 2015" and so on."""
    if year is None:
        return ""
    texts = {"better": _("better than %(year)s", year=year),
             "worse": _("worse than %(year)s", year=year),
             "same": _("no meaningful difference from %(year)s", year=year)}
    return texts.get(result) or _("cannot be compared with %(year)s", year=year)


def municipality_comparison(result: str) -> str:
    texts = {"better": _("better than the municipality"),
             "worse": _("worse than the municipality"),
             "same": _("no meaningful difference from the municipality")}
    return texts.get(result) or _("cannot be compared with the municipality")


def place_link(place: Place) -> str:
    """The page of the area: the municipality page, a gebied page or a wijk page."""
    if place.level == "municipality":
        return url_for("results.municipality")
    if place.level == "area":
        return url_for("results.gebied", code=place.code)
    return url_for("results.wijk", code=place.code)


def place_name(place: Place) -> str:
    if place.level == "area":
        return _("gebied %(name)s", name=place.name)
    return place.name


# --- the chart ----------------------------------------------------------------------------

def _points(trend: Trend) -> list[linechart.Point]:
    points = []
    for point in trend.points:
        figure = point.figure
        points.append(linechart.Point(
            str(point.edition.year), float(point.edition.year),
            figure.value if figure.shown else None,
            figure.ci_low if figure.shown else None, figure.ci_high if figure.shown else None,
            note="" if figure.shown else figure_text(trend.indicator, figure),
            marked=not point.edition.published))
    return points


def trend_chart(trend: Trend, chart_id: str, compact: bool = False) -> Markup:
    """The trend as a line chart with its interval band, drawn once per change of what it
    shows and kept per worker."""
    language = current_language()
    indicator = trend.indicator
    key = ("trend", language, chart_id, compact, indicator.id, indicator.unit,
           indicator.decimals, indicator.name(language), trend.place.code, trend.place.name,
           tuple((p.edition.year, p.edition.published, p.figure.value, p.figure.ci_low,
                  p.figure.ci_high, p.figure.suppressed) for p in trend.points))
    return kept_chart(key, lambda: _draw(trend, chart_id, compact))


def _draw(trend: Trend, chart_id: str, compact: bool) -> Markup:
    indicator = trend.indicator
    points = _points(trend)

    def value(number: float) -> str:
        return format_value(indicator, number)

    description = linechart.describe_points(
        points, value,
        ci_format=lambda low, high: _("(margin %(low)s to %(high)s)", low=value(low),
                                      high=value(high)),
        marked_format=lambda label: _("%(year)s (not published)", year=label))
    if not points:
        description = _("There are no figures yet.")
    title = _("%(indicator)s in %(place)s, per edition of the survey",
              indicator=indicator.name(current_language()), place=place_name(trend.place))
    return linechart.line_chart(points, title=title, description=description,
                                unit=indicator.unit, chart_id=chart_id, value_format=value,
                                compact=compact)


# --- the trend table ----------------------------------------------------------------------

def trend_table(trend: Trend, key: str = "trend-table") -> Table:
    """Year, figure, respondents, interval and the comparison with the edition before."""
    indicator = trend.indicator
    table = Table(key, _("Figures per edition"),
                  [_("Year"), _("Figure"), _("Respondents"), _("Margin"),
                   _("Difference with the edition before")],
                  numeric=(1, 2, 3))
    for point in reversed(trend.points):  # newest first, as people read a table
        figure = point.figure
        table.rows.append([Cell(edition_label(point.edition)),
                           Cell(figure_text(indicator, figure)),
                           Cell(respondents_text(figure)),
                           Cell(interval_text(indicator, figure)),
                           Cell(comparison_text(point.vs_previous, point.previous_year))])
    return table


def trend_csv(trend: Trend) -> bytes:
    table = trend_table(trend)
    return results_csv(table.headers, [[cell.text for cell in row] for row in table.rows])


# --- the overview of the municipality or a gebied -----------------------------------------

def _figure_cells(indicator: Indicator, figure: Figure | None) -> list[Cell]:
    if figure is None:
        return [Cell(_("no figure")), Cell("")]
    return [Cell(figure_text(indicator, figure)), Cell(respondents_text(figure))]


def _headers(overview: AreaOverview) -> tuple[list[str], tuple[int, ...]]:
    headers = [_("Indicator")]
    for edition in overview.editions:
        label = edition_label(edition)
        headers += [_("Figure %(year)s", year=label), _("Respondents %(year)s", year=label)]
    numeric = tuple(range(1, len(headers)))
    if overview.municipality is not None and overview.newest is not None:
        headers.append(_("Municipality %(year)s", year=edition_label(overview.newest)))
        numeric += (len(headers) - 1,)
        headers.append(_("Compared with the municipality"))
    if overview.previous is not None:
        headers.append(_("Compared with %(year)s", year=overview.previous.year))
    return headers, numeric


def _row(overview: AreaOverview, row: OverviewRow, links: bool) -> list[Cell]:
    indicator = row.indicator
    href = url_for("results.trend", code=indicator.code, area=overview.place.code) \
        if links else None
    cells = [Cell(indicator.name(current_language()), href)]
    for figure in row.figures:
        cells += _figure_cells(indicator, figure)
    if overview.municipality is not None and overview.newest is not None:
        cells.append(Cell(figure_text(indicator, row.municipality or Figure())))
        cells.append(Cell(municipality_comparison(row.vs_municipality or "unknown")))
    if overview.previous is not None:
        cells.append(Cell(comparison_text(row.vs_previous, overview.previous.year)))
    return cells


def theme_name(name: str) -> str:
    """A theme's name as shown (``ThemeRows.shown``), or what indicators without one are
    under."""
    return name or _("Other subjects")


def overview_tables(overview: AreaOverview, links: bool = True) -> list[Table]:
    """One table per theme: a row per indicator, every edition side by side."""
    headers, numeric = _headers(overview)
    language = current_language()
    tables = []
    for index, theme in enumerate(overview.themes, start=1):
        name = theme_name(theme.shown(language))
        tables.append(Table(f"figures-{index}", _("Figures per edition: %(theme)s", theme=name),
                            headers, numeric, [_row(overview, row, links) for row in theme.rows],
                            name))
    return tables


def overview_csv(overview: AreaOverview) -> bytes:
    """The tables of the page in one file, with the theme in front of every row."""
    headers, _numeric = _headers(overview)
    rows = [[table.group] + [cell.text for cell in row]
            for table in overview_tables(overview, links=False) for row in table.rows]
    return results_csv([_("Theme of the indicator")] + headers, rows)
