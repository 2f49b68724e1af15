"""Command line: import survey results per municipality, gebied and wijk from a file."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from panel.importing import finish_command
from panel.results.importer import ResultsImporter


def register_commands(app: Flask) -> None:
    """Add ``flask import-results FILE [--dry-run]`` to ``app``."""

    @app.cli.command("import-results")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only check the file; change nothing.")
    def import_results_command(file: Path, dry_run: bool) -> None:
        """Import survey results per municipality, gebied and wijk (CSV or XLSX).

        Columns: editie (year), gebiedscode (GM code, WK code or gebied code), indicator,
        waarde, and optionally respondenten, ondergrens and bovengrens. English names work
        too. When any line is wrong, nothing is imported. New editions stay unpublished.
        """
        report = ResultsImporter(None).run(file.read_bytes(), file.name, dry_run=dry_run)
        finish_command(report, _("The results are saved."))
