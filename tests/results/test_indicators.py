"""Managing indicators: the services, the import from a file, the shipped catalogue and
the command line."""

from __future__ import annotations

import csv
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from panel.auth.models import Role
from panel.db import db
from panel.demo.services import DEMO_INDICATORS
from panel.errors import DomainError, PermissionDenied
from panel.results import indicators
from panel.results.cli import register_commands
from panel.results.importer import ResultsImporter
from panel.results.indicator_import import (
    CATALOGUES,
    IndicatorsImporter,
    catalogue_path,
    load_catalogue,
)
from panel.results.indicators import IndicatorData
from panel.results.models import Edition, Indicator
from tests import factories
from tests.results.helpers import add

HEADER = "code;naam;naam_en;eenheid;hoger_is_beter;decimalen;thema;volgorde\n"


@pytest.fixture(autouse=True)
def english(session):  # type: ignore[no-untyped-def]
    """The messages are compared in English (the pages' Dutch is checked in the views)."""
    with force_locale("en"):
        yield


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """Two indicators (one with a result), an edition, and one account of each role."""
    factories.municipality("GM0361")
    noord = factories.area("noord", "Noord")
    factories.neighbourhood(noord, "WK036101", "De Mare")
    unsafe = Indicator(code="onveilig", name_nl="Voelt zich weleens onveilig",
                       name_en="Sometimes feels unsafe", unit="percentage",
                       higher_is_better=False, theme="Veiligheidsgevoel", position=1)
    mark = Indicator(code="cijfer", name_nl="Rapportcijfer buurt", name_en="Mark",
                     unit="mark", higher_is_better=True, theme="Leefbaarheid", position=2)
    db.session.add_all([unsafe, mark])
    edition = Edition(year=2023, published=True)
    db.session.add(edition)
    db.session.flush()
    add(edition, unsafe, "GM0361", 32.0, 2400)
    accounts = SimpleNamespace(admin=factories.user(Role.ADMIN),
                               team=factories.user(Role.TEAM, areas=[noord]),
                               clerk=factories.user(Role.CLERK))
    session.commit()
    return SimpleNamespace(unsafe=unsafe, mark=mark, edition=edition, **vars(accounts))


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def codes_in_order() -> list[str]:
    return list(db.session.scalars(select(Indicator.code).order_by(Indicator.position,
                                                                   Indicator.code)))


def data(code: str = "overlast", **changes: object) -> IndicatorData:
    values: dict[str, object] = dict(code=code, name_nl="Ervaart overlast",
                                     name_en="Experiences nuisance", unit="percentage",
                                     higher_is_better=False, theme="Overlast")
    values.update(changes)
    return IndicatorData(**values)  # type: ignore[arg-type]


# --- the model ----------------------------------------------------------------------------

def test_decimals_default_to_the_unit(world):
    assert (world.unsafe.decimals, world.mark.decimals) == (0, 1)
    for unit, expected in (("count", 0), ("score", 1)):
        item = Indicator(code=unit, name_nl=unit, name_en=unit, unit=unit,
                         higher_is_better=False)
        db.session.add(item)
        db.session.flush()
        assert item.decimals == expected and item.retired_at is None


# --- the services -------------------------------------------------------------------------

def test_admin_creates_an_indicator_at_the_end(world):
    item = indicators.save_indicator(world.admin, data(decimals=None, name_en=""))
    assert (item.code, item.decimals, item.name_en) == ("overlast", 0, "Ervaart overlast")
    assert codes_in_order() == ["onveilig", "cijfer", "overlast"]


def test_admin_creates_an_indicator_at_a_place(world):
    indicators.save_indicator(world.admin, data(position=1, decimals=2))
    assert codes_in_order() == ["overlast", "onveilig", "cijfer"]
    assert db.session.scalars(select(Indicator.position).order_by(Indicator.position)
                              ).all() == [1, 2, 3]


@pytest.mark.parametrize(("changes", "message"), [
    ({"code": "Met spaties"}, "is not valid"),
    ({"code": ""}, "The code is missing"),
    ({"name_nl": " "}, "The Dutch name is missing"),
    ({"unit": "kilo"}, "Choose a unit"),
    ({"higher_is_better": None}, "higher figure is better"),
    ({"decimals": 4}, "0, 1, 2 or 3"),
    ({"theme": "x" * 81}, "theme is too long"),
])
def test_invalid_indicators_are_refused(world, changes, message):
    with pytest.raises(DomainError, match=message):
        indicators.save_indicator(world.admin, data(**changes))


def test_a_code_is_used_once(world):
    with pytest.raises(DomainError, match="already an indicator with code onveilig"):
        indicators.save_indicator(world.admin, data(code="ONVEILIG"))


