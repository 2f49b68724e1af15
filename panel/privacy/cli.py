"""Command line: erase personal data past its retention period; back up and restore the
SQLite database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import gettext as _

from panel.db import db
from panel.privacy.backup import BackupError, backup_sqlite, restore_sqlite, sqlite_path
from panel.privacy.services import purge_expired
from panel.progress import shown


def register_commands(app: Flask) -> None:
    """Add ``purge-expired``, ``backup-db`` and ``restore-db`` to the application."""

    @app.cli.command("purge-expired")
    def purge_expired_command() -> None:
        """Erase personal data past its retention period (safe to run daily)."""
        with shown():
            report = purge_expired()
        db.session.commit()
        click.echo(_("Erased: %(unconfirmed)s people who never confirmed, %(links)s expired "
                     "links, %(mail)s old emails, %(uploads)s old uploads.",
                     unconfirmed=report.unconfirmed, links=report.links, mail=report.mail,
                     uploads=report.uploads))
        click.echo(_("Old audit log entries erased: %(count)s.", count=report.audit))
        click.echo(_("Ended staff sessions removed: %(count)s.", count=report.sessions))

    @app.cli.command("backup-db")
    @click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--overwrite", is_flag=True, help="Replace DESTINATION if it exists.")
    def backup_db_command(destination: Path, overwrite: bool) -> None:
        """Copy the SQLite database to DESTINATION, consistently, also while the site runs.

        For PostgreSQL use scripts/backup-postgres (see deploy/BACKUP.md).
        """
        try:
            source = sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
            report = backup_sqlite(source, destination, overwrite=overwrite)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(_("Backup written to %(path)s (%(size)s bytes, %(tables)s tables).",
                     path=report.path, size=report.size, tables=report.tables))

    @app.cli.command("restore-db")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_db_command(source: Path, yes: bool) -> None:
        """Replace the SQLite database with the backup SOURCE. Stop the site first.

        Everything written since the backup is lost. Run db-upgrade afterwards when the
        backup is older than the code.
        """
        try:
            target = sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        if not yes:
            click.confirm(_("Replace the database %(target)s with %(source)s?", target=target,
                            source=source), abort=True)
        db.session.remove()
        db.engine.dispose()
        try:
            report = restore_sqlite(source, target)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(_("Database restored from %(path)s (%(tables)s tables).", path=source,
                     tables=report.tables))
