"""Command line: deliver the mail waiting in the outbox (run it every minute, e.g. from cron)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import gettext as _

from panel.mail.services import deliver_due


@click.command("send-mail")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1),
              help="Deliver at most this many messages in this run.")
@with_appcontext
def send_mail_command(limit: int) -> None:
    """Deliver the queued mail that is due and print what happened.

    Exits with 0 also when some messages failed; their status and last_error are in the
    outbox table.
    """
    report = deliver_due(limit=limit)
    click.echo(_("%(sent)s sent, %(retried)s to retry, %(failed)s failed.",
                 sent=report.sent, retried=report.retried, failed=report.failed))


def register_commands(app: Flask) -> None:
    """Add ``flask send-mail`` to the application."""
    app.cli.add_command(send_mail_command)
