"""A full disk while a backup or an upload is written: a clear message, nothing corrupted.

The disk is real: a small tmpfs mounted for the test and filled up to the last byte. A
backup that does not fit says that the disk is full, leaves the previous backup as it was
and no half-written file under the final name (the copy is written next to it and renamed
only when complete); with room again the next backup works. Uploads never touch the disk
(``panel/uploads.py``): a large file is taken while the temporary folder is full."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from panel import create_app
from panel.auth.models import Role
from panel.db import db
from panel.migrations import upgrade
from panel.privacy.backup import check_database
from panel.signups.models import ImportRecord
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


class SmallDisk:
    """A tmpfs of a few megabytes at ``path``, which ``fill`` fills to the last byte."""

    def __init__(self, path: Path, megabytes: int) -> None:
        self.path = path
        self.filler = path / "filler"
        path.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755",
                               "tmpfs", str(path)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, (
            "the full-disk tests mount a small tmpfs and need the right to mount (root): "
            + done.stderr)

    def fill(self) -> None:
        descriptor = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (1 << 20, 1 << 12, 1):  # down to the last byte
                block = b"\0" * size
                try:
                    while True:
                        os.write(descriptor, block)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
        finally:
            os.close(descriptor)
        assert os.statvfs(self.path).f_bavail == 0

    def make_room(self) -> None:
        self.filler.unlink()

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    disk = SmallDisk(tmp_path / "disk", megabytes=16)
    try:
        yield disk
    finally:
        disk.unmount()


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a SQLite file of its own (also in the PostgreSQL run), with members."""
    application = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.db'}",
        "PANEL_BASE_URL": "http://wijkpanel.test"}, instance_path=tmp_path / "instance")
    with application.app_context():
        upgrade()
        world = factories.panel_world()
        for n in range(50):
            factories.member(world.mare, name=f"Lid {n}", email=f"lid{n}@example.org")
        db.session.commit()
    yield application
    with application.app_context():
        db.engine.dispose()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_backup_on_a_full_disk_keeps_the_previous_backup(sqlite_app: Flask,
                                                           small_disk: SmallDisk) -> None:
    runner = sqlite_app.test_cli_runner()
    backup = small_disk.path / "wijkpanel.sqlite"
    first = runner.invoke(args=["backup-db", str(backup)])
    assert first.exit_code == 0, first.output
    previous = _digest(backup)

    small_disk.fill()
    for target, args in ((backup, ["--overwrite"]), (small_disk.path / "new.sqlite", [])):
        result = runner.invoke(args=["backup-db", *args, str(target)])
        assert result.exit_code == 1, result.output
        assert "the disk is full" in result.output and "Traceback" not in result.output
        assert not target.with_name(target.name + ".part").exists()
        assert ("the backup already there is unchanged" in result.output) == (target == backup)
    assert _digest(backup) == previous
    check_database(backup)  # still a sound database of this application
    assert not (small_disk.path / "new.sqlite").exists()
    assert sorted(p.name for p in small_disk.path.iterdir()) == ["filler", "wijkpanel.sqlite"]

    small_disk.make_room()
    again = runner.invoke(args=["backup-db", "--overwrite", str(backup)])
    assert again.exit_code == 0, again.output
    check_database(backup)


@pytest.mark.postgresql
def test_a_postgresql_dump_on_a_full_disk_keeps_the_previous_dump(database_url: str, session,
                                                                  small_disk: SmallDisk) -> None:
    from tests.postgres import _bindir

    world = factories.panel_world()
    for n in range(50):
        factories.member(world.mare, name=f"Lid {n}", email=f"lid{n}@example.org")
    session.commit()
    environment = {**os.environ, "PANEL_DATABASE_URL": database_url,
                   "PG_BINDIR": str(_bindir()), "BACKUP_KEEP_DAYS": "0"}

    def dump() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(ROOT / "scripts" / "backup-postgres"), str(small_disk.path)],
                              env=environment, capture_output=True, text=True, check=False)

    first = dump()
    assert first.returncode == 0, first.stderr
    kept = Path(first.stdout.strip())
    previous = _digest(kept)

    small_disk.fill()
    failed = dump()
    assert failed.returncode != 0
    assert "No space left on device" in failed.stderr, failed.stderr
    assert sorted(p.name for p in small_disk.path.iterdir()) == sorted(["filler", kept.name])
    assert _digest(kept) == previous

    small_disk.make_room()
    assert dump().returncode == 0


def test_a_large_upload_needs_no_disk(app: Flask, session, login_as, small_disk: SmallDisk,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Werkzeug would write a file of more than 500 KB to the temporary folder; here that
    folder is full, and the upload is taken all the same."""
    factories.panel_world()
    factories.user(Role.ADMIN, "beheer@example.org")
    session.commit()
    client = login_as("beheer@example.org")
    lines = ["respondent;naam;e-mail;wijkcode;wijkpanel\n"]
    lines += [f"R{n};Bewoner {n};bewoner{n}@example.org;WK036101;ja\n" for n in range(15000)]
    data = "".join(lines).encode()
    assert len(data) > 600 * 1024  # werkzeug spools from 500 KB

    # The request's body as a browser sends it, made in memory (the test client would
    # otherwise spool it to the temporary folder itself).
    body, length, boundary = stream_encode_multipart(
        {"file": FileStorage(BytesIO(data), "enquete.csv", content_type="text/csv")},
        use_tempfile=False)

    small_disk.fill()
    monkeypatch.setattr(tempfile, "tempdir", str(small_disk.path))
    monkeypatch.setenv("TMPDIR", str(small_disk.path))
    response = client.post("/beheer/import", data=body.read(),
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 302, response.get_data(as_text=True)[-6000:]
    stored = session.scalars(select(ImportRecord.content)).one()
    assert stored == data
