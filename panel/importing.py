"""The one skeleton every CSV/XLSX import is built on.

An import is a subclass of :class:`Importer` that says which columns it reads (``columns``,
``required``), who may run it (``may_import``) and fills in three steps:

- ``prepare(table, mapping)``: load once everything the lines are checked against (no
  query per line) and return it as the import's context;
- ``check(line, row, context)``: check one line, set its status and messages on ``line``
  and return what to write for it (or None);
- ``apply(plan, context)``: write the plan, in the caller's transaction (flush, never
  commit).

:meth:`Importer.run` does the rest, the same way for every import: reading the file (any
Dutch encoding and delimiter, or XLSX, see :mod:`panel.tabular`), finding the columns by
their usual names (or a mapping chosen by staff), one :class:`Line` per line of the file
with its line number, status and reasons, duplicates within the file, and the dry run:
the checks are exactly those of the real run, only ``apply`` is left out. An import that
is *all or nothing* changes nothing when one line is rejected.

The report is shown by one template macro (``templates/macros/imports.html``) and printed
by :func:`echo_report` on the command line, with one summary line for both.

Using an import::

    report = AreasImporter(current_user).run(data, filename, dry_run=True)

The constructor checks that the user may run it (``None`` is the command line, which runs
with the operator's authority); the caller commits or rolls back.

A file uploaded by a staff member is read within :func:`panel.tabular.upload_limits`
(``PANEL_IMPORT_MAX_ROWS`` lines, and the XLSX checks); the command line reads files of
any size. Pages show a sample of a report's lines (:meth:`ImportReport.sample`), never all
of a large file's, and a command shows its progress (:mod:`panel.progress`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import click
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from panel.db import db
from panel.errors import DomainError, PermissionDenied
from panel.progress import track
from panel.tabular import Limits, Table, normalise_header, read_table, too_many_rows, upload_limits


class Status(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    REJECTED = "rejected"


STATUS_LABELS = {
    Status.NEW: _l("new"),
    Status.UPDATED: _l("updated"),
    Status.UNCHANGED: _l("unchanged"),
    Status.SKIPPED: _l("skipped"),
    Status.REJECTED: _l("rejected"),
}


@dataclass
class Line:
    """The outcome of one line of the file."""

    line: int
    status: Status = Status.NEW
    subject: str = ""  # what the line is about, e.g. "wijk WK036101"
    messages: list[str] = field(default_factory=list)  # why it was rejected or skipped
    warnings: list[str] = field(default_factory=list)  # imported, but worth a look

    def reject(self, message: object) -> None:
        self.messages.append(str(message))
        self.status = Status.REJECTED

    def skip(self, message: object) -> None:
        self.messages.append(str(message))
        self.status = Status.SKIPPED

    def warn(self, message: object) -> None:
        self.warnings.append(str(message))


# What a page shows of a report: the first lines, and the lines with a reason or a warning
# up to a number; the others are only counted.
SAMPLE_FIRST = 20
SAMPLE_NOTED = 200


@dataclass
class Sample:
    """The lines a page shows of a report, and how many are left out, per status."""

    lines: list[Line]
    left_out: dict[str, int]

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do."""

    lines: list[Line] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    mapping: dict[str, str | None] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # required fields without a column
    notes: list[str] = field(default_factory=list)  # about the whole file
    dry_run: bool = False
    applied: bool = False
    all_or_nothing: bool = True

    @property
    def ok(self) -> bool:
        """The file could be read and no line is rejected."""
        return not self.file_errors and not any(
            line.status == Status.REJECTED for line in self.lines)

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)

    def summary(self) -> dict[str, int]:
        """The number of lines per status (every status, also those with 0)."""
        return {status.value: self.count(status) for status in Status}

    def summary_line(self) -> str:
        """One line for people: "3 new, 1 updated, 0 unchanged, 0 skipped, 2 rejected."."""
        counts = self.summary()
        return _("%(new)s new, %(updated)s updated, %(unchanged)s unchanged, %(skipped)s "
                 "skipped, %(rejected)s rejected.", **counts)

    def sample(self, only_rejected: bool = False, only_with_reason: bool = False,
               first: int = SAMPLE_FIRST, noted: int = SAMPLE_NOTED) -> Sample:
        """The lines to show on a page: of the lines asked for (every line, only the
        rejected ones, or only those with a reason or a warning) the first ``first``, and
        after them the lines with a reason or a warning, up to ``noted`` of them; the
        others are counted per status in ``left_out``."""
        shown: list[Line] = []
        left_out: dict[str, int] = {}
        noted_shown = 0
        for line in self.lines:
            if only_rejected and line.status != Status.REJECTED:
                continue
            has_reason = bool(line.messages or line.warnings)
            if only_with_reason and not has_reason:
                continue
            if len(shown) < first:
                shown.append(line)
            elif has_reason and noted_shown < noted:
                shown.append(line)
                noted_shown += 1
            else:
                left_out[line.status.value] = left_out.get(line.status.value, 0) + 1
        return Sample(shown, left_out)

    def outcome_text(self) -> str:
        """What happened to the data, in one sentence."""
        if self.missing:
            return _("Nothing has been changed.")
        if self.file_errors:
            return _("The file cannot be used. Nothing has been changed.")
        if self.applied:
            return _("The file is loaded.")
        if not self.ok and self.all_or_nothing:
            return _("The file has errors. Nothing has been changed.")
        if self.dry_run:
            return _("This is a check: nothing has been changed yet.")
        return _("Nothing has been changed.")


