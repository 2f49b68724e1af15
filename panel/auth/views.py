"""Staff pages: sign in (password, then code) and out, passwords, two-step login, the staff
start page and accounts."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from panel import limits
from panel.areas import services as area_services
from panel.auth import dashboard as dashboard_services
from panel.auth import services, sessions, staff_sessions, two_factor
from panel.auth.forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmPasswordForm,
    EditUserForm,
    EnrolForm,
    ForgottenPasswordForm,
    LoginForm,
    SetPasswordForm,
    UserForm,
)
from panel.auth.models import User
from panel.auth.permissions import may_administer, require
from panel.auth.sessions import fresh_login_required
from panel.db import db
from panel.errors import DomainError
from panel.extensions import limiter, login_manager
from panel.i18n import current_language
from panel.later import hand_over_later, later, register
from panel.outcome import outcome, say
from panel.privacy import services as audit
from panel.security import is_safe_redirect, no_store
from panel.urls import absolute_url, paths

bp = Blueprint("auth", __name__, url_prefix="/beheer")
bp.teardown_request(hand_over_later)
# Attempts count per account (the email typed, or the account signed in or halfway through
# signing in); failed sign-ins and codes also, loosely, per address (panel.limits).
BY_ACCOUNT = limits.by_staff_account(sessions.PENDING)


def _login_failed_message() -> str:
    """One message for an unknown email, a wrong password and a locked account."""
    return _("The email address or password is not correct.")


def _signed_out_after_lock() -> Response:
    """Too many wrong attempts while signed in: the account is locked, the session ends."""
    sessions.end()
    say(_login_failed_message(), "error")
    return redirect(url_for("auth.login"))


def _own_password_is(password: str) -> bool:
    """Whether ``password`` is the signed-in user's. A wrong one counts toward the lockout
    (committed at once); when it locks the account, the session ends and the request stops
    here with the sign-in page."""
    if services.confirm_password(current_user, password):
        return True
    db.session.commit()  # keeps the count of failed attempts
    if services.is_locked(current_user):
        abort(_signed_out_after_lock())
    return False


def password_link_url(token: str) -> str:
    return absolute_url("auth.set_password", token=token)


@bp.get("/")
@login_required
def dashboard() -> str:
    # The signed-in user itself rather than the proxy, which looks it up at every use.
    user = current_user._get_current_object()
    data = dashboard_services.overview(user)
    parts = [part for _receiver, part in dashboard_services.dashboard_parts.send(user)
             if part is not None]
    return render_template("auth/dashboard.html", areas=data.areas, counts=data.totals,
                           two_factor_on=two_factor.has_two_factor(user), parts=parts,
                           current_user=user, path=paths())


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit(limits.FAILED_SIGN_INS_PER_ADDRESS, key_func=limits.by_address,
               deduct_when=limits.failed, methods=["POST"])
@limiter.limit(limits.PER_ACCOUNT, key_func=limits.by_email(), methods=["POST"])
def login() -> str | Response:
    """First step: email and password. With two-step login on (or required) the user is not
    signed in yet; the session only remembers that the password was right."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        target = request.args.get("next")
        if user is None:
            db.session.commit()  # keeps the count of failed attempts
            say(_login_failed_message(), "error")
        elif two_factor.has_two_factor(user):
            db.session.commit()
            sessions.begin_pending(user, sessions.PENDING_CODE, target)
            return redirect(url_for("auth.login_code"))
        elif sessions.two_factor_required():
            db.session.commit()
            sessions.begin_pending(user, sessions.PENDING_ENROL, target)
            say(_("Set up two-step login first. You need it to sign in."), "info")
            return redirect(url_for("auth.two_factor_page"))
        else:
            services.record_login(user)
            db.session.commit()
            sessions.start(user)
            return redirect(target if is_safe_redirect(target) else url_for("auth.dashboard"))
    return render_template("auth/login.html", form=form,
                           max_attempts=services.MAX_FAILED_LOGINS,
                           lock_minutes=services.LOCK_MINUTES)


@bp.route("/inloggen/code", methods=["GET", "POST"])
@limiter.limit(limits.FAILED_SIGN_INS_PER_ADDRESS, key_func=limits.by_address,
               deduct_when=limits.failed, methods=["POST"])
