"""The work list's counts are read from the indexes made for them, on both databases, as the
work list sends its statements (with its parameters, and on PostgreSQL for a team member
with the plan made once). A condition written differently from a partial index's (a
parameter for its constant, another order) makes the database read every meeting again:
these tests then fail. Table scans are turned off on PostgreSQL, so that the small tables
of a test do not decide the plan."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg import sql
from sqlalchemy import event

from panel.db import db
from panel.worklist import services
from tests.worklist.helpers import NOW, work_of_every_kind

# The index each count is read from, by the name of the count: those a database can use
# only when the statement is written for them (a partial index's condition, the last
# progress kept on the action). Which of several usable indexes a count takes on a test's
# few rows is up to the database, so the others are not checked here.
INDEXES = {"meetings_unrecorded": "ix_meeting_unrecorded",
           "actions_stale": "ix_action_area_status_progress"}


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = work_of_every_kind()
    session.commit()
    return item


def _sent(user: Any) -> Iterator[tuple[str, Any]]:
    """The statements (and their parameters) the work list of ``user`` sends."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        sent.append((statement, parameters))

    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # The plan from this test's rows alone, whatever earlier tests left in the tables'
        # statistics.
        connection.exec_driver_sql("ANALYZE meeting, action, panel_member, neighbourhood")
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        services.work_list(user, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    return iter(sent)


def _plan(statement: str, parameters: Any) -> str:
    """The plan of ``statement`` as the database makes it for ``parameters``, as text. On
    PostgreSQL as a prepared statement, so that the plan is the generic one where the
    request asked for it (``plan_generically``): a generic plan cannot use a partial index
    whose condition the statement states with a parameter."""
    connection = db.session.connection()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if connection.dialect.name != "postgresql":
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
    names: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    cursor.execute("PREPARE counts AS "
                   + re.sub(r"%\((\w+)\)s", numbered, statement).replace("%%", "%"))
    try:
        cursor.execute(sql.SQL("EXPLAIN EXECUTE counts({})").format(
            sql.SQL(", ").join(sql.Literal(parameters[name]) for name in names)))
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        cursor.execute("DEALLOCATE counts")


@pytest.mark.parametrize("who", ["admin", "team_noord"])
def test_the_counts_come_from_their_indexes(world, who: str) -> None:  # type: ignore[no-untyped-def]
    counts = [(statement, parameters) for statement, parameters in _sent(getattr(world, who))
              if "meetings_unrecorded" in statement]
    assert len(counts) == 1
    plan = _plan(*counts[0])
    for index in INDEXES.values():
        assert index in plan, plan
