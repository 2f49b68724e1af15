"""Staff pages: sign in and out, set a password, the staff start page and accounts."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from panel.areas import services as area_services
from panel.auth import services
from panel.auth.forms import EditUserForm, LoginForm, SetPasswordForm, UserForm
from panel.auth.models import Role
from panel.auth.permissions import require_role
from panel.db import db
from panel.errors import DomainError
from panel.extensions import limiter
from panel.security import is_safe_redirect
from panel.urls import absolute_url

bp = Blueprint("auth", __name__, url_prefix="/beheer")


def password_link_url(token: str) -> str:
    return absolute_url("auth.set_password", token=token)


@bp.get("/")
@login_required
def dashboard() -> str:
    areas = area_services.areas_for(current_user)
    return render_template("auth/dashboard.html", areas=areas, counts=area_services.counts())


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("auth.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            db.session.commit()
            session.clear()
            login_user(user)
            session.permanent = True
            target = request.args.get("next")
            return redirect(target if is_safe_redirect(target) else url_for("auth.dashboard"))
        flash(_("The email address or password is not correct."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/uitloggen")
def logout() -> Response:
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/wachtwoord/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def set_password(token: str) -> str | Response:
    try:
        user = services.check_password_link(token)
    except DomainError as exc:
        return render_template("auth/link_gone.html", message=exc.message), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(token, form.password.data or "")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("Your password is set. You can sign in now."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, email=user.email)


def _area_choices() -> list[SelectChoice]:
    return [SelectChoice(a.code, a.name) for a in area_services.public_overview()]


@bp.get("/accounts")
@login_required
def users() -> str:
    return render_template("auth/users.html", users=services.list_users(current_user))


@bp.route("/accounts/nieuw", methods=["GET", "POST"])
@login_required
def new_user() -> str | Response:
    require_role(current_user, Role.ADMIN)
    form = UserForm()
    form.areas.choices = _area_choices()
    if form.validate_on_submit():
        try:
            user, token = services.create_user(
                current_user, form.email.data or "", form.role.data or "",
                form.areas.data or [], form.name.data or "",
                current_app.config["PANEL_PASSWORD_LINK_HOURS"])
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            return render_template("auth/link_created.html", user=user,
                                   link=password_link_url(token))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int) -> str | Response:
    user = services.get_user(current_user, user_id)
    form = EditUserForm(obj=user)
    form.areas.choices = _area_choices()
    if request.method == "GET":
        form.areas.data = [a.code for a in user.areas]
    if form.validate_on_submit():
        try:
            services.update_user(current_user, user_id, form.name.data or "",
                                 form.role.data or "", form.areas.data or [],
                                 bool(form.active.data))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_("The account is saved."), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)


@bp.post("/accounts/<int:user_id>/link")
@login_required
def new_password_link(user_id: int) -> str:
    token = services.reset_password_link(current_user, user_id,
                                         current_app.config["PANEL_PASSWORD_LINK_HOURS"])
    user = services.get_user(current_user, user_id)
    db.session.commit()
    return render_template("auth/link_created.html", user=user, link=password_link_url(token))
