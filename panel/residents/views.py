"""The resident's own page (/mijn): opening it with a personal link or a letter's code,
their data and meetings, changing their details, downloading their data, leaving and
closing the page. Residents never have passwords (see ``panel.signups.residents``)."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from panel import limits
from panel.conditional import conditional
from panel.db import db
from panel.errors import DomainError
from panel.exports import csv_bytes, download
from panel.extensions import limiter
from panel.i18n import current_language
from panel.later import hand_over_later, later, register
from panel.meetings.forms import REPLY_LABELS
from panel.meetings.models import MeetingStatus
from panel.outcome import outcome, say
from panel.privacy import services as audit
from panel.residents import forms, services
from panel.security import no_store
from panel.signups import forms as signup_forms
from panel.signups import residents
from panel.signups import services as signups
from panel.signups.models import PanelMember

bp = Blueprint("residents", __name__)
bp.teardown_request(hand_over_later)
register("access-link", signups.request_access_link)


def _my_page() -> BaseResponse:
    return redirect(url_for("residents.my_page"))


# --- opening the page ---------------------------------------------------------------------

def _open_with(find: Callable[[str], PanelMember], key: str) -> BaseResponse | tuple[str, int]:
    """Sign in the member that ``find`` finds by ``key`` (a link's token or a letter's
    code) and show their page."""
    try:
        member = find(key)
    except DomainError as exc:  # used, expired or wrong: the link-gone page, not a message
        return render_template("signups/link_gone.html", message=exc.message), 410
    residents.sign_in(member.id)
    return _my_page()


@bp.get("/mijn/link/<token>")
def open_link(token: str) -> BaseResponse | tuple[str, int]:
    return _open_with(signups.member_by_access_link, token)


@bp.get("/code/<code>")
@limiter.limit(limits.WRONG_CODES_PER_ADDRESS, key_func=limits.by_address,
               deduct_when=limits.failed)
def code_link(code: str) -> BaseResponse | tuple[str, int]:
    return _open_with(signups.member_by_short_code, code)


@bp.route("/code", methods=["GET", "POST"])
@limiter.limit(limits.WRONG_CODES_PER_ADDRESS, key_func=limits.by_address,
               deduct_when=limits.failed, methods=["POST"])
def code() -> str | BaseResponse:
    form = forms.CodeForm()
    if form.validate_on_submit():
        with outcome(field=form.code) as found:
            member = signups.member_by_short_code(form.code.data or "")
        if found:
            residents.sign_in(member.id)
            return _my_page()
    return render_template("residents/code.html", form=form)


@bp.post("/mijn/link")
@limiter.limit(limits.PER_ADDRESS, key_func=limits.by_address, deduct_when=limits.accepted)
@limiter.limit(limits.PER_EMAIL, key_func=limits.by_email(), deduct_when=limits.accepted)
def request_link() -> str | BaseResponse:
    form = forms.RequestLinkForm()
    if not form.validate_on_submit():
        return no_store(make_response(render_template("residents/my_login.html", form=form)))
    with outcome():  # what depends on the address is done after the response: panel.later
        later("access-link", form.email.data or "", current_language())
    return redirect(url_for("residents.link_sent"))


@bp.get("/mijn/link-verstuurd")
@conditional(lambda: ())  # fixed texts: the layout and language are in every ETag
def link_sent() -> str:
    return render_template("residents/link_sent.html")


# --- the page -----------------------------------------------------------------------------

@bp.route("/mijn", methods=["GET", "POST"])
def my_page() -> BaseResponse:
    member = residents.current_member()
    if member is None:
        return no_store(make_response(render_template(
            "residents/my_login.html", form=forms.RequestLinkForm())))
    form = forms.DetailsForm(obj=member)
    if request.method == "GET":
        form.availability.data = member.availability_slots
    if form.validate_on_submit():
        with outcome(_("Your details are saved."), form=form) as saved:
            signups.update_details(member, signups.DetailsChange(
                name=form.name.data or "", email=form.email.data or "",
                phone=form.phone.data or "", language=form.language.data or member.language,
                accessibility_needs=form.accessibility_needs.data or "",
                availability=form.availability.data or []))
            audit.record("change", "member", member.id, actor="resident", detail="own page")
        if saved:
            return _my_page()
    return _render_my_page(member, form)


def _render_my_page(member: PanelMember, form: forms.DetailsForm,
                    call_form: signup_forms.CallRequestForm | None = None) -> BaseResponse:
    """The resident's own page, with the details form and the call request form as they
    are (with their errors after a wrong submit)."""
    page = services.my_page(member)
    confirm_form = signup_forms.ConfirmForm(statement_version=page.statement.version) \
        if page.must_confirm else None
    if call_form is None:
        call_form = signup_forms.CallRequestForm(formdata=None, data={"phone": member.phone})
    return no_store(make_response(render_template(
        "residents/my_page.html", member=member, form=form, confirm_form=confirm_form,
        call_form=call_form, consent=page.consent, meetings=page.meetings,
        evaluations=page.evaluations, statement=page.statement, reply_labels=REPLY_LABELS,
        MeetingStatus=MeetingStatus, **signup_forms.labels())))


@bp.post("/mijn/bevestigen")
def confirm_in_session() -> BaseResponse:
    member = residents.current_member()
    if member is None:
        return _my_page()
    form = signup_forms.ConfirmForm()
    if form.validate_on_submit():
        with outcome(_("Thank you. You are now in the wijkpanel of %(wijk)s.",
                       wijk=member.neighbourhood.name)):
            signups.confirm_in_session(member, form.statement_version.data or "")
            audit.record("confirm", "member", member.id, actor="resident", detail="own page")
    return _my_page()


@bp.post("/mijn/bellen")
@limiter.limit(limits.PER_MEMBER, key_func=limits.by_member(residents.RESIDENT))
def request_call() -> BaseResponse:
    """The resident asks to be called, on the number they give (see
    ``signups.services.request_call``)."""
    member = residents.current_member()
    if member is None:
        return _my_page()
    form = signup_forms.CallRequestForm()
    if form.validate_on_submit():
        with outcome(_("Thank you. We will call you soon."), field=form.phone) as asked:
            signups.request_call(member, form.phone.data or "")
            audit.record("change", "member", member.id, actor="resident",
                         detail="asked to be called")
        if asked:
            return redirect(url_for("residents.my_page", _anchor="bellen"))
    details = forms.DetailsForm(formdata=None, obj=member)
    details.availability.data = member.availability_slots
    return _render_my_page(member, details, call_form=form)


@bp.get("/mijn/gegevens.<fmt>")
def my_data(fmt: str) -> BaseResponse:
    member = residents.current_member()
    if member is None:
        return _my_page()
    data = signups.my_data(member)
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
        return _my_page()
    audit.record("export", "member", member.id, actor="resident", detail=f"own data ({fmt})")
    db.session.commit()
    return no_store(download(body, mimetype, "mijn-gegevens", extension=fmt))


# --- leaving and closing ------------------------------------------------------------------

@bp.route("/mijn/afmelden", methods=["GET", "POST"])
def leave() -> str | BaseResponse:
    member = residents.current_member()
    if member is None:
        return _my_page()
    form = signup_forms.ActionForm()
    if form.validate_on_submit():
        goodbye = residents.leave(member, "own page")
        if goodbye is not None:
            return goodbye
    return no_store(make_response(render_template("signups/leave.html", form=form,
                                                  member=member)))


@bp.post("/mijn/uitloggen")
def resident_logout() -> BaseResponse:
    residents.sign_out()
    say(_("You have closed your page."))
    return redirect(url_for("site.home"))
