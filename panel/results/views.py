"""Survey results per wijk for everyone, a presentation mode for meetings, a CSV download,
and the staff pages for editions, imports and the indicators."""

from __future__ import annotations

from flask import (
    Blueprint,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from panel.areas import services as area_services
from panel.auth.permissions import is_staff, may_administer, require, require_staff
from panel.conditional import conditional
from panel.exports import download
from panel.i18n import current_language
from panel.importing import run_upload
from panel.outcome import outcome
from panel.results import (
    charts,
    forms,
    importer,
    indicators,
    overview,
    services,
    trend_pages,
    trends,
)
from panel.results.formatting import (
    count_text,
    figure_text,
    format_value,
    respondents_text,
    results_csv,
)
from panel.results.indicator_import import IndicatorsImporter, load_catalogue
from panel.urls import paths

bp = Blueprint("results", __name__)


def _staff() -> bool:
    """Staff also see editions that are not published yet."""
    return is_staff(current_user)


def _chart(row: services.Row, report: services.WijkResults, index: int) -> Markup:
    language = current_language()
    name = report.neighbourhood.name
    edition = report.edition.year if report.edition else ""
    bars = [charts.Bar(f"{name} {edition}", row.wijk.value if row.wijk.shown else None,
                       row.wijk.ci_low, row.wijk.ci_high, highlight=True,
                       note=figure_text(row.indicator, row.wijk) if not row.wijk.shown else ""),
            charts.Bar(_("Municipality %(year)s", year=edition),
                       row.municipality.value if row.municipality.shown else None,
                       row.municipality.ci_low, row.municipality.ci_high,
                       note=figure_text(row.indicator, row.municipality)
                       if not row.municipality.shown else "")]
    if report.previous_edition:
        bars.append(charts.Bar(f"{name} {report.previous_edition.year}",
                               row.previous.value if row.previous.shown else None,
                               row.previous.ci_low, row.previous.ci_high,
                               note=figure_text(row.indicator, row.previous)
                               if not row.previous.shown else ""))
    description = "; ".join(f"{bar.label}: {bar.note or format_value(row.indicator, bar.value)}"
                            for bar in bars)
    return charts.bar_chart(bars, title=row.indicator.name(language), description=description,
                            unit=row.indicator.unit, chart_id=f"chart-{index}",
                            value_format=lambda v: format_value(row.indicator, v))


def _context(report: services.WijkResults) -> dict[str, object]:
    return {"report": report, "charts": [_chart(r, report, i) for i, r in enumerate(report.rows)],
            "figure_text": figure_text, "respondents_text": respondents_text,
            "direction_labels": services.DIRECTION_LABELS,
            "min_respondents": services.min_respondents(), "staff": _staff()}


@bp.get("/wijken")
@conditional(lambda: (area_services.public_overview_fingerprint(),
                      overview.indicator_links(current_language())))
def index() -> str:
    return render_template("results/index.html", areas=area_services.public_overview(),
                           indicators=overview.indicator_links(current_language()))


def _wijk_fingerprint(code: str) -> tuple[object, ...]:
    """The rows of a wijk's results in the edition asked for: its page, CSV and slides."""
    return services.wijk_fingerprint(code, request.args.get("editie", type=int))


@bp.get("/wijken/<code>")
@conditional(_wijk_fingerprint)
def wijk(code: str) -> str:
    report = services.wijk_results(code, request.args.get("editie", type=int), _staff())
    return render_template("results/wijk.html", **_context(report))


@bp.get("/wijken/<code>.csv")
@conditional(_wijk_fingerprint)
def wijk_csv(code: str) -> BaseResponse:
    """The figures of the wijk page: every column with its year, the respondents too."""
    report = services.wijk_results(code, request.args.get("editie", type=int), _staff())
    language = current_language()
    year = report.edition.year if report.edition else ""
    previous = report.previous_edition.year if report.previous_edition else None
    headers = [_("Indicator"), _("Wijk %(year)s", year=year),
               _("Municipality %(year)s", year=year)]
    if previous:
        headers.append(_("Wijk %(year)s", year=previous))
    headers.append(_("Compared with the municipality"))
    if previous:
        headers.append(_("Compared with %(year)s", year=previous))
    headers += [_("Respondents wijk %(year)s", year=year),
                _("Respondents municipality %(year)s", year=year)]
    if previous:
        headers.append(_("Respondents wijk %(year)s", year=previous))
    rows = []
    for r in report.rows:
        figures = [r.wijk, r.municipality] + ([r.previous] if previous else [])
        rows.append([r.indicator.name(language)]
                    + [figure_text(r.indicator, f) for f in figures]
                    + [str(services.DIRECTION_LABELS[r.vs_municipality])]
                    + ([str(services.DIRECTION_LABELS[r.vs_previous])] if previous else [])
                    + [respondents_text(f) for f in figures])
    return _csv(results_csv(headers, rows),
                "veiligheidsmonitor", report.neighbourhood.code, year or "geen")


def _csv(data: bytes, *name: object) -> BaseResponse:
    return download(data, "text/csv", *name, extension="csv")


@bp.get("/wijken/<code>/presentatie")
@conditional(_wijk_fingerprint)
def presentation(code: str) -> str:
    report = services.wijk_results(code, request.args.get("editie", type=int), _staff())
    total = len(report.rows)
    slide = min(max(1, request.args.get("dia", 1, type=int) or 1), max(total, 1))
    context = _context(report)
    return render_template("results/presentation.html", slide=slide, total=total,
                           row=report.rows[slide - 1] if total else None,
                           chart=context["charts"][slide - 1] if total else None, **context)


# --- the municipality, the gebieden and the trends -----------------------------------------

def _overview_context(summary: trends.AreaOverview) -> dict[str, object]:
    return {"overview": summary, "tables": trend_pages.overview_tables(summary),
            "charts": [trend_pages.trend_chart(row.trend, f"trend-{index}", compact=True)
                       for index, row in enumerate(summary.rows)],
            "figure_text": figure_text, "direction_labels": services.DIRECTION_LABELS,
            "edition_label": trend_pages.edition_label, "theme_name": trend_pages.theme_name,
            "min_respondents": services.min_respondents()}


@bp.get("/uitkomsten")
@conditional(trends.municipality_fingerprint)
def municipality() -> str:
    """The municipality's own figures, every edition side by side; the way to the gebieden
    and wijken."""
    summary = trends.area_overview(None, _staff())
    return render_template("results/municipality.html", **_overview_context(summary))


@bp.get("/uitkomsten.csv")
@conditional(trends.municipality_fingerprint)
def municipality_csv() -> BaseResponse:
    summary = trends.area_overview(None, _staff())
    return _csv(trend_pages.overview_csv(summary),
                "veiligheidsmonitor", summary.place.code or "gemeente")


@bp.get("/gebieden/<code>")
@conditional(trends.gebied_fingerprint)
def gebied(code: str) -> str:
    """A gebied's own figures next to the municipality's, and its wijken."""
    summary = trends.area_overview(code, _staff())
    return render_template("results/gebied.html", **_overview_context(summary))


@bp.get("/gebieden/<code>.csv")
@conditional(trends.gebied_fingerprint)
def gebied_csv(code: str) -> BaseResponse:
    summary = trends.area_overview(code, _staff())
    return _csv(trend_pages.overview_csv(summary),
                "veiligheidsmonitor", summary.place.code)


def _trend_context(trend: trends.Trend) -> dict[str, object]:
    return {"trend": trend, "chart": trend_pages.trend_chart(trend, "trend-chart"),
            "table": trend_pages.trend_table(trend), "figure_text": figure_text,
            "direction_labels": services.DIRECTION_LABELS,
            "edition_label": trend_pages.edition_label,
            "place_link": trend_pages.place_link(trend.place),
            "place_name": trend_pages.place_name(trend.place),
            "min_respondents": services.min_respondents()}


@bp.get("/uitkomsten/<code>/ontwikkeling/<area>")
@conditional(lambda code, area: trends.trend_fingerprint(code, area))
def trend(code: str, area: str) -> str:
    """One indicator in one area over every edition: a line chart and a table."""
    return render_template("results/trend.html",
                           **_trend_context(trends.trend(code, area, _staff())))


@bp.get("/uitkomsten/<code>/ontwikkeling/<area>.csv")
@conditional(lambda code, area: trends.trend_fingerprint(code, area))
def trend_csv(code: str, area: str) -> BaseResponse:
    found = trends.trend(code, area, _staff())
    return _csv(trend_pages.trend_csv(found),
                "veiligheidsmonitor", found.indicator.code, found.place.code)


@bp.get("/uitkomsten/<code>/ontwikkeling/<area>/presentatie")
@conditional(lambda code, area: trends.trend_presentation_fingerprint(code, area))
def trend_presentation(code: str, area: str) -> str:
    """The trend as a slide; the links go to the other indicators of the same area."""
    found = trends.trend(code, area, _staff())
    codes = trends.indicator_codes(found.place.code, _staff())
    number = codes.index(found.indicator.code) + 1 if found.indicator.code in codes else 0
    return render_template("results/trend_presentation.html", codes=codes, number=number,
                           **_trend_context(found))


# --- one indicator, every wijk: the map and the table ---------------------------------------

def _overview_source(code: str) -> overview.Source:
    """What the overview shows, read once per request (the ETag and the page share it)."""
    year = request.args.get("editie", type=int)
    staff = _staff()
    sources = g.setdefault("overview_sources", {})
    if (code, year, staff) not in sources:
        sources[(code, year, staff)] = overview.overview_source(code, year, staff)
    source: overview.Source = sources[(code, year, staff)]
    return source


def _indicator_overview(code: str) -> overview.IndicatorOverview:
    return overview.indicator_overview(
        code, request.args.get("editie", type=int), _staff(),
        sort=request.args.get("sorteer"), order=request.args.get("volgorde"),
        link=lambda wijk: url_for("results.wijk", code=wijk), source=_overview_source(code))


@bp.get("/uitkomsten/<code>", endpoint="overview")
@conditional(_overview_source)
def indicator_overview(code: str) -> str:
    """One indicator for the municipality, the gebieden and every wijk: a map and a table."""
    return render_template("results/overview.html", report=_indicator_overview(code),
                           staff=_staff(), min_respondents=services.min_respondents())


@bp.get("/uitkomsten/<code>.csv", endpoint="overview_csv")
@conditional(_overview_source)
def indicator_overview_csv(code: str) -> BaseResponse:
    """The rows and columns of the overview page, the year in every figure's header."""
    report = _indicator_overview(code)
    headers, rows = overview.csv_table(report)
    year = report.edition.year if report.edition else "geen"
    return _csv(results_csv(headers, rows), "veiligheidsmonitor", report.indicator.code, year)


@bp.get("/uitkomsten/<code>/presentatie", endpoint="overview_presentation")
@conditional(lambda code: (_overview_source(code),
                           overview.slide_codes(_overview_source(code).edition)))
def indicator_overview_presentation(code: str) -> str:
    """The map of one indicator as a slide; the links go to the maps of the others."""
    report = _indicator_overview(code)
    codes = overview.slide_codes(report.edition)
    number = codes.index(code) + 1 if code in codes else 0
    return render_template("results/overview_presentation.html", report=report, codes=codes,
                           number=number)


@bp.route("/beheer/resultaten", methods=["GET", "POST"])
@login_required
def editions() -> str:
    require_staff(current_user)
    form = forms.ResultsUploadForm()
    # Every staff member sees the editions; only administrators import (403 otherwise).
    report = run_upload(importer.ResultsImporter(current_user), form) \
        if form.is_submitted() else None
    return render_template("results/editions.html", editions=services.visible_editions(True),
                           form=form, report=report, action=forms.ActionForm())


@bp.post("/beheer/resultaten/<int:year>/publiceren")
@login_required
def publish(year: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        published = request.form.get("published") == "1"
        with outcome(_("Edition %(year)s is published.", year=year) if published
                     else _("Edition %(year)s is no longer public.", year=year)):
            services.set_published(current_user, year, published)
    return redirect(url_for("results.editions"))


# --- the indicators -----------------------------------------------------------------------

def _indicators_page(form: forms.IndicatorsUploadForm, report: object = None) -> str:
    return render_template("results/indicators.html",
                           themes=indicators.indicators_by_theme(current_user), form=form,
                           report=report, path=paths(), count_text=count_text,
                           # translated once here, not once for each row
                           unit_labels={unit: str(label) for unit, label
                                        in indicators.UNIT_LABELS.items()})


@bp.route("/beheer/indicatoren", methods=["GET", "POST"], endpoint="indicators")
@login_required
def indicators_page() -> str:
    require(may_administer(current_user))
    form = forms.IndicatorsUploadForm()
    report = run_upload(IndicatorsImporter(current_user), form)
    return _indicators_page(form, report)


@bp.post("/beheer/indicatoren/veiligheidsmonitor")
@login_required
def load_standard_indicators() -> str:
    require(may_administer(current_user))
    report = None
    if forms.ActionForm().validate_on_submit():
        with outcome():
            report = load_catalogue(current_user, "veiligheidsmonitor")
    return _indicators_page(forms.IndicatorsUploadForm(formdata=None), report)


def _indicator_data(form: forms.IndicatorForm) -> indicators.IndicatorData:
    return indicators.IndicatorData(
        code=form.code.data or "", name_nl=form.name_nl.data or "",
        name_en=form.name_en.data or "", explanation_nl=form.explanation_nl.data or "",
        explanation_en=form.explanation_en.data or "", unit=form.unit.data or "",
        higher_is_better=form.higher_is_better.data == "1", decimals=form.decimals.data,
        theme=form.theme.data or "", position=form.position.data,
        theme_en=form.theme_en.data or "")


@bp.route("/beheer/indicatoren/nieuw", methods=["GET", "POST"])
@bp.route("/beheer/indicatoren/<code>/bewerken", methods=["GET", "POST"])
@login_required
def edit_indicator(code: str | None = None) -> str | BaseResponse:
    require(may_administer(current_user))
    item = indicators.get_indicator(current_user, code) if code else None
    form = forms.IndicatorForm(obj=item)
    if item is not None and not form.is_submitted():
        form.higher_is_better.data = "1" if item.higher_is_better else "0"
        form.position.data = indicators.order_number(item)
    if form.validate_on_submit():
        with outcome(_("The indicator is saved."), form=form) as saved:
            indicators.save_indicator(current_user, _indicator_data(form), item)
        if saved:
            return redirect(url_for("results.indicators"))
    return render_template("results/indicator_edit.html", form=form, item=item,
                           results=indicators.result_count(item) if item else 0)


@bp.post("/beheer/indicatoren/<code>/verplaatsen")
@login_required
def move_indicator(code: str) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with outcome():
            indicators.move(current_user, code, -1 if request.form.get("richting") == "omhoog"
                            else 1)
    return redirect(url_for("results.indicators", _anchor=f"indicator-{code}"))


@bp.post("/beheer/indicatoren/<code>/buiten-gebruik")
@login_required
def retire_indicator(code: str) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        retired = request.form.get("retired") == "1"
        with outcome(_("The indicator is retired: it takes no new results.") if retired
                     else _("The indicator is in use again.")):
            indicators.set_retired(current_user, code, retired)
    return redirect(url_for("results.indicators"))


@bp.post("/beheer/indicatoren/<code>/verwijderen")
@login_required
def delete_indicator(code: str) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with outcome(_("The indicator is deleted.")) as deleted:
            indicators.delete(current_user, code)
        if not deleted:
            return redirect(url_for("results.edit_indicator", code=code))
    return redirect(url_for("results.indicators"))