class Row:
    """One line's cells, read by field name through the column mapping."""

    def __init__(self, values: Mapping[str, str], mapping: Mapping[str, str | None]) -> None:
        self.values = values
        self.mapping = mapping

    def get(self, name: str) -> str:
        header = self.mapping.get(name)
        return " ".join(self.values.get(header, "").split()) if header else ""

    def has(self, name: str) -> bool:
        return bool(self.mapping.get(name))


class FirstSeen:
    """Finds lines that repeat a key seen on an earlier line of the same file."""

    def __init__(self) -> None:
        self._lines: dict[object, int] = {}

    def earlier(self, key: object, line: int) -> int | None:
        """The line ``key`` was first seen on, or None (and ``line`` is remembered)."""
        if key in self._lines:
            return self._lines[key]
        self._lines[key] = line
        return None


Context = TypeVar("Context")
Plan = TypeVar("Plan")


class Importer(Generic[Context, Plan]):
    """The skeleton: subclasses set the columns and fill in prepare, check and apply."""

    # field name -> the normalised headers it is known by, in order of preference
    columns: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    # When one line is rejected, change nothing at all (otherwise the good lines are kept).
    all_or_nothing: ClassVar[bool] = True
    missing_columns: ClassVar[Any] = _l("The file does not have the columns it needs.")
    no_lines: ClassVar[Any] = _l("The file has no lines to import.")

    def __init__(self, user: Any = None) -> None:
        """``user`` is the staff member who imports, or None for the command line (the
        operator's authority). Raises PermissionDenied when ``user`` may not import."""
        if user is not None and not self.may_import(user):
            raise PermissionDenied()
        self.user = user
        # A staff member's upload is read within the upload limits, the operator's file
        # on the command line whole.
        self.limits = upload_limits() if user is not None else Limits()

    def may_import(self, user: Any) -> bool:
        """Whether ``user`` may run this import (a capability from permissions.py)."""
        return False

    def known_headers(self) -> set[str]:
        """Every header name the columns are known by (to find the header row)."""
        return {alias for aliases in self.columns.values() for alias in aliases}

    def detect_mapping(self, table: Table) -> dict[str, str | None]:
        """Which header holds which field, by the usual Dutch and English names."""
        return {name: next((h for h in aliases if h in table.headers), None)
                for name, aliases in self.columns.items()}

    def missing(self, mapping: Mapping[str, str | None]) -> list[str]:
        return [name for name in self.required if not mapping.get(name)]

    def check_mapping(self, table: Table, mapping: Mapping[str, str | None],
                      report: ImportReport) -> None:
        """Add file errors about the columns (a subclass may add its own rules)."""
        report.missing = self.missing(mapping)
        if report.missing:
            report.file_errors.append(str(self.missing_columns))

    def prepare(self, table: Table, mapping: Mapping[str, str | None]) -> Context:
        raise NotImplementedError

    def check(self, line: Line, row: Row, context: Context) -> Plan | None:
        raise NotImplementedError

    def apply(self, plan: list[Plan], context: Context) -> None:
        raise NotImplementedError

    def finish(self, report: ImportReport, plan: list[Plan], context: Context) -> None:
        """After the checks, before applying: notes about the whole file (optional)."""

    def read(self, data: bytes, filename: str, header_line: int | None = None) -> Table:
        """The file as a table; its header row is the one (of the first few) with the most
        known header names, so a title above the headers does no harm, or the line
        ``header_line`` when staff chose it (see :func:`panel.tabular.read_table`)."""
        return read_table(data, filename, self.known_headers(), header_line, self.limits)

    def run(self, data: bytes, filename: str = "", *, dry_run: bool = False,
            mapping: Mapping[str, str | None] | None = None,
            header_line: int | None = None, table: Table | None = None) -> ImportReport:
        """Check every line and, unless ``dry_run`` (or a rejected line in an all-or-nothing
        import), apply the plan. The checks are the same in both cases. ``header_line``
        names the line with the column names when it is not found by itself. ``table`` is
        the file as :meth:`read` read it already in this request (it is not read again)."""
        report = ImportReport(dry_run=dry_run, all_or_nothing=self.all_or_nothing)
        try:
            if table is None:
                table = self.read(data, filename, header_line)
            if self.limits.rows is not None and len(table.rows) > self.limits.rows:
                raise too_many_rows(self.limits.rows)  # an import that reads for itself
        except DomainError as exc:
            report.file_errors.append(exc.message)
            return report
        chosen = {**self.detect_mapping(table), **(mapping or {})}
        # A header that is not in the file (a typing error in --map) counts as no column.
        report.mapping = {name: header if header and header in table.headers else None
                          for name, header in chosen.items()}
        self.check_mapping(table, report.mapping, report)
        if report.file_errors:
            return report
        if not table.rows:
            report.file_errors.append(str(self.no_lines))
            return report
        context = self.prepare(table, report.mapping)
        plan: list[Plan] = []
        for number, values in track(table.rows, _("Checking the lines"), len(table.rows)):
            line = Line(number)
            planned = self.check(line, Row(values, report.mapping), context)
            report.lines.append(line)
            if planned is not None and line.status != Status.REJECTED:
                plan.append(planned)
        self.finish(report, plan, context)
        if dry_run or (self.all_or_nothing and not report.ok):
            return report
        self.apply(plan, context)
        db.session.flush()
        report.applied = True
        return report


