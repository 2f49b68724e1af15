"""Run a ``flask --app app`` command that stops at a chosen moment and waits to be killed,
so that a test can kill it exactly there (``tests/test_killed_imports.py``)::

    python -m tests.paused_command MARKER WHERE COMMAND [ARGS…]

WHERE is one of

* ``bulk:TABLE:N``: in ``panel.db.insert_rows`` for TABLE, when the N-th row goes to the
  database (the rows before it are in the transaction, the rest are not);
* ``statement:TABLE:N``: after the N-th statement that inserts into TABLE (a batch of
  rows for SQLAlchemy's bulk inserts);
* ``job:KIND``: when a job of KIND that a request handed over (``panel.later``) starts,
  in the worker's thread (its row claimed, its transaction open).

There the command writes the file MARKER and waits for a signal. The pause is installed
by this module only: the application itself has no such hook.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _pause(marker: Path) -> None:
    marker.write_text(str(os.getpid()))
    while True:  # until the test's SIGKILL
        signal.pause()


def _pause_in_bulk(marker: Path, table: str, at: int) -> None:
    import panel.db

    original = panel.db.insert_rows

    def paused(rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        for number, row in enumerate(rows, start=1):
            if number == at:
                _pause(marker)
            yield row

    def insert_rows(target: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        return original(target, columns, paused(rows) if target.name == table else rows)

    # Every module that imported the function by name gets the pausing one.
    for module in list(sys.modules.values()):
        if getattr(module, "insert_rows", None) is original:
            module.insert_rows = insert_rows  # type: ignore[attr-defined]


def _pause_after_statement(marker: Path, table: str, at: int) -> None:
    seen = 0
    prefix = f"insert into {table} "

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        nonlocal seen
        if statement.lower().replace('"', "").startswith(prefix):
            seen += 1
            if seen == at:
                _pause(marker)


def _pause_in_job(marker: Path, kind: str) -> None:
    import panel.later

    def paused(*args: Any) -> None:
        _pause(marker)

    panel.later._registry[kind] = paused


def main(argv: list[str]) -> None:
    marker, where, *command = argv
    import app  # noqa: F401  (the application, as ``--app app`` loads it)

    kind, _sep, rest = where.partition(":")
    if kind == "bulk":
        table, at = rest.split(":")
        _pause_in_bulk(Path(marker), table, int(at))
    elif kind == "statement":
        table, at = rest.split(":")
        _pause_after_statement(Path(marker), table, int(at))
    elif kind == "job":
        _pause_in_job(Path(marker), rest)
    else:
        raise SystemExit(f"unknown pause: {where}")
    from flask.cli import main as flask_main

    sys.argv = ["flask", "--app", "app", *command]
    flask_main()


if __name__ == "__main__":
    main(sys.argv[1:])
