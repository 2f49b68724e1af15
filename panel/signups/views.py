"""Joining online, confirming, the resident's own page (/mijn), and the staff pages about
panel members, letters and the survey import."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from panel.areas import services as area_services
from panel.auth.models import Role, User
from panel.auth.permissions import require_role
from panel.auth.sessions import fresh_login_required
from panel.db import db
from panel.errors import DomainError
from panel.exports import csv_bytes
from panel.extensions import csrf, limiter
from panel.feedback import services as feedback_services
from panel.meetings import services as meeting_services
from panel.meetings.forms import REPLY_LABELS
from panel.privacy import services as audit
from panel.security import no_store
from panel.signups import forms, importer, residents, services, staff
from panel.signups.models import MemberStatus, PanelMember, Source

bp = Blueprint("signups", __name__)

STATUS_LABELS = {
    MemberStatus.PENDING.value: _l("Waiting for email confirmation"),
    MemberStatus.INVITED.value: _l("Invited"),
    MemberStatus.MEMBER.value: _l("Member"),
    MemberStatus.LEFT.value: _l("Left"),
}
SOURCE_LABELS = {
    Source.SURVEY.value: _l("Safety survey"),
    Source.ONLINE.value: _l("Joined online"),
    Source.STAFF.value: _l("Registered by staff"),
}
CHANNEL_LABELS = {
    "survey": _l("Safety survey, confirmed online"),
    "online": _l("Online form, confirmed by email"),
    "paper": _l("On paper"),
    "phone": _l("By phone"),
}


def _wijk_choices(empty_label: str, staff_member: User | None = None) -> list[SelectChoice]:
    """Wijken grouped by gebied; for a staff member only those of their own gebieden."""
    choices = [SelectChoice("", empty_label)]
    areas = area_services.areas_for(staff_member) if staff_member is not None \
        else area_services.public_overview()
    for area in areas:
        choices += [SelectChoice(n.code, n.name, optgroup=area.name) for n in area.neighbourhoods]
    return choices




def _labels() -> dict[str, object]:
    return {"status_labels": STATUS_LABELS, "source_labels": SOURCE_LABELS,
            "channel_labels": CHANNEL_LABELS, "availability_labels": forms.AVAILABILITY_LABELS}


# --- joining ------------------------------------------------------------------------------

@bp.route("/aanmelden", methods=["GET", "POST"])
@limiter.limit("5 per minute; 30 per hour", methods=["POST"])
def join() -> str | BaseResponse:
    form = forms.JoinForm()
    form.neighbourhood.choices = _wijk_choices(_("Choose your wijk"))
    try:
        statement = services.current_statement()
    except DomainError as exc:
        return render_template("signups/unavailable.html", message=exc.message), 503
    if request.method == "GET":
        form.statement_version.data = statement.version
    show_wijk = bool(form.neighbourhood.data)
    if form.validate_on_submit():
        try:
            with audit.created_objects(PanelMember) as created:
                services.join(services.JoinRequest(
                    name=form.name.data or "", email=form.email.data or "",
                    phone=form.phone.data or "", postcode=form.postcode.data or "",
                    house_number=form.house_number.data or "",
                    neighbourhood_code=form.neighbourhood.data or "",
                    language=form.language.data or "nl",
                    statement_version=form.statement_version.data or ""))
        except services.PostcodeUnknown as exc:
            db.session.rollback()
            show_wijk = True
            form.neighbourhood.errors = [exc.message]
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            form.statement_version.data = statement.version
        else:
            for new_member in created:
                audit.record("register", "member", new_member.id, actor="resident",
                             detail="joined online")
            db.session.commit()
            return redirect(url_for("signups.join_sent"))
    return render_template("signups/join.html", form=form, statement=statement,
                           show_wijk=show_wijk)


@bp.get("/aanmelden/verstuurd")
def join_sent() -> str:
    return render_template("signups/join_sent.html")


@bp.route("/aanmelden/bevestigen/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def confirm(token: str) -> BaseResponse | tuple[str, int] | str:
    try:
        member = services.confirmation_member(token)
        statement = services.current_statement()
    except DomainError as exc:
        return render_template("signups/link_gone.html", message=exc.message), 410
    form = forms.ConfirmForm()
    if request.method == "GET":
        form.statement_version.data = statement.version
    if form.validate_on_submit() and form.statement_version.data != statement.version:
        # A new statement was published while the page was open: show it, ask again.
        flash(_("The text about your data has changed. Please read it again."), "error")
        form.statement_version.data = statement.version
    elif form.validate_on_submit():
        try:
            member = services.confirm(token, form.statement_version.data or "")
        except DomainError as exc:
            db.session.rollback()
            return render_template("signups/link_gone.html", message=exc.message), 410
        audit.record("confirm", "member", member.id, actor="resident",
                     detail="confirmation link")
        db.session.commit()
        residents.sign_in(member.id)
        flash(_("Thank you. You are now in the wijkpanel of %(wijk)s.",
                wijk=member.neighbourhood.name), "success")
        return redirect(url_for("signups.my_page"))
    return no_store(make_response(render_template(
        "signups/confirm.html", form=form, member=member, statement=statement,
        language=member.language)))


# --- the resident's own page --------------------------------------------------------------

@bp.get("/mijn/link/<token>")
def open_link(token: str) -> BaseResponse | tuple[str, int]:
    try:
        member = services.member_by_access_link(token)
    except DomainError as exc:
        return render_template("signups/link_gone.html", message=exc.message), 410
    residents.sign_in(member.id)
    return redirect(url_for("signups.my_page"))


@bp.route("/mijn", methods=["GET", "POST"])
def my_page() -> BaseResponse:
    member = residents.current_member()
    if member is None:
        return no_store(make_response(render_template(
            "signups/my_login.html", form=forms.RequestLinkForm())))
    form = forms.DetailsForm(obj=member)
    if request.method == "GET":
        form.availability.data = member.availability_slots
    if form.validate_on_submit():
        try:
            services.update_details(member, services.DetailsChange(
                name=form.name.data or "", email=form.email.data or "",
                phone=form.phone.data or "", language=form.language.data or member.language,
                accessibility_needs=form.accessibility_needs.data or "",
                availability=form.availability.data or []))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            audit.record("change", "member", member.id, actor="resident",
                         detail="own page")
            db.session.commit()
            flash(_("Your details are saved."), "success")
            return redirect(url_for("signups.my_page"))
    confirm_form = forms.ConfirmForm(statement_version=services.current_statement().version) \
        if member.status != MemberStatus.MEMBER else None
    return no_store(make_response(render_template(
        "signups/my_page.html", member=member, form=form, confirm_form=confirm_form,
        consent=services.active_consent(member),
        meetings=meeting_services.my_meetings(member), reply_labels=REPLY_LABELS,
        evaluations=feedback_services.open_evaluations(member),
        statement=services.current_statement(), **_labels())))


@bp.post("/mijn/bevestigen")
def confirm_in_session() -> BaseResponse:
    member = residents.current_member()
    if member is None:
        return redirect(url_for("signups.my_page"))
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_in_session(member, form.statement_version.data or "")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            audit.record("confirm", "member", member.id, actor="resident", detail="own page")
            db.session.commit()
            flash(_("Thank you. You are now in the wijkpanel of %(wijk)s.",
                    wijk=member.neighbourhood.name), "success")
    return redirect(url_for("signups.my_page"))


@bp.post("/mijn/link")
@limiter.limit("5 per minute; 20 per hour")
def request_link() -> str | BaseResponse:
    form = forms.RequestLinkForm()
    if not form.validate_on_submit():
        return no_store(make_response(render_template("signups/my_login.html", form=form)))
    services.request_access_link(form.email.data or "")
    db.session.commit()
    return redirect(url_for("signups.link_sent"))


@bp.get("/mijn/link-verstuurd")
def link_sent() -> str:
    return render_template("signups/link_sent.html")


@bp.route("/code", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def code() -> str | BaseResponse:
    form = forms.CodeForm()
    if form.validate_on_submit():
        try:
            member = services.member_by_short_code(form.code.data or "")
        except DomainError as exc:
            form.code.errors = [exc.message]
        else:
            residents.sign_in(member.id)
            return redirect(url_for("signups.my_page"))
    return render_template("signups/code.html", form=form)


@bp.get("/code/<code>")
@limiter.limit("10 per minute; 50 per hour")
def code_link(code: str) -> BaseResponse | tuple[str, int]:
    try:
        member = services.member_by_short_code(code)
    except DomainError as exc:
        return render_template("signups/link_gone.html", message=exc.message), 410
    residents.sign_in(member.id)
    return redirect(url_for("signups.my_page"))


@bp.get("/mijn/gegevens.<fmt>")
def my_data(fmt: str) -> BaseResponse:
    member = residents.current_member()
    if member is None:
        return redirect(url_for("signups.my_page"))
    data = services.my_data(member)
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        mimetype = "application/json"
    elif fmt == "csv":
        rows = [("gegevens", key, "" if value is None else str(value))
                for key, value in data["member"].items()]
        rows += [("toestemming", f"{c['statement_version']} {c['channel']}",
                  f"{c['given_at']} - {c['withdrawn_at'] or ''}") for c in data["consents"]]
        body = csv_bytes(("soort", "veld", "waarde"), rows)
        mimetype = "text/csv"
    else:
        return redirect(url_for("signups.my_page"))
    audit.record("export", "member", member.id, actor="resident", detail=f"own data ({fmt})")
    db.session.commit()
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=mijn-gegevens.{fmt}"
    return no_store(response)


@bp.route("/mijn/afmelden", methods=["GET", "POST"])
def leave() -> str | BaseResponse:
    member = residents.current_member()
    if member is None:
        return redirect(url_for("signups.my_page"))
    form = forms.ActionForm()
    if form.validate_on_submit():
        services.leave(member)
        audit.record("leave", "member", member.id, actor="resident", detail="own page")
        db.session.commit()
        residents.sign_out()
        return redirect(url_for("signups.left"))
    return no_store(make_response(render_template("signups/leave.html", form=form,
                                                  member=member)))


@bp.route("/afmelden/<token>", methods=["GET", "POST"])
@csrf.exempt  # one-click unsubscribe (RFC 8058) posts without a form; the token is the key
def leave_by_link(token: str) -> str | BaseResponse | tuple[str, int]:
    try:
        member = services.member_by_leave_link(token)
    except DomainError as exc:
        return render_template("signups/link_gone.html", message=exc.message), 410
    if request.method == "POST":
        services.leave(member)
        audit.record("leave", "member", member.id, actor="resident", detail="leave link")
        db.session.commit()
        residents.sign_out()
        return redirect(url_for("signups.left"))
    return no_store(make_response(render_template("signups/leave.html", form=None,
                                                  member=member, token=token)))


@bp.get("/afgemeld")
def left() -> str:
    return render_template("signups/left.html")


@bp.post("/mijn/uitloggen")
def resident_logout() -> BaseResponse:
    residents.sign_out()
    flash(_("You have closed your page."), "success")
    return redirect(url_for("site.home"))


# --- staff --------------------------------------------------------------------------------

def _member_filter(form: forms.MemberFilterForm) -> staff.MemberFilter:
    return staff.MemberFilter(query=form.q.data or "", neighbourhood_code=form.wijk.data or "",
                              status=form.status.data or "", source=form.source.data or "",
                              page=request.args.get("pagina", 1, type=int) or 1)


def _filter_form(counts: list[staff.WijkCount] | None = None) -> forms.MemberFilterForm:
    """The member filter from the query string. With ``counts`` (from
    ``staff.counts_per_wijk``) the wijk choices are made from them instead of being read
    from the database again."""
    form = forms.MemberFilterForm(request.args)
    if counts is None:
        form.wijk.choices = _wijk_choices(_("All wijken"), current_user)
    else:
        form.wijk.choices = [SelectChoice("", _("All wijken"))] + [
            SelectChoice(code, name, optgroup=area)
            for area, code, name in staff.wijk_choices(counts)]
    form.status.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(k, str(v)) for k, v in STATUS_LABELS.items()]
    form.source.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(k, str(v)) for k, v in SOURCE_LABELS.items()]
    return form


@bp.get("/beheer/leden")
@login_required
def members() -> str:
    counts = staff.counts_per_wijk(current_user)
    if current_user.role == Role.CLERK:
        return render_template("signups/member_counts.html", counts=counts, **_labels())
    form = _filter_form(counts)
    flt = _member_filter(form)
    result = staff.list_members(current_user, flt, counts)
    # The labels are translated once here, not once per row.
    page = render_template(
        "signups/members.html", form=form, result=result, counts=counts,
        args={k: v for k, v in request.args.items() if k != "pagina"},
        status_labels={k: str(v) for k, v in STATUS_LABELS.items()},
        source_labels={k: str(v) for k, v in SOURCE_LABELS.items()})
    # Every view of the list is logged (without personal data). The event is written after
    # the page is built and committed before it is sent, so no list leaves without its
    # event, and on SQLite the write lock is held from this INSERT to the commit only, not
    # while the page is rendered (other requests writing their events wait for it).
    audit.record("search" if flt.query.strip() else "list", "member_list",
                 detail=f"page {result.page}; {result.total} found; "
                        f"wijk={flt.neighbourhood_code or 'all'} status={flt.status or 'all'} "
                        f"source={flt.source or 'all'}")
    db.session.commit()
    return no_store(make_response(page))


@bp.get("/beheer/leden/export.<fmt>")
@fresh_login_required
def export_members(fmt: str) -> BaseResponse:
    form = _filter_form()
    with audit.denied_recorded("export", "member_list"):
        body = staff.export_members(current_user, _member_filter(form), fmt)
    db.session.commit()  # the audit event of the export
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                if fmt == "xlsx" else "text/csv")
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = \
        f"attachment; filename=panelleden.{'xlsx' if fmt == 'xlsx' else 'csv'}"
    return no_store(response)


@bp.route("/beheer/leden/nieuw", methods=["GET", "POST"])
@login_required
def register() -> str | BaseResponse:
    require_role(current_user, Role.ADMIN, Role.TEAM)
    form = forms.RegisterForm()
    form.wijk.choices = _wijk_choices(_("Choose a wijk"), current_user)
    if form.validate_on_submit():
        try:
            member = staff.register(current_user, staff.Registration(
                name=form.name.data or "", email=form.email.data or "",
                phone=form.phone.data or "", street=form.street.data or "",
                house_number=form.house_number.data or "", postcode=form.postcode.data or "",
                city=form.city.data or "", neighbourhood_code=form.wijk.data or "",
                language=form.language.data or "nl", channel=form.channel.data or "paper"))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("The resident is now a panel member."), "success")
            return redirect(url_for("signups.member", member_id=member.id))
    return render_template("signups/register.html", form=form)


@bp.get("/beheer/leden/<int:member_id>")
@login_required
def member(member_id: int) -> BaseResponse:
    with audit.denied_recorded("view", "member", member_id):
        item = staff.get_member_for(current_user, member_id)
    audit.record("view", "member", item.id)
    db.session.commit()
    return no_store(make_response(render_template(
        "signups/member.html", member=item, confirm_form=forms.StaffConfirmForm(),
        action_form=forms.ActionForm(), **_labels())))


@bp.route("/beheer/leden/<int:member_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit_member(member_id: int) -> str | BaseResponse:
    with audit.denied_recorded("change", "member", member_id):
        item = staff.get_member_for(current_user, member_id)
    form = forms.RegisterForm(obj=item)
    del form.channel
    form.wijk.choices = _wijk_choices(_("Choose a wijk"), current_user)
    if request.method == "GET":
        form.wijk.data = item.neighbourhood.code
        form.email.data = item.email or ""
    if form.validate_on_submit():
        try:
            staff.update_member(current_user, member_id, staff.Registration(
                name=form.name.data or "", email=form.email.data or "",
                phone=form.phone.data or "", street=form.street.data or "",
                house_number=form.house_number.data or "", postcode=form.postcode.data or "",
                city=form.city.data or "", neighbourhood_code=form.wijk.data or "",
                language=form.language.data or "nl", channel=""))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("signups.member", member_id=member_id))
    return no_store(make_response(render_template("signups/register.html", form=form,
                                                  member=item)))


@bp.post("/beheer/leden/<int:member_id>/bevestigen")
@login_required
def staff_confirm(member_id: int) -> BaseResponse:
    form = forms.StaffConfirmForm()
    if form.validate_on_submit():
        try:
            with audit.denied_recorded("confirm", "member", member_id):
                staff.confirm_for(current_user, member_id, form.channel.data or "phone")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("The place is confirmed."), "success")
    return redirect(url_for("signups.member", member_id=member_id))


@bp.post("/beheer/leden/<int:member_id>/afmelden")
@login_required
def staff_remove(member_id: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with audit.denied_recorded("erase", "member", member_id):
            staff.remove_for(current_user, member_id)
        db.session.commit()
        flash(_("The resident has been taken off the panel. Their data is erased."), "success")
    return redirect(url_for("signups.members"))


@bp.post("/beheer/leden/brieven")
@fresh_login_required
def letters() -> BaseResponse:
    ids = [int(v) for v in request.form.getlist("member") if v.isdigit()]
    if not forms.ActionForm().validate_on_submit():
        return redirect(url_for("signups.members"))
    try:
        with audit.denied_recorded("export", "member", ",".join(map(str, ids)),
                                   detail="letters"):
            body = staff.letters_for(current_user, ids)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("signups.members"))
    db.session.commit()
    response = Response(body, mimetype="application/vnd.openxmlformats-officedocument."
                                        "wordprocessingml.document")
    response.headers["Content-Disposition"] = "attachment; filename=brieven-wijkpanel.docx"
    return no_store(response)


@bp.route("/beheer/import", methods=["GET", "POST"])
@login_required
def import_upload() -> str | BaseResponse:
    require_role(current_user, Role.ADMIN, Role.TEAM)
    form = forms.UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            record = importer.store_upload(current_user, upload.read(), upload.filename or "")
        except DomainError as exc:
            db.session.rollback()
            form.file.errors = [exc.message]
        else:
            audit.record("import", "import", record.id, detail="file uploaded")
            db.session.commit()
            return redirect(url_for("signups.import_review", record_id=record.id))
    return render_template("signups/import_upload.html", form=form)


@bp.route("/beheer/import/<int:record_id>", methods=["GET", "POST"])
@login_required
def import_review(record_id: int) -> str | BaseResponse:
    record = importer.get_upload(current_user, record_id)
    headers = importer.headers_of(record)
    detected = importer.detect_mapping(importer.read_table(record.content or b"",
                                                           record.filename))
    mapping = {name: (request.form.get(f"map-{name}") if request.method == "POST"
                      else detected.get(name)) or None for name in importer.FIELDS}
    mapping = {k: (v if v in headers else None) for k, v in mapping.items()}
    form = forms.ActionForm()
    report = None
    if request.method == "GET" or form.validate_on_submit():
        dry_run = request.method == "GET" or request.form.get("dry_run") != "0"
        with audit.created_objects(PanelMember) as created:
            report = importer.run_upload(current_user, record, mapping, dry_run=dry_run)
        if report.applied:
            audit.record("import", "import", record.id, detail="; ".join(
                f"{status}={count}" for status, count in report.summary().items()))
            for new_member in created:
                audit.record("register", "member", new_member.id,
                             detail=f"survey import {record.id}")
        db.session.commit()
    return no_store(make_response(render_template(
        "signups/import_review.html", record=record, headers=headers, mapping=mapping,
        report=report, form=form, field_labels=importer.FIELD_LABELS,
        status_labels=importer.STATUS_LABELS)))


@bp.route("/beheer/toestemming", methods=["GET", "POST"])
@login_required
def statement() -> str | BaseResponse:
    require_role(current_user, Role.ADMIN)
    form = forms.StatementForm()
    if form.validate_on_submit():
        try:
            services.publish_statement(form.version.data or "", form.text_nl.data or "",
                                       form.text_en.data or "")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("The new text is published. New sign-ups agree to it."), "success")
            return redirect(url_for("signups.statement"))
    try:
        current = services.current_statement()
    except DomainError:
        current = None
    return render_template("signups/statement.html", form=form, current=current)
