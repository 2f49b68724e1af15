"""Progress of long commands: a bar on a terminal, plain lines in a log.

A command that reads a large file or works through many rows says how far it is. The work
itself (the import skeleton, a service) marks its loops with :func:`track`, which costs
nothing and shows nothing unless a command asked for progress with :func:`shown`: so the
same code runs quietly in a web request and shows its progress on the command line::

    @app.cli.command("load-areas")
    def load_areas_command(file: Path, dry_run: bool) -> None:
        with shown():
            report = AreasImporter(None).run(file.read_bytes(), file.name, dry_run=dry_run)

    for message in track(messages, _("Sending mail"), len(messages)):   # in any loop
        ...

Progress goes to standard error, so standard output keeps only the command's report. On a
terminal it is ``click.progressbar`` (already a dependency through Flask); when standard
error is not a terminal (cron, a log file, systemd) a bar would be a mess of carriage
returns, so there are plain lines instead: one at every tenth of a known total, one every
:data:`PLAIN_EVERY` items of an unknown one, and one at the end. Written here rather than
taken from a library because neither click nor rich writes such lines for a log.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO, TypeVar

import click
from flask_babel import format_decimal
from flask_babel import gettext as _

__all__ = ["PLAIN_EVERY", "shown", "track"]

T = TypeVar("T")

PLAIN_EVERY = 10_000  # items between two plain lines when the total is not known
PLAIN_STEPS = 10  # plain lines for a known total: at every tenth


@dataclass(frozen=True)
class _Output:
    stream: IO[str]
    terminal: bool


_output: ContextVar[_Output | None] = ContextVar("panel_progress", default=None)


@contextmanager
def shown(stream: IO[str] | None = None, terminal: bool | None = None) -> Iterator[None]:
    """Within the block, :func:`track` shows progress on ``stream`` (standard error): a
    bar when it is a terminal (``terminal`` decides instead when given), plain lines
    otherwise."""
    target = stream if stream is not None else sys.stderr
    if terminal is None:
        isatty = getattr(target, "isatty", None)
        terminal = bool(isatty and isatty())
    token = _output.set(_Output(target, terminal))
    try:
        yield
    finally:
        _output.reset(token)


def track(items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
    """``items`` one by one, showing how many are done under ``label`` (of ``total``,
    when known) when a command asked for it (:func:`shown`); otherwise just ``items``."""
    output = _output.get()
    if output is None:
        yield from items
        return
    if output.terminal:
        with click.progressbar(items, length=total, label=label, file=output.stream,
                               show_pos=True) as bar:
            yield from bar
        return
    yield from _plain(items, label, total, output.stream)


def _plain(items: Iterable[T], label: str, total: int | None,
           stream: IO[str]) -> Iterator[T]:
    """``items`` with a plain line now and then, and one at the end (also when the work
    stops early, so a log shows where)."""
    done = 0
    next_line = _next_line(0, total)
    try:
        for item in items:
            yield item
            done += 1
            if done >= next_line and (total is None or done < total):
                _write(stream, _line(label, done, total))
                next_line = _next_line(done, total)
    except BaseException:  # also GeneratorExit: the loop was left early
        _write(stream, _("%(label)s: stopped after %(count)s.", label=label,
                         count=format_decimal(done)))
        raise
    _write(stream, _line(label, done, total, final=True))


def _next_line(done: int, total: int | None) -> int:
    """The count at which the next plain line is written."""
    if total is None:
        return (done // PLAIN_EVERY + 1) * PLAIN_EVERY
    step = max(1, -(-total // PLAIN_STEPS))  # a tenth, rounded up
    return (done // step + 1) * step


def _line(label: str, done: int, total: int | None, final: bool = False) -> str:
    count = format_decimal(done)
    if total is None:
        return (_("%(label)s: %(count)s, done.", label=label, count=count) if final
                else _("%(label)s: %(count)s", label=label, count=count))
    percent = 100 if total == 0 else done * 100 // total
    if final:
        return _("%(label)s: %(count)s of %(total)s, done.", label=label, count=count,
                 total=format_decimal(total))
    return _("%(label)s: %(count)s of %(total)s (%(percent)s%%)", label=label, count=count,
             total=format_decimal(total), percent=percent)


def _write(stream: IO[str], text: str) -> None:
    stream.write(text + "\n")
    stream.flush()