@limiter.limit(limits.PER_ACCOUNT, key_func=BY_ACCOUNT, methods=["POST"])
def login_code() -> str | Response:
    """Second step: the code from the app, or a recovery code (each works once)."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.dashboard"))
    user = sessions.pending_user(sessions.PENDING_CODE)
    if user is None:
        if sessions.clear_pending():
            say(_("Signing in took too long. Please start again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.verify_login_code(user, form.code.data or ""):
            services.record_login(user)
            db.session.commit()
            target = sessions.pending_next()
            sessions.start(user)
            if two_factor.unused_recovery_codes(user) <= 2:
                say(_("You have few recovery codes left. Make new ones on the page "
                      "Two-step login."), "info")
            return redirect(target or url_for("auth.dashboard"))
        db.session.commit()  # keeps the count of failed attempts
        say(two_factor.WRONG_CODE, "error")
    return render_template("auth/login_code.html", form=form,
                           max_attempts=services.MAX_FAILED_LOGINS,
                           lock_minutes=services.LOCK_MINUTES)


@bp.post("/uitloggen")
def logout() -> Response:
    sessions.end()
    say(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/bevestigen", methods=["GET", "POST"])
@login_required
@limiter.limit(limits.PER_ACCOUNT, key_func=BY_ACCOUNT, methods=["POST"])
def confirm() -> str | Response:
    """Type the password again before a sensitive action, then go back to ``next``."""
    target = request.args.get("next")
    if not is_safe_redirect(target):
        target = url_for("auth.dashboard")
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        if _own_password_is(form.password.data or ""):
            db.session.commit()
            sessions.mark_fresh()
            return redirect(target)
        say(_("The password is not correct."), "error")
    return render_template("auth/confirm.html", form=form, target=target)


@bp.route("/wachtwoord", methods=["GET", "POST"])
@login_required
@limiter.limit(limits.PER_ACCOUNT, key_func=BY_ACCOUNT, methods=["POST"])
def change_password() -> str | Response:
    """A signed-in user changes their own password. Their other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not _own_password_is(form.current.data or ""):
            say(_("Your current password is not correct."), "error")
        else:
            with outcome(_("Your password is changed. You are signed out on other "
                           "devices."), form=form) as changed:
                services.change_password(current_user, form.password.data or "")
            if changed:
                sessions.keep_current(current_user)
                return redirect(url_for("auth.dashboard"))
    return render_template("auth/change_password.html", form=form)


def _qr_code(uri: str) -> Markup:
    """segno writes the SVG itself (numbers and fixed attributes) and escapes the title."""
    return Markup(two_factor.qr_code_svg(  # noqa: S704
        uri, _("QR code to scan with your authenticator app")))


def _enrolment_page(user: User, form: EnrolForm) -> Response:
    secret = two_factor.start_enrolment(user)
    db.session.commit()  # the same secret (and QR code) after a reload
    uri = two_factor.provisioning_uri(user)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    page = render_template("auth/two_factor_enrol.html", form=form, qr_code=_qr_code(uri),
                           secret=grouped, uri=uri, required=sessions.two_factor_required(),
                           signed_in=current_user.is_authenticated)
    return no_store(make_response(page))


def _recovery_codes_page(codes: list[str], target: str | None) -> Response:
    page = render_template("auth/recovery_codes.html", codes=codes,
                           target=target or url_for("auth.dashboard"))
    return no_store(make_response(page))


@bp.route("/tweestaps", methods=["GET", "POST"])
@limiter.limit(limits.PER_ACCOUNT, key_func=BY_ACCOUNT, methods=["POST"])
def two_factor_page() -> str | Response:
    """Set up two-step login (QR code, then a first code), or see its state when it is on.

    Signed-in users need a fresh login to set it up. A user who typed the right password
    but must set it up first (production) is not signed in until the first code passes.
    """
    pending = None if current_user.is_authenticated \
        else sessions.pending_user(sessions.PENDING_ENROL)
    if pending is None:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if two_factor.has_two_factor(current_user):
            return render_template("auth/two_factor.html", form=ConfirmPasswordForm(),
                                   remaining=two_factor.unused_recovery_codes(current_user),
                                   required=sessions.two_factor_required())
        if not sessions.is_fresh():
            return sessions.reauthenticate()
    user: User = pending or current_user
    form = EnrolForm()
    if form.validate_on_submit():
        with outcome(field=form.code) as enrolled:
            codes = two_factor.confirm_enrolment(user, form.code.data or "")
            if pending is not None:
                services.record_login(user)
        if enrolled:
            target = sessions.pending_next() if pending is not None else None
            if pending is not None:
                sessions.start(user)  # a new session: say() only after it
            else:
                sessions.keep_current(user)
            say(_("Two-step login is on."), "success")
            return _recovery_codes_page(codes, target)
    return _enrolment_page(user, form)


@bp.post("/tweestaps/herstelcodes")
@fresh_login_required
def new_recovery_codes() -> Response:
    """Make new recovery codes; the old ones stop working, and so do the other sessions."""
    if not two_factor.has_two_factor(current_user):
        return redirect(url_for("auth.two_factor_page"))
    codes = two_factor.replace_recovery_codes(current_user)
    services.bump_session_version(current_user, staff_sessions.Reason.RECOVERY_CODES)
    db.session.commit()
    sessions.keep_current(current_user)
    return _recovery_codes_page(codes, None)


@bp.post("/tweestaps/uitzetten")
@login_required
@limiter.limit(limits.PER_ACCOUNT, key_func=BY_ACCOUNT)
def two_factor_off() -> str | Response:
    """Turn two-step login off (asks for the password). Not possible in production."""
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        if not _own_password_is(form.password.data or ""):
            form.password.errors = [_("The password is not correct.")]
        else:
            with outcome(_("Two-step login is off.")) as off:
                two_factor.disable(current_user, required=sessions.two_factor_required())
            if off:
                sessions.keep_current(current_user)
                return redirect(url_for("auth.dashboard"))
    if not two_factor.has_two_factor(current_user):
        return redirect(url_for("auth.two_factor_page"))
    return render_template("auth/two_factor.html", form=form,
                           remaining=two_factor.unused_recovery_codes(current_user),
                           required=sessions.two_factor_required())


