"""Survey results per wijk for everyone, a presentation mode for meetings, a CSV download,
and the staff pages for editions, imports and the indicators."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from panel.areas import services as area_services
from panel.auth.permissions import is_staff, may_administer, require, require_staff
from panel.conditional import conditional
from panel.exports import csv_bytes
from panel.i18n import current_language
from panel.outcome import outcome
from panel.results import charts, forms, importer, indicators, services
from panel.results.indicator_import import IndicatorsImporter, load_catalogue
from panel.results.models import MAX_DECIMALS, Indicator, Unit, default_decimals

bp = Blueprint("results", __name__)


def _staff() -> bool:
    """Staff also see editions that are not published yet."""
    return is_staff(current_user)


def format_value(indicator: Indicator, value: float | None) -> str:
    """A figure as residents read it, with the indicator's number of decimals, rounded half
    up and in the page's language: ``32%``, ``7,6`` or ``1.200`` in Dutch."""
    if value is None:
        return ""
    if not math.isfinite(value):
        return str(value)
    places = indicator.decimals if indicator.decimals is not None \
        else default_decimals(indicator.unit)
    places = max(0, min(MAX_DECIMALS, places))
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    fraction = "." + "0" * places if places else ""
    if indicator.unit == Unit.PERCENTAGE:
        return f"{format_decimal(rounded, '0' + fraction)}%"
    if indicator.unit == Unit.COUNT:
        return format_decimal(rounded, "#,##0" + fraction)
    return format_decimal(rounded, "0" + fraction)


def figure_text(indicator: Indicator, figure: services.Figure) -> str:
    if figure.suppressed:
        return _("too few respondents")
    if figure.value is None:
        return _("no figure")
    return format_value(indicator, figure.value)


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
            "figure_text": figure_text, "direction_labels": services.DIRECTION_LABELS,
            "min_respondents": services.min_respondents(), "staff": _staff()}


@bp.get("/wijken")
def index() -> str:
    return render_template("results/index.html", areas=area_services.public_overview())


@bp.get("/wijken/<code>")
@conditional(lambda code: services.wijk_fingerprint(code, request.args.get("editie", type=int)))
def wijk(code: str) -> str:
    report = services.wijk_results(code, request.args.get("editie", type=int), _staff())
    return render_template("results/wijk.html", **_context(report))


@bp.get("/wijken/<code>.csv")
def wijk_csv(code: str) -> BaseResponse:
    report = services.wijk_results(code, request.args.get("editie", type=int), _staff())
    language = current_language()
    previous = report.previous_edition.year if report.previous_edition else ""
    headers = [_("Indicator"), _("Wijk %(year)s", year=report.edition.year if report.edition
                                  else ""),
               _("Municipality"), _("Wijk %(year)s", year=previous),
               _("Compared with the municipality"), _("Compared with %(year)s", year=previous)]
    rows = [(r.indicator.name(language), figure_text(r.indicator, r.wijk),
             figure_text(r.indicator, r.municipality), figure_text(r.indicator, r.previous),
             str(services.DIRECTION_LABELS[r.vs_municipality]),
             str(services.DIRECTION_LABELS[r.vs_previous])) for r in report.rows]
    response = Response(csv_bytes(headers, rows), mimetype="text/csv")
    year = report.edition.year if report.edition else "geen"
    response.headers["Content-Disposition"] = \
        f"attachment; filename=veiligheidsmonitor-{report.neighbourhood.code}-{year}.csv"
    return response


@bp.get("/wijken/<code>/presentatie")
def presentation(code: str) -> str:
    report = services.wijk_results(code, request.args.get("editie", type=int), _staff())
    total = len(report.rows)
    slide = min(max(1, request.args.get("dia", 1, type=int) or 1), max(total, 1))
    context = _context(report)
    return render_template("results/presentation.html", slide=slide, total=total,
                           row=report.rows[slide - 1] if total else None,
                           chart=context["charts"][slide - 1] if total else None, **context)


@bp.route("/beheer/resultaten", methods=["GET", "POST"])
@login_required
def editions() -> str:
    require_staff(current_user)
    form = forms.ResultsUploadForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        with outcome():  # commits what was applied (a check or a rejected file changes nothing)
            report = importer.ResultsImporter(current_user).run(  # administrators only
                upload.read(), upload.filename or "", dry_run=bool(form.dry_run.data))
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
                           report=report, action=forms.ActionForm(),
                           unit_labels=indicators.UNIT_LABELS)


@bp.route("/beheer/indicatoren", methods=["GET", "POST"], endpoint="indicators")
@login_required
def indicators_page() -> str:
    require(may_administer(current_user))
    form = forms.IndicatorsUploadForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        with outcome():  # commits what was applied (a check or a rejected file changes nothing)
            report = IndicatorsImporter(current_user).run(
                upload.read(), upload.filename or "", dry_run=bool(form.dry_run.data))
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
        theme=form.theme.data or "", position=form.position.data)


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
        with outcome(_("The indicator is saved.")) as saved:
            indicators.save_indicator(current_user, _indicator_data(form), item)
        if saved:
            return redirect(url_for("results.indicators"))
    return render_template("results/indicator_edit.html", form=form, item=item,
                           results=indicators.result_count(item) if item else 0,
                           action=forms.ActionForm())


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
