"""Command line: import survey opt-ins and load the postcode table."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from panel.db import db
from panel.importing import finish_command, header_mapping
from panel.signups import importer
from panel.signups.postcodes import PostcodesImporter


def register_commands(app: Flask) -> None:
    @app.cli.command("import-respondents")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only show what would happen.")
    @click.option("--map", "mappings", multiple=True, metavar="FIELD=HEADER",
                  help="Which header holds a field when the names differ, e.g. "
                       "--map 'panel_answer=Wil meedoen'. Fields: " + ", ".join(importer.FIELDS))
    def import_respondents_command(file: Path, dry_run: bool, mappings: tuple[str, ...]) -> None:
        """Import survey respondents who want to join a panel (CSV or XLSX).

        Prints the outcome of every line. People who said yes and have an email address get
        an invitation to confirm their place (queued; delivered by send-mail).
        """
        mapping = header_mapping(list(mappings), importer.FIELDS)
        report = importer.RespondentsImporter(None).run(file.read_bytes(), file.name,
                                                        dry_run=dry_run, mapping=mapping)
        if report.missing:
            db.session.rollback()
            raise click.ClickException(_(
                "The file has no column for the answer to the panel question. Name it with "
                "--map panel_answer=HEADER."))
        if report.applied:
            importer.keep_record(None, file.name, report)
        finish_command(report)

    @app.cli.command("load-postcodes")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only check the file; change nothing.")
    def load_postcodes_command(file: Path, dry_run: bool) -> None:
        """Load the postcode table (columns: postcode, buurtcode, straat, plaats)."""
        report = PostcodesImporter(None).run(file.read_bytes(), file.name, dry_run=dry_run)
        finish_command(report, _("The postcodes are saved."), every_line=False)
