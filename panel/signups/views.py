"""Joining online and confirming, leaving by a link from an email, and the staff pages
about panel members, letters, the consent statement and the survey import. The resident's
own page (/mijn) is in ``panel.residents``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
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
from panel.auth.models import User
from panel.auth.permissions import (
    may_administer,
    may_manage_members,
    require,
    sees_member_details,
)
from panel.auth.sessions import fresh_login_required
from panel.conditional import conditional
from panel.db import db
from panel.errors import DomainError
from panel.exports import download
from panel.extensions import csrf, limiter
from panel.i18n import current_language, speak_to
from panel.importing import run_upload
from panel.later import hand_over_later, later, register
from panel.outcome import outcome, say
from panel.privacy import services as audit
from panel.security import no_store
from panel.signups import forms, importer, member_table, residents, services, staff
from panel.signups.models import PanelMember
from panel.signups.postcodes import PostcodesImporter, postcode_count

bp = Blueprint("signups", __name__)
bp.teardown_request(hand_over_later)


def _wijk_choices(empty_label: str, staff_member: User | None = None) -> list[SelectChoice]:
    """Wijken grouped by gebied; for a staff member only those of their own gebieden."""
    choices = [SelectChoice("", empty_label)]
    if staff_member is None:
        return choices + [SelectChoice(code, name, optgroup=area)
                          for area, code, name in area_services.wijk_names()]
    for area in area_services.areas_for(staff_member):
        choices += [SelectChoice(n.code, n.name, optgroup=area.name) for n in area.neighbourhoods]
    return choices


# --- joining ------------------------------------------------------------------------------

@bp.route("/aanmelden", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.by_address, methods=["POST"],
               deduct_when=limits.accepted)
@limiter.limit(limits.PER_EMAIL, key_func=limits.by_email(), methods=["POST"],
               deduct_when=limits.accepted)
def join() -> str | BaseResponse | tuple[str, int]:
    statement = services.latest_statement()
    if statement is None:
        return render_template("signups/unavailable.html", message=services.NO_STATEMENT), 503
    form = forms.JoinForm()
    form.neighbourhood.choices = _wijk_choices(_("Choose your wijk"))
    if request.method == "GET":
        form.statement_version.data = statement.version
        form.language.data = current_language()  # emails in the language of the page
    show_wijk = bool(form.neighbourhood.data)
    if form.validate_on_submit():
        wijk_unknown = False
        with outcome(form=form) as joined:
            try:
                checked = services.check_join(_join_request(form))
            except services.PostcodeUnknown as exc:  # not a message: the form asks the wijk
                db.session.rollback()
                show_wijk = wijk_unknown = True
                form.neighbourhood.errors = [str(exc.message)]
            else:
                later("join", checked, request.remote_addr or "")  # panel.later
        if joined and not wijk_unknown:
            return redirect(url_for("signups.join_sent"))
        form.statement_version.data = statement.version  # the text may have changed
    return render_template("signups/join.html", form=form, statement=statement,
                           show_wijk=show_wijk)


def _finish_join(checked: dict[str, Any], address: str) -> None:
    """Create the member (or email the known ones) of a checked sign-up (the fields of
    ``services.CheckedJoin``): the part of joining that depends on whether the address is
    known, done after the response (``address``: the IP address of the request, for the
    audit log)."""
    member = services.finish_join(services.CheckedJoin(**checked))
    if member is not None:
        audit.record("register", "member", member.id, actor="resident",
                     detail="joined online", address=address)


register("join", _finish_join)


def _join_request(form: forms.JoinForm) -> services.JoinRequest:
    return services.JoinRequest(
        name=form.name.data or "", email=form.email.data or "", phone=form.phone.data or "",
        postcode=form.postcode.data or "", house_number=form.house_number.data or "",
        neighbourhood_code=form.neighbourhood.data or "", language=form.language.data or "nl",
        statement_version=form.statement_version.data or "", call_me=bool(form.call_me.data))


@bp.get("/aanmelden/verstuurd")
@conditional(lambda: ())  # fixed texts: the layout and language are in every ETag
def join_sent() -> str:
    return render_template("signups/join_sent.html")


@bp.route("/aanmelden/bevestigen/<token>", methods=["GET", "POST"])
@limiter.limit(limits.PER_LINK, key_func=limits.by_link(), methods=["POST"])
def confirm(token: str) -> BaseResponse | tuple[str, int] | str:
    form = forms.ConfirmForm()
    try:
        member = services.confirmation_member(token)
        speak_to(member.language)  # the language of the email with the link
        statement = services.current_statement()
        if form.validate_on_submit() and form.statement_version.data == statement.version:
            member = services.confirm(token, statement.version)
            audit.record("confirm", "member", member.id, actor="resident",
                         detail="confirmation link")
            db.session.commit()
            residents.sign_in(member.id)
            say(_("Thank you. You are now in the wijkpanel of %(wijk)s.",
                  wijk=member.neighbourhood.name))
            return redirect(url_for("residents.my_page"))
    except DomainError as exc:  # used, expired or unknown: the link-gone page, not a message
        db.session.rollback()
        return render_template("signups/link_gone.html", message=exc.message), 410
    if form.validate_on_submit():
        # A new statement was published while the page was open: show it, ask again.
        say(_("The text about your data has changed. Please read it again."), "error")
        form.statement_version.data = statement.version
    elif request.method == "GET":
        form.statement_version.data = statement.version
    return no_store(make_response(render_template(
        "signups/confirm.html", form=form, member=member, statement=statement,
        language=member.language)))


# --- leaving by the link in an email ------------------------------------------------------

@bp.route("/afmelden/<token>", methods=["GET", "POST"])
@csrf.exempt  # one-click unsubscribe (RFC 8058) posts without a form; the token is the key
def leave_by_link(token: str) -> str | BaseResponse | tuple[str, int]:
    try:
        member = services.member_by_leave_link(token)
    except DomainError as exc:  # used or expired: the link-gone page, not a message
        return render_template("signups/link_gone.html", message=exc.message), 410
    speak_to(member.language)  # the language of the email with the link
    if request.method == "POST":
        goodbye = residents.leave(member, "leave link")
        if goodbye is not None:
            return goodbye
    return no_store(make_response(render_template("signups/leave.html", form=None,
                                                  member=member, token=token)))


@bp.get("/afgemeld")
@conditional(lambda: ())  # fixed texts: the layout and language are in every ETag
def left() -> str:
    return render_template("signups/left.html")


# --- staff --------------------------------------------------------------------------------

def _member_filter(args: Mapping[str, str]) -> staff.MemberFilter:
    """The member filter from the query string of the list and of its downloads (``args``:
    the first value of each field, ``request.args.to_dict()``).

    The search form is a GET form that changes nothing and cannot be filled in wrongly (an
    unknown wijk, status or source finds nobody), so its fields are read here as WTForms
    reads them, without building a form on every request: a checkbox is ticked unless it
    is missing, empty or ``false``; a page that is not a number is the first."""
    def ticked(name: str) -> bool:
        return args.get(name) not in (None, "", "false")

    try:
        page = int(args.get("pagina", 1))
    except ValueError:
        page = 1
    return staff.MemberFilter(
        query=args.get("q") or "", neighbourhood_code=args.get("wijk") or "",
        status=args.get("status") or "", source=args.get("source") or "", page=page or 1,
        wants_call=ticked("bellen"), without_email=ticked("zonder_email"),
        area_code=args.get("gebied") or "")


@bp.get("/beheer/leden")
@login_required
def members() -> str:
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    counts = staff.counts_per_wijk(user)
    if not sees_member_details(user):
        return render_template("signups/member_counts.html",
                               count_rows=member_table.count_rows(counts), **forms.labels())
    args = request.args.to_dict()
    flt = _member_filter(args)
    result = staff.list_members(user, flt, counts)
    page = render_template("signups/members.html",
                           **member_table.list_context(counts, flt, result, args))
    # Every view of the list is logged (without personal data). The event is written after
    # the page is built and committed before it is sent, so no list leaves without its
    # event, and on SQLite the write lock is held from this INSERT to the commit only, not
    # while the page is rendered (other requests writing their events wait for it).
    audit.record("search" if flt.query.strip() else "list", "member_list",
                 detail=f"page {result.page}; {result.total} found; "
                        f"wijk={flt.neighbourhood_code or 'all'} status={flt.status or 'all'} "
                        f"source={flt.source or 'all'}"
                        f"{' wants a call' if flt.wants_call else ''}")
    db.session.commit()
    return no_store(make_response(page))


@bp.get("/beheer/leden/export.<fmt>")
@fresh_login_required
def export_members(fmt: str) -> BaseResponse:
    with audit.denied_recorded("export", "member_list"):
        body = staff.export_members(current_user, _member_filter(request.args.to_dict()), fmt)
    db.session.commit()  # the audit event of the export
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                if fmt == "xlsx" else "text/csv")
    return no_store(download(body, mimetype, "panelleden",
                             extension="xlsx" if fmt == "xlsx" else "csv"))


@bp.route("/beheer/leden/nieuw", methods=["GET", "POST"])
@login_required
def register() -> str | BaseResponse:
    require(may_manage_members(current_user))
    form = forms.RegisterForm()
    form.wijk.choices = _wijk_choices(_("Choose a wijk"), current_user)
    if form.validate_on_submit():
        with outcome(_("The resident is now a panel member."), form=form) as saved:
            member = staff.register(current_user, _registration(form, form.channel.data or ""))
        if saved:
            return redirect(url_for("signups.member", member_id=member.id))
    return render_template("signups/register.html", form=form)


def _registration(form: forms.RegisterForm, channel: str) -> staff.Registration:
    return staff.Registration(
        name=form.name.data or "", email=form.email.data or "", phone=form.phone.data or "",
        street=form.street.data or "", house_number=form.house_number.data or "",
        postcode=form.postcode.data or "", city=form.city.data or "",
        neighbourhood_code=form.wijk.data or "", language=form.language.data or "nl",
        channel=channel)


@bp.get("/beheer/leden/<int:member_id>")
@login_required
def member(member_id: int) -> BaseResponse:
    with audit.denied_recorded("view", "member", member_id):
        item = staff.get_member_for(current_user, member_id)
    audit.record("view", "member", item.id)
    db.session.commit()
    return no_store(make_response(render_template(
        "signups/member.html", member=item, confirm_form=forms.StaffConfirmForm(),
        action_form=forms.ActionForm(), **forms.labels())))


@bp.post("/beheer/leden/<int:member_id>/gebeld")
@login_required
def mark_called(member_id: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with (outcome(_("Saved: the resident has been called.")),
              audit.denied_recorded("change", "member", member_id)):
            staff.mark_called(current_user, member_id)
    return redirect(url_for("signups.member", member_id=member_id))


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
        with outcome(_("Saved."), form=form) as saved:
            staff.update_member(current_user, member_id, _registration(form, ""))
        if saved:
            return redirect(url_for("signups.member", member_id=member_id))
    return no_store(make_response(render_template("signups/register.html", form=form,
                                                  member=item)))


@bp.post("/beheer/leden/<int:member_id>/bevestigen")
@login_required
def staff_confirm(member_id: int) -> BaseResponse:
    form = forms.StaffConfirmForm()
    if form.validate_on_submit():
        with (outcome(_("The place is confirmed.")),
              audit.denied_recorded("confirm", "member", member_id)):
            staff.confirm_for(current_user, member_id, form.channel.data or "")
    return redirect(url_for("signups.member", member_id=member_id))


@bp.post("/beheer/leden/<int:member_id>/afmelden")
@login_required
def staff_remove(member_id: int) -> BaseResponse:
    if forms.ActionForm().validate_on_submit():
        with (outcome(_("The resident has been taken off the panel. Their data is erased.")),
              audit.denied_recorded("erase", "member", member_id)):
            staff.remove_for(current_user, member_id)
    return redirect(url_for("signups.members"))


@bp.post("/beheer/leden/brieven")
@fresh_login_required
def letters() -> BaseResponse:
    ids = [int(v) for v in request.form.getlist("member") if v.isdigit()]
    if not forms.ActionForm().validate_on_submit():
        return redirect(url_for("signups.members"))
    with (outcome() as made,
          audit.denied_recorded("export", "member", ",".join(map(str, ids)), detail="letters")):
        body = staff.letters_for(current_user, ids)
    if not made:
        return redirect(url_for("signups.members"))
    return no_store(download(body, "application/vnd.openxmlformats-officedocument."
                                   "wordprocessingml.document", "brieven-wijkpanel",
                             extension="docx"))


@bp.route("/beheer/import", methods=["GET", "POST"])
@login_required
def import_upload() -> str | BaseResponse:
    require(may_manage_members(current_user))
    form = forms.UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        with outcome(field=form.file) as stored:  # an unreadable file: the message at the field
            record = importer.store_upload(current_user, upload.read(), upload.filename or "")
            audit.record("upload", "import", record.id, detail="file uploaded")
        if stored:
            return redirect(url_for("signups.import_review", record_id=record.id))
    return render_template("signups/import_upload.html", form=form)


@bp.route("/beheer/import/<int:record_id>", methods=["GET", "POST"])
@login_required
def import_review(record_id: int) -> str | BaseResponse:
    done = importer.finished_upload(current_user, record_id)
    if done is not None and request.method == "GET":  # imported before: what it did
        return no_store(make_response(render_template(
            "signups/import_done.html", record=done, counts=importer.finished_counts(done))))
    record = importer.get_upload(current_user, record_id)
    posted = request.method == "POST"
    header_line = request.form.get("header_line", type=int) if posted else None
    # A new header row has other headers: its columns are found again by their names.
    same_header = posted and request.form.get("shown_header_line", type=int) == header_line
    mapping = {name: request.form.get(f"map-{name}") for name in importer.FIELDS} \
        if same_header else None
    answers = _posted_answers() if posted else {}
    review = importer.review_upload(current_user, record, header_line, mapping, answers)
    form = forms.ActionForm()
    report = None
    if request.method == "GET" or form.validate_on_submit():
        dry_run = not same_header or request.form.get("dry_run") != "0"
        with outcome():
            with audit.created_objects(PanelMember) as created:
                report = importer.run_upload(current_user, record, review.mapping,
                                             dry_run=dry_run, header_line=review.header_line,
                                             answers=answers, table=review.table)
            if report.applied:
                audit.record("import", "import", record.id, detail="; ".join(
                    f"{status}={count}" for status, count in report.summary().items()))
                for new_member in created:
                    audit.record("register", "member", new_member.id,
                                 detail=f"survey import {record.id}")
    return no_store(make_response(render_template(
        "signups/import_review.html", record=record, review=review, report=report, form=form,
        field_labels=importer.FIELD_LABELS, answer_labels=forms.ANSWER_LABELS)))


def _posted_answers() -> dict[str, str]:
    """Staff's choice (yes, no or skip) per distinct answer in the mapping step."""
    return {request.form.get(f"answer-{i}-key", ""): request.form.get(f"answer-{i}", "")
            for i in range(importer.MAX_ANSWERS)
            if request.form.get(f"answer-{i}-key")}


@bp.route("/beheer/postcodes", methods=["GET", "POST"])
@login_required
def postcodes() -> str:
    """Load the postcode table from a file (also CBS's postcode–house number–buurt file)."""
    require(may_administer(current_user))
    form = forms.PostcodesUploadForm()
    report = run_upload(PostcodesImporter(current_user), form)
    return render_template("signups/postcodes.html", form=form, report=report,
                           count=postcode_count())


@bp.route("/beheer/toestemming", methods=["GET", "POST"])
@login_required
def statement() -> str | BaseResponse:
    require(may_administer(current_user))
    form = forms.StatementForm()
    if form.validate_on_submit():
        with outcome(_("The new text is published. New sign-ups agree to it."),
                     form=form) as published:
            services.publish_statement(current_user, form.version.data or "",
                                       form.text_nl.data or "", form.text_en.data or "")
        if published:
            return redirect(url_for("signups.statement"))
    return render_template("signups/statement.html", form=form,
                           current=services.latest_statement())
