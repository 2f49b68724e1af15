"""Progress of long commands (panel.progress): nothing unless a command asks; a bar on a
terminal; plain lines in a log, at every tenth, with one at the end."""

from __future__ import annotations

import io

import pytest

from panel.progress import PLAIN_EVERY, shown, track
from tests import factories


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_a_command_asking_nothing_is_shown(session, capsys):
    assert list(track(range(5), "Tellen", 5)) == [0, 1, 2, 3, 4]
    assert capsys.readouterr() == ("", "")


def test_a_log_gets_a_line_at_every_tenth_and_one_at_the_end(session):
    log = io.StringIO()
    with shown(log):
        assert list(track(range(25), "Tellen", 25)) == list(range(25))
    lines = log.getvalue().splitlines()
    assert lines[0] == "Tellen: 3 van 25 (12%)"
    assert lines[-2] == "Tellen: 24 van 25 (96%)"
    assert lines[-1] == "Tellen: 25 van 25, klaar."
    assert len(lines) == 9  # 3, 6, … 24 and the end
    assert "\r" not in log.getvalue()


def test_an_unknown_total_gets_a_line_every_so_many(session):
    log = io.StringIO()
    with shown(log):
        for _item in track(range(2 * PLAIN_EVERY + 5), "Lezen"):
            pass
    assert log.getvalue().splitlines() == ["Lezen: 10.000", "Lezen: 20.000",
                                           "Lezen: 20.005, klaar."]


def test_work_that_stops_early_says_where(session):
    log = io.StringIO()
    with shown(log), pytest.raises(ValueError):  # noqa: PT012
        for item in track(range(100), "Tellen", 100):
            if item == 42:
                raise ValueError(item)
    assert log.getvalue().splitlines()[-1] == "Tellen: gestopt na 42."


def test_a_terminal_gets_a_bar(session):
    screen = Terminal()
    with shown(screen):
        assert sum(track(range(50), "Tellen", 50)) == sum(range(50))
    assert "Tellen" in screen.getvalue() and "50/50" in screen.getvalue()
    assert "klaar" not in screen.getvalue()


def test_an_import_on_the_command_line_shows_its_progress_on_standard_error(
        runner, session, tmp_path):
    factories.municipality()
    session.commit()
    file = tmp_path / "gebieden.csv"
    file.write_text("niveau;code;naam;hoort_bij\n"
                    + "".join(f"gebied;g{n};Gebied {n};\n" for n in range(20)))
    result = runner.invoke(args=["load-areas", str(file)])
    assert result.exit_code == 0, result.output
    assert "Regels controleren: 20 van 20, klaar." in result.stderr
    assert "Bestand lezen: 21, klaar." in result.stderr
    assert "Regels controleren" not in result.stdout  # the report stays clean


def test_purging_shows_its_progress(runner, session):
    result = runner.invoke(args=["purge-expired"])
    assert result.exit_code == 0, result.output
    assert "Mensen wissen die nooit bevestigden: 0 van 0, klaar." in result.stderr


def test_an_upload_shows_no_progress(login_as, session, capsys):
    factories.panel_world()
    session.commit()
    team = login_as("noord@example.org")
    response = team.post("/beheer/import", data={"file": (io.BytesIO(
        b"respondent;wijkcode;wijkpanel\nR1;WK036101;ja\n"), "export.csv")},
        content_type="multipart/form-data")
    assert team.get(response.headers["Location"]).status_code == 200
    assert "Bestand lezen" not in capsys.readouterr().err
