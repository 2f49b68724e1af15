"""Command line: import survey opt-ins and load the postcode table."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from panel.db import db
from panel.signups import importer
from panel.signups.postcodes import load_postcodes


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
        data = file.read_bytes()
        mapping = None
        if mappings:
            table = importer.read_table(data, file.name)
            mapping = importer.detect_mapping(table)
            for item in mappings:
                name, _sep, header = item.partition("=")
                if name not in importer.FIELDS:
                    raise click.BadParameter(_("Unknown field: %(name)s", name=name))
                mapping[name] = " ".join(header.strip().lower().replace("_", " ").split())
        report = importer.import_respondents(None, data, file.name, mapping, dry_run=dry_run)
        if report.file_error:
            db.session.rollback()
            raise click.ClickException(report.file_error)
        if report.missing:
            db.session.rollback()
            raise click.ClickException(_(
                "The file has no column for the answer to the panel question. Name it with "
                "--map panel_answer=HEADER."))
        for row in report.rows:
            label = importer.STATUS_LABELS[row.status]
            click.echo(_("line %(line)s: %(status)s", line=row.line, status=label)
                       + (f" ({row.reason})" if row.reason else ""))
        click.echo(", ".join(f"{importer.STATUS_LABELS[s]}: {n}"
                             for s, n in report.summary().items()))
        if dry_run:
            db.session.rollback()
            click.echo(_("Dry run: nothing was changed."))
            return
        importer.keep_record(None, file.name, report)
        db.session.commit()

    @app.cli.command("load-postcodes")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only check the file; change nothing.")
    def load_postcodes_command(file: Path, dry_run: bool) -> None:
        """Load the postcode table (columns: postcode, buurtcode, straat, plaats)."""
        report = load_postcodes(file.read_bytes(), file.name, dry_run=dry_run)
        if report.file_error:
            raise click.ClickException(report.file_error)
        for line, message in report.messages:
            click.echo(_("line %(line)s: %(message)s", line=line, message=message))
        click.echo(_("%(new)s new, %(updated)s updated.", new=report.new, updated=report.updated))
        if not report.ok:
            db.session.rollback()
            raise SystemExit(1)
        if report.applied:
            db.session.commit()
        else:
            db.session.rollback()
            click.echo(_("Dry run: nothing was changed."))
