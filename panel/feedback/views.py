"""Giving feedback (residents), the public "you said, we did" page, and the team's triage,
actions, themes and meeting evaluations."""

from __future__ import annotations

from flask import (
    Blueprint,
    get_template_attribute,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from panel import limits
from panel.areas import services as area_services
from panel.auth.permissions import managed_area, may_administer, may_manage_feedback, require
from panel.conditional import conditional
from panel.extensions import limiter
from panel.feedback import forms, labels, services
from panel.feedback.models import ActionStatus, ItemStatus, Review
from panel.i18n import current_language
from panel.meetings import services as meeting_services
from panel.meetings.models import Meeting, MeetingStatus
from panel.meetings.views import StaffPagePart, staff_page_parts
from panel.outcome import outcome, say
from panel.security import no_store
from panel.signups import residents

bp = Blueprint("feedback", __name__)


def _labels() -> dict[str, object]:
    return {"item_status_labels": labels.ITEM_STATUS_LABELS,
            "action_status_labels": labels.ACTION_STATUS_LABELS,
            "partner_labels": labels.PARTNER_LABELS, "source_labels": labels.SOURCE_LABELS,
            "ItemStatus": ItemStatus, "ActionStatus": ActionStatus, "Review": Review}


def _theme_choices() -> list[SelectChoice]:
    language = current_language()
    return [SelectChoice(t.code, t.name(language)) for t in services.themes()]


# --- residents ----------------------------------------------------------------------------

@bp.route("/mijn/melding", methods=["GET", "POST"])
@limiter.limit(limits.FEEDBACK_PER_MEMBER, key_func=limits.by_member(residents.RESIDENT),
               methods=["POST"])
def give() -> BaseResponse:
    member = residents.current_member()
    if member is None:
        return redirect(url_for("residents.my_page"))
    form = forms.FeedbackForm()
    form.theme.choices = _theme_choices()
    form.wijk.choices = [SelectChoice(n.code, n.name) for a in area_services.public_overview()
                         for n in a.neighbourhoods]
    if request.method == "GET":
        form.wijk.data = member.neighbourhood.code
    if form.validate_on_submit():
        with outcome(_("Thank you. The area team will read it. We will let you know what we "
                       "do with it."), form=form) as saved:
            services.submit(member, form.theme.data or "", form.wijk.data or "",
                            form.place.data or "", form.text.data or "")
        if saved:
            return redirect(url_for("residents.my_page"))
    return no_store(make_response(render_template("feedback/give.html", form=form)))


@bp.route("/mijn/evaluatie/<int:meeting_id>", methods=["GET", "POST"])
def evaluate(meeting_id: int) -> BaseResponse:
    member = residents.current_member()
    if member is None:
        return redirect(url_for("residents.my_page"))
    evaluation = services.evaluation_for(member, meeting_id)
    form = forms.EvaluationForm()
    if form.validate_on_submit():
        with outcome(_("Thank you for your opinion."), form=form) as saved:
            services.evaluate(member, meeting_id, int(form.rating.data or 0),
                              form.comments.data or "")
        if saved:
            return redirect(url_for("residents.my_page"))
    return no_store(make_response(render_template("feedback/evaluate.html", form=form,
                                                  meeting=evaluation.meeting)))


# --- public -------------------------------------------------------------------------------

@bp.get("/terugkoppeling")
@conditional(lambda: area_services.public_overview_fingerprint())
def public_index() -> str:
    return render_template("feedback/public_index.html",
                           areas=area_services.public_overview())


@bp.get("/terugkoppeling/<code>")
@conditional(lambda code: services.public_report_fingerprint(code))
def public(code: str) -> str:
    wijk, report = services.public_report(code)
    return render_template("feedback/public.html", wijk=wijk, report=report,
                           min_count=services.public_min_count(), **_labels())


# --- staff --------------------------------------------------------------------------------

@bp.get("/beheer/meldingen")
@login_required
def items() -> BaseResponse:
    require(may_manage_feedback(current_user))
    flt = services.ItemFilter(area_code=request.args.get("gebied", ""),
                              status=request.args.get("status", ""),
                              theme_code=request.args.get("thema", ""),
                              flagged_only=request.args.get("controleren") == "1",
                              unchecked_only=request.args.get("te_controleren") == "1",
                              older_than_days=max(0, request.args.get("ouder_dan", 0, type=int)))
    return no_store(make_response(render_template(
        "feedback/items.html", items=services.list_items(current_user, flt), flt=flt,
        overview=services.open_items_by_age(current_user),
        areas=area_services.areas_for(current_user), themes=services.themes(True),
        **_labels())))


@bp.route("/beheer/meldingen/<int:item_id>", methods=["GET", "POST"])
@login_required
def item(item_id: int) -> BaseResponse:
    entry = services.get_item(current_user, item_id)
    review_form = forms.ReviewForm(prefix="review", public_text=entry.public_text or entry.text)
    status_form = forms.StatusForm(prefix="status", status=entry.status, partner=entry.partner,
                                   reason=entry.status_reason)
    action = request.form.get("do")
    if action in ("publish", "hide") and review_form.validate_on_submit():
        with outcome(_("The check is saved."), form=review_form) as saved:
            services.review(current_user, item_id, review_form.public_text.data or "",
                            publish=action == "publish")
        if saved:
            return redirect(url_for("feedback.item", item_id=item_id))
    elif action == "status" and status_form.validate_on_submit():
        with outcome(_("The status is saved."), form=status_form) as saved:
            services.set_status(current_user, item_id, status_form.status.data or "",
                                status_form.reason.data or "", status_form.partner.data or "")
        if saved:
            return redirect(url_for("feedback.item", item_id=item_id))
    found = services.personal_data_found(entry) if entry.flagged else ()
    return no_store(make_response(render_template(
        "feedback/item.html", item=entry, review_form=review_form, status_form=status_form,
        personal_data=labels.personal_data_names(found) if found else "", **_labels())))


@bp.route("/beheer/bijeenkomsten/<int:meeting_id>/melding", methods=["GET", "POST"])
@login_required
def meeting_feedback(meeting_id: int) -> BaseResponse:
    meeting = meeting_services.managed(current_user, meeting_id)
    form = forms.MeetingFeedbackForm()
    form.theme.choices = _theme_choices()
    form.wijk.choices = [SelectChoice(n.code, n.name) for n in meeting.neighbourhoods]
    if form.validate_on_submit():
        with outcome(_("Saved. You can add more."), form=form) as saved:
            services.record_for_meeting(current_user, meeting_id, form.theme.data or "",
                                        form.wijk.data or "", form.place.data or "",
                                        form.text.data or "")
        if saved:
            return redirect(url_for("feedback.meeting_feedback", meeting_id=meeting_id))
    return no_store(make_response(render_template("feedback/meeting_feedback.html", form=form,
                                                  meeting=meeting)))


@bp.post("/beheer/bijeenkomsten/<int:meeting_id>/evaluatie")
@login_required
def request_evaluations(meeting_id: int) -> BaseResponse:
    if forms.ButtonForm().validate_on_submit():
        with outcome() as saved:
            sent = services.request_evaluations(current_user, meeting_id)
        if saved:
            say(_("%(n)s attendees were asked for their opinion.", n=sent))
    return redirect(url_for("meetings.staff_detail", meeting_id=meeting_id))


@staff_page_parts.connect
def _meeting_page_part(meeting: Meeting, manage: bool = False,
                       **kwargs: object) -> StaffPagePart:
    """On a meeting's staff page: the average mark the people who came gave it, and for
    those who manage it the links to record what the group raised and to ask for
    opinions."""
    count, average = services.evaluation_summary(meeting)
    figures = get_template_attribute("feedback/_meeting_page.html", "figures")
    if not manage:
        return StaffPagePart(figures=figures(count, average))
    actions = get_template_attribute("feedback/_meeting_page.html", "actions")
    record = meeting.starts_at is not None and \
        meeting.status in (MeetingStatus.OPEN, MeetingStatus.DRAFT)
    return StaffPagePart(figures=figures(count, average),
                         actions=actions(meeting, forms.ButtonForm(), record=record,
                                         ask=meeting.closed_at is not None))


def _action_form(area, action=None) -> forms.ActionForm:  # type: ignore[no-untyped-def]
    form = forms.ActionForm(obj=action)
    language = current_language()
    open_items = services.list_items(current_user, services.ItemFilter(area_code=area.code))
    form.items.choices = [SelectChoice(i.id, f"{i.theme.name(language)} – {i.neighbourhood.name}"
                                       f" – {(i.public_text or i.text)[:80]}")
                          for i in open_items]
    form.meetings.choices = [SelectChoice(m.id, m.title) for m in
                             meeting_services.list_for(current_user) if m.area_id == area.id]
    if action is not None and request.method == "GET":
        form.items.data = [i.id for i in action.items]
        form.meetings.data = [m.id for m in action.meetings]
    return form


def _action_data(form: forms.ActionForm) -> services.ActionData:
    return services.ActionData(title=form.title.data or "",
                               description=form.description.data or "",
                               owner=form.owner.data or "", due_date=form.due_date.data,
                               item_ids=list(form.items.data or []),
                               meeting_ids=list(form.meetings.data or []))


@bp.get("/beheer/acties")
@login_required
def actions() -> str:
    area_code = request.args.get("gebied", "")
    due = request.args.get("termijn", "")
    due = services.Due(due) if due in services.Due.__members__.values() else None
    return render_template(
        "feedback/actions.html", actions=services.list_actions(current_user, area_code, due),
        areas=area_services.areas_for(current_user), due=due, area_code=area_code,
        **_labels())


@bp.route("/beheer/gebieden/<code>/acties/nieuw", methods=["GET", "POST"])
@login_required
def new_action(code: str) -> BaseResponse:
    area = managed_area(current_user, code)
    form = _action_form(area)
    if request.method == "GET" and request.args.get("melding", type=int):
        form.items.data = [request.args.get("melding", type=int)]
    if form.validate_on_submit():
        with outcome(_("The action is saved."), form=form) as saved:
            action = services.create_action(current_user, code, _action_data(form))
        if saved:
            return redirect(url_for("feedback.action", action_id=action.id))
    return no_store(make_response(render_template("feedback/action_form.html", form=form,
                                                  area=area, action=None)))


@bp.route("/beheer/acties/<int:action_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit_action(action_id: int) -> BaseResponse:
    action = services.get_action(current_user, action_id)
    area = managed_area(current_user, action.area.code)
    form = _action_form(area, action)
    if form.validate_on_submit():
        with outcome(_("The action is saved."), form=form) as saved:
            services.edit_action(current_user, action_id, _action_data(form))
        if saved:
            return redirect(url_for("feedback.action", action_id=action_id))
    return no_store(make_response(render_template("feedback/action_form.html", form=form,
                                                  area=area, action=action)))


@bp.route("/beheer/acties/<int:action_id>", methods=["GET", "POST"])
@login_required
def action(action_id: int) -> BaseResponse:
    entry = services.get_action(current_user, action_id)
    form = forms.ActionUpdateForm(status=entry.status, progress=entry.progress)
    if form.validate_on_submit():
        with outcome(_("The update is saved."), form=form) as saved:
            services.update_action(current_user, action_id, form.status.data or "",
                                   form.progress.data or 0, form.note.data or "")
        if saved:
            return redirect(url_for("feedback.action", action_id=action_id))
    return no_store(make_response(render_template(
        "feedback/action.html", action=entry, form=form,
        manage=may_manage_feedback(current_user, entry.area), **_labels())))


@bp.route("/beheer/themas", methods=["GET", "POST"])
@login_required
def theme_list() -> str | BaseResponse:
    require(may_administer(current_user))
    form = forms.ThemeForm()
    if form.validate_on_submit():
        existing = next((t for t in services.themes(True)
                         if t.code == (form.code.data or "").strip().lower()), None)
        with outcome(_("The theme is saved."), form=form) as saved:
            services.save_theme(current_user, form.code.data or "", form.name_nl.data or "",
                                form.name_en.data or "", bool(form.active.data), existing)
        if saved:
            return redirect(url_for("feedback.theme_list"))
    return render_template("feedback/themes.html", form=form, themes=services.themes(True))