def header_mapping(pairs: list[str], fields: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``FIELD=Header`` pairs from the command line as a mapping (headers normalised)."""
    mapping = {}
    for item in pairs:
        name, _sep, header = item.partition("=")
        if name not in fields:
            raise click.BadParameter(_("Unknown field: %(name)s", name=name))
        mapping[name] = normalise_header(header)
    return mapping


# --- the web ------------------------------------------------------------------------------

def run_upload(importer: Importer[Any, Any], form: Any) -> ImportReport | None:
    """The report of the file in an upload form (fields ``file`` and ``dry_run``) after a
    valid submit, with what it applied committed; None before that."""
    from panel.outcome import outcome  # the views' helper; the importers never need it

    if not form.validate_on_submit():
        return None
    upload = form.file.data
    # A check or a refused file changes nothing, so there is nothing to undo. What refuses
    # the file is said at the file's field too, so the page's error summary leads there.
    with outcome(field=form.file):
        report = importer.run(upload.read(), upload.filename or "",
                              dry_run=bool(form.dry_run.data))
        form.file.errors = [*form.file.errors, *report.file_errors]
        return report
    return None  # a domain error was put at the file's field


# --- the command line ---------------------------------------------------------------------

def echo_report(report: ImportReport, every_line: bool = True) -> None:
    """Print each line's outcome (or, without ``every_line``, only the lines with a reason
    or a warning: for files of many thousands of lines), the notes and the summary line."""
    for message in report.file_errors:
        click.echo(_("File: %(message)s", message=message), err=True)
    for line in report.lines:
        if not (every_line or line.messages or line.warnings):
            continue
        text = _("line %(line)s: %(status)s", line=line.line,
                 status=STATUS_LABELS[line.status])
        if line.subject:
            text += f" {line.subject}"
        if line.messages:
            text += f" ({'; '.join(line.messages)})"
        click.echo(text)
        for warning in line.warnings:
            click.echo("  " + _("warning: %(message)s", message=warning))
    for note in report.notes:
        click.echo(note)
    if report.lines:
        click.echo(report.summary_line())


def finish_command(report: ImportReport, saved: object | None = None,
                   every_line: bool = True) -> None:
    """Print the report; commit an applied import (printing ``saved``, by default the
    outcome), otherwise roll back; exit with 1 when the file could not be used or an
    all-or-nothing import had a rejected line."""
    echo_report(report, every_line)
    if report.applied:
        db.session.commit()
        click.echo(str(saved if saved is not None else report.outcome_text()))
        return
    db.session.rollback()
    if report.file_errors or (report.all_or_nothing and not report.ok):
        click.echo(_("Nothing was imported. Correct the file and try again."), err=True)
        raise SystemExit(1)
    click.echo(_("Dry run: nothing was changed."))
