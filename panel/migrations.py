"""Schema migrations with Alembic: the only way the database schema changes."""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import Connection

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
    """Apply migrations up to ``revision`` on the app's database (needs an app context).

    On SQLite, foreign keys are off while the migrations run. A migration that changes a
    column rebuilds its table (copy, drop, rename: Alembic's batch mode), and with foreign
    keys on, dropping the old table would first delete every row that refers to it
    (``ON DELETE CASCADE``): an action's log, its links. The keys are checked at the end
    instead, and a migration that left a broken reference is undone (references that were
    broken before, by hand or by an old version, do not stop it)."""
    config = alembic_config()
    with db.engine.connect() as connection:
        # SQLite with migrations to run (the checks read every reference: seconds for a
        # large city).
        sqlite = connection.dialect.name == "sqlite" and _pending(config, connection, revision)
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            with connection.begin():
                broken = _broken_references(connection) if sqlite else set()
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite and _broken_references(connection) - broken:
                    raise RuntimeError("The migrations left rows that refer to missing rows.")
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


def _pending(config: Config, connection: Connection, revision: str) -> bool:
    """Whether the database is not at ``revision`` yet."""
    script = ScriptDirectory.from_config(config)
    wanted = {item.revision for item in script.get_revisions(revision) if item is not None}
    current = set(MigrationContext.configure(connection).get_current_heads())
    connection.rollback()  # ends the read, before the migrations' own transaction
    return current != wanted


def _broken_references(connection: Connection) -> set[tuple[object, ...]]:
    """SQLite: the rows that refer to a missing row (table, row, table referred to)."""
    return {tuple(row[:3]) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")}


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Turn SQLite's foreign keys on or off for ``connection`` (outside a transaction: in
    one, SQLite ignores the change)."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


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
