"""Command line: import survey results per municipality, gebied and wijk from a file."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from panel.areas.services import STATUS_LABELS
from panel.db import db
from panel.results.importer import ResultsReport, import_results


def print_report(report: ResultsReport) -> None:
    """Print every line's outcome, the editions that are new, and a summary."""
    for message in report.file_errors:
        click.echo(_("File: %(message)s", message=message), err=True)
    for row in report.lines:
        click.echo(_("line %(line)s: %(edition)s %(indicator)s %(area)s %(status)s "
                     "%(messages)s", line=row.line,
                     edition=row.edition if row.edition is not None else "?",
                     indicator=row.indicator or "?", area=row.area_code or "?",
                     status=STATUS_LABELS[row.status],
                     messages="; ".join(row.messages)).rstrip())
    for year in report.new_editions if report.ok else []:
        click.echo(_("New edition %(year)s: not published yet.", year=year))
    if report.lines:
        click.echo(_("%(new)s new, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s "
                     "rejected.", new=report.count("new"), updated=report.count("updated"),
                     unchanged=report.count("unchanged"), rejected=report.count("rejected")))


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
        report = import_results(None, file.read_bytes(), file.name, dry_run=dry_run)
        print_report(report)
        if report.applied:
            db.session.commit()
            click.echo(_("The results are saved."))
            return
        db.session.rollback()
        if not report.ok:
            click.echo(_("Nothing was imported. Correct the file and try again."),
                       err=True)
            raise SystemExit(1)
        click.echo(_("Dry run: nothing was changed."))
