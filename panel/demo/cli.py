"""Command line: load the demo municipality."""

from __future__ import annotations

import click
from flask import Flask
from flask_babel import gettext as _

from panel.areas.services import get_municipality
from panel.db import db
from panel.demo.services import DEMO_ACCOUNTS, DEMO_PASSWORD, database_is_empty, seed_demo


def print_accounts() -> None:
    click.echo(_("Demo accounts (password for all: %(password)s):", password=DEMO_PASSWORD))
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.role.value:6} {account.email}")


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the demo municipality into an empty database (does nothing otherwise)."""
        if not database_is_empty():
            municipality = get_municipality()
            click.echo(_("The database is not empty; the demo was not loaded."))
            if municipality is not None and municipality.is_demo:
                print_accounts()
            return
        seed_demo()
        db.session.commit()
        click.echo(_("Demo municipality loaded."))
        print_accounts()
