"""Alembic environment: runs against the connection handed over by panel.migrations."""

from alembic import context

import panel.models  # noqa: F401  (registers every table on the metadata)
from panel.db import db

config = context.config
target_metadata = db.metadata


def run_with(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through 'flask --app app db-upgrade'.")
run_with(connection)
