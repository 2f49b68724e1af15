"""Work that must not change how long a response takes: done just after the response.

The forms that take an email address from anyone (joining, asking for a link to one's own
page, a forgotten staff password) must not tell by their answer or by their timing whether
the address is known. The answer is the same page; the timing is made the same by doing
in the request only what is the same for every address (checking the form, normalising
the address) and handing everything that differs (looking the address up, writing rows,
rendering and queueing the email, the audit event) to ``later``. Doing the same work for
an unknown address instead (a stand-in email, stand-in rows) was measured and left a
difference of about a millisecond that could still be told apart; work that is not in the
request cannot be.

Nothing handed over is lost. ``later("join", …)`` writes one ``deferred_job`` row in the
request (the same INSERT for every address: the job's registered name and its plain values
as JSON), committed with the request. A job names no code: its name is looked up in a
registry (``register``), filled when the views are imported. When the request has ended
without error (``hand_over_later``, a ``teardown_request`` of the blueprint) the row's id
goes to one thread per worker process, which runs the jobs one at a time, each in its own
application context:

1. it claims the row with a conditional UPDATE (``claimed_by`` from empty to the token of
   a lock held while the job runs, ``attempts`` + 1), committed on its own;
2. it runs the job, and its transaction ends by deleting the row (only while still claimed
   by that token): the job's rows, its email and the row's removal commit together, or not
   at all. A runner whose row was taken over finds nothing to delete and rolls back. The
   deletion comes last so that on SQLite the job holds the write lock (which the next
   request's INSERT waits for) no longer than its own writes take.

``flask send-mail`` (every minute) first runs ``run_waiting``: rows nobody claimed within
``GRACE_SECONDS`` (the worker died before it got them) and rows whose claimer has ended
(its lock is gone, ``panel.mail.runs``: a worker killed hard, SIGKILL, out of memory, a
crash). So a sign-up survives a killed worker and its email goes out on that same run.
Two runs at once claim each row once. A job that raises is rolled back and tried again by
the next runs; after ``MAX_ATTEMPTS`` its row is deleted. Its log lines name the job's
kind, id and the type of the error with the traceback's frames only, never the error's
message or the job's values (they hold an email address), and the engine hides statement
parameters (``hide_parameters``). ``flask purge-expired`` deletes any row older than a
day. Jobs still waiting when the process stops get ``DRAIN_SECONDS`` to finish
(``atexit``); what is left then is done by the next ``send-mail``.

With ``PANEL_LATER_IN_REQUEST`` (on when testing) a job runs at once, inside the request and
its transaction, without a row (its values still go through JSON), so a test sees its email
straight away; ``tests/test_enumeration_timing.py`` turns it off and waits with
``wait_for_jobs``.

Why not a task queue (Celery, RQ): it needs a broker and a worker service that every
municipality would have to run, for a few small jobs that take milliseconds; a table, a
thread in the worker and the ``send-mail`` run that already exists are enough.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import logging
import queue
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Integer, String, Text, delete, insert, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from panel.db import UTCDateTime, db, utcnow
from panel.mail import runs

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0
GRACE_SECONDS = 60  # a row nobody claimed for this long is run by ``send-mail``
MAX_ATTEMPTS = 3  # then the row is dropped (logged by kind and id)
KEEP_HOURS = 24  # ``purge-expired`` deletes rows older than this, whatever their state

Job = tuple[Flask, str]  # the application and the row's id

_registry: dict[str, Callable[..., Any]] = {}
_jobs: queue.Queue[Job] = queue.Queue()
_thread: threading.Thread | None = None
_thread_lock = threading.Lock()


class DeferredJob(db.Model):
    """A job handed over by a request and not done yet (deleted when it is done)."""

    __tablename__ = "deferred_job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not counted
    kind: Mapped[str] = mapped_column(String(40))  # a name in the registry, never code
    payload: Mapped[str] = mapped_column(Text)  # JSON list of the job's plain values
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    claimed_by: Mapped[str] = mapped_column(String(40), default="", server_default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def register(kind: str, job: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``job`` runnable by ``later(kind, …)``; returns it. ``kind`` is stored in
    each row, so a job keeps its name as long as rows of it may wait."""
    if _registry.get(kind, job) is not job:
        raise ValueError(f"another job is registered as {kind!r}")
    _registry[kind] = job
    return job


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"not a plain value: {type(value).__name__}")


def later(kind: str, *args: Any) -> None:
    """Do the job registered as ``kind`` with ``args`` after this request (see above); at
    once when ``PANEL_LATER_IN_REQUEST`` is on. ``args`` are plain values (strings,
    numbers, dataclasses of them: these arrive as dicts), never database objects."""
    job = _registry[kind]
    payload = json.dumps(args, default=_plain, separators=(",", ":"))
    if current_app.config.get("PANEL_LATER_IN_REQUEST", current_app.testing):
        job(*json.loads(payload))
        return
    job_id = secrets.token_hex(16)
    db.session.execute(insert(DeferredJob).values(
        id=job_id, kind=kind, payload=payload, created_at=utcnow(), claimed_by="",
        attempts=0))
    g.setdefault("later_jobs", []).append((current_app._get_current_object(), job_id))


def hand_over_later(error: BaseException | None) -> None:
    """A ``teardown_request`` of every blueprint whose views call ``later``: hands the
    request's jobs to the thread, unless the request failed (a row that was committed
    anyway is run by ``send-mail``)."""
    jobs: list[Job] = g.pop("later_jobs", [])
    if error is not None:
        return
    _queue(jobs)


