"""Command line: queue meeting reminders (run it every hour, e.g. from cron)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import ngettext

from panel.meetings.reminders import send_due_reminders
from panel.progress import shown


@click.command("send-reminders")
@click.option("--hours", type=click.IntRange(min=1), default=None,
              help="Remind about meetings that start within this many hours "
                   "(default: PANEL_REMINDER_HOURS, or 48).")
@with_appcontext
def send_reminders_command(hours: int | None) -> None:
    """Queue a reminder for every member with a place at an open meeting that starts soon,
    and print how many were queued. ``flask send-mail`` delivers them.

    Safe to run often and more than once at a time: no member gets a reminder twice.
    """
    with shown():
        count = send_due_reminders(hours_before=hours)
    click.echo(ngettext("%(num)s reminder queued.", "%(num)s reminders queued.", count))


def register_commands(app: Flask) -> None:
    """Add ``flask send-reminders`` to the application."""
    app.cli.add_command(send_reminders_command)
