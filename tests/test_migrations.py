"""The schema is made by migrations only, and they match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from panel import create_app, migrations
from panel.db import NAMING_CONVENTION, db
from panel.migrations import upgrade


def test_models_and_migrations_agree(session):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_upgrade_twice_changes_nothing(session):
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() is not None


def test_every_constraint_is_named_by_the_convention(session):
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"
    assert set(NAMING_CONVENTION) == {"ix", "uq", "ck", "fk", "pk"}


def test_a_migration_that_leaves_broken_references_on_sqlite_is_undone(tmp_path, monkeypatch):
    """Foreign keys are off while migrations run on SQLite (a rebuilt table would otherwise
    take the rows that refer to it along): a migration that leaves a row referring to a
    missing one is refused, and what it deleted comes back."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"},
                     instance_path=tmp_path / "instance")
    real = migrations.command.upgrade

    def careless(config, revision):  # type: ignore[no-untyped-def]
        real(config, revision)
        config.attributes["connection"].exec_driver_sql("DELETE FROM area")

    with app.app_context():
        upgrade("e18a1a000006")
        with db.engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO area (id, code, name) VALUES (1, 'n', 'N')")
            connection.exec_driver_sql(
                "INSERT INTO neighbourhood (id, area_id, code, name, cbs_year) "
                "VALUES (1, 1, 'w', 'W', 2025)")
        monkeypatch.setattr(migrations.command, "upgrade", careless)
        with pytest.raises(RuntimeError, match="refer to missing rows"):
            upgrade()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM area").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_upgrading_an_older_sqlite_database_keeps_who_works_where(tmp_path):
    """Two older migrations rebuild a table on SQLite (the staff accounts: a longer column
    for the two-step secret; the panel members: no unique email any more). The rows that
    refer to a rebuilt table stay: a team member keeps their gebied."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"},
                     instance_path=tmp_path / "instance")
    with app.app_context():
        upgrade("c1a5e0d40001")  # before both
        with db.engine.begin() as connection:
            for statement in (
                    "INSERT INTO staff_user (id, email, name, role, password_hash, active, "
                    "created_at) VALUES (1, 'team@example.org', 'Team', 'team', 'x', 1, "
                    "'2026-01-01')",
                    "INSERT INTO area (id, code, name) VALUES (1, 'noord', 'Noord')",
                    "INSERT INTO user_area (user_id, area_id) VALUES (1, 1)"):
                connection.exec_driver_sql(statement)
        upgrade()
        with db.engine.connect() as connection:
            kept = connection.exec_driver_sql("SELECT user_id, area_id FROM user_area").all()
        db.engine.dispose()
    assert [tuple(row) for row in kept] == [(1, 1)]
