"""Operations: backups that restore (SQLite while the site writes; PostgreSQL with
``--postgresql``), the gunicorn settings and their access log, and the systemd units."""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, inspect, select, text

from panel import create_app
from panel.db import db
from panel.privacy.backup import BackupError, backup_sqlite, check_database, sqlite_path
from panel.privacy.models import AuditEvent
from panel.signups.models import PanelMember
from tests import factories
from tests.timing import wait_until

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
TOKEN = "Zx8_Yq2-kLmNoPqRsTuVwXyZ0123456789abcDEF"


# --- SQLite -------------------------------------------------------------------------------

def _sqlite_app(path: Path, instance: Path) -> Flask:
    return create_app({
        "TESTING": True, "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "PANEL_BASE_URL": "http://wijkpanel.test",
    }, instance_path=instance)


@pytest.fixture
def live_sqlite(tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """A separate app on its own SQLite file, migrated, with a few panel members."""
    from panel.migrations import upgrade

    path = tmp_path / "live.db"
    application = _sqlite_app(path, tmp_path / "instance")
    with application.app_context():
        upgrade()
        world = factories.panel_world()
        for n in range(5):
            factories.member(world.mare, name=f"Lid {n}", email=f"lid{n}@example.org")
        db.session.commit()
    yield application, path
    with application.app_context():
        db.engine.dispose()


class Writer(threading.Thread):
    """Writes audit events one transaction at a time, as a busy site would."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.written, self.stop = path, 0, threading.Event()

    def run(self) -> None:
        connection = sqlite3.connect(str(self.path), timeout=30)
        connection.execute("PRAGMA busy_timeout=30000")
        try:
            while not self.stop.is_set():
                with connection:
                    connection.execute(
                        "INSERT INTO audit_event (at, actor, action, object_type, object_id, "
                        "result, address, detail) VALUES (datetime('now'), 'system', 'view', "
                        "'member', ?, 'ok', '', 'written during the backup')",
                        (str(self.written),))
                self.written += 1
        finally:
            connection.close()

    def wait_for(self, count: int) -> None:
        wait_until(lambda: self.written >= count, timeout=20, interval=0.005,
                   message="the writer does not write")


def test_sqlite_backup_while_the_site_writes_restores_into_a_new_file(live_sqlite, tmp_path):
    application, path = live_sqlite
    backup = tmp_path / "backups" / "wijkpanel.sqlite"
    writer = Writer(path)
    writer.start()
    try:
        writer.wait_for(50)
        before = writer.written
        result = application.test_cli_runner().invoke(args=["backup-db", str(backup)])
        after = writer.written
        writer.wait_for(after + 50)  # the site kept writing: nothing was locked
    finally:
        writer.stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert str(backup) in result.output
    assert backup.stat().st_mode & 0o777 == 0o600
    assert not backup.with_name(backup.name + ".part").exists()

    restored_path = tmp_path / "restored" / "wijkpanel.db"
    restored = _sqlite_app(restored_path, tmp_path / "instance2")
    result = restored.test_cli_runner().invoke(args=["restore-db", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    check_database(restored_path)
    with restored.app_context():
        names = sorted(db.session.scalars(select(PanelMember.name)))
        ids = list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.engine.dispose()
    assert names == [f"Lid {n}" for n in range(5)]
    # One consistent snapshot: a prefix of the writer's rows, without a gap, taken between
    # the start and the end of the backup.
    assert before <= len(ids) <= after
    assert ids == list(range(1, len(ids) + 1))
    with application.app_context():
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == version
        assert db.session.scalar(select(func.count(AuditEvent.id))) == writer.written


def test_backup_refuses_to_overwrite_and_restore_refuses_a_strange_file(live_sqlite,
                                                                        tmp_path):
    application, _path = live_sqlite
    runner = application.test_cli_runner()
    backup = tmp_path / "copy.sqlite"
    assert runner.invoke(args=["backup-db", str(backup)]).exit_code == 0
    again = runner.invoke(args=["backup-db", str(backup)])
    assert again.exit_code != 0 and "exists already" in again.output
    assert runner.invoke(args=["backup-db", "--overwrite", str(backup)]).exit_code == 0

    strange = tmp_path / "strange.db"
    with sqlite3.connect(strange) as connection:
        connection.execute("CREATE TABLE t (x)")
    refused = runner.invoke(args=["restore-db", "--yes", str(strange)])
    assert refused.exit_code != 0 and "not a Wijkpanel database" in refused.output
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    assert runner.invoke(args=["restore-db", "--yes", str(broken)]).exit_code != 0
    unanswered = runner.invoke(args=["restore-db", str(backup)], input="n\n")
    assert unanswered.exit_code != 0  # asked, and the answer was no


def test_backup_db_explains_what_to_do_for_postgresql():
    with pytest.raises(BackupError, match="backup-postgres"):
        sqlite_path("postgresql+psycopg://wijkpanel@db/wijkpanel")
    with pytest.raises(BackupError):
        sqlite_path("sqlite://")
    with pytest.raises(BackupError, match="does not exist"):
        backup_sqlite(Path("/nonexistent/x.db"), Path("/tmp/never.sqlite"))


# --- PostgreSQL ---------------------------------------------------------------------------

def _count_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = inspect(connection).get_table_names()
            return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                    for name in names}
    finally:
        engine.dispose()


@pytest.mark.postgresql
def test_postgresql_backup_script_and_pg_restore(request, database_url, session, tmp_path):
    import psycopg

    from tests.postgres import _bindir

    world = factories.panel_world()
    for n in range(7):
        factories.member(world.mare, name=f"Lid {n}", email=f"lid{n}@example.org")
    session.add_all(AuditEvent(action="view", object_type="member", object_id=str(n))
                    for n in range(11))
    session.commit()
    source = _count_rows(database_url)
    assert source["panel_member"] == 7 and source["audit_event"] == 11

    environment = {**os.environ, "PANEL_DATABASE_URL": database_url,
                   "PG_BINDIR": str(_bindir()), "BACKUP_KEEP_DAYS": "14"}
    done = subprocess.run([str(ROOT / "scripts" / "backup-postgres"), str(tmp_path / "dumps")],
                          env=environment, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    dump = Path(done.stdout.strip())
    assert dump.parent == tmp_path / "dumps" and dump.name.endswith(".dump")
    assert dump.stat().st_mode & 0o777 == 0o600

    server = database_url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://")
    admin = server + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS wijkpanel_restored")
        connection.execute("CREATE DATABASE wijkpanel_restored")
    try:
        restored = subprocess.run(
            [str(_bindir() / "pg_restore"), f"--dbname={server}/wijkpanel_restored",
             "--no-owner", "--exit-on-error", "--single-transaction", str(dump)],
            capture_output=True, text=True, check=False)
        assert restored.returncode == 0, restored.stderr
        copy = _count_rows(database_url.rsplit("/", 1)[0] + "/wijkpanel_restored")
        assert copy == source
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS wijkpanel_restored WITH (FORCE)")


def test_the_backup_script_refuses_a_sqlite_url(tmp_path):
    done = subprocess.run([str(ROOT / "scripts" / "backup-postgres"), str(tmp_path)],
                          env={**os.environ, "PANEL_DATABASE_URL": "sqlite:///x.db"},
                          capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "not a PostgreSQL URL" in done.stderr
    assert list(tmp_path.iterdir()) == []


# --- gunicorn -----------------------------------------------------------------------------

def _gunicorn_settings(**environ: str) -> dict[str, object]:
    old = {key: os.environ.get(key) for key in environ}
    os.environ.update(environ)
    try:
        return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_gunicorn_settings():
    settings = _gunicorn_settings()
    assert settings["workers"] == (os.cpu_count() or 1) * 2 + 1
    assert settings["threads"] == 4 and settings["worker_class"] == "gthread"
    assert settings["timeout"] == 30 and settings["bind"] == "127.0.0.1:8000"
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert "%(q)s" not in str(settings["access_log_format"])
    assert "%(r)s" not in str(settings["access_log_format"])
    tuned = _gunicorn_settings(PANEL_WORKERS="3", PANEL_THREADS="8", PANEL_TIMEOUT="60")
    assert (tuned["workers"], tuned["threads"], tuned["timeout"]) == (3, 8, 60)


def test_the_gunicorn_logger_redacts_the_request():
    from gunicorn.config import Config

    settings = _gunicorn_settings()
    config = Config()
    config.set("logger_class", settings["logger_class"])
    config.set("access_log_format", settings["access_log_format"])
    logger = config.logger_class(config)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/mijn/link/{TOKEN}?email=a@b.nl",
               "PATH_INFO": f"/mijn/link/{TOKEN}", "QUERY_STRING": "email=a@b.nl",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9",
               "HTTP_REFERER": f"https://x.example/antwoord/{TOKEN}?q=1801AA"}

    class Response:
        status, sent, headers = "302 FOUND", 0, [("Set-Cookie", "session=secret")]

    from datetime import timedelta

    atoms = logger.atoms(Response(), [("X-Request-Id", "abc123"), ("Cookie", "session=x")],
                         environ, timedelta(milliseconds=12))
    line = str(settings["access_log_format"]) % atoms
    assert line == '203.0.113.9 "GET /mijn/link/[…] HTTP/1.1" 302 0 12ms abc123'
    assert TOKEN not in repr(atoms) and "a@b.nl" not in repr(atoms)
    assert "1801AA" not in repr(atoms) and "secret" not in repr(atoms)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_gunicorn_serves_the_app_and_writes_a_redacted_json_access_log(tmp_path):
    port = _free_port()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    environment = {**os.environ, "PANEL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                   "PANEL_SECRET_KEY": "k" * 40, "PANEL_BIND": f"127.0.0.1:{port}",
                   "PANEL_WORKERS": "1", "PANEL_THREADS": "2"}
    environment.pop("PANEL_ENV", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(DEPLOY / "gunicorn.conf.py"),
         "--access-logfile", str(access), "--error-logfile", str(errors), "app:app"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                return True
        except OSError:
            assert server.poll() is None, errors.read_text()
            return False

    try:
        wait_until(answers, timeout=30, interval=0.2, message=errors.read_text)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/mijn/link/{TOKEN}?email=anna@example.org",
            headers={"X-Request-ID": "req-42", "X-Forwarded-For": "203.0.113.9"})
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError:
            pass  # no such link: 410, or 500 on an empty database; the log is what counts
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10):
            pass
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [json.loads(line) for line in access.read_text().splitlines()]
    [link] = [entry for entry in lines if "/mijn/link/" in entry["message"]]
    assert link["logger"] == "gunicorn.access" and link["level"] == "INFO"
    assert re.fullmatch(r'203\.0\.113\.9 "GET /mijn/link/\[…\] HTTP/1\.1" \d{3} \d+ \d+ms '
                        r"req-42", link["message"]), link["message"]
    everything = access.read_text() + errors.read_text()
    assert TOKEN not in everything and "anna@example.org" not in everything
    for line in errors.read_text().splitlines():
        json.loads(line)  # gunicorn's own messages are JSON lines too


# --- systemd ------------------------------------------------------------------------------

def _unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_systemd_units_are_hardened():
    for name in ("wijkpanel.service", "wijkpanel-jobs.service"):
        unit = _unit(name)
        for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                           "PrivateTmp": "yes", "ProtectHome": "yes", "UMask": "0077",
                           "User": "wijkpanel"}.items():
            assert unit[key] == [value], (name, key)
        assert unit["ReadWritePaths"] == ["/srv/wijkpanel/instance"]
        assert unit["EnvironmentFile"] == ["/etc/wijkpanel/env"]
    web = _unit("wijkpanel.service")
    assert web["ExecStart"] == ["/srv/wijkpanel/.venv/bin/gunicorn --config "
                                "deploy/gunicorn.conf.py app:app"]
    jobs = _unit("wijkpanel-jobs.service")
    assert [line.rsplit(" ", 1)[1] for line in jobs["ExecStart"]] == \
        ["send-reminders", "send-work-lists", "send-mail", "purge-expired", "protect-results"]
    timer = _unit("wijkpanel-jobs.timer")
    assert timer["OnCalendar"] == ["*:0/5"] and timer["Persistent"] == ["true"]
    assert timer["Unit"] == ["wijkpanel-jobs.service"]


def test_systemd_accepts_the_units(tmp_path):
    """``systemd-analyze verify`` on copies that point at this checkout's virtualenv."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # the structural test above still ran
        return
    for name in ("wijkpanel.service", "wijkpanel-jobs.service", "wijkpanel-jobs.timer"):
        text_ = (DEPLOY / name).read_text().replace("/srv/wijkpanel", str(ROOT))
        (tmp_path / name).write_text(text_)
    done = subprocess.run([analyze, "verify", *sorted(str(p) for p in tmp_path.iterdir())],
                          capture_output=True, text=True, check=False)
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if "wijkpanel" in line and "Documentation" not in line]
    assert problems == [], problems