def test_admin_edits_an_indicator_without_results(world):
    item = indicators.save_indicator(world.admin, data(code="cijfer2", unit="score",
                                                       higher_is_better=True), world.mark)
    assert (item.code, item.unit, item.decimals) == ("cijfer2", "score", 1)  # kept: 1


def test_decimals_follow_a_new_unit_unless_given(world):
    item = indicators.save_indicator(world.admin, data(code="cijfer", unit="count"),
                                     world.mark)
    assert item.decimals == 0
    item = indicators.save_indicator(world.admin, data(code="cijfer", unit="count",
                                                       decimals=2), world.mark)
    assert item.decimals == 2


def test_an_indicator_with_results_keeps_its_code_and_unit(world):
    with pytest.raises(DomainError, match="its unit cannot change"):
        indicators.save_indicator(world.admin, data(code="onveilig", unit="mark"),
                                  world.unsafe)
    with pytest.raises(DomainError, match="its code cannot change"):
        indicators.save_indicator(world.admin, data(code="onveilig2"), world.unsafe)
    item = indicators.save_indicator(world.admin, data(code="onveilig", decimals=1,
                                                       name_nl="Nieuwe naam"), world.unsafe)
    assert (item.name_nl, item.decimals, item.theme) == ("Nieuwe naam", 1, "Overlast")


def test_moving_stays_within_the_theme(world):
    indicators.save_indicator(world.admin, data(code="a", theme="Veiligheidsgevoel"))
    assert codes_in_order() == ["onveilig", "cijfer", "a"]
    indicators.move(world.admin, "a", -1)  # past "onveilig", the one before in its theme
    assert codes_in_order() == ["a", "cijfer", "onveilig"]
    indicators.move(world.admin, "a", -1)  # first of its theme: stays
    assert codes_in_order() == ["a", "cijfer", "onveilig"]
    indicators.move(world.admin, "cijfer", 1)  # the only one of its theme
    assert codes_in_order() == ["a", "cijfer", "onveilig"]


def test_retire_bring_back_and_delete(world):
    indicators.set_retired(world.admin, "onveilig", True)
    assert world.unsafe.retired_at is not None
    first = world.unsafe.retired_at
    indicators.set_retired(world.admin, "onveilig", True)  # retiring again keeps the date
    assert world.unsafe.retired_at == first
    indicators.set_retired(world.admin, "onveilig", False)
    assert world.unsafe.retired_at is None
    with pytest.raises(DomainError, match="cannot be deleted"):
        indicators.delete(world.admin, "onveilig")
    indicators.delete(world.admin, "cijfer")
    assert codes_in_order() == ["onveilig"]


def test_the_list_is_grouped_by_theme_with_result_counts(world):
    indicators.save_indicator(world.admin, data(code="a", theme="Veiligheidsgevoel"))
    themes = indicators.indicators_by_theme(world.admin)
    assert [(t.name, [(r.indicator.code, r.results) for r in t.indicators])
            for t in themes] == [("Veiligheidsgevoel", [("onveilig", 1), ("a", 0)]),
                                 ("Leefbaarheid", [("cijfer", 0)])]


@pytest.mark.parametrize("kind", ["team", "clerk"])
def test_only_admins_manage_indicators(world, kind):
    user = getattr(world, kind)
    calls = [lambda: indicators.indicators_by_theme(user),
             lambda: indicators.get_indicator(user, "onveilig"),
             lambda: indicators.save_indicator(user, data()),
             lambda: indicators.move(user, "onveilig", 1),
             lambda: indicators.set_retired(user, "onveilig", True),
             lambda: indicators.delete(user, "cijfer")]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(PermissionDenied):
        IndicatorsImporter(user)
    with pytest.raises(PermissionDenied):
        load_catalogue(user, "veiligheidsmonitor")


def test_a_retired_indicator_takes_no_new_results_but_corrections(world):
    indicators.set_retired(world.admin, "onveilig", True)
    text = ("jaar;code;indicator;waarde\n2023;GM0361;onveilig;33\n"
            "2023;WK036101;onveilig;40\n")
    report = ResultsImporter(world.admin).run(text.encode(), "r.csv", dry_run=True)
    assert [line.status for line in report.lines] == ["updated", "rejected"]
    assert "retired" in report.lines[1].messages[0]


# --- the import ---------------------------------------------------------------------------

def run(user: object, text: str, dry_run: bool = False):  # type: ignore[no-untyped-def]
    return IndicatorsImporter(user).run(text.encode("utf-8"), "indicatoren.csv",
                                        dry_run=dry_run)


