"""Command line: erase personal data past its retention period."""

from __future__ import annotations

import click
from flask import Flask
from flask_babel import gettext as _

from panel.db import db
from panel.privacy.services import purge_expired


def register_commands(app: Flask) -> None:
    @app.cli.command("purge-expired")
    def purge_expired_command() -> None:
        """Erase personal data past its retention period (safe to run daily)."""
        report = purge_expired()
        db.session.commit()
        click.echo(_("Erased: %(unconfirmed)s people who never confirmed, %(links)s expired "
                     "links, %(mail)s old emails, %(uploads)s old uploads.",
                     unconfirmed=report.unconfirmed, links=report.links, mail=report.mail,
                     uploads=report.uploads))
