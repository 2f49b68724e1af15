"""The motion register, building and finalising follow-up reports, and their exports."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from panel.areas import services as area_services
from panel.auth.permissions import may_edit_motions, require
from panel.errors import NotFound
from panel.exports import download
from panel.feedback import services as feedback_services
from panel.i18n import current_language
from panel.meetings.times import local_today
from panel.motions import exports, forms, services
from panel.motions.models import FollowUpReport, Motion, RequestStatus
from panel.outcome import outcome

bp = Blueprint("motions", __name__, url_prefix="/beheer/moties")

MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _motion_form(motion: Motion | None = None) -> forms.MotionForm:
    form = forms.MotionForm(obj=motion)
    areas = area_services.public_overview()
    form.areas.choices = [SelectChoice(a.code, a.name) for a in areas]
    form.wijken.choices = [SelectChoice(n.code, n.name) for a in areas for n in a.neighbourhoods]
    language = current_language()
    form.themes.choices = [SelectChoice(t.code, t.name(language))
                           for t in feedback_services.themes(True)]
    if motion is not None and request.method == "GET":
        form.areas.data = [a.code for a in motion.areas]
        form.wijken.data = [n.code for n in motion.neighbourhoods]
        form.themes.data = [t.code for t in motion.themes]
        for entry, item in zip(form.requests.entries, motion.requests, strict=False):
            entry.form.text.data, entry.form.deadline.data = item.text, item.deadline
            entry.form.status.data, entry.form.completed_on.data = item.status, item.completed_on
    return form


def _motion_data(form: forms.MotionForm) -> services.MotionData:
    return services.MotionData(
        reference=form.reference.data or "", title=form.title.data or "",
        adopted_on=form.adopted_on.data, text=form.text.data or "",
        ori_id=form.ori_id.data or "", area_codes=form.areas.data or [],
        neighbourhood_codes=form.wijken.data or [], theme_codes=form.themes.data or [],
        requests=[services.RequestData(e.form.text.data or "", e.form.deadline.data,
                                       e.form.status.data or RequestStatus.OPEN.value,
                                       e.form.completed_on.data)
                  for e in form.requests.entries])


@bp.get("/")
@login_required
def index() -> str:
    return render_template("motions/index.html", motions=services.list_motions(current_user),
                           due=services.requests_due(current_user, local_today()))


@bp.route("/nieuw", methods=["GET", "POST"])
@bp.route("/<int:motion_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(motion_id: int | None = None) -> str | BaseResponse:
    require(may_edit_motions(current_user))
    motion = services.get_motion(current_user, motion_id) if motion_id else None
    form = _motion_form(motion)
    if form.validate_on_submit():
        with outcome(_("The motion is saved."), form=form) as saved:
            item = services.save_motion(current_user, _motion_data(form), motion_id)
        if saved:
            return redirect(url_for("motions.detail", motion_id=item.id))
    return render_template("motions/form.html", form=form, motion=motion)


@bp.route("/<int:motion_id>", methods=["GET", "POST"])
@login_required
def detail(motion_id: int) -> str | BaseResponse:
    motion = services.get_motion(current_user, motion_id)
    form = forms.ReportStartForm()
    if form.validate_on_submit():
        with outcome() as started:
            report = services.start_report(current_user, motion_id, form.period_start.data,
                                           form.period_end.data)
        if started:
            return redirect(url_for("motions.report", report_id=report.id))
    return render_template("motions/detail.html", motion=motion, form=form,
                           status_labels=forms.REQUEST_STATUS_LABELS)


@bp.route("/rapportages/<int:report_id>", methods=["GET", "POST"])
@login_required
def report(report_id: int) -> str | BaseResponse:
    item = services.get_report(current_user, report_id)
    form = forms.NarrativeForm() if request.method == "POST" else None
    if form is not None and form.validate_on_submit():
        with outcome(_("The text is saved."), form=form) as saved:
            services.save_narrative(current_user, report_id, [
                (getattr(form, f"title{n}").data or "", getattr(form, f"body{n}").data or "")
                for n in range(1, 5)])
        if saved:
            return redirect(url_for("motions.report", report_id=report_id))
    # Once per request: a draft is computed from the data (or kept, see services).
    content, key = services.data_and_key(item)
    screen = services.on_screen(content, request.args.get("pagina", 1, type=int))
    language = current_language()
    # The top and the tables show the report only (no form, nothing of the reader), so they
    # are rendered once per change of the figures (or the motion's title), page and language.
    head = services.kept_fragment(
        ("head", key, item.motion.title, screen.actions.page, language),
        lambda: render_template("motions/_report_head.html", report=item, content=content,
                                screen=screen,
                                scope_sentences=exports.scope_sentences(content["scope"])))
    tables = services.kept_fragment(
        ("tables", key, screen.actions.page, language),
        lambda: render_template("motions/_tables.html", report=item,
                                tables=exports.tables(screen.content), screen=screen,
                                notes=_notes(screen), captions=_captions(screen),
                                pager=_pager(screen.actions)))
    # The text fields as they open (the clerk's saved text) are rendered once per text and
    # language; after a refused POST they show what was sent, with the errors.
    fields = None
    if form is None and may_edit_motions(current_user) and not item.is_final:
        fields = Markup(services.kept_fragment(  # noqa: S704 (rendered by Jinja)
            ("text", item.id, services.text_digest(item), language),
            lambda: render_template("motions/_text_fields.html", form=_text_form(item))))
    return render_template("motions/report.html", report=item, content=content, form=form,
                           head_html=Markup(head), tables_html=Markup(tables),  # noqa: S704
                           fields_html=fields)


def _text_form(item: FollowUpReport) -> forms.NarrativeForm:
    """The text form filled in with the report's saved text."""
    form = forms.NarrativeForm(formdata=None)
    for number, section in enumerate(services.sections(item)[:4], start=1):
        getattr(form, f"title{number}").data = section["title"]
        getattr(form, f"body{number}").data = section["body"]
    return form


