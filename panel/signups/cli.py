"""Command line: import survey opt-ins and load the postcode table."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from panel.db import db
from panel.importing import finish_command, header_mapping
from panel.progress import shown
from panel.signups import importer
from panel.signups.postcodes import PostcodesImporter
from panel.signups.validation import normalise_answer


def register_commands(app: Flask) -> None:
    @app.cli.command("import-respondents")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only show what would happen.")
    @click.option("--map", "mappings", multiple=True, metavar="FIELD=HEADER",
                  help="Which header holds a field when the names differ, e.g. "
                       "--map 'panel_answer=Wil meedoen'. Fields: " + ", ".join(importer.FIELDS))
    @click.option("--yes", "yes_answers", multiple=True, metavar="ANSWER",
                  help="An answer to the panel question that means yes, e.g. --yes 'ja, "
                       "graag' (case, accents, punctuation and spaces do not matter). Known "
                       "forms such as 'ja', 'jazeker' and 'nee, dank u' need no option.")
    @click.option("--no", "no_answers", multiple=True, metavar="ANSWER",
                  help="An answer to the panel question that means no.")
    @click.option("--skip", "skip_answers", multiple=True, metavar="ANSWER",
                  help="An answer to skip, also when it is a known yes or no form.")
    @click.option("--header-line", type=int, default=None, metavar="LINE",
                  help="The line number of the column names, when a title or notes above "
                       "them make it hard to find.")
    def import_respondents_command(file: Path, dry_run: bool, mappings: tuple[str, ...],
                                   yes_answers: tuple[str, ...], no_answers: tuple[str, ...],
                                   skip_answers: tuple[str, ...],
                                   header_line: int | None) -> None:
        """Import survey respondents who want to join a panel (CSV or XLSX).

        Prints the outcome of every line. People who said yes and have an email address get
        an invitation to confirm their place (queued; delivered by send-mail); the others
        are reached by phone or letter. An answer that is neither a known yes nor a known no
        (such as 'Misschien') is skipped, unless --yes or --no says what it means.
        """
        mapping = header_mapping(list(mappings), importer.FIELDS)
        answers: dict[str, str] = {}
        for choice, given in (("yes", yes_answers), ("no", no_answers), ("skip", skip_answers)):
            for answer in given:
                key = normalise_answer(answer)
                if answers.get(key, choice) != choice:
                    raise click.BadParameter(_("The answer %(answer)s is given twice.",
                                               answer=answer))
                answers[key] = choice
        with shown():
            respondents = importer.RespondentsImporter(None, answers)
            report = respondents.run(
                file.read_bytes(), file.name, dry_run=dry_run, mapping=mapping,
                header_line=header_line)
        if report.missing:
            db.session.rollback()
            raise click.ClickException(_(
                "The file has no column for the answer to the panel question. Name it with "
                "--map panel_answer=HEADER."))
        if report.applied:
            importer.keep_record(None, file.name, report, respondents.new_per_wijk)
        finish_command(report)

    @app.cli.command("load-postcodes")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Only check the file; change nothing.")
    def load_postcodes_command(file: Path, dry_run: bool) -> None:
        """Load the postcode table (PC6 -> buurt) from CSV, XLSX or ZIP.

        Either a file with one line per postcode (columns: postcode, buurtcode, straat,
        plaats) or CBS's postcode–house number–buurt file as CBS publishes it
        (pc6hnr20230801_gwb.csv, or the ZIP file it comes in), for the whole country or a
        province: lines of other municipalities are left out and counted. Only lines with a
        reason or a warning are printed. When any line is wrong, nothing changes.
        """
        with shown():
            report = PostcodesImporter(None).run(file.read_bytes(), file.name,
                                                 dry_run=dry_run)
        finish_command(report, _("The postcodes are saved."), every_line=False)
