"""Database access: the SQLAlchemy handle, the declarative base and shared column types."""

from __future__ import annotations

import select
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, Table, event, insert
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session
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


def insert_rows(table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (a tuple of values for ``columns`` each) into ``table`` in the
    session's transaction: what ``session.execute(insert(table), [dicts])`` does, without
    SQLAlchemy's work per row, for tens of thousands of rows (the survey import).

    Each value goes through its column type's bind processing (``UTCDateTime`` included),
    once per distinct time. PostgreSQL (psycopg) gets the rows with ``COPY … FROM STDIN``
    (``Cursor.copy``), SQLite with the compiled INSERT in one ``executemany``, other
    databases through SQLAlchemy. ``rows`` is read as it goes: a generator keeps few rows
    in memory, and PostgreSQL can store rows while the next ones are made. Columns left out
    get their server default or NULL; a column with a Python-side default (``default=``)
    must be given, as it would not be filled in. The statement goes to the driver
    directly, so SQLAlchemy's statement events do not see it. Returns the number of rows.
    """
    names = list(columns)
    unfilled = [c.name for c in table.c if c.default is not None and c.name not in names]
    if unfilled:
        raise ValueError(f"insert_rows: give a value for {', '.join(unfilled)}")
    given = iter(rows)
    first = next(given, None)
    if first is None:
        return 0
    rows = chain([first], given)
    connection = db.session.connection()
    dialect = connection.dialect
    copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
    if not copy and dialect.name != "sqlite":
        dicts = [dict(zip(names, row, strict=True)) for row in rows]
        connection.execute(insert(table), dicts)
        return len(dicts)
    changes = [(number, _converter(process)) for number, process in enumerate(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
        if process is not None]
    order: list[int] | None = None
    if not copy:  # the compiled INSERT names its parameters in its own order
        compiled = insert(table).compile(dialect=dialect, column_keys=names)
        order = [names.index(key) for key in compiled.positiontup or ()]
        order = None if order == list(range(len(names))) else order
    count = 0

    def values() -> Iterator[Sequence[Any]]:
        nonlocal count
        for row in rows:
            count += 1
            if changes:
                row = list(row)
                for number, change in changes:
                    row[number] = change(row[number])
            yield row if order is None else [row[number] for number in order]

    cursor = connection.connection.cursor()
    try:
        if copy:
            _copy_rows(cursor, table, names, values())
        else:
            # A page cache large enough for the indexes the rows go into (2 MB by default):
            # rows in random order of an index (hashed tokens) would otherwise read most of
            # its pages again for every few rows.
            kept = int(cursor.execute("PRAGMA cache_size").fetchone()[0])
            cursor.execute(f"PRAGMA cache_size = {-_SQLITE_BULK_CACHE_KB}")
            try:
                cursor.executemany(compiled.string, values())
            finally:
                cursor.execute(f"PRAGMA cache_size = {kept}")
    finally:
        cursor.close()
    return count


_SQLITE_BULK_CACHE_KB = 32768  # the page cache of SQLite while ``insert_rows`` runs
# PostgreSQL types that psycopg writes in COPY's binary format from the values a column's
# bind processing gives (numbers, text, booleans, dates and times); a table with a column
# of another type is copied as text.
_BINARY_COPY_TYPES = frozenset({
    "int2", "int4", "int8", "text", "varchar", "bool", "date", "timestamp", "timestamptz"})


def _copy_rows(cursor: Any, table: Table, names: list[str],
               rows: Iterable[Sequence[Any]]) -> None:
    """``COPY table (names) FROM STDIN`` with psycopg: in the binary format when every
    column has a type in ``_BINARY_COPY_TYPES`` (less work on both sides than text), else
    as text; long values compressed with lz4 where that is possible."""
    from psycopg import sql  # the driver of this dialect

    target = sql.Identifier(*filter(None, (table.schema, table.name)))
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in names)
    types = dict(cursor.execute(
        "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        [target.as_string(cursor)]).fetchall())
    binary = all(types.get(name) in _BINARY_COPY_TYPES for name in names)
    statement = sql.SQL("COPY {} ({}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")) \
        .format(target, columns)
    # Long values are compressed as they are stored: with lz4 where the server has it and
    # nobody chose a method, rather than the default pglz, which costs several times as
    # much (pglz was half the server's work of storing the survey import's invitations).
    lz4 = cursor.execute(
        "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings "
        "WHERE name = 'default_toast_compression' AND source = 'default' "
        "AND 'lz4' = ANY(enumvals)").fetchone() is not None
    with cursor.copy(statement) as writer:
        if binary:
            writer.set_types([types[name] for name in names])
        for row in rows:
            writer.write_row(row)
    if lz4:  # the rest of the transaction as it was
        cursor.execute("SELECT set_config('default_toast_compression', 'pglz', true)")


def _converter(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process`` (a bind processor), remembering its result per distinct time: rows in
    bulk mostly share a few (when they were made, when they expire)."""
    done: dict[tuple[datetime, Any, int], Any] = {}

    def convert(value: Any) -> Any:
        if not isinstance(value, datetime):
            return process(value)
        key = (value, value.tzinfo, value.fold)  # equal times in other zones differ here
        if key not in done:
            done[key] = process(value)
        return done[key]

    return convert


def _rollback_keeping_prepared(dbapi_connection: Any) -> None:
    """PostgreSQL (psycopg): roll back without forgetting the prepared statements.

    psycopg prepares a statement on the server once a connection has run it five times
    (``prepare_threshold``), so the server plans it once instead of on every run; but it
    forgets them all at every ``rollback()``, and every request ends with one (the session
    is closed, and a pooled connection is reset when it is returned). A page's statements
    were then planned on every request: for the work list's counts more time than running
    them. Prepared statements belong to the database session, not to a transaction (a
    rollback leaves them in place), so ``ROLLBACK`` is sent here by libpq directly; psycopg
    reads the transaction status from libpq, so its own state stays right."""
    from psycopg import errors, pq

    pgconn = dbapi_connection.pgconn
    if pgconn.transaction_status == pq.TransactionStatus.IDLE:
        return
    result = pgconn.exec_(b"ROLLBACK")
    if result.status != pq.ExecStatus.COMMAND_OK:
        raise errors.OperationalError(result.get_error_message())


def _ping_by_socket(ping: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """PostgreSQL (psycopg): the pool's check that a connection is still there (``ping``,
    SQLAlchemy's), without a round trip when it plainly is.

    The pool checks a connection before it lends it out (``pool_pre_ping``); SQLAlchemy's
    check sends ``SELECT 1`` and waits for the answer, a round trip to the server for every
    request, which cost a page with one statement of its own a quarter of its time on the
    database. A server that goes away (a restart, a crash, ``pg_terminate_backend``) closes
    its end of the connection, with a last message, so the idle connection's socket then
    has something to read. Only when it does, or libpq no longer sees the connection as
    idle and healthy, is ``SELECT 1`` sent as before: a connection to a server that went
    away is found and replaced just the same. (A connection cut without a word, by a
    firewall, is not found by ``SELECT 1`` in good time either: that waits for TCP.)"""
    from psycopg import pq

    def do_ping(dbapi_connection: Any) -> bool:
        pgconn = dbapi_connection.pgconn
        if (pgconn.status == pq.ConnStatus.OK
                and pgconn.transaction_status == pq.TransactionStatus.IDLE):
            waiting = select.poll()  # poll, not select: any descriptor number
            waiting.register(pgconn.socket, select.POLLIN | select.POLLPRI)
            if not waiting.poll(0):
                return True
        return ping(dbapi_connection)

    return do_ping


def _no_ping(dbapi_connection: Any) -> bool:
    """SQLite: a connection to a file cannot go away, so the pool's check is left out
    (it ran ``SELECT 1`` for every request)."""
    return True


@event.listens_for(Engine, "engine_connect")
def _adapt_dialect(connection: Any) -> None:
    """Once per dialect: keep psycopg's prepared statements over a rollback, and check
    pooled connections without a round trip."""
    dialect = connection.dialect
    if dialect.driver == "psycopg" and dialect.do_rollback is not _rollback_keeping_prepared:
        dialect.do_rollback = _rollback_keeping_prepared
        dialect.do_ping = _ping_by_socket(dialect.do_ping)
    elif dialect.name == "sqlite" and dialect.do_ping is not _no_ping:
        dialect.do_ping = _no_ping


def flushed_connection() -> Connection:
    """The session's connection, after the session wrote what it holds (as the ORM does
    before each of its own statements): for statements that load no objects, whose rows
    are read as plain values without the ORM's handling of each row."""
    db.session.flush()
    return db.session.connection()


# A connection that reads without a transaction: PostgreSQL then runs each statement on
# its own, without the BEGIN before it and the ROLLBACK after it (two more round trips).
_WITHOUT_TRANSACTION = {"isolation_level": "AUTOCOMMIT"}
_READS_ONLY = "panel.db.reads_only"


def reading_connection() -> Connection:
    """A connection of its own for statements that only read (use it in ``with``). On
    PostgreSQL it reads without a transaction: the default isolation (read committed) gives
    every statement its own snapshot inside a transaction too, so a reader sees the same
    rows, with one round trip per statement instead of three."""
    connection = db.engine.connect()
    if connection.dialect.name == "postgresql":
        try:
            connection.execution_options(**_WITHOUT_TRANSACTION)
        except BaseException:
            connection.close()  # back to the pool, not left open
            raise
    return connection


@contextmanager
def reads_only() -> Iterator[None]:
    """Let the session read without a transaction until the block ends (on PostgreSQL; see
    :func:`reading_connection`), for a request that only reads: a public page. The session
    may not write meanwhile: a flush raises ``RuntimeError``, as each statement would
    otherwise be committed on its own. When the session already has a transaction (the
    request wrote or read before) it keeps it and nothing changes. At the end the session
    gives the connection back."""
    session = db.session()
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.connection(execution_options=_WITHOUT_TRANSACTION)
    session.info[_READS_ONLY] = True
    try:
        yield
    finally:
        session.info.pop(_READS_ONLY, None)
        session.rollback()  # nothing to undo: gives the connection back to the pool


@event.listens_for(Session, "before_flush")
def _no_writes_while_reading_only(session: Session, context: Any, instances: Any) -> None:
    if session.info.get(_READS_ONLY):
        raise RuntimeError("a request that reads only may not write (panel.db.reads_only)")


def plan_generically(connection: Any) -> None:
    """PostgreSQL: for the rest of the transaction, run prepared statements with their
    generic plan, made once per connection, instead of planning them again for each run.

    PostgreSQL plans a prepared statement anew for its values (a custom plan) when it
    estimates that a generic plan would run more slowly; for a large statement whose cost
    depends on a date range (the work list's upcoming meetings) it always does, and
    planning then takes longer than running (about 1.4 ms of 2.2 ms). Use before such
    statements, late in a request: the setting ends with the transaction. Other databases
    plan every statement anyway; for them this does nothing."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
