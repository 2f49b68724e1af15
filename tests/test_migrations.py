"""The schema is made by migrations only, and they match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

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
