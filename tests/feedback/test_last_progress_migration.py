"""The migration that keeps an action's last progress on the action: the moment is taken
from each action's log, and the log itself (which refers to the action) is kept, also on
SQLite, where adding the column rebuilds the action's table."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Integer, String, column, insert, select, table, text

from panel import create_app
from panel.db import UTCDateTime, db, utcnow
from panel.migrations import upgrade

BEFORE = "e18a1a000006"  # the revision before actions kept their last progress
KEPT = "e18a1a000007"

AREA = table("area", column("id", Integer()), column("code", String()), column("name", String()))
ACTION = table("action", column("id", Integer()), column("area_id", Integer()),
               column("title", String()), column("description", String()),
               column("owner", String()), column("status", String()),
               column("progress", Integer()), column("created_at", UTCDateTime()),
               column("updated_at", UTCDateTime()), column("last_progress_at", UTCDateTime()))
LOG = table("action_update", column("id", Integer()), column("action_id", Integer()),
            column("status_from", String()), column("status_to", String()),
            column("progress", Integer()), column("note", String()),
            column("created_at", UTCDateTime()))


def test_the_last_progress_comes_from_the_log_and_the_log_is_kept(fresh_database,
                                                                   tmp_path: Path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": fresh_database},
                     instance_path=tmp_path / "instance")
    now = utcnow().replace(microsecond=123456)
    created, moved = now - timedelta(days=40), now - timedelta(days=5)
    with app.app_context():
        upgrade(BEFORE)
        with db.engine.begin() as connection:
            connection.execute(insert(AREA).values(id=1, code="noord", name="Noord"))
            for action_id in (1, 2, 3):
                connection.execute(insert(ACTION).values(
                    id=action_id, area_id=1, title=f"Actie {action_id}", description="",
                    owner="", status="in_progress", progress=0, created_at=created,
                    updated_at=created))
            log = [(1, 1, created), (2, 1, moved),  # created, then progress 5 days ago
                   (3, 2, created)]  # created, nothing since; action 3 has no log at all
            for entry_id, action_id, at in log:
                connection.execute(insert(LOG).values(
                    id=entry_id, action_id=action_id, status_from="", status_to="planned",
                    progress=0, note="", created_at=at))
        upgrade(KEPT)
        with db.engine.connect() as connection:
            last = dict(connection.execute(
                select(ACTION.c.id, ACTION.c.last_progress_at).order_by(ACTION.c.id))
                .tuples().all())
            kept = connection.execute(select(LOG.c.id).order_by(LOG.c.id)).scalars().all()
            if connection.dialect.name == "sqlite":
                # The keys are on again for the connections the app goes on to use.
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert connection.execute(text("PRAGMA foreign_key_check")).first() is None
        db.engine.dispose()
    assert last == {1: moved, 2: created, 3: created}
    assert kept == [1, 2, 3]
