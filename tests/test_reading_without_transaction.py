"""On PostgreSQL a public page reads without a transaction (no BEGIN before its statements,
no ROLLBACK after them: ``panel.db.reads_only`` and ``reading_connection``), staff pages
keep theirs, nothing may be written meanwhile, and the pool checks a connection without a
round trip unless the server has gone away (``panel.db._ping_by_socket``)."""

from __future__ import annotations

import select as select_module
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event, select, text
from sqlalchemy.engine import Connection

from panel.areas.models import Area, Municipality
from panel.db import _ping_by_socket, db, reading_connection, reads_only
from tests import factories

pytestmark = pytest.mark.postgresql

PUBLIC_PAGES = ["/", "/privacy", "/bijeenkomsten", "/wijken/WK036101", "/afgemeld"]


@pytest.fixture
def transaction_states(app: Flask) -> Iterator[list[str]]:
    """For every statement sent, whether its connection was in a transaction after it
    (psycopg's view: ``IDLE`` without one, ``INTRANS`` inside one)."""
    states: list[str] = []

    def seen(conn: object, cursor: object, *args: object) -> None:
        states.append(cursor.connection.info.transaction_status.name)  # type: ignore[attr-defined]

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", seen)
    yield states
    event.remove(engine, "after_cursor_execute", seen)


def _autocommit(connection: Connection) -> bool:
    return bool(connection.connection.dbapi_connection.autocommit)  # type: ignore[union-attr]


def _world(app: Flask) -> None:
    with app.app_context():
        factories.panel_world()
        db.session.commit()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_reads_without_a_transaction(app, client, etag_every_request,
                                                   transaction_states, path):
    _world(app)
    transaction_states.clear()
    assert client.get(path).status_code == 200
    assert transaction_states, "the page read nothing"
    assert set(transaction_states) == {"IDLE"}, transaction_states
    # and its 304, worked out again from the data
    etag = client.get(path).headers["ETag"]
    transaction_states.clear()
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert transaction_states and set(transaction_states) == {"IDLE"}, transaction_states


def test_staff_pages_keep_their_transaction(app, client, transaction_states):
    _world(app)
    assert factories.login(client, "noord@example.org").status_code == 302
    transaction_states.clear()
    assert client.get("/beheer/").status_code == 200
    assert "INTRANS" in transaction_states, transaction_states


def test_nothing_is_written_while_reading_only(session):
    factories.municipality()
    session.commit()
    with reads_only():
        assert _autocommit(session.connection())
        assert session.scalar(select(Municipality.name)) == "Testgemeente"
        session.add(Area(code="noord", name="Noord"))
        with pytest.raises(RuntimeError, match="reads only"):
            session.flush()
    session.rollback()
    assert session.scalar(select(Area.id)) is None
    # after the block the session writes in a transaction again
    session.add(Area(code="zuid", name="Zuid"))
    session.flush()
    assert not _autocommit(session.connection())
    session.rollback()
    assert session.scalar(select(Area.id)) is None


def test_a_session_that_has_begun_keeps_its_transaction(session):
    factories.municipality()
    session.flush()  # a transaction with a write not yet committed
    with reads_only():
        assert not _autocommit(session.connection())
        session.add(Area(code="noord", name="Noord"))
        session.flush()  # allowed: this is not a read-only request
    session.rollback()
    assert session.scalar(select(Municipality.id)) is None


def test_a_reading_connection_has_no_transaction(app):
    with app.app_context(), reading_connection() as connection:
        assert _autocommit(connection)
        assert connection.execute(text("SELECT 1")).scalar() == 1
        status = connection.connection.dbapi_connection.info.transaction_status.name
        assert status == "IDLE"
    with app.app_context(), db.engine.connect() as connection:  # the pool's next lender
        assert not _autocommit(connection)


def test_a_healthy_connection_is_lent_without_a_round_trip(app):
    pinged: list[object] = []

    def ping(dbapi_connection: object) -> bool:
        pinged.append(dbapi_connection)
        return True

    check = _ping_by_socket(ping)
    with app.app_context():
        with db.engine.connect() as connection:
            dbapi_connection = connection.connection.dbapi_connection
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            connection.rollback()
            assert check(dbapi_connection) is True
            assert pinged == []  # nothing sent: the socket had nothing to read
            with db.engine.connect() as other:  # waits until the server process has ended
                assert other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"),
                                     {"pid": backend}).scalar() is True
                other.commit()
            arrived = select_module.poll()  # its last message reaches the socket
            arrived.register(dbapi_connection.pgconn.socket, select_module.POLLIN)
            assert arrived.poll(5000)
            assert check(dbapi_connection) is True
            assert pinged == [dbapi_connection]  # so SQLAlchemy's real check ran
            connection.invalidate()


def test_a_page_after_the_server_ended_its_connections(app, client, etag_every_request):
    _world(app)
    assert client.get("/privacy").status_code == 200  # the pool holds a connection now
    with app.app_context(), db.engine.connect() as connection:
        ended = connection.execute(text(  # each waits until its server process has ended
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
            "FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        connection.commit()
    assert ended >= 1
    for _ in range(3):  # every pooled connection was found gone and replaced
        assert client.get("/privacy").status_code == 200
