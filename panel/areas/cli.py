"""Command line: load gebieden, wijken and buurten from a file."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from panel.areas.services import STATUS_LABELS, LoadReport, load_areas
from panel.db import db

LEVEL_LABELS = {"area": "gebied", "neighbourhood": "wijk", "district": "buurt", "": "?"}


def print_report(report: LoadReport) -> None:
    for message in report.file_errors:
        click.echo(_("File: %(message)s", message=message), err=True)
    for row in report.lines:
        click.echo(_("line %(line)s: %(level)s %(code)s %(status)s %(messages)s",
                     line=row.line, level=LEVEL_LABELS.get(row.level, "?"), code=row.code,
                     status=STATUS_LABELS[row.status], messages="; ".join(row.messages)).rstrip())
    click.echo(_("%(new)s new, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s "
                 "rejected.", new=report.count("new"), updated=report.count("updated"),
                 unchanged=report.count("unchanged"), rejected=report.count("rejected")))


def register_commands(app: Flask) -> None:
    @app.cli.command("load-areas")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only check the file; change nothing.")
    def load_areas_command(file: Path, dry_run: bool) -> None:
        """Load or update gebieden, wijken and buurten (CBS codes) from CSV or XLSX.

        Columns: niveau (gebied, wijk, buurt), code, naam, hoort_bij (the gebied of a wijk,
        the wijk of a buurt), cbs_jaar. When any line is wrong, nothing changes.
        """
        report = load_areas(None, file.read_bytes(), file.name, dry_run=dry_run)
        print_report(report)
        if report.applied:
            db.session.commit()
            click.echo(_("The areas are saved."))
        else:
            db.session.rollback()
            if not report.ok:
                raise SystemExit(1)
            click.echo(_("Dry run: nothing was changed."))
