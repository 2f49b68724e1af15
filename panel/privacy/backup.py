"""Backing up and restoring a SQLite database while the application runs.

SQLite's online backup API copies the database page by page under one read transaction, so
the copy is a consistent snapshot even while the application writes (in WAL mode writers
are not blocked). PostgreSQL is backed up with ``pg_dump`` (``scripts/backup-postgres``,
see ``deploy/BACKUP.md``).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

BUSY_TIMEOUT_MS = 30_000


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why."""


@dataclass
class BackupReport:
    path: Path
    tables: int
    size: int


def sqlite_path(database_url: str) -> Path:
    """The file of a ``sqlite:///`` URL. Raises BackupError for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError("not a SQLite database: use scripts/backup-postgres for PostgreSQL "
                          "(see deploy/BACKUP.md)")
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return connection


def check_database(path: Path) -> int:
    """Check that ``path`` is a sound SQLite database of this application; return the number
    of tables. Raises BackupError."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            result = connection.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
    if not result or result[0] != "ok":
        raise BackupError(f"{path} is damaged: {result[0] if result else 'no answer'}")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is not a Wijkpanel database (no alembic_version table)")
    return len(tables)


def backup_sqlite(source: Path, destination: Path, *, overwrite: bool = False) -> BackupReport:
    """Copy the live database ``source`` to ``destination`` (readable by the owner only).

    The copy is written next to the destination and renamed when complete and checked, so
    ``destination`` is never a half-written file. Raises BackupError.
    """
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} exists already")
    partial = destination.with_name(destination.name + ".part")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        descriptor = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        os.close(descriptor)
    except OSError as exc:
        raise BackupError(_write_failure(destination, exc)) from exc
    try:
        with closing(_connect(source)) as src, closing(sqlite3.connect(str(partial))) as dst:
            src.backup(dst)  # all pages in one step: one consistent snapshot
            # A single file is easier to move and restore than one with a -wal beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
        tables = check_database(partial)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        partial.replace(destination)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(_write_failure(destination, exc)) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupReport(path=destination, tables=tables, size=destination.stat().st_size)


def _write_failure(destination: Path, error: BaseException) -> str:
    """What to tell the operator when the copy could not be written: a full disk said as
    such (SQLite says "database or disk is full", the system ENOSPC or EDQUOT). The copy
    in progress is removed; a backup already at ``destination`` is left as it was."""
    full = (isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)) or (
        isinstance(error, sqlite3.Error) and "full" in str(error).lower())
    reason = "the disk is full" if full else str(error)
    kept = " (the backup already there is unchanged)" if destination.exists() else ""
    return (f"the backup could not be written to {destination}: {reason}. Nothing was "
            f"written under that name{kept}; make room and run the backup again.")


def restore_sqlite(source: Path, target: Path) -> BackupReport:
    """Replace the contents of the database ``target`` with the backup ``source``.

    Uses the same online backup API, so the target's file stays in place (its owner and
    permissions too) and other connections see either the old or the new database. The
    application should be stopped or idle. Raises BackupError.
    """
    tables = check_database(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        descriptor = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        os.close(descriptor)
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            closing(_connect(target)) as dst:
        src.backup(dst)
    check_database(target)
    return BackupReport(path=target, tables=tables, size=target.stat().st_size)
