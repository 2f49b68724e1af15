"""Importing survey results: Dutch and English files, every rejection, all or nothing."""

from __future__ import annotations

import io
import re
from datetime import date
from types import SimpleNamespace

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from panel.areas.models import Area, Neighbourhood
from panel.auth.models import Role
from panel.db import db
from panel.errors import PermissionDenied
from panel.results.cli import register_commands
from panel.results.importer import ResultsImporter, parse_number
from panel.results.models import Edition, Indicator, Result
from tests import factories
from tests.statements import counting

DUTCH = (
    "Editie;Gebiedscode;Indicator;Waarde;Aantal respondenten;Ondergrens;Bovengrens\n"
    "2023;GM0361;onveilig;32,5;2400;30,1;34,9\n"
    "2023;WK036101;onveilig;45;150;37,0;53,0\n"
    "2023;noord;cijfer;7,4;300;7,1;7,7\n"
    "2023;WK036104;overlast;12;;;\n"
)
ENGLISH = (
    "edition,area_code,indicator_code,value,respondents,ci_low,ci_high\n"
    "2023,GM0361,onveilig,32.5,2400,30.1,34.9\n"
    "2023,WK036101,onveilig,45,150,37.0,53.0\n"
    "2023,noord,cijfer,7.4,300,7.1,7.7\n"
    "2023,WK036104,overlast,12,,,\n"
)
EXPECTED = [
    (2023, "onveilig", "municipality", "GM0361", 32.5, 2400, 30.1, 34.9),
    (2023, "onveilig", "neighbourhood", "WK036101", 45.0, 150, 37.0, 53.0),
    (2023, "cijfer", "area", "noord", 7.4, 300, 7.1, 7.7),
    (2023, "overlast", "neighbourhood", "WK036104", 12.0, None, None, None),
]
HEADER = "editie;gebiedscode;indicator;waarde;respondenten;ondergrens;bovengrens\n"


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """A municipality with two gebieden, a wijk each, one indicator per unit and an admin."""
    factories.municipality("GM0361")
    noord, zuid = factories.area("noord", "Noord"), factories.area("zuid", "Zuid")
    factories.neighbourhood(noord, "WK036101", "De Mare")
    factories.neighbourhood(zuid, "WK036104", "Vroonermeer")
    unsafe = Indicator(code="onveilig", name_nl="Voelt zich wel eens onveilig",
                       name_en="Ever feels unsafe", unit="percentage", higher_is_better=False)
    mark = Indicator(code="cijfer", name_nl="Rapportcijfer buurt", name_en="Mark for the "
                     "neighbourhood", unit="mark", higher_is_better=True)
    nuisance = Indicator(code="overlast", name_nl="Meldingen overlast", name_en="Nuisance "
                         "reports", unit="count", higher_is_better=False)
    db.session.add_all([unsafe, mark, nuisance])
    admin = factories.user(Role.ADMIN)
    session.commit()
    return SimpleNamespace(admin=admin, unsafe=unsafe, mark=mark, nuisance=nuisance)


def run(world, data: bytes | str, dry_run: bool = False,  # type: ignore[no-untyped-def]
        filename: str = "resultaten.csv"):
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return ResultsImporter(world.admin).run(raw, filename, dry_run=dry_run)


def stored() -> list[tuple]:
    rows = db.session.execute(
        select(Edition.year, Indicator.code, Result.area_level, Result.area_code, Result.value,
               Result.respondents, Result.ci_low, Result.ci_high)
        .join(Edition, Result.edition_id == Edition.id)
        .join(Indicator, Result.indicator_id == Indicator.id)
        .order_by(Result.id))
    return [tuple(row) for row in rows]


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def outcomes(report) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(r.line, r.status) for r in report.lines]


def new_editions(report) -> list[int]:  # type: ignore[no-untyped-def]
    """The years of the notes about editions the import creates (unpublished)."""
    return [int(re.search(r"\b\d{4}\b", note)[0]) for note in report.notes]


