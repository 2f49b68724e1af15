"""Command line: import survey results per municipality, gebied and wijk from a file, and
load the indicators they are about."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from panel.db import db
from panel.importing import finish_command
from panel.progress import shown
from panel.results import protection
from panel.results.importer import ResultsImporter
from panel.results.indicator_import import CATALOGUES, IndicatorsImporter, load_catalogue


def register_commands(app: Flask) -> None:
    """Add ``flask import-results FILE [--dry-run]``, ``flask load-indicators FILE
    [--dry-run]`` (or ``--catalogue NAME``) and ``flask protect-results`` to ``app``."""

    @app.cli.command("protect-results")
    @click.option("--force", is_flag=True,
                  help="Work the outcome out again even when it is current.")
    def protect_results_command(force: bool) -> None:
        """Store which figures are withheld to protect small ones.

        This happens by itself when results, wijken or gebieden change. Run it after
        changing PANEL_MIN_RESPONDENTS; until then the pages work it out for every
        request, which is slow. Does nothing when the stored outcome is current.
        """
        if not force and protection.is_current():
            click.echo(_("The withheld figures are current."))
            return
        count = protection.refresh()
        db.session.commit()
        click.echo(_("Withheld figures worked out: %(count)s.", count=count))

    @app.cli.command("import-results")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only check the file; change nothing.")
    def import_results_command(file: Path, dry_run: bool) -> None:
        """Import survey results per municipality, gebied and wijk (CSV or XLSX).

        Columns: editie (year), gebiedscode (GM code, WK code or gebied code), indicator,
        waarde, and optionally respondenten, ondergrens and bovengrens. English names work
        too. When any line is wrong, nothing is imported. New editions stay unpublished.
        """
        with shown():
            report = ResultsImporter(None).run(file.read_bytes(), file.name, dry_run=dry_run)
        finish_command(report, _("The results are saved."))

    @app.cli.command("load-indicators")
    @click.argument("file", required=False,
                    type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--catalogue", type=click.Choice(sorted(CATALOGUES)),
                  help="Load a catalogue shipped with the platform instead of a file.")
    @click.option("--dry-run", is_flag=True, help="Only check the file; change nothing.")
    def load_indicators_command(file: Path | None, catalogue: str | None,
                                dry_run: bool) -> None:
        """Load or update indicators from a CSV or XLSX file, or a shipped catalogue.

        Columns: code, naam, eenheid (percentage, rapportcijfer, aantal or schaalscore),
        hoger_is_beter (ja or nee), and optionally naam_en, uitleg, uitleg_en, decimalen,
        thema, thema_en and volgorde. English names work too. When any line is wrong,
        nothing changes.
        """
        if (file is None) == (catalogue is None):
            raise click.UsageError(_("Give a file or --catalogue, not both."))
        with shown():
            if file is not None:
                report = IndicatorsImporter(None).run(file.read_bytes(), file.name,
                                                      dry_run=dry_run)
            else:
                report = load_catalogue(None, str(catalogue), dry_run=dry_run)
        finish_command(report, _("The indicators are saved."))
