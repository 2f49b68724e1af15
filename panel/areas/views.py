"""Staff pages for the municipality and its gebieden, wijken and buurten."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from panel.areas import services
from panel.areas.forms import (
    AreaForm,
    AreasUploadForm,
    DistrictForm,
    LogoForm,
    MunicipalityForm,
    NeighbourhoodForm,
)
from panel.areas.importer import AreasImporter
from panel.areas.logo import MAX_BYTES as LOGO_MAX_BYTES
from panel.areas.logo import remove_logo, save_logo
from panel.auth.permissions import may_administer, may_manage_area, require
from panel.importing import run_upload
from panel.outcome import outcome

bp = Blueprint("areas", __name__, url_prefix="/beheer")


@bp.route("/gemeente", methods=["GET", "POST"])
@login_required
def municipality() -> str | Response:
    require(may_administer(current_user))
    form = MunicipalityForm(obj=services.get_municipality())
    if form.validate_on_submit():
        with outcome(_("Saved."), form=form) as saved:
            services.save_municipality(current_user, form.code.data or "", form.name.data or "")
        if saved:
            return redirect(url_for("areas.index"))
    return render_template("areas/municipality.html", form=form, logo_form=LogoForm())


@bp.post("/gemeente/logo")
@login_required
def upload_logo() -> str | Response:
    """Upload the logo for the page header (panel.areas.logo checks and cleans it)."""
    require(may_administer(current_user))
    logo_form = LogoForm()
    if logo_form.validate_on_submit():
        upload = logo_form.file.data
        with outcome(_("The logo is saved."), field=logo_form.file) as saved:
            # One byte more than allowed is enough to know the file is too big.
            save_logo(current_user, upload.read(LOGO_MAX_BYTES + 1), upload.filename or "")
        if saved:
            return redirect(url_for("areas.municipality"))
    form = MunicipalityForm(formdata=None, obj=services.get_municipality())
    return render_template("areas/municipality.html", form=form, logo_form=logo_form)


@bp.post("/gemeente/logo/verwijderen")
@login_required
def delete_logo() -> Response:
    require(may_administer(current_user))
    with outcome(_("The logo is removed.")):
        remove_logo(current_user)
    return redirect(url_for("areas.municipality"))


@bp.get("/gebieden")
@login_required
def index() -> str:
    return render_template("areas/index.html", areas=services.areas_for(current_user),
                           municipality=services.get_municipality())


@bp.get("/gebieden/<code>")
@login_required
def area(code: str) -> str:
    item = services.get_area_for(current_user, code)
    return render_template("areas/area.html", area=item,
                           may_manage=may_manage_area(current_user, item))


@bp.route("/gebieden/nieuw", methods=["GET", "POST"])
@bp.route("/gebieden/<code>/bewerken", methods=["GET", "POST"])
@login_required
def edit_area(code: str | None = None) -> str | Response:
    require(may_administer(current_user))
    item = services.get_area_for(current_user, code) if code else None
    form = AreaForm(obj=item)
    if form.validate_on_submit():
        # The form checks the name; what the service can still refuse is the code.
        with outcome(_("Saved."), field=form.code) as saved:
            services.save_area(current_user, form.code.data or "", form.name.data or "", item)
        if saved:
            return redirect(url_for("areas.index"))
    return render_template("areas/edit.html", form=form, kind="area", item=item)


@bp.route("/wijken/nieuw", methods=["GET", "POST"])
@bp.route("/wijken/<code>/bewerken", methods=["GET", "POST"])
@login_required
def edit_neighbourhood(code: str | None = None) -> str | Response:
    require(may_administer(current_user))
    item = services.get_neighbourhood(code) if code else None
    form = NeighbourhoodForm(obj=item)
    form.area.choices = [SelectChoice(a.code, a.name) for a in services.public_overview()]
    if item is not None and not form.is_submitted():
        form.area.data = item.area.code
    if form.validate_on_submit():
        with outcome(_("Saved."), form=form) as saved:
            services.save_neighbourhood(current_user, form.code.data or "",
                                        form.name.data or "", form.area.data or "",
                                        form.cbs_year.data, item)
        if saved:
            return redirect(url_for("areas.index"))
    return render_template("areas/edit.html", form=form, kind="neighbourhood", item=item)


@bp.route("/buurten/nieuw", methods=["GET", "POST"])
@bp.route("/buurten/<code>/bewerken", methods=["GET", "POST"])
@login_required
def edit_district(code: str | None = None) -> str | Response:
    require(may_administer(current_user))
    item = services.get_district(code) if code else None
    form = DistrictForm(obj=item)
    form.neighbourhood.choices = [
        SelectChoice(n.code, f"{n.name} ({n.code})")
        for a in services.public_overview() for n in a.neighbourhoods
    ]
    if item is not None and not form.is_submitted():
        form.neighbourhood.data = item.neighbourhood.code
    if form.validate_on_submit():
        with outcome(_("Saved."), form=form) as saved:
            services.save_district(current_user, form.code.data or "", form.name.data or "",
                                   form.neighbourhood.data or "", form.cbs_year.data, item)
        if saved:
            return redirect(url_for("areas.index"))
    return render_template("areas/edit.html", form=form, kind="district", item=item)


@bp.route("/gebieden/laden", methods=["GET", "POST"])
@login_required
def upload() -> str:
    require(may_administer(current_user))
    form = AreasUploadForm()
    report = run_upload(AreasImporter(current_user), form)
    return render_template("areas/upload.html", form=form, report=report)