def rejected_line(world, line: str):  # type: ignore[no-untyped-def]
    """Import a file with one good line and ``line``; return the outcome of ``line``."""
    report = run(world, HEADER + "2023;WK036101;onveilig;45;150;37;53\n" + line + "\n")
    assert not report.ok and not report.applied
    assert report.lines[0].status == "new"
    assert report.lines[1].line == 3 and report.lines[1].status == "rejected"
    assert count(Result) == 0 and count(Edition) == 0
    return report.lines[1]


# --- reading numbers ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("32,5", (32.5, False)), ("32.5", (32.5, False)), ("32", (32.0, False)),
    ("32%", (32.0, True)), (" 32,5 % ", (32.5, True)), ("-3", (-3.0, False)),
    ("0,25", (0.25, False)),
])
def test_plain_numbers_with_comma_or_point(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["1.234,5", "1,234.5", "abc", "", "%", "3,", ",5", "1 234",
                                  "32,5,1", "1e5"])
def test_anything_else_is_not_a_number(text):
    assert parse_number(text) is None


# --- good files ---------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_dutch_excel_file_with_decimal_comma_and_semicolons(world, encoding):
    # An extra column with é and ë makes the encoding matter; it is ignored.
    lines = DUTCH.splitlines()
    text = "\r\n".join([lines[0] + ";Opmerking"] + [line + ";één ëxtra" for line in lines[1:]])
    report = run(world, text.encode(encoding))
    assert report.ok and report.applied, report
    assert outcomes(report) == [(2, "new"), (3, "new"), (4, "new"), (5, "new")]
    assert new_editions(report) == [2023]
    assert stored() == EXPECTED


def test_english_file_with_decimal_point_and_commas(world):
    report = run(world, ENGLISH)
    assert report.ok and report.applied
    assert stored() == EXPECTED


