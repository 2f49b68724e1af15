"""Secondary suppression of survey figures (``panel.disclosure`` applied to the results).

A figure based on fewer respondents than ``min_respondents()`` is not shown, nor is its
number of respondents. That is not enough on its own. The pages and the API show, for one
indicator in one edition, the respondents of every wijk, every gebied and the
municipality. Where the respondents of the wijken add up to those of their gebied (and
the gebieden to the municipality), a hidden wijk's respondents follow by subtraction; and
where the municipality's figure is the mean of the wijken's figures weighted by their
respondents, so does the hidden figure itself.

So, per indicator and edition, the respondents form a table of counts with sums (wijken in
their gebied, gebieden and the wijken outside any gebied in the municipality), and
:func:`panel.disclosure.protect` chooses the figures to hide besides the small ones. A
figure hidden so is *withheld*: its value, respondents and interval are not shown anywhere
(pages, charts, maps, downloads, API), shown as "x" on the pages. Once two figures of a sum
are hidden, neither the respondents nor the weighted mean give either of them away: one
equation with two unknown counts and two unknown figures.

Where a total is larger than its parts (respondents outside the wijken with a figure), the
difference is a part the reader does not see; see :func:`_relation` for what the reader is
taken to know of it.

The outcome is derived state, stored with the results (``Result.withheld``, worked out for
the minimum in ``Result.protected_for``): :func:`refresh` works it out when a transaction
that changed results, wijken or gebieden commits (a session hook), after the bulk writes
that bypass the session (the benchmark's generator), and from ``flask protect-results``
(after a change of ``PANEL_MIN_RESPONDENTS``; the jobs timer runs it and it does nothing
when the outcome is current). A page reads the flags with the rows it shows
(:func:`withheld_among`): no statement and no work of its own. Where a row it shows was not
worked out for the current minimum, the page works the outcome out itself
(:func:`withheld`): from one statement, which reads only the indicators and editions that
have a small figure at all, the work kept per worker by the rows it is made of.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, event, exists, inspect, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from panel.areas.models import Area, Neighbourhood
from panel.db import db
from panel.disclosure import Sum, protect
from panel.kept import LeastRecentlyUsed, TrustedForAWhile
from panel.results.models import AreaLevel, Result
from panel.templating import trust_seconds

__all__ = ["Cell", "forget", "is_current", "refresh", "withheld", "withheld_among",
           "withheld_in"]

Cell = tuple[int, int, str]  # edition id, indicator id, area code
_EXTENSION = "panel.results.protection"
_TRUSTED = "panel.results.protection.trusted"
_KEPT = 64  # outcomes kept per worker (one per state of the results)
_CHANGED = "panel.results.protection.changed"  # in Session.info: refresh before commit
_LOCK_SPACE = 0x57505052  # "WPPR": the first key of this module's advisory lock


def _rows(minimum: int) -> list[tuple[Any, ...]]:
    """Every result with respondents of an (edition, indicator) that has a small figure,
    with the gebied of a wijk: one statement."""
    small = aliased(Result)
    has_small = exists().where(small.edition_id == Result.edition_id,
                               small.indicator_id == Result.indicator_id,
                               small.respondents > 0, small.respondents < minimum)
    query = (select(Result.edition_id, Result.indicator_id, Result.area_level,
                    Result.area_code, Result.respondents, Area.code)
             .outerjoin(Neighbourhood, and_(Result.area_level == AreaLevel.NEIGHBOURHOOD.value,
                                            Neighbourhood.code == Result.area_code))
             .outerjoin(Area, Area.id == Neighbourhood.area_id)
             .where(Result.respondents.is_not(None), has_small)
             .order_by(Result.edition_id, Result.indicator_id, Result.area_level,
                       Result.area_code))
    return [tuple(row) for row in db.session.execute(query)]


def _table(rows: list[tuple[Any, ...]], minimum: int
           ) -> tuple[dict[Hashable, int], list[Sum], list[Hashable]]:
    """The respondents of one indicator in one edition as a table with its sums, and the
    cells the reader cannot see at all (see :func:`_relation`)."""
    wijken: dict[str, int] = {}
    gebied_of: dict[str, str | None] = {}
    values: dict[Hashable, int] = {}
    gebieden: list[str] = []
    municipality: str | None = None
    for _edition, _indicator, level, code, respondents, gebied in rows:
        values[code] = respondents
        if level == AreaLevel.NEIGHBOURHOOD:
            wijken[code] = respondents
            gebied_of[code] = gebied
        elif level == AreaLevel.AREA:
            gebieden.append(code)
        elif level == AreaLevel.MUNICIPALITY:
            municipality = code
    sums: list[Sum] = []
    unseen: list[Hashable] = []
    for gebied in gebieden:
        parts = tuple(code for code in wijken if gebied_of[code] == gebied)
        _relation(values, sums, unseen, gebied, parts, minimum)
    if municipality is not None:
        parts = tuple(gebieden) + tuple(code for code in wijken
                                        if gebied_of[code] not in gebieden)
        _relation(values, sums, unseen, municipality, parts, minimum)
    return values, sums, unseen


def _relation(values: dict[Hashable, int], sums: list[Sum], unseen: list[Hashable],
              total: str, parts: tuple[str, ...], minimum: int) -> None:
    """Add what a reader knows of ``total`` and its ``parts``. Where the parts add up to
    the total, the sum. Where the total is larger (respondents outside the wijken shown,
    wijken without a figure), a rest the reader does not see is one more part: the reader
    is taken to know that it is at least the minimum when it is (more than the truth, "at
    least 0", so this errs on the safe side), or between 1 and the minimum when it is that
    small. Where the parts add up to more than the total, the figures were not counted
    alike and no sum holds."""
    if not parts:
        return
    rest = values[total] - sum(values[p] for p in parts)
    if rest < 0:
        return
    if rest == 0:
        sums.append(Sum(total, parts))
        return
    key = ("rest", total)
    values[key] = rest
    if rest >= minimum:
        unseen.append(key)
    sums.append(Sum(total, (*parts, key)))


def _work_out(rows: list[tuple[Any, ...]], minimum: int) -> frozenset[Cell]:
    groups: defaultdict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        groups[(row[0], row[1])].append(row)
    cells: set[Cell] = set()
    for (edition_id, indicator_id), group in groups.items():
        values, sums, unseen = _table(group, minimum)
        # An unseen rest is passed as hidden before: the reader's range for it is then
        # "at least the minimum".
        protected = protect(values, sums, minimum=minimum, hidden_before=unseen)
        stored = {code: respondents for _e, _i, _level, code, respondents, _g in group}
        # A hidden cell that is not small itself is withheld; a small one is suppressed
        # already (``services.figure_of``).
        cells.update((edition_id, indicator_id, code) for code in protected.hidden
                     if isinstance(code, str) and stored.get(code, 0) >= minimum)
    return frozenset(cells)


def _kept() -> LeastRecentlyUsed[frozenset[Cell]]:
    kept: LeastRecentlyUsed[frozenset[Cell]] | None = current_app.extensions.get(_EXTENSION)
    if kept is None:
        kept = current_app.extensions[_EXTENSION] = LeastRecentlyUsed(_KEPT)
    return kept


def forget() -> None:
    """Drop the kept outcomes (tests that change the minimum)."""
    current_app.extensions.pop(_EXTENSION, None)
    current_app.extensions.pop(_TRUSTED, None)


def _read_withheld(minimum: int) -> frozenset[Cell]:
    rows = _rows(minimum)
    key = (minimum, hashlib.sha256(repr(rows).encode("utf-8")).hexdigest())
    return _kept().get_or_make(key, lambda: _work_out(rows, minimum))


def withheld() -> frozenset[Cell]:
    """The figures hidden to protect a small one, as (edition id, indicator id, area code),
    in every edition. One statement, which reads every result of an indicator and edition
    with a small figure: so what it read is trusted for ``PANEL_ETAG_SECONDS`` per worker,
    as the header and the ETags of public pages are (``panel.kept.TrustedForAWhile``: a
    commit in the worker forgets it at once), rather than read again for each page. The
    work on the rows is kept per worker by the rows read."""
    minimum = _minimum()
    trusted: TrustedForAWhile[frozenset[Cell]] = current_app.extensions.setdefault(
        _TRUSTED, TrustedForAWhile(4))
    return trusted.get_or_make(minimum, lambda: _read_withheld(minimum), trust_seconds())


def withheld_in(cells: frozenset[Cell], edition_ids: Iterable[int]) -> tuple[Cell, ...]:
    """The withheld figures of some editions, sorted: for a page's fingerprint."""
    wanted = set(edition_ids)
    return tuple(sorted(cell for cell in cells if cell[0] in wanted))


def _minimum() -> int:
    return int(current_app.config.get("PANEL_MIN_RESPONDENTS", 30))


def withheld_among(rows: Iterable[Any]) -> frozenset[Cell]:
    """The withheld figures among ``rows`` (results, or rows read with the columns
    ``edition_id``, ``indicator_id``, ``area_code``, ``withheld`` and ``protected_for``),
    from the stored flags. Where a row was not worked out for the current minimum, every
    withheld figure as worked out now (:func:`withheld`), of which a page only looks up its
    own."""
    minimum = _minimum()
    cells: set[Cell] = set()
    for row in rows:
        if row.protected_for != minimum:
            return withheld()
        if row.withheld:
            cells.add((row.edition_id, row.indicator_id, row.area_code))
    return frozenset(cells)


def is_current(minimum: int | None = None) -> bool:
    """Whether every result's stored flag was worked out for ``minimum`` (the configured
    one by default). One statement."""
    minimum = _minimum() if minimum is None else minimum
    stale = select(Result.id).where(or_(Result.protected_for.is_(None),
                                        Result.protected_for != minimum)).limit(1)
    return db.session.execute(stale).first() is None


def refresh(minimum: int | None = None) -> int:
    """Work the withheld figures out for ``minimum`` (the configured one by default) and
    store them with the results; returns how many are withheld. Flushes only. Two
    statements plus one per indicator and edition with a withheld figure (and on
    PostgreSQL one to wait for another transaction doing the same)."""
    minimum = _minimum() if minimum is None else minimum
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Two transactions working it out at once would each read the results without the
        # other's changes. The lock waits for the other to commit (or roll back); the rows
        # read after it include what it committed. SQLite lets one writer in at a time.
        connection.execute(text("SELECT pg_advisory_xact_lock(:space, 1)"),
                           {"space": _LOCK_SPACE})
    cells = _work_out(_rows(minimum), minimum)
    table = Result.__table__
    # Only the rows whose flag was set or not worked out for this minimum are written.
    db.session.execute(update(table)
                       .where(or_(table.c.withheld, table.c.protected_for.is_(None),
                                  table.c.protected_for != minimum))
                       .values(withheld=False, protected_for=minimum))
    groups: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
    for edition_id, indicator_id, code in sorted(cells):
        groups[(edition_id, indicator_id)].append(code)
    for (edition_id, indicator_id), codes in groups.items():
        db.session.execute(
            update(table).where(table.c.edition_id == edition_id,
                                table.c.indicator_id == indicator_id,
                                table.c.area_code.in_(codes))
            .values(withheld=True, protected_for=minimum))
    for item in list(db.session.identity_map.values()):
        if isinstance(item, Result):
            db.session.expire(item, ["withheld", "protected_for"])
    return len(cells)


def _changed(item: object) -> bool:
    """Whether a change to ``item`` (in the session's dirty objects) can change what is
    withheld: any result; a wijk that moves to another gebied; a gebied or wijk with a new
    code (not a new name)."""
    if isinstance(item, Result):
        return True
    if isinstance(item, Neighbourhood | Area):
        attributes = inspect(item).attrs
        moved = isinstance(item, Neighbourhood) and attributes.area_id.history.has_changes()
        return moved or attributes.code.history.has_changes()
    return False


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: object, _instances: object) -> None:
    """Mark the session when it adds or deletes a result, wijk or gebied, or changes one
    as ``_changed`` says: its commit works the withheld figures out again."""
    if session.info.get(_CHANGED):
        return
    if any(isinstance(item, Result | Neighbourhood | Area)
           for item in (*session.new, *session.deleted)) \
            or any(_changed(item) for item in session.dirty):
        session.info[_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    """Work the withheld figures out again in the transaction that changed what they
    depend on, so they are committed with it."""
    session.flush()  # the changes not flushed yet (``_note_changes`` sees them)
    if not session.info.pop(_CHANGED, None):
        return
    if has_app_context() and session is db.session():
        refresh()


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)
