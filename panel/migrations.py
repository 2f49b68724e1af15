"""Schema migrations with Alembic: the only way the database schema changes."""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config
from flask import Flask

from panel.config import PROJECT_ROOT
from panel.db import db

MIGRATIONS_PATH = PROJECT_ROOT / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    config.set_main_option("file_template",
                           "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s")
    return config


def upgrade(revision: str = "head") -> None:
    """Apply migrations up to ``revision`` on the app's database (needs an app context)."""
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def register_commands(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade() -> None:
        """Apply the database migrations (Alembic) to PANEL_DATABASE_URL."""
        upgrade()
        click.echo("Database is up to date.")

    @app.cli.command("db-revision")
    @click.option("-m", "--message", required=True, help="What the migration changes.")
    def db_revision(message: str) -> None:
        """Write a new migration from the difference between the models and the database."""
        config = alembic_config()
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=True)