def test_xlsx_with_real_numeric_cells(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Jaar", "Wijkcode", "Indicatorcode", "Waarde", "N", "CI laag", "CI hoog"])
    sheet.append([2023, "GM0361", "onveilig", 32.5, 2400, 30.1, 34.9])
    sheet.append([2023, "WK036101", "onveilig", 45, 150, 37, 53])
    sheet.append([2023, "noord", "cijfer", 7.4, 300.0, 7.1, 7.7])  # respondents as float
    sheet.append([2023, "WK036104", "overlast", 12, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(world, buffer.getvalue(), filename="resultaten.xlsx")
    assert report.ok and report.applied, report
    assert stored() == EXPECTED


def test_percent_signs_for_percentages(world):
    report = run(world, HEADER + "2023;WK036101;onveilig;45%;150;37 %;53,5%\n")
    assert report.applied
    assert stored() == [(2023, "onveilig", "neighbourhood", "WK036101", 45.0, 150, 37.0, 53.5)]


def test_codes_give_the_level_and_are_normalised(world):
    report = run(world, HEADER + "2023;gm0361;onveilig;30;;;\n"
                                 "2023;wk036101;onveilig;40;;;\n"
                                 "2023;Noord;onveilig;50;;;\n"
                                 "2023;zuid;ONVEILIG;60;;;\n")
    assert report.applied
    assert [r.subject for r in report.lines] == [
        "2023 onveilig GM0361", "2023 onveilig WK036101", "2023 onveilig noord",
        "2023 onveilig zuid"]
    assert [row[2:4] for row in stored()] == [("municipality", "GM0361"),
                                              ("neighbourhood", "WK036101"),
                                              ("area", "noord"), ("area", "zuid")]


def test_new_editions_are_created_unpublished_and_existing_ones_kept(world):
    db.session.add(Edition(year=2021, published=True))
    db.session.commit()
    report = run(world, HEADER + "2021;GM0361;onveilig;30;;;\n2023;GM0361;onveilig;31;;;\n")
    assert report.applied and new_editions(report) == [2023]
    editions = {e.year: e.published for e in db.session.scalars(select(Edition))}
    assert editions == {2021: True, 2023: False}


def test_boundaries_of_every_unit_are_allowed(world):
    report = run(world, HEADER + "2023;WK036101;onveilig;0;0;0;0\n"
                                 "2023;WK036104;onveilig;100;10;100;100\n"
                                 "2023;WK036101;cijfer;1;;1;1\n"
                                 "2023;WK036104;cijfer;10;;10;10\n"
                                 "2023;WK036101;overlast;0;;0;1000000\n"
                                 f"{date.today().year + 1};GM0361;onveilig;5;;;\n"
                                 "1990;GM0361;onveilig;5;;;\n")
    assert report.ok, report
    assert report.count("new") == 7


# --- rejections ---------------------------------------------------------------------------

def test_unknown_area_codes(world):
    for code, shown in [("WK036199", "WK036199"), ("oost", "oost"), ("GM0999", "GM0999"),
                        ("BU03610101", "BU03610101")]:
        outcome = rejected_line(world, f"2023;{code};onveilig;45;;;")
        assert len(outcome.messages) == 1 and shown in outcome.messages[0], outcome


def test_municipality_code_without_a_configured_municipality(session):
    from panel.areas.models import Municipality

    admin = factories.user(Role.ADMIN)
    db.session.add(Indicator(code="onveilig", name_nl="x", name_en="x", unit="percentage",
                             higher_is_better=False))
    db.session.flush()
    assert db.session.scalars(select(Municipality)).first() is None
    report = ResultsImporter(admin).run((HEADER + "2023;GM0361;onveilig;45;;;\n").encode())
    assert outcomes(report) == [(2, "rejected")]
    assert "GM0361" in report.lines[0].messages[0]


def test_unknown_indicator(world):
    outcome = rejected_line(world, "2023;WK036101;veiligheid;45;;;")
    assert len(outcome.messages) == 1 and "veiligheid" in outcome.messages[0]
    assert outcome.subject == "2023 veiligheid WK036101"


@pytest.mark.parametrize(("indicator", "value"), [
    ("onveilig", "100,5"), ("onveilig", "-1"), ("cijfer", "0,9"), ("cijfer", "10,1"),
    ("overlast", "-0,5"),
])
def test_values_out_of_range_for_each_unit(world, indicator, value):
    outcome = rejected_line(world, f"2023;WK036104;{indicator};{value};;;")
    assert len(outcome.messages) == 1 and value in outcome.messages[0]


@pytest.mark.parametrize("cells", ["45;;40;", "45;;;50"])
def test_one_bound_only_is_rejected(world, cells):
    outcome = rejected_line(world, f"2023;WK036104;onveilig;{cells}")
    assert len(outcome.messages) == 1


@pytest.mark.parametrize(("indicator", "cells", "shown"), [
    ("onveilig", "45;;46;50", "46"),  # value below the interval
    ("onveilig", "45;;40;44,9", "44,9"),  # value above the interval
    ("onveilig", "45;;50;40", "50"),  # bounds the wrong way round
    ("cijfer", "7;;6,5;6,9", "6,9"),
])
def test_confidence_interval_must_contain_the_value(world, indicator, cells, shown):
    outcome = rejected_line(world, f"2023;WK036104;{indicator};{cells}")
    assert len(outcome.messages) == 1 and shown in outcome.messages[0]


@pytest.mark.parametrize(("indicator", "cells", "shown"), [
    ("onveilig", "45;;-2;50", "-2"),
    ("onveilig", "99;;90;101", "101"),
    ("cijfer", "1;;0,5;1,5", "0,5"),
    ("cijfer", "9,8;;9;10,2", "10,2"),
    ("overlast", "0;;-1;2", "-1"),
])
def test_bounds_out_of_range_for_each_unit(world, indicator, cells, shown):
    outcome = rejected_line(world, f"2023;WK036104;{indicator};{cells}")
    assert len(outcome.messages) == 1 and shown in outcome.messages[0]


@pytest.mark.parametrize("cells", ["1.234,5;;;", "1,234.5;;;", "veel;;;", "45;;3O;50",
                                   "45;;40;5O"])
def test_bad_numbers(world, cells):
    outcome = rejected_line(world, f"2023;WK036104;overlast;{cells}")
    assert len(outcome.messages) == 1


def test_percent_sign_on_a_mark(world):
    outcome = rejected_line(world, "2023;WK036104;cijfer;7%;;;")
    assert len(outcome.messages) == 1 and "7%" in outcome.messages[0]


@pytest.mark.parametrize("respondents", ["-3", "12,5", "veel", "10%"])
def test_respondents_must_be_a_whole_number(world, respondents):
    outcome = rejected_line(world, f"2023;WK036104;onveilig;45;{respondents};;")
    assert len(outcome.messages) == 1 and respondents in outcome.messages[0]


@pytest.mark.parametrize("year", ["1989", str(date.today().year + 2), "23", "2023,5", "twee"])
def test_edition_must_be_a_year(world, year):
    outcome = rejected_line(world, f"{year};WK036104;onveilig;45;;;")
    assert len(outcome.messages) == 1 and year in outcome.messages[0]
    assert outcome.subject.startswith("? ")  # no edition


@pytest.mark.parametrize("cells", [";WK036104;onveilig;45", "2023;;onveilig;45",
                                   "2023;WK036104;;45", "2023;WK036104;onveilig;"])
def test_missing_cells(world, cells):
    outcome = rejected_line(world, cells + ";;;")
    assert len(outcome.messages) == 1


def test_duplicate_within_the_file_points_to_the_first_line(world):
    report = run(world, HEADER + "2023;WK036101;onveilig;45;;;\n"
                                 "2023;WK036104;onveilig;45;;;\n"
                                 "2023;wk036101;ONVEILIG;46;;;\n"
                                 "2024;WK036101;onveilig;45;;;\n")
    assert outcomes(report) == [(2, "new"), (3, "new"), (4, "rejected"), (5, "new")]
    assert len(report.lines[2].messages) == 1 and "2" in report.lines[2].messages[0]
    assert count(Result) == 0


def test_every_reason_on_one_line_is_listed(world):
    outcome = rejected_line(world, "1989;WK036199;onbekend;abc;-1;1;")
    assert len(outcome.messages) == 6


def test_one_bad_line_means_nothing_is_imported(world):
    lines = [f"{year};{code};onveilig;{year - 1990};;;" for year in range(2015, 2025)
             for code in ("GM0361", "noord", "zuid", "WK036101", "WK036104")]
    lines[25] = "2020;WK036101;onveilig;150;;;"
    report = run(world, HEADER + "\n".join(lines))
    assert report.count("rejected") == 1 and report.count("new") == 49
    assert report.lines[25].line == 27 and report.lines[25].status == "rejected"
    assert not report.applied
    assert count(Result) == 0 and count(Edition) == 0


# --- file errors --------------------------------------------------------------------------

def test_missing_columns_are_a_file_error(world):
    report = run(world, "jaar;code;waarde\n2023;WK036101;45\n")
    assert len(report.file_errors) == 1 and report.lines == []
    assert not report.ok and not report.applied


def test_a_column_for_only_one_bound_is_a_file_error(world):
    report = run(world, "editie;gebiedscode;indicator;waarde;ondergrens\n"
                        "2023;WK036101;onveilig;45;40\n")
    assert len(report.file_errors) == 1 and report.lines == []


@pytest.mark.parametrize("data", [b"", b"editie;gebiedscode;indicator;waarde\n",
                                  b"PK\x03\x04 broken"])
def test_empty_or_unreadable_files(world, data):
    report = run(world, data)
    assert len(report.file_errors) == 1 and not report.applied
    assert count(Edition) == 0


# --- dry run, repeats and corrections -----------------------------------------------------

def test_dry_run_has_the_same_outcomes_and_changes_nothing(world):
    run(world, DUTCH)
    db.session.commit()
    changed = (HEADER + "2023;GM0361;onveilig;32,5;2400;30,1;34,9\n"  # unchanged
                        "2023;WK036101;onveilig;46;150;37,0;53,0\n"  # updated
                        "2024;WK036101;onveilig;44;150;36;52\n")  # new, in a new edition
    dry = run(world, changed, dry_run=True)
    assert not dry.applied and new_editions(dry) == [2024]
    assert stored() == EXPECTED and count(Edition) == 1
    real = run(world, changed)
    assert real.applied and new_editions(real) == [2024]
    assert [(r.line, r.status, r.messages) for r in dry.lines] == \
        [(r.line, r.status, r.messages) for r in real.lines] == \
        [(2, "unchanged", []), (3, "updated", []), (4, "new", [])]


def test_dry_run_of_a_bad_file_reports_like_the_real_run(world):
    bad = HEADER + "2023;WK036101;onveilig;45;;;\n2023;WK036101;onveilig;150;;;\n"
    dry, real = run(world, bad, dry_run=True), run(world, bad)
    assert [(r.line, r.status, r.messages) for r in dry.lines] == \
        [(r.line, r.status, r.messages) for r in real.lines]
    assert not real.applied and count(Result) == 0


def test_dry_run_equals_the_real_run_with_every_kind_of_line(world):
    run(world, DUTCH)
    db.session.commit()
    mixed = (HEADER + "2023;GM0361;onveilig;32,5;2400;30,1;34,9\n"  # 2 unchanged
                      "2023;WK036101;onveilig;46;150;37,0;53,0\n"  # 3 updated
                      "2024;WK036101;onveilig;44;150;36;52\n"  # 4 new, in a new edition
                      "2024;wk036101;ONVEILIG;45;;;\n"  # 5 the same result as line 4
                      "2024;WK036199;onveilig;45;;;\n")  # 6 unknown wijk
    dry, real = run(world, mixed, dry_run=True), run(world, mixed)

    def seen(report):  # type: ignore[no-untyped-def]
        return ([(r.line, r.status, r.subject, r.messages) for r in report.lines],
                report.summary(), report.summary_line(), report.notes)

    assert seen(dry) == seen(real)
    assert outcomes(real) == [(2, "unchanged"), (3, "updated"), (4, "new"), (5, "rejected"),
                              (6, "rejected")]
    assert "4" in real.lines[3].messages[0] and "WK036199" in real.lines[4].messages[0]
    assert real.summary() == {"new": 1, "updated": 1, "unchanged": 1, "skipped": 0,
                              "rejected": 2}
    assert not dry.applied and not real.applied
    assert stored() == EXPECTED and count(Edition) == 1


def test_importing_the_same_file_again_changes_nothing(world):
    run(world, DUTCH)
    db.session.commit()
    again = run(world, ENGLISH)  # the same numbers, written the English way
    assert again.applied and new_editions(again) == []
    assert [r.status for r in again.lines] == ["unchanged"] * 4
    assert stored() == EXPECTED


@pytest.mark.parametrize("line", [
    "2023;WK036101;onveilig;45,5;150;37,0;53,0",  # value
    "2023;WK036101;onveilig;45;151;37,0;53,0",  # respondents
    "2023;WK036101;onveilig;45;;37,0;53,0",  # respondents removed
    "2023;WK036101;onveilig;45;150;36,9;53,0",  # lower bound
    "2023;WK036101;onveilig;45;150;;",  # interval removed
])
def test_a_corrected_line_is_updated(world, line):
    run(world, DUTCH)
    db.session.commit()
    report = run(world, HEADER + line + "\n")
    assert outcomes(report) == [(2, "updated")] and report.applied
    db.session.commit()
    cells = line.split(";")
    row = next(r for r in stored() if r[3] == "WK036101")
    number = (lambda c: float(c.replace(",", ".")) if c else None)  # noqa: E731
    assert row[4:] == (number(cells[3]), int(cells[4]) if cells[4] else None,
                       number(cells[5]), number(cells[6]))
    assert count(Result) == 4


# --- who may import -----------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.TEAM, Role.CLERK])
def test_only_admins_may_import(world, role):
    with pytest.raises(PermissionDenied):
        ResultsImporter(factories.user(role)).run(DUTCH.encode())
    with pytest.raises(PermissionDenied):
        ResultsImporter(factories.user(Role.ADMIN, active=False)).run(DUTCH.encode())
    assert count(Result) == 0


def test_command_line_runs_without_a_user(world):
    report = ResultsImporter(None).run(DUTCH.encode())
    assert report.applied and count(Result) == 4


# --- speed --------------------------------------------------------------------------------

def test_a_large_file_is_checked_with_a_few_queries(world):
    area = db.session.scalars(select(Area)).first()
    wijken = [f"WK036{n:03d}" for n in range(200, 300)]
    for code in wijken:
        db.session.add(Neighbourhood(code=code, name=code, cbs_year=2023, area=area))
    indicators = [Indicator(code=f"ind{n}", name_nl=f"Indicator {n}", name_en=f"Indicator {n}",
                            unit="percentage", higher_is_better=False) for n in range(30)]
    db.session.add_all(indicators)
    db.session.commit()
    lines = [f"{year};{code};ind{n};{(n + int(code[-2:])) % 100},5;200;0;100"
             for year in (2022, 2023) for code in wijken for n in range(30)]
    data = HEADER + "\n".join(lines) + "\n"

    with counting(db.engine) as statements:
        dry = run(world, data, dry_run=True)
    assert dry.count("new") == 6000 and dry.ok
    assert len(statements) <= 10, statements

    real = run(world, data)
    db.session.commit()
    assert real.applied and count(Result) == 6000
    again = run(world, data)
    assert again.count("unchanged") == 6000


# --- command line -------------------------------------------------------------------------

@pytest.fixture
def cli(app, runner):  # type: ignore[no-untyped-def]
    if "import-results" not in app.cli.commands:
        register_commands(app)
    return runner


def test_command_line_dry_run_then_real_run(world, cli, tmp_path):
    path = tmp_path / "resultaten.csv"
    path.write_bytes(DUTCH.encode("cp1252"))
    dry = cli.invoke(args=["import-results", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert count(Result) == 0
    for line, code in [(2, "GM0361"), (3, "WK036101"), (4, "noord"), (5, "WK036104")]:
        assert any(f" {line}:" in out and code in out for out in dry.output.splitlines()), \
            dry.output
    assert "2023" in dry.output
    real = cli.invoke(args=["import-results", str(path)])
    assert real.exit_code == 0, real.output
    db.session.expire_all()
    assert stored() == EXPECTED
    assert db.session.scalars(select(Edition.published)).one() is False
    again = cli.invoke(args=["import-results", str(path)])
    assert again.exit_code == 0 and "4" in again.output.splitlines()[-2]


def test_command_line_rejects_and_imports_nothing(world, cli, tmp_path):
    path = tmp_path / "resultaten.csv"
    path.write_text(HEADER + "2023;WK036101;onveilig;45;;;\n2023;WK036199;onveilig;45;;;\n")
    for args in (["--dry-run"], []):
        result = cli.invoke(args=["import-results", str(path), *args])
        assert result.exit_code == 1, result.output
        assert any(" 3:" in out and "WK036199" in out for out in result.output.splitlines())
    db.session.expire_all()
    assert count(Result) == 0 and count(Edition) == 0


def test_command_line_file_error(world, cli, tmp_path):
    path = tmp_path / "resultaten.csv"
    path.write_text("jaar;waarde\n2023;45\n")
    result = cli.invoke(args=["import-results", str(path)])
    assert result.exit_code == 1
    assert count(Edition) == 0