GOOD = (HEADER
        + "onveilig;Voelt zich weleens onveilig;Sometimes feels unsafe;procent;nee;;"
          "Veiligheidsgevoel;1\n"
        + "cijfer;Rapportcijfer leefbaarheid;Liveability mark;Rapportcijfer;ja;1;"
          "Leefbaarheid;2\n"
        + "verloedering;Fysieke verloedering;Physical decay;schaalscore;nee;;Overlast;\n"
        + "hardrijden;Overlast te hard rijden;;%;no;0;Overlast;\n")


def test_new_updated_and_unchanged_lines(world):
    report = run(world.admin, GOOD)
    assert report.ok and report.applied, report.lines
    assert [(line.subject, line.status) for line in report.lines] == [
        ("onveilig", "unchanged"), ("cijfer", "updated"), ("verloedering", "new"),
        ("hardrijden", "new")]
    db.session.commit()
    added = {i.code: i for i in db.session.scalars(select(Indicator))}
    assert added["cijfer"].name_nl == "Rapportcijfer leefbaarheid"
    assert (added["verloedering"].unit, added["verloedering"].decimals) == ("score", 1)
    assert added["verloedering"].higher_is_better is False
    assert (added["hardrijden"].unit, added["hardrijden"].name_en) == \
        ("percentage", "Overlast te hard rijden")
    assert codes_in_order() == ["onveilig", "cijfer", "verloedering", "hardrijden"]
    again = run(world.admin, GOOD)
    assert again.count("unchanged") == 4 and not again.count("new")


def test_a_dry_run_reports_the_same_and_changes_nothing(world):
    dry = run(world.admin, GOOD, dry_run=True)
    assert not dry.applied and count(Indicator) == 2
    real = run(world.admin, GOOD)
    assert [(line.status, line.messages) for line in dry.lines] == \
        [(line.status, line.messages) for line in real.lines]


def test_english_headers_and_yes_no(world):
    text = ("code,name_nl,name_en,explanation_en,unit,higher_is_better,decimals,theme,"
            "position\nnew_one,Nieuw,New,Explained,count,yes,0,Overig,7\n")
    report = run(world.admin, text)
    assert report.applied and report.lines[0].status == "new"
    item = db.session.scalars(select(Indicator).where(Indicator.code == "new_one")).one()
    assert (item.unit, item.higher_is_better, item.position, item.explanation_en) == \
        ("count", True, 7, "Explained")


def test_a_file_without_the_columns_is_refused(world):
    report = run(world.admin, "indicator;omschrijving\nonveilig;iets\n")
    assert report.file_errors and report.missing and not report.applied
    assert "code, naam, eenheid and hoger_is_beter" in report.file_errors[0]


def test_one_wrong_line_changes_nothing(world):
    text = GOOD + "meters;Afstand;Distance;meter;ja;;;\n"
    report = run(world.admin, text)
    assert not report.applied and count(Indicator) == 2
    assert report.lines[-1].status == "rejected"
    assert report.lines[-1].messages == [
        "The unit 'meter' is not known. Use percentage (procent, %), rapportcijfer, aantal "
        "or schaalscore."]


@pytest.mark.parametrize(("line", "message"), [
    ("x;X;;percentage;misschien;;;", "'misschien' is not yes or no"),
    ("x;X;;percentage;ja;9;;", "0, 1, 2 or 3"),
    ("x;X;;percentage;ja;een;;", "0, 1, 2 or 3"),
    ("x;X;;percentage;ja;;;-3", "not a whole number of 0 or more"),
    ("x;;;percentage;ja;;;", "The Dutch name is missing"),
    ("x y;X;;percentage;ja;;;", "is not valid"),
    ("x;X;;;ja;;;", "Choose a unit"),
    ("x;X;;percentage;;;;", "higher figure is better"),
])
def test_wrong_lines_say_why(world, line, message):
    report = run(world.admin, HEADER + line + "\n")
    assert report.lines[0].status == "rejected"
    assert any(message in m for m in report.lines[0].messages), report.lines[0].messages
    assert len(report.lines[0].messages) == 1


def test_a_code_twice_in_the_file_is_refused(world):
    text = HEADER + "nieuw;Een;;percentage;ja;;;\nNIEUW;Twee;;percentage;ja;;;\n"
    report = run(world.admin, text)
    assert [line.status for line in report.lines] == ["new", "rejected"]
    assert report.lines[1].messages == ["This code is also on line 2."]
    assert count(Indicator) == 2


def test_the_unit_of_an_indicator_with_results_does_not_change(world):
    report = run(world.admin, HEADER + "onveilig;Onveilig;;rapportcijfer;nee;;;\n"
                                       "cijfer;Cijfer;;aantal;ja;;;\n")
    assert [line.status for line in report.lines] == ["rejected", "updated"]
    assert "its unit cannot change" in report.lines[0].messages[0]
    db.session.expire_all()
    assert world.mark.unit == "mark" and world.unsafe.unit == "percentage"


