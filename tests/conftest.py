"""Shared fixtures: one app per test run, a clean database for every test.

The suite runs on SQLite by default and on a real PostgreSQL server with ``--postgresql``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import limits.storage.memory as limiter_memory
import limits.strategies as limiter_strategies
import psycopg
import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.orm import scoped_session

from panel import create_app
from panel import limits as panel_limits
from panel.db import db
from panel.extensions import limiter
from panel.migrations import upgrade
from tests.mailbox import deliver_over_smtp, deliver_to_files
from tests.postgres import postgres_server
from tests.smtpserver import SmtpServer, smtp_server
from tests.statements import counting
from tests.themes import forget_kept_pages
from tests.timing import Clock


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--postgresql", action="store_true",
                     help="run the suite against a throwaway PostgreSQL server")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgresql`` need the real server: they belong to the PostgreSQL run
    and are left out (not skipped) of the SQLite run."""
    if config.getoption("--postgresql"):
        return
    kept = [item for item in items if item.get_closest_marker("postgresql") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.config.getoption("--postgresql"):
        with postgres_server() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    application = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        # A fixed Fernet key (b"wijkpanel test key, not a secret") for encrypted secrets.
        "PANEL_ENCRYPTION_KEYS": ("d2lqa3BhbmVsIHRlc3Qga2V5LCBub3QgYSBzZWNyZXQ=",),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PANEL_BASE_URL": "http://wijkpanel.test",
    }, instance_path=instance)
    limiter.enabled = False
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from empty tables (works for live-server threads too)."""
    yield
    if "app" in request.fixturenames:
        flask_app: Flask = request.getfixturevalue("app")
        with flask_app.app_context():
            db.session.rollback()
            _empty_all_tables()
        forget_kept_pages(flask_app)  # an empty site's pages have the same ETags again


@pytest.fixture(autouse=True)
def _rate_limits_off() -> None:
    """The limiter is one object shared by every app a test builds; each test starts with it
    off (the ``rate_limits`` fixture turns it on)."""
    limiter.enabled = False


@pytest.fixture(autouse=True)
def _fresh_globals_per_request(app: Flask) -> Iterator[None]:
    """The ``session`` fixture keeps an app context open and the test client reuses it for
    every request, so ``g`` (where Flask-Login keeps the user and Flask-WTF the CSRF token)
    would carry over between requests and clients. A real server starts every request with
    an empty ``g``; so do the tests."""

    def forget(sender: Flask, **extra: object) -> None:
        vars(g._get_current_object()).clear()

    request_started.connect(forget, app, weak=False)
    yield
    request_started.disconnect(forget, app)


@pytest.fixture
def session(app: Flask) -> Iterator[scoped_session]:
    """An app context and the database session, for calling services directly."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def counted(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run while the test goes on (``tests/statements.counting``)."""
    with app.app_context():
        engine = db.engine
    with counting(engine) as statements:
        yield statements


@pytest.fixture
def etag_every_request(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ETag worked out on every request, as on a worker whose kept second is over (a
    change of the settings, which needs a restart, shows at once)."""
    monkeypatch.setitem(app.config, "PANEL_ETAG_SECONDS", 0)


@pytest.fixture
def csrf_enabled(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def rate_limits(app: Flask) -> Iterator[None]:
    limiter.enabled = True
    limiter.reset()
    yield
    limiter.reset()
    limiter.enabled = False


@pytest.fixture
def limiter_clock(rate_limits: None, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The rate limits on, with a clock of their own: the limiter's windows (in memory) and
    the wait on the 429 page move only when the test calls ``advance``.

    Every module that reads the time for them reads this clock: the memory storage, the
    strategies and ``panel.limits`` (flask-limiter itself reads it only for the
    X-RateLimit headers and a fallback storage, both off). The clock starts on a whole
    second, so windows end at exact sums: a wait of an hour is 3600 s, not
    3600.000000000002 s, which the page would round up to two hours. The storage's
    background expiry thread is stopped (it would drop counts between the test's steps);
    a count still expires when it is read."""
    storage = limiter.storage
    assert isinstance(storage, limiter_memory.MemoryStorage), "the tests count in memory"
    storage.timer.cancel()
    storage.timer.join()
    monkeypatch.setattr(storage, "_MemoryStorage__schedule_expiry", lambda: None)
    storage.reset()
    clock = Clock()
    clock.now = float(math.floor(clock.now))
    fake_time = SimpleNamespace(time=clock)
    for module in (limiter_memory, limiter_strategies, panel_limits):
        monkeypatch.setattr(module, "time", fake_time)
    return clock


class LoginActions:
    """Signing staff in, as in Flask's tutorial: ``login_as("team-noord@…")`` returns a test
    client whose session is signed in (a new client unless one is given)."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def __call__(self, email: str, client: FlaskClient | None = None,
                 password: str | None = None) -> FlaskClient:
        from tests import factories

        client = client or self._app.test_client()
        response = factories.login(client, email, password or factories.PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    def logout(self, client: FlaskClient) -> None:
        client.post("/beheer/uitloggen")


@pytest.fixture
def login_as(app: Flask) -> LoginActions:
    """``login_as(email)``: a test client signed in as that staff member."""
    return LoginActions(app)


@pytest.fixture
def eml_outbox(app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No SMTP host: the app writes what it delivers as ``.eml`` files to this fresh folder
    (which does not exist until the first message is written)."""
    return deliver_to_files(app, monkeypatch, tmp_path / "outbox")


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A real SMTP server on the loopback interface, configured as the app's mail server;
    ``smtp.messages`` holds what it received."""
    with smtp_server() as server:
        deliver_over_smtp(app, monkeypatch, server)
        yield server


@pytest.fixture
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path,
                   database_url: str) -> Iterator[str]:
    """An empty database of the kind this run uses (SQLite file, or a second PostgreSQL
    database on the test server), for a test that migrates step by step."""
    if not request.config.getoption("--postgresql"):
        yield f"sqlite:///{tmp_path / 'before.db'}"
        return
    server = database_url.rsplit("/", 1)[0]
    admin = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS wijkpanel_migration")
        connection.execute("CREATE DATABASE wijkpanel_migration")
    try:
        yield server + "/wijkpanel_migration"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS wijkpanel_migration WITH (FORCE)")
