"""Is the send-mail run that claimed a message still running?

A ``send-mail`` run claims each message before it sends it (``outbox_message.claimed_by``
holds the run's token). When a run is killed (SIGKILL, a power cut, the out-of-memory
killer) its claims stay behind; the next run must know at once that their owner is gone,
without waiting for a time-out and without ever taking the claim of a run that is still
sending. Each run therefore holds a lock that the operating system or the database server
lets go of when the process dies, and another run asks whether it can take that lock:

- on PostgreSQL a session-level advisory lock (``pg_advisory_lock``) on a connection of its
  own: the server releases it when the connection ends, whichever machine the run was on;
- on SQLite an exclusive ``flock`` on a file next to the database file (SQLite is used on
  one machine only; the kernel releases the lock when the process dies). An in-memory
  database is seen by one process only: its runs are known in that process.

Written by hand because no library offers "is the holder of this lock alive" for both
databases; the locks themselves are the database's and the kernel's.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text

from panel.db import db

# The first key of every advisory lock of a send-mail run ("WPML"), so they cannot be
# mistaken for other advisory locks in the same database.
_LOCK_SPACE = 0x57504D4C
_in_process: set[str] = set()  # runs on an in-memory SQLite database


@dataclass
class Run:
    """A running send-mail run: ``token`` goes into ``claimed_by``."""

    token: str


def _run_folder() -> Path | None:
    """The folder of the SQLite database's run files; None for an in-memory database."""
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    path = Path(database).resolve()
    return path.with_name(f"{path.name}.send-mail-runs")


@contextmanager
def running() -> Iterator[Run]:
    """Hold this run's lock while the block runs (see the module's docstring)."""
    if db.engine.dialect.name == "postgresql":
        key = secrets.randbelow(2**31 - 1) + 1
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock:
            lock.execute(text("SELECT pg_advisory_lock(:space, :key)"),
                         {"space": _LOCK_SPACE, "key": key})
            try:
                yield Run(f"pg:{key}")
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:space, :key)"),
                             {"space": _LOCK_SPACE, "key": key})
        return
    folder = _run_folder()
    token = f"file:{secrets.token_hex(12)}"
    if folder is None:
        _in_process.add(token)
        try:
            yield Run(token)
        finally:
            _in_process.discard(token)
        return
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{token[5:]}.lock"
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield Run(token)
    finally:
        path.unlink(missing_ok=True)
        os.close(handle)


def _pg_gone(connection: Connection, token: str) -> bool:
    try:
        key = int(token.removeprefix("pg:"))
    except ValueError:
        return True
    taken = connection.execute(text("SELECT pg_try_advisory_lock(:space, :key)"),
                               {"space": _LOCK_SPACE, "key": key}).scalar()
    if taken:
        connection.execute(text("SELECT pg_advisory_unlock(:space, :key)"),
                           {"space": _LOCK_SPACE, "key": key})
    return bool(taken)


def gone(tokens: set[str]) -> set[str]:
    """The tokens (of other runs) whose run has ended: their claims are abandoned. A token
    of the wrong kind for this database (say, from before a move to PostgreSQL) counts as
    ended."""
    if not tokens:
        return set()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as check:
            return {token for token in tokens
                    if not token.startswith("pg:") or _pg_gone(check, token)}
    folder = _run_folder()
    ended = set()
    for token in tokens:
        if not token.startswith("file:"):
            ended.add(token)
        elif folder is None:
            if token not in _in_process:
                ended.add(token)
        elif _file_gone(folder / f"{token[5:]}.lock"):
            ended.add(token)
    return ended


def _file_gone(path: Path) -> bool:
    """No process holds the lock on ``path`` (a missing file: its run ended)."""
    if not path.name[:-5].isalnum():
        return True
    try:
        handle = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(handle)
    path.unlink(missing_ok=True)  # its run is gone; nobody locks this name again
    return True