def test_empty_cells_keep_what_is_there(world):
    world.mark.explanation_nl = "Uitleg"
    db.session.commit()
    report = run(world.admin, "code;naam;eenheid;hoger_is_beter;uitleg;thema\n"
                              "cijfer;Rapportcijfer buurt;cijfer;;;\n")
    assert report.lines[0].status == "unchanged", report.lines[0]


def test_a_retired_indicator_in_a_file_gets_a_warning(world):
    indicators.set_retired(world.admin, "onveilig", True)
    report = run(world.admin, HEADER + "onveilig;Voelt zich weleens onveilig;;procent;nee;;"
                                       "Veiligheidsgevoel;1\n")
    assert report.lines[0].status == "unchanged" and report.lines[0].warnings


# --- the catalogue ------------------------------------------------------------------------

def test_the_catalogue_loads_and_loading_again_changes_nothing(world):
    report = load_catalogue(world.admin, "veiligheidsmonitor")
    assert report.ok and report.applied, [line for line in report.lines if line.messages]
    db.session.commit()
    assert 20 <= report.count("new") <= 30
    again = load_catalogue(world.admin, "veiligheidsmonitor")
    assert again.count("unchanged") == len(again.lines) and not again.count("updated")
    by_code = {i.code: i for i in db.session.scalars(select(Indicator))}
    assert (by_code["cijfer_veiligheid"].unit, by_code["cijfer_veiligheid"].decimals) == \
        ("mark", 1)
    assert (by_code["fysieke_verloedering"].unit,
            by_code["fysieke_verloedering"].higher_is_better) == ("score", False)
    assert by_code["onveilig_buurt"].decimals == 0


def test_the_catalogue_is_complete_and_fits_the_demo(session):
    with catalogue_path("veiligheidsmonitor").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert {"code", "naam", "naam_en", "uitleg", "uitleg_en", "eenheid", "hoger_is_beter",
            "decimalen", "thema", "volgorde"} <= set(rows[0])
    assert all(row[name].strip() for row in rows for name in row), "an empty cell"
    # The demo's indicators have results; the catalogue may update them, never refuse them.
    edition = Edition(year=2023, published=True)
    db.session.add(edition)
    for position, (code, name_nl, name_en, unit, better, theme, _a, _b) in \
            enumerate(DEMO_INDICATORS):
        item = Indicator(code=code, name_nl=name_nl, name_en=name_en, unit=unit,
                         higher_is_better=better, theme=theme, position=position)
        db.session.add(item)
        db.session.flush()
        add(edition, item, "GM0361", 5.0)
    report = load_catalogue(None, "veiligheidsmonitor", dry_run=True)
    assert report.ok, [line for line in report.lines if line.messages]
    assert report.count("updated") == len(DEMO_INDICATORS)


# --- the command line ---------------------------------------------------------------------

@pytest.fixture
def cli(app, runner):  # type: ignore[no-untyped-def]
    if "load-indicators" not in app.cli.commands:
        register_commands(app)
    return runner


def test_command_line_dry_run_then_real_run(world, cli, tmp_path):
    path = tmp_path / "indicatoren.csv"
    path.write_bytes(GOOD.encode("cp1252"))
    dry = cli.invoke(args=["load-indicators", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert count(Indicator) == 2 and "verloedering" in dry.output
    real = cli.invoke(args=["load-indicators", str(path)])
    assert real.exit_code == 0, real.output
    db.session.expire_all()
    assert count(Indicator) == 4


def test_command_line_refuses_a_bad_file(world, cli, tmp_path):
    path = tmp_path / "indicatoren.csv"
    path.write_text(HEADER + "nieuw;Nieuw;;liter;ja;;;\n")
    for args in (["--dry-run"], []):
        result = cli.invoke(args=["load-indicators", str(path), *args])
        assert result.exit_code == 1, result.output
        assert "liter" in result.output
    path.write_text("jaar;waarde\n2023;45\n")
    assert cli.invoke(args=["load-indicators", str(path)]).exit_code == 1
    db.session.expire_all()
    assert count(Indicator) == 2


def test_command_line_loads_the_catalogue(world, cli, tmp_path):
    assert set(CATALOGUES) == {"veiligheidsmonitor"}
    result = cli.invoke(args=["load-indicators", "--catalogue", "veiligheidsmonitor"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert count(Indicator) > 20
    path = tmp_path / "indicatoren.csv"
    path.write_text(GOOD)
    both = cli.invoke(args=["load-indicators", str(path), "--catalogue", "veiligheidsmonitor"])
    assert both.exit_code == 2
    assert cli.invoke(args=["load-indicators"]).exit_code == 2