def _notes(screen: services.Screen) -> dict[str, str]:
    """What the report page says above its shortened lists (by table key)."""
    rest = _("The complete list is in the downloads and on the page to print.")
    timeline, meetings, actions = screen.timeline, screen.meetings, screen.actions
    return {
        "tijdlijn": _("Newest first.") if timeline.complete else " ".join((_(
            "The %(shown)s most recent of %(total)s events, newest first.",
            shown=timeline.last, total=timeline.total), rest)),
        "bijeenkomsten": _("Newest first.") if meetings.complete else " ".join((_(
            "The %(shown)s most recent of %(total)s meetings, newest first.",
            shown=meetings.last, total=meetings.total), rest)),
        "acties": _("Newest first.") if actions.complete else " ".join((_(
            "Actions %(first)s to %(last)s of %(total)s, newest first.",
            first=actions.first, last=actions.last, total=actions.total), rest)),
    }


def _captions(screen: services.Screen) -> dict[str, str]:
    """Table captions that say which page of a paged table this is."""
    if screen.actions.pages == 1:
        return {}
    return {"acties": _("Actions, page %(page)s of %(pages)s", page=screen.actions.page,
                        pages=screen.actions.pages)}


def _pager(excerpt: services.Excerpt) -> list[int | None]:
    """The page numbers to link to: the first, the last and two either side of the
    current one; ``None`` stands for the pages left out between them."""
    if excerpt.pages == 1:
        return []
    numbers = sorted({1, excerpt.pages, *range(max(1, excerpt.page - 2),
                                               min(excerpt.pages, excerpt.page + 2) + 1)})
    links: list[int | None] = []
    for previous, number in zip([0, *numbers], numbers, strict=False):
        if previous and number > previous + 1:
            links.append(None)
        links.append(number)
    return links


@bp.post("/rapportages/<int:report_id>/definitief")
@login_required
def finalise(report_id: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with outcome(_("The report is final. Its figures will not change any more.")):
            services.finalise(current_user, report_id)
    return redirect(url_for("motions.report", report_id=report_id))


@bp.post("/rapportages/<int:report_id>/nieuwe-versie")
@login_required
def new_version(report_id: int) -> BaseResponse:
    item = services.get_report(current_user, report_id)
    if not forms.ActionForm().validate_on_submit():
        return redirect(url_for("motions.report", report_id=report_id))
    with outcome(_("A new draft version is made.")) as made:
        copy = services.start_report(current_user, item.motion_id, item.period_start,
                                     item.period_end)
    if not made:
        return redirect(url_for("motions.report", report_id=report_id))
    return redirect(url_for("motions.report", report_id=copy.id))


@bp.get("/rapportages/<int:report_id>/afdruk")
@login_required
def printable(report_id: int) -> str:
    item = services.get_report(current_user, report_id)
    content = services.data(item)
    municipality = area_services.get_municipality()
    # The days of the snapshot (a final report keeps them as they were), as days.
    days = {"adopted": date.fromisoformat(content["motion"]["date"]),
            "start": date.fromisoformat(content["report"]["period"]["start"]),
            "end": date.fromisoformat(content["report"]["period"]["end"])}
    return render_template("motions/print.html", report=item, content=content, days=days,
                           tables=exports.tables(content),
                           scope_sentences=exports.scope_sentences(content["scope"]),
                           municipality=municipality)


@bp.get("/rapportages/<int:report_id>/export.<fmt>")
@login_required
def export(report_id: int, fmt: str) -> BaseResponse:
    item = services.get_report(current_user, report_id)
    content = services.data(item)
    municipality = area_services.get_municipality()
    makers = {
        "xlsx": lambda: exports.to_xlsx(content),
        "zip": lambda: exports.to_csv_zip(content),
        "json": lambda: exports.to_json(content),
        "docx": lambda: exports.to_docx(content, municipality.name if municipality else ""),
    }
    if fmt not in makers:
        raise NotFound()
    return download(makers[fmt](), MIMETYPES[fmt], "rapportage", item.motion.reference,
                    f"v{item.version}", extension=fmt)

