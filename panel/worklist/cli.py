"""Command line: queue the weekly work lists (the jobs timer runs it every few minutes;
they go out on Monday morning, to nobody twice in a week)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import ngettext

from panel.db import db
from panel.worklist.services import send_weekly


@click.command("send-work-lists")
@click.option("--any-day", is_flag=True,
              help="Send now, also when it is not Monday morning (Dutch time).")
@with_appcontext
def send_work_lists_command(any_day: bool) -> None:
    """Queue the weekly work list for every staff member who asked for it by email, on
    Monday from 07:00 (Dutch time), and print how many were queued. Safe to run every few
    minutes: nobody gets it twice in a week. ``flask send-mail`` delivers them."""
    count = send_weekly(any_day=any_day)
    db.session.commit()
    click.echo(ngettext("%(num)s work list queued.", "%(num)s work lists queued.", count))


def register_commands(app: Flask) -> None:
    """Add ``flask send-work-lists`` to the application."""
    app.cli.add_command(send_work_lists_command)
