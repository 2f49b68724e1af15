"""Command line: set the municipality; load gebieden, wijken and buurten from a file, and
their shapes from the wijk- en buurtkaart."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from panel.areas import services
from panel.areas.boundaries_importer import BoundariesImporter
from panel.areas.importer import AreasImporter
from panel.db import db
from panel.errors import DomainError
from panel.importing import finish_command
from panel.progress import shown


def register_commands(app: Flask) -> None:
    @app.cli.command("set-municipality")
    @click.option("--code", required=True,
                  help="The CBS municipality code: GM and four digits, e.g. GM0361 (0361 "
                       "also works).")
    @click.option("--name", required=True, help="The municipality's name, e.g. Alkmaar.")
    def set_municipality_command(code: str, name: str) -> None:
        """Set the municipality's CBS code and name (as the page Gemeente does)."""
        before = services.get_municipality()
        earlier = (before.code, before.name) if before is not None else None
        try:
            municipality = services.save_municipality(None, code, name)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc.message)) from exc
        db.session.commit()
        click.echo(_("The municipality is set: %(code)s %(name)s.", code=municipality.code,
                     name=municipality.name))
        if earlier is not None and earlier != (municipality.code, municipality.name):
            click.echo(_("Before, it was %(code)s %(name)s.", code=earlier[0], name=earlier[1]))
        others = services.count_wijken_of_other_municipalities(municipality)
        if others:
            click.echo(_("Warning: %(count)s wijken have a code of another municipality. "
                         "Check the code, or load the areas again.", count=others), err=True)

    @app.cli.command("load-areas")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only check the file; change nothing.")
    def load_areas_command(file: Path, dry_run: bool) -> None:
        """Load or update gebieden, wijken and buurten (CBS codes) from CSV or XLSX.

        Columns: niveau (gebied, wijk, buurt), code, naam, hoort_bij (the gebied of a wijk,
        the wijk of a buurt), cbs_jaar. When any line is wrong, nothing changes.
        """
        with shown():
            report = AreasImporter(None).run(file.read_bytes(), file.name, dry_run=dry_run)
        finish_command(report, _("The areas are saved."))

    @app.cli.command("load-boundaries")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only check the file; change nothing.")
    def load_boundaries_command(file: Path, dry_run: bool) -> None:
        """Load the shapes of the wijken and buurten for the maps, from CBS's wijk- en
        buurtkaart as GeoJSON (RD New or WGS84; the national file will do).

        Each feature needs the CBS code of its wijk or buurt (wijkcode, buurtcode, WK_CODE,
        BU_CODE, statcode or code). Shapes of other municipalities are left out.
        """
        with shown():
            report = BoundariesImporter(None).run(file.read_bytes(), file.name,
                                                  dry_run=dry_run)
        finish_command(report, _("The shapes are saved."))
