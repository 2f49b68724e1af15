"""Work a request hands over to be done after its response (``panel.later``) is not lost:
each job is a row written and committed with the request; the worker's thread runs it, and
when the worker never does (killed hard: SIGKILL, out of memory), the next ``flask send-mail``
does, exactly once, also with two runs at the same time. A job that keeps failing is tried
a few times and then dropped, and no log line holds its values; ``purge-expired`` removes
any row older than a day."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from flask import Flask, g
from sqlalchemy import func, select, text, update

import panel.logging
from panel import later
from panel.db import db, utcnow
from panel.later import DeferredJob
from panel.mail.models import OutboxMessage
from panel.privacy.models import AuditEvent
from panel.privacy.services import purge_expired
from panel.signups.models import PanelMember
from tests import factories
from tests.mailbox import outbox
from tests.timing import wait_until

ROOT = Path(__file__).resolve().parent.parent
KNOWN = "anna@example.org"
FAILING = "failing-for-a-test"


def _fail(email: str) -> None:
    """A job that fails the way real ones can: a database error about the address (the
    statement's parameters) and an error whose message quotes it."""
    try:
        db.session.execute(text("INSERT INTO no_such_table (email) VALUES (:email)"),
                           {"email": email})
    except Exception as exc:
        raise ValueError(f"could not handle {email}") from exc


later.register(FAILING, _fail)


@pytest.fixture
def after_the_response(app: Flask) -> Iterator[None]:
    """Jobs are written as rows and handed to the thread, as in production."""
    app.config["PANEL_LATER_IN_REQUEST"] = False
    yield
    assert later.wait_for_jobs()
    app.config["PANEL_LATER_IN_REQUEST"] = True


@pytest.fixture
def unredacted_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Log records without the application's redaction (``panel.logging``, a safety net),
    so that only the code that logs keeps values out."""
    monkeypatch.setattr(panel.logging, "_redact_record", lambda record: record)


@pytest.fixture
def no_worker(after_the_response: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker never gets the jobs (as when it is killed right after the response)."""
    monkeypatch.setattr(later, "_queue", lambda jobs: None)


def _rows() -> list[DeferredJob]:
    db.session.rollback()  # a fresh snapshot: other threads and processes wrote
    return list(db.session.scalars(select(DeferredJob)))


def _age_rows(seconds: int) -> None:
    """As if the rows had been written ``seconds`` ago."""
    db.session.execute(update(DeferredJob).values(
        created_at=utcnow() - timedelta(seconds=seconds)))
    db.session.commit()


def _hand_over(app: Flask, kind: str, *args: object) -> str:
    """``later(kind, …)`` in a request that ends well; returns the row's id (not handed
    to the thread)."""
    assert not app.config["PANEL_LATER_IN_REQUEST"]
    with app.test_request_context():
        later.later(kind, *args)
        db.session.commit()
        (_app, job_id), = g.pop("later_jobs")
    return job_id


# --- a job the worker never ran -----------------------------------------------------------

def test_a_job_no_worker_ran_is_done_by_the_next_send_mail_once(
        app, session, client, runner, no_worker):
    world = factories.panel_world()
    factories.member(world.mare, email=KNOWN)
    session.commit()
    assert client.post("/mijn/link", data={"email": KNOWN}).status_code == 302

    row, = _rows()
    assert (row.kind, row.claimed_by, row.attempts) == ("access-link", "", 0)
    assert KNOWN in row.payload
    assert outbox(KNOWN) == []

    assert later.run_waiting() == later.Report()  # within the grace period: the worker's
    _age_rows(later.GRACE_SECONDS + 1)
    result = runner.invoke(args=["send-mail"])
    assert _rows() == []
    assert len(outbox(KNOWN)) == 1, result.output

    assert runner.invoke(args=["send-mail"]).exit_code == result.exit_code
    assert len(outbox(KNOWN)) == 1


def test_a_sign_up_no_worker_ran_is_kept_with_every_field(app, session, client, no_worker):
    factories.panel_world()
    session.commit()
    form = {"name": "Piet Jansen", "email": "piet@example.org", "phone": "06-12345678",
            "postcode": "1801 AA", "house_number": "12", "neighbourhood": "",
            "language": "en", "statement_version": "2026-1", "consent": "y"}
    assert client.post("/aanmelden", data=form).status_code == 302
    _age_rows(later.GRACE_SECONDS + 1)

    assert later.run_waiting() == later.Report(done=1)
    assert _rows() == []
    member = session.scalars(select(PanelMember).where(
        PanelMember.email == "piet@example.org")).one()
    assert (member.name, member.language) == ("Piet Jansen", "en")
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "register")) == 1


