"""The database goes away and comes back: while it is away every page answers 503 with a
translated page and ``Retry-After`` (not the 500 page), ``/healthz`` answers 503, and when
it is back the same application (no restart) answers again.

PostgreSQL: a throwaway cluster of this test's own, stopped and started while the app
runs, so the suite's server is not touched. SQLite: a database file that cannot be opened,
then can."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from panel import create_app
from panel.db import db
from panel.errors import RETRY_AFTER_SECONDS
from panel.migrations import upgrade
from tests import factories
from tests.html_validator import report, validate
from tests.postgres import _bindir, _free_port

# Visitors' pages, a page that reads the database for every request (its ETag is worked
# out every time), and the start page of a signed-in team member.
PAGES = ["/", "/bijeenkomsten", "/privacy"]
STAFF_PAGE = "/beheer/"


def _app(url: str, instance: Path) -> Flask:
    return create_app({
        "TESTING": True, "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
        "PANEL_BASE_URL": "http://wijkpanel.test", "PANEL_ETAG_SECONDS": 0,
    }, instance_path=instance)


def _seed(application: Flask) -> None:
    with application.app_context():
        upgrade()
        factories.panel_world()
        db.session.commit()


def _assert_unavailable(client: FlaskClient, path: str, language: str) -> str:
    client.set_cookie("lang", language)
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 503, (path, response.status_code)
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert f'<html lang="{language}"' in page
    expected = {"nl": "De website werkt even niet", "en": "The site is not available"}
    assert expected[language] in page, page
    assert "Er ging iets mis" not in page and "Something went wrong" not in page
    return page


def _assert_health(client: FlaskClient, status: int) -> None:
    response = client.get("/healthz")
    assert response.status_code == status
    if status == 503:
        assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)


class Cluster:
    """A PostgreSQL cluster of its own on a free loopback port, stopped and started at will
    (as the ``postgres`` user when the tests run as root, like ``tests/postgres.py``)."""

    def __init__(self) -> None:
        import os

        self.bindir = _bindir()
        self.base = Path(tempfile.mkdtemp(prefix="wijkpanel-outage-"))
        self.base.chmod(0o755)
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.data, self.port = self.base / "data", _free_port()
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--no-locale")

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        subprocess.run([*self.as_postgres, str(self.bindir / program), *args], check=check,
                       capture_output=True, cwd=self.base)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"), "-w",
                  "-o", f"-p {self.port} -h 127.0.0.1 -k {self.base} -F -c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    server = Cluster()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.mark.postgresql
def test_postgresql_stopped_and_started_while_the_site_runs(cluster: Cluster,
                                                            tmp_path: Path) -> None:
    application = _app(cluster.url, tmp_path / "instance")
    _seed(application)
    visitor = application.test_client()
    staff = application.test_client()
    assert factories.login(staff, "noord@example.org").status_code == 302
    for path in PAGES:
        assert visitor.get(path).status_code == 200, path
    assert staff.get(STAFF_PAGE).status_code == 200
    _assert_health(visitor, 200)

    cluster.stop()  # the pool still holds connections to the server that went away
    for language in ("nl", "en"):
        for path in PAGES:
            _assert_unavailable(visitor, path, language)
        _assert_unavailable(staff, STAFF_PAGE, language)
    _assert_health(visitor, 503)

    cluster.start()  # the same application, no restart
    _assert_health(visitor, 200)
    for path in PAGES:
        assert visitor.get(path).status_code == 200, path
    assert staff.get(STAFF_PAGE).status_code == 200  # still signed in

    cluster.stop("immediate")  # a crash rather than a shutdown: the same
    _assert_unavailable(staff, STAFF_PAGE, "nl")
    cluster.start()
    assert staff.get(STAFF_PAGE).status_code == 200
    with application.app_context():
        db.engine.dispose()


def test_sqlite_file_that_cannot_be_opened_then_can(tmp_path: Path) -> None:
    folder = tmp_path / "data"  # not there yet: the file cannot be opened
    application = _app(f"sqlite:///{folder / 'wijkpanel.db'}", tmp_path / "instance")
    client = application.test_client()
    pages = {f"{language} {path}": _assert_unavailable(client, path, language)
             for language in ("nl", "en") for path in PAGES}
    _assert_health(client, 503)
    problems = validate({name: pages[name] for name in ("nl /", "en /")})
    assert not problems, report(problems)

    folder.mkdir()  # the disk is back
    _seed(application)
    _assert_health(client, 200)
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    with application.app_context():
        db.engine.dispose()


def test_other_database_errors_are_still_our_fault(client: FlaskClient, monkeypatch) -> None:
    """Only a database that cannot be reached is 503: a broken statement stays a 500."""
    from sqlalchemy.exc import IntegrityError

    from panel.site import views

    def broken() -> None:
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(views.area_services, "public_overview_fingerprint", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