@bp.route("/wachtwoord/<token>", methods=["GET", "POST"])
@limiter.limit(limits.PER_LINK, key_func=limits.by_link(), methods=["POST"])
def set_password(token: str) -> str | Response:
    try:
        user = services.check_password_link(token)
    except DomainError as exc:  # a used or expired link: its own page, 410 Gone
        return render_template("auth/link_gone.html", message=exc.message), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        with outcome(_("Your password is set. You can sign in now."), form=form) as saved:
            services.set_password(token, form.password.data or "")
        if saved:
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, email=user.email)


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit(limits.PER_ADDRESS, key_func=limits.by_address, methods=["POST"])
@limiter.limit(limits.STAFF_LINKS_PER_EMAIL, key_func=limits.by_email(),
               methods=["POST"])
def forgotten_password() -> str | Response:
    """Ask for a set-password link by email. Every valid address gets the same answer
    page at once; the rest is done after the response (``_send_password_link``)."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    form = ForgottenPasswordForm()
    if form.validate_on_submit():
        with outcome(field=form.email) as asked:
            address = services.normalise_email(form.email.data or "")
            later("password-link", address, current_language(),
                  request.remote_addr or "")  # see panel.later
        if asked:
            return redirect(url_for("auth.forgotten_password_sent"))
    return render_template("auth/forgotten_password.html", form=form)


def _send_password_link(email: str, language: str, client_address: str) -> None:
    """The part of a forgotten password that depends on the address, done after the
    response: the email (a link, or "no account") and one audit event either way."""
    user = services.request_password_link(email, language)
    audit.record("password-link", "staff_account", user.id if user else "",
                 actor="anonymous", result="ok" if user else "failed",
                 detail="forgotten password", address=client_address)


register("password-link", _send_password_link)


@bp.get("/wachtwoord-vergeten/verstuurd")
def forgotten_password_sent() -> str:
    return render_template("auth/forgotten_password_sent.html",
                           hours=services.FORGOTTEN_PASSWORD_HOURS)


def _area_choices() -> list[SelectChoice]:
    return [SelectChoice(a.code, a.name) for a in area_services.public_overview()]


@bp.get("/accounts")
@login_required
def users() -> str:
    return render_template("auth/users.html", users=services.list_users(current_user))


def _record_account(action: str, user: User) -> None:
    """An account made or changed, in the audit log: its role, gebieden and whether it
    may sign in (who did it is the signed-in administrator). Committed with the change."""
    areas = ", ".join(sorted(area.code for area in user.areas)) or "-"
    audit.record(action, "staff_account", user.id,
                 detail=f"role {user.role}; gebieden {areas}; "
                        f"{'active' if user.active else 'blocked'}")


@bp.route("/accounts/nieuw", methods=["GET", "POST"])
@fresh_login_required
def new_user() -> str | Response:
    require(may_administer(current_user))
    form = UserForm()
    form.areas.choices = _area_choices()
    if form.validate_on_submit():
        with outcome(form=form) as created:
            user, token = services.create_user(
                current_user, form.email.data or "", form.role.data or "",
                form.areas.data or [], form.name.data or "",
                current_app.config["PANEL_PASSWORD_LINK_HOURS"])
            _record_account("create", user)
        if created:
            return render_template("auth/link_created.html", user=user,
                                   link=password_link_url(token))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@fresh_login_required
def edit_user(user_id: int) -> str | Response:
    user = services.get_user(current_user, user_id)
    form = EditUserForm(obj=user)
    form.areas.choices = _area_choices()
    if request.method == "GET":
        form.areas.data = [a.code for a in user.areas]
    if form.validate_on_submit():
        with outcome(_("The account is saved."), form=form) as saved:
            changed = services.update_user(current_user, user_id, form.name.data or "",
                                           form.role.data or "", form.areas.data or [],
                                           bool(form.active.data))
            _record_account("change", changed)
        if saved:
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user,
                           two_factor_on=two_factor.has_two_factor(user))


@bp.post("/accounts/<int:user_id>/link")
@fresh_login_required
def new_password_link(user_id: int) -> str:
    token = services.reset_password_link(current_user, user_id,
                                         current_app.config["PANEL_PASSWORD_LINK_HOURS"])
    user = services.get_user(current_user, user_id)
    db.session.commit()
    return render_template("auth/link_created.html", user=user, link=password_link_url(token))


@bp.post("/accounts/<int:user_id>/tweestaps-uit")
@fresh_login_required
def reset_two_factor(user_id: int) -> Response:
    """An admin turns two-step login off for someone who lost their phone and codes."""
    with outcome() as done:
        user = two_factor.reset_for(current_user, user_id)
    if done:
        say(_("Two-step login is off for %(email)s. They are signed out everywhere.",
              email=user.email), "success")
    return redirect(url_for("auth.edit_user", user_id=user_id))


from panel.auth import session_views  # noqa: E402, F401 - its routes join ``bp``
