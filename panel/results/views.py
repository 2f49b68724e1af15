"""Survey results per wijk for everyone, a presentation mode for meetings, a CSV download,
and the staff page for editions and imports."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from panel.areas import services as area_services
from panel.auth.permissions import is_staff, require_staff
from panel.conditional import conditional
from panel.exports import csv_bytes
from panel.i18n import current_language
from panel.outcome import outcome
from panel.results import charts, forms, importer, services
from panel.results.models import Indicator

bp = Blueprint("results", __name__)


def _staff() -> bool:
    """Staff also see editions that are not published yet."""
    return is_staff(current_user)


def format_value(indicator: Indicator, value: float | None) -> str:
    """A figure as residents read it: ``32,0%``, ``7,6`` or ``120``."""
    if value is None:
        return ""
    if indicator.unit == "percentage":
        return f"{format_decimal(value, '0.0')}%"
    if indicator.unit == "mark":
        return format_decimal(value, "0.0")
    return format_decimal(value, "#,##0")


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
