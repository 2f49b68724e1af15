"""Database access: the SQLAlchemy handle, the declarative base and shared column types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Constraint names follow one pattern so that migrations stay readable and portable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys, let readers and one writer work side by side (WAL),
    wait for a busy database instead of failing at once, and in WAL mode sync to disk at
    checkpoints rather than at every commit (``synchronous=NORMAL``).

    ``NORMAL`` is the usual production setting for WAL mode and cannot corrupt the
    database: a commit is appended to the write-ahead log without waiting for the disk, and
    the log is synced (fsync) before its pages are copied into the database file at a
    checkpoint. The trade-off is durability, not consistency: after a power cut or an
    operating-system crash (not after the application or its server process crashing) the
    transactions committed since the last sync may be lost, each one whole. With ``FULL``
    (SQLite's default) every commit waits for an fsync, and as SQLite lets one writer in at
    a time, every view of the member list, which writes an audit event, queued behind the
    others' syncs. Installations that cannot lose the last seconds before a power cut use
    PostgreSQL. With a rollback journal (when WAL is not available, as for an in-memory
    database) the default is kept: there ``NORMAL`` is not as safe.
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode and str(mode[0]).lower() == "wal":  # not for in-memory databases
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def utcnow() -> datetime:
    """The current moment as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned as an aware UTC datetime.

    SQLite keeps no time zone, PostgreSQL's ``timestamp without time zone`` neither; storing
    UTC everywhere and attaching the zone on the way out gives the same behaviour on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not accepted; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