def test_the_worker_runs_the_job_and_removes_its_row(app, session, client,
                                                      after_the_response):
    factories.user(email=KNOWN)
    session.commit()
    assert client.post("/beheer/wachtwoord-vergeten", data={"email": KNOWN}).status_code == 302
    assert later.wait_for_jobs()
    assert _rows() == []
    assert len(outbox(KNOWN)) == 1
    assert later.run_waiting(utcnow() + timedelta(hours=1)) == later.Report()


def test_a_request_that_fails_leaves_no_row(app, session, after_the_response):
    with app.test_request_context():
        later.later("access-link", KNOWN, "nl")
        db.session.rollback()
        g.pop("later_jobs")
    assert _rows() == []


# --- a worker killed hard -----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``flask --app app run`` on the test's database, stopping in the worker's thread when
    a job of ``kind`` starts (``tests/paused_command.py``), to be killed there."""

    def __init__(self, database_url: str, folder: Path, kind: str) -> None:
        self.environment = {**os.environ, "PANEL_DATABASE_URL": database_url,
                            "PANEL_SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
                            "PANEL_ENV": "development"}
        self.marker = folder / "paused"
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.paused_command", str(self.marker), f"job:{kind}",
             "run", "--no-reload", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=self.environment, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def up(self) -> bool:
        try:
            with self.opener.open(self.url("/beheer/wachtwoord-vergeten"), timeout=5):
                return True
        except OSError:
            return False

    def post_form(self, path: str, data: dict[str, str]) -> int:
        with self.opener.open(self.url(path), timeout=30) as page:
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())
        assert token, "no CSRF token on the form"
        body = urllib.parse.urlencode({**data, "csrf_token": token.group(1)}).encode()
        with self.opener.open(self.url(path), data=body, timeout=30) as answer:
            return int(answer.status)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args],
                              cwd=ROOT, env=self.environment, capture_output=True, text=True,
                              check=False, timeout=300)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(database_url, tmp_path, "password-link")
    try:
        yield running
    finally:
        running.stop()


def test_a_job_of_a_killed_worker_is_done_by_the_next_send_mail_exactly_once(
        session, server: Server) -> None:
    factories.user(email=KNOWN)
    session.commit()
    wait_until(lambda: server.up() or server.process.poll() is not None, timeout=120,
               message="the server does not start")
    assert server.process.poll() is None

    # The answer came; then the worker's thread started the job, and there it is killed.
    assert server.post_form("/beheer/wachtwoord-vergeten", {"email": KNOWN}) == 200
    wait_until(lambda: server.marker.exists() or server.process.poll() is not None,
               timeout=60, message="the job does not start")
    os.kill(server.process.pid, signal.SIGKILL)
    assert server.process.wait(timeout=30) == -signal.SIGKILL

    row, = _rows()
    assert (row.kind, row.attempts) == ("password-link", 1) and row.claimed_by  # its claim
    assert outbox(KNOWN) == []

    # No waiting for a grace period: the claim's owner is gone.
    first = server.run("send-mail")
    assert _rows() == [], first.stderr
    assert len(outbox(KNOWN)) == 1
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "password-link")) == 1

    second = server.run("send-mail")
    assert second.returncode == first.returncode, second.stderr
    db.session.rollback()
    assert len(outbox(KNOWN)) == 1


# --- two runs at the same time ------------------------------------------------------------

def test_two_send_mail_runs_at_the_same_time_run_each_job_once(app, session, monkeypatch,
                                                               after_the_response):
    addresses = [f"bewoner{n}@example.org" for n in range(20)]
    for address in addresses:
        _hand_over(app, "access-link", address, "nl")
    _age_rows(later.GRACE_SECONDS + 1)

    # Both runs have read every row before either claims one.
    both_read = threading.Barrier(2, timeout=30)
    gone = later.runs.gone

    def after_both_read(tokens: set[str]) -> set[str]:
        both_read.wait()
        return gone(tokens)

    monkeypatch.setattr(later.runs, "gone", after_both_read)
    reports: list[later.Report] = []

    def send_mail() -> None:
        with app.app_context():
            reports.append(later.run_waiting())

    runs = [threading.Thread(target=send_mail) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=120)
    assert len(reports) == 2
    assert sum(report.done for report in reports) == len(addresses)
    assert _rows() == []
    sent = session.scalars(select(OutboxMessage.to_address)).all()
    assert sorted(sent) == sorted(addresses)  # one email each


# --- a job that keeps failing -------------------------------------------------------------

def test_a_failing_job_is_retried_then_dropped_without_its_values_in_the_log(
        app, session, caplog, after_the_response, unredacted_logs):
    caplog.set_level(logging.DEBUG)
    job_id = _hand_over(app, FAILING, KNOWN)

    later._queue([(app, job_id)])  # the worker's try
    assert later.wait_for_jobs()
    row, = _rows()
    assert (row.attempts, row.claimed_by) == (1, "")

    reports = [later.run_waiting(utcnow() + timedelta(minutes=minute))
               for minute in range(2, 2 + later.MAX_ATTEMPTS)]
    assert reports == [later.Report(failed=1)] * (later.MAX_ATTEMPTS - 2) + \
        [later.Report(dropped=1), later.Report()]
    assert _rows() == []

    lines = [record.getMessage() for record in caplog.records]
    assert sum(f"deferred job {job_id} ({FAILING}) failed" in line
               for line in lines) == later.MAX_ATTEMPTS
    assert any(f"deferred job {job_id} ({FAILING}) dropped" in line for line in lines)
    assert any("ValueError" in line for line in lines)
    assert "example.org" not in caplog.text
    assert all(record.exc_info is None for record in caplog.records
               if record.name == later.__name__)


def test_a_job_whose_runners_died_each_time_is_dropped(app, session, caplog,
                                                       after_the_response, unredacted_logs):
    caplog.set_level(logging.DEBUG)
    job_id = _hand_over(app, "access-link", KNOWN, "nl")
    session.execute(update(DeferredJob).values(claimed_by="file:ended",
                                               attempts=later.MAX_ATTEMPTS))
    session.commit()
    assert later.run_waiting() == later.Report(dropped=1)
    assert _rows() == [] and outbox(KNOWN) == []
    assert any(f"deferred job {job_id} (access-link) dropped" in record.getMessage()
               for record in caplog.records)
    assert "example.org" not in caplog.text


# --- kept no longer than a day ------------------------------------------------------------

def test_purge_expired_removes_rows_older_than_a_day(app, session, after_the_response):
    old = _hand_over(app, "access-link", KNOWN, "nl")
    session.execute(update(DeferredJob).where(DeferredJob.id == old).values(
        created_at=utcnow() - timedelta(hours=later.KEEP_HOURS, minutes=1)))
    session.commit()
    new = _hand_over(app, "access-link", "bram@example.org", "nl")
    report = purge_expired()
    session.commit()
    assert report.jobs == 1
    assert [row.id for row in _rows()] == [new]
