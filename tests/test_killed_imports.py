"""An import killed (SIGKILL) in the middle leaves nothing half done: the database holds
none of the file's rows, and the next run imports the whole file.

The commands run as real processes (``flask --app app import-respondents FILE``,
``import-results FILE``) on the test's database. So that the kill lands where it should,
``tests/paused_command.py`` stops the command there first: halfway through the rows (the
survey import's bulk insert of members; the results between their first and second batch
of rows)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from panel.areas.models import Neighbourhood
from panel.db import db
from panel.mail.models import OutboxMessage
from panel.results.models import Edition, Indicator, Result
from panel.signups.models import ImportRecord, PanelMember
from tests import factories
from tests.timing import wait_until

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = 1000  # lines of the survey file, each a new member
YEARS, WIJKEN, INDICATORS = (2021, 2022, 2023), 25, 20  # 1500 results: two batches


class Commands:
    """Runs ``flask --app app …`` against the test's database, whole or paused."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.folder = folder
        self.environment = {**os.environ, "PANEL_DATABASE_URL": database_url,
                            "PANEL_SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
                            "PANEL_ENV": "development"}
        self.running: list[subprocess.Popen[bytes]] = []

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args],
                              cwd=ROOT, env=self.environment, capture_output=True, text=True,
                              check=False, timeout=300)

    def kill_at(self, where: str, *args: str) -> int:
        """Start the command, let it stop at ``where``, kill it; return its exit status."""
        marker = self.folder / f"paused-{len(self.running)}"
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.paused_command", str(marker), where, *args],
            cwd=ROOT, env=self.environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.running.append(process)
        wait_until(lambda: marker.exists() or process.poll() is not None, timeout=120,
                   message=f"the command does not reach {where}")
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        os.kill(process.pid, signal.SIGKILL)
        return process.wait(timeout=30)

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
            if process.stderr:
                process.stderr.close()


@pytest.fixture
def commands(database_url: str, tmp_path: Path) -> Iterator[Commands]:
    runner = Commands(database_url, tmp_path)
    try:
        yield runner
    finally:
        runner.stop()


def _count(model: type) -> int:
    db.session.rollback()  # a fresh snapshot: other processes wrote
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _survey_file(folder: Path) -> Path:
    lines = ["respondent;naam;e-mail;telefoon;postcode;huisnummer;wijkcode;wijkpanel\n"]
    for number in range(MEMBERS):
        wijk = "WK036101" if number % 2 else "WK036104"
        lines.append(f"R{number};Bewoner {number};bewoner{number}@example.org;;;;{wijk};ja\n")
    path = folder / "enquete.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _results_file(folder: Path) -> Path:
    lines = ["editie;gebiedscode;indicator;waarde;respondenten;ondergrens;bovengrens\n"]
    lines += [f"{year};WK0362{wijk:02d};ind{indicator};{(wijk + indicator) % 90},5;200;0;100\n"
              for year in YEARS for wijk in range(WIJKEN) for indicator in range(INDICATORS)]
    path = folder / "resultaten.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_a_killed_survey_import_leaves_nothing_and_the_next_run_imports_all(
        session, commands: Commands, tmp_path: Path) -> None:
    factories.panel_world()
    session.commit()
    survey = _survey_file(tmp_path)
    command = ("import-respondents", str(survey))

    assert commands.kill_at(f"bulk:panel_member:{MEMBERS // 2}", *command) == -signal.SIGKILL
    assert (_count(PanelMember), _count(ImportRecord), _count(OutboxMessage)) == (0, 0, 0)

    done = commands.run(*command)
    assert done.returncode == 0, done.stderr
    assert _count(ImportRecord) == 1
    emails = set(session.scalars(select(PanelMember.email)))
    assert emails == {f"bewoner{n}@example.org" for n in range(MEMBERS)}
    assert _count(PanelMember) == MEMBERS
    assert _count(OutboxMessage) == MEMBERS  # one invitation to confirm each


def test_a_killed_results_import_leaves_nothing_and_the_next_run_imports_all(
        session, commands: Commands, tmp_path: Path) -> None:
    world = factories.panel_world()
    session.add_all(Neighbourhood(code=f"WK0362{n:02d}", name=f"Wijk {n}", cbs_year=2023,
                                  area=world.noord) for n in range(WIJKEN))
    session.add_all(Indicator(code=f"ind{n}", name_nl=f"Indicator {n}",
                              name_en=f"Indicator {n}", unit="percentage",
                              higher_is_better=False) for n in range(INDICATORS))
    session.commit()
    results = _results_file(tmp_path)
    total = len(YEARS) * WIJKEN * INDICATORS

    # After the first of two batches of results (the editions are written before them).
    assert commands.kill_at("statement:result:1", "import-results", str(results)) \
        == -signal.SIGKILL
    assert (_count(Result), _count(Edition)) == (0, 0)

    done = commands.run("import-results", str(results))
    assert done.returncode == 0, done.stderr
    assert (_count(Result), _count(Edition)) == (total, len(YEARS))
    stored = set(session.execute(select(Edition.year, Result.area_code, Indicator.code)
                                 .join(Result.edition).join(Result.indicator)).tuples())
    assert stored == {(year, f"WK0362{wijk:02d}", f"ind{indicator}") for year in YEARS
                      for wijk in range(WIJKEN) for indicator in range(INDICATORS)}