def _queue(jobs: list[Job]) -> None:
    for item in jobs:
        _jobs.put(item)
    if jobs:
        _start_thread()


def _start_thread() -> None:
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_work, name="panel-later", daemon=True)
            _thread.start()


def _work() -> None:
    while True:
        app, job_id = _jobs.get()
        try:
            with app.app_context(), runs.running() as run:
                claimed = _claim(job_id, run.token, "")
                if claimed is not None:
                    _run(job_id, run.token, claimed)
        except Exception as exc:  # e.g. the database is away: send-mail runs the row later
            db.session.rollback()
            _log_failure("starting", "?", job_id, exc)
        finally:
            _jobs.task_done()


Claimed = tuple[str, str, int]  # a claimed row's kind, payload and attempts


def _claim(job_id: str, token: str, previous: str) -> Claimed | None:
    """Take the row from ``previous`` (empty: nobody) for ``token``, committed at once;
    None when another runner has it or it is gone."""
    row = db.session.execute(
        update(DeferredJob).where(DeferredJob.id == job_id, DeferredJob.claimed_by == previous)
        .values(claimed_by=token, claimed_at=utcnow(), attempts=DeferredJob.attempts + 1)
        .returning(DeferredJob.kind, DeferredJob.payload, DeferredJob.attempts)).first()
    db.session.commit()
    return None if row is None else (row[0], row[1], row[2])


def _log_failure(what: str, kind: str, job_id: str, exc: BaseException) -> None:
    """The error's type and where it happened; never its message (it may quote values)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("deferred job %s (%s) failed while %s: %s\n%s", job_id, kind, what,
              type(exc).__name__, frames)


def _run(job_id: str, token: str, claimed: Claimed) -> bool:
    """Do a claimed row's job and delete the row in one transaction. True when done."""
    kind, payload, attempts = claimed
    try:
        _registry[kind](*json.loads(payload))
        removed = db.session.execute(delete(DeferredJob).where(
            DeferredJob.id == job_id, DeferredJob.claimed_by == token)).rowcount
        if not removed:  # taken over by another runner: its work counts, not this
            db.session.rollback()
            return False
        db.session.commit()
        return True
    except Exception as exc:
        db.session.rollback()
        _log_failure("running", kind, job_id, exc)
    if attempts >= MAX_ATTEMPTS:
        _drop(job_id, kind, token)
    else:  # free for the next send-mail run
        db.session.execute(update(DeferredJob).where(
            DeferredJob.id == job_id, DeferredJob.claimed_by == token).values(claimed_by=""))
        db.session.commit()
    return False


def _drop(job_id: str, kind: str, owner: str) -> bool:
    """Delete a row that used up its attempts (while ``owner`` still has it)."""
    dropped = bool(db.session.execute(delete(DeferredJob).where(
        DeferredJob.id == job_id, DeferredJob.claimed_by == owner)).rowcount)
    db.session.commit()
    if dropped:
        log.error("deferred job %s (%s) dropped after %s attempts", job_id, kind,
                  MAX_ATTEMPTS)
    return dropped


@dataclass
class Report:
    """What ``run_waiting`` did: jobs done, failed (to be tried again) and dropped."""

    done: int = 0
    failed: int = 0
    dropped: int = 0


def run_waiting(now: datetime | None = None) -> Report:
    """Run the rows nobody finished (the backstop of ``flask send-mail``): unclaimed rows
    older than ``GRACE_SECONDS`` and rows whose claimer has ended. Safe to run more than
    once at a time: each row is claimed once."""
    now = now or utcnow()
    report = Report()
    rows = db.session.execute(select(DeferredJob.id, DeferredJob.kind, DeferredJob.claimed_by,
                                     DeferredJob.attempts).where(or_(
        DeferredJob.claimed_by != "",
        DeferredJob.created_at < now - timedelta(seconds=GRACE_SECONDS)))
        .order_by(DeferredJob.created_at)).all()
    db.session.commit()
    if not rows:
        return report
    with runs.running() as run:
        ended = runs.gone({row.claimed_by for row in rows if row.claimed_by})
        for row in rows:
            if row.claimed_by and row.claimed_by not in ended:
                continue  # its runner is still at work
            if row.attempts >= MAX_ATTEMPTS:  # its runners died each time
                report.dropped += _drop(row.id, row.kind, row.claimed_by)
                continue
            claimed = _claim(row.id, run.token, row.claimed_by)
            if claimed is None:
                continue
            if _run(row.id, run.token, claimed):
                report.done += 1
            elif db.session.get(DeferredJob, row.id) is None:
                report.dropped += 1
            else:
                report.failed += 1
            db.session.rollback()
    return report


def purge(now: datetime | None = None) -> int:
    """Delete the rows older than ``KEEP_HOURS`` (jobs that never ended: their values are
    personal data); returns how many."""
    cutoff = (now or utcnow()) - timedelta(hours=KEEP_HOURS)
    return db.session.execute(
        delete(DeferredJob).where(DeferredJob.created_at < cutoff)).rowcount or 0


def wait_for_jobs(timeout: float = DRAIN_SECONDS) -> bool:
    """Wait until every job handed over so far is done (at most ``timeout`` seconds);
    True when none is left."""
    deadline = time.monotonic() + timeout
    while _jobs.unfinished_tasks:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.001)
    return True


atexit.register(wait_for_jobs)
