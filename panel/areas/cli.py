"""Command line: load gebieden, wijken and buurten from a file."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from panel.areas.importer import AreasImporter
from panel.importing import finish_command


def register_commands(app: Flask) -> None:
    @app.cli.command("load-areas")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only check the file; change nothing.")
    def load_areas_command(file: Path, dry_run: bool) -> None:
        """Load or update gebieden, wijken and buurten (CBS codes) from CSV or XLSX.

        Columns: niveau (gebied, wijk, buurt), code, naam, hoort_bij (the gebied of a wijk,
        the wijk of a buurt), cbs_jaar. When any line is wrong, nothing changes.
        """
        report = AreasImporter(None).run(file.read_bytes(), file.name, dry_run=dry_run)
        finish_command(report, _("The areas are saved."))
