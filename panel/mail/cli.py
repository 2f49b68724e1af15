"""Command line: deliver the mail waiting in the outbox (run it every minute, e.g. from cron),
and check the mail settings."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _

from panel import later
from panel.db import db
from panel.mail.services import (
    FAILURE_LABELS,
    Problem,
    check_settings,
    deliver_due,
    explain,
)
from panel.progress import shown


def _problem_line(problem: Problem) -> str:
    """One undelivered message: its id, kind and reason; never an address or a subject."""
    reason = str(FAILURE_LABELS[problem.failure]) if problem.failure else _("Error")
    if problem.detail:
        reason = f"{reason} ({problem.detail})"
    kind = problem.template or "-"
    if problem.retry_at is None:
        return _("Message %(id)s (%(kind)s) failed: %(reason)s",
                 id=problem.message_id, kind=kind, reason=reason)
    return _("Message %(id)s (%(kind)s) will be tried again at %(moment)s: %(reason)s",
             id=problem.message_id, kind=kind, reason=reason,
             moment=format_datetime(problem.retry_at, "short"))


@click.command("send-mail")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1),
              help="Deliver at most this many messages in this run.")
@with_appcontext
def send_mail_command(limit: int) -> None:
    """Deliver the queued mail that is due and print what happened.

    Prints the reason of every message not delivered (its number and kind, never the
    address). Exits with 1 when a message failed for good, or when the run stopped
    because the mail server could not be used with the settings (connection, STARTTLS,
    certificate, login, sender): the messages then wait for the next run. A message the
    server asks to try again later (a 4xx reply) does not make the run fail. A message
    that went to the server without an answer (perhaps delivered) is not sent again and
    counts as failed.

    Safe to run more than once at a time, and after a run that was killed: a message the
    mail server accepted is never sent again.

    First runs the jobs that requests handed over and no worker finished (``panel.later``),
    so that their email goes out in this run.
    """
    later.run_waiting()
    with shown():
        report = deliver_due(limit=limit)
    for problem in report.problems:
        click.echo(_problem_line(problem), err=True)
    if report.interrupted:
        click.echo(ngettext(
            "%(num)s message failed for good: a send-mail run stopped while it was sending "
            "it, and it had no attempts left.",
            "%(num)s messages failed for good: a send-mail run stopped while it was sending "
            "them, and they had no attempts left.", report.interrupted), err=True)
    if report.unconfirmed:
        click.echo(ngettext(
            "%(num)s message may have been delivered: it went to the mail server, but the "
            "answer never came. It is not sent again; the outbox page shows it.",
            "%(num)s messages may have been delivered: they went to the mail server, but "
            "the answer never came. They are not sent again; the outbox page shows them.",
            report.unconfirmed), err=True)
    if report.stopped_by is not None:
        click.echo(_("Mail cannot be sent: %(reason)s", reason=explain(report.stopped_by)),
                   err=True)
        click.echo(_("The other messages wait for the next run. Check the settings with "
                     "\"flask --app app check-mail\"."), err=True)
    click.echo(_("%(sent)s sent, %(retried)s to retry, %(failed)s failed.",
                 sent=report.sent, retried=report.retried, failed=report.failed))
    if report.failed or report.stopped_by is not None:
        raise SystemExit(1)


@click.command("check-mail")
@click.option("--to", "send_to", metavar="ADDRESS",
              help="Also send a test message to this address.")
@with_appcontext
def check_mail_command(send_to: str | None) -> None:
    """Check the mail settings: connect, STARTTLS, log in and try the sender, saying each
    step that worked and exactly what fails. With --to, send a test message as well.

    Exits with 1 when something fails (also when no SMTP host is set).
    """
    try:
        check = check_settings(send_to)
    except ValueError as exc:
        raise click.BadParameter(_("This is not a usable email address."),
                                 param_hint="--to") from exc
    db.session.commit()
    for step in check.steps:
        click.echo(step)
    if check.ok:
        click.echo(_("The mail settings work."))
        return
    click.echo(_("Not working: %(reason)s", reason=check.message), err=True)
    if check.detail:
        click.echo(_("Technical reason: %(detail)s", detail=check.detail), err=True)
    raise SystemExit(1)


def register_commands(app: Flask) -> None:
    """Add ``flask send-mail`` and ``flask check-mail`` to the application."""
    app.cli.add_command(send_mail_command)
    app.cli.add_command(check_mail_command)
