"""Command line: create staff accounts, turn two-step login off for a lost phone, encrypt
the two-step login secrets with a new key."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from panel.auth import two_factor
from panel.auth.models import Role
from panel.auth.services import create_user
from panel.db import db
from panel.errors import DomainError
from panel.urls import absolute_url


def register_commands(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True, help="The staff member's email address.")
    @click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
    @click.option("--area", "areas", multiple=True, help="Gebied code (repeat for more).")
    @click.option("--name", default="", help="Full name.")
    def create_user_command(email: str, role: str, areas: tuple[str, ...], name: str) -> None:
        """Create a staff account and print a one-time link to set its password."""
        hours = current_app.config["PANEL_PASSWORD_LINK_HOURS"]
        try:
            user, token = create_user(None, email, role, areas, name, hours)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc.message)) from exc
        db.session.commit()
        click.echo(_("Account created for %(email)s (%(role)s).", email=user.email, role=role))
        click.echo(_("This link sets the password. It works once, for %(hours)s hours:",
                     hours=hours))
        click.echo(absolute_url("auth.set_password", token=token))

    @app.cli.command("reset-two-factor")
    @click.option("--email", required=True, help="The staff member's email address.")
    def reset_two_factor_command(email: str) -> None:
        """Turn two-step login off for an account whose phone and recovery codes are lost.

        Every session of the account ends. Where two-step login is required, the staff
        member sets it up again at the next sign-in.
        """
        try:
            user = two_factor.reset_by_email(email)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc.message)) from exc
        db.session.commit()
        click.echo(_("Two-step login is off for %(email)s. They are signed out everywhere.",
                     email=user.email))

    @app.cli.command("rotate-encryption-key")
    @click.option("--dry-run", is_flag=True, help="Only count; change nothing.")
    def rotate_encryption_key_command(dry_run: bool) -> None:
        """Encrypt every two-step login secret with the first key of PANEL_ENCRYPTION_KEY.

        Run it after putting a new key first (the old one after it), then remove the old
        key. Secrets still stored in plain text are encrypted too. Safe to run again: a
        secret already encrypted with the first key is left as it is. Exits with status 1
        when a secret cannot be decrypted with any key.
        """
        done = two_factor.reseal_secrets()
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        click.echo((_("Dry run: nothing was changed.") + " ") if dry_run else "", nl=False)
        click.echo(_("Secrets of two-step login: %(rotated)s encrypted with the new key, "
                     "%(encrypted)s stored without encryption now encrypted, %(current)s "
                     "already with the first key.", rotated=done.rotated,
                     encrypted=done.encrypted, current=done.current))
        if done.unreadable:
            accounts = ", ".join(str(user_id) for user_id in done.unreadable)
            raise click.ClickException(ngettext(
                "The secret of %(num)d account cannot be decrypted with any key (account "
                "id %(accounts)s). Add the key it was encrypted with to "
                "PANEL_ENCRYPTION_KEY, or turn two-step login off for it with "
                "reset-two-factor.",
                "The secrets of %(num)d accounts cannot be decrypted with any key "
                "(account ids %(accounts)s). Add the key they were encrypted with to "
                "PANEL_ENCRYPTION_KEY, or turn two-step login off for them with "
                "reset-two-factor.",
                len(done.unreadable), accounts=accounts))
