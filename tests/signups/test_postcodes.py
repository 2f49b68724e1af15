"""Loading the postcode table: outcomes per line, all or nothing, dry run = real run."""

from __future__ import annotations

from sqlalchemy import select

from panel.db import db
from panel.signups.models import Postcode
from panel.signups.postcodes import PostcodesImporter

GOOD = (
    "postcode;buurtcode;straat;plaats\n"
    "1801 AA;BU03610101;Marelaan;Alkmaar\n"        # 2 unchanged (in the world already)
    "1804AA;BU03610401;Vroonerlaan 2;Alkmaar\n"    # 3 updated: another street
    "1802 bb;bu03610101;Bloemstraat;Alkmaar\n"     # 4 new
)
BAD = GOOD + (
    "1802BB;BU03610101;Bloemstraat;Alkmaar\n"      # 5 the same postcode as line 4
    "12;BU03610101;Kort;Alkmaar\n"                 # 6 not a postcode
    "1803CC;BU09990101;Elders;Alkmaar\n"           # 7 no such buurt
)


def table() -> list[tuple[str, str, str]]:
    return [(p.postcode, p.district.code, p.street)
            for p in db.session.scalars(select(Postcode).order_by(Postcode.postcode))]


def seen(report):  # type: ignore[no-untyped-def]
    return ([(r.line, r.status, r.subject, r.messages) for r in report.lines],
            report.summary(), report.summary_line())


BEFORE = [("1801AA", "BU03610101", "Marelaan"), ("1804AA", "BU03610401", "Vroonerlaan")]


def test_dry_run_equals_the_real_run_and_a_bad_line_changes_nothing(world):
    dry = PostcodesImporter(None).run(BAD.encode(), "postcodes.csv", dry_run=True)
    real = PostcodesImporter(None).run(BAD.encode(), "postcodes.csv")
    assert seen(dry) == seen(real)
    assert [(r.line, r.status, r.subject) for r in real.lines] == [
        (2, "unchanged", "1801AA"), (3, "updated", "1804AA"), (4, "new", "1802BB"),
        (5, "rejected", "1802BB"), (6, "rejected", "12"), (7, "rejected", "1803CC")]
    assert "4" in real.lines[3].messages[0] and "BU09990101" in real.lines[5].messages[0]
    assert not dry.applied and not real.applied
    assert table() == BEFORE


def test_a_good_file_is_checked_then_loaded(world):
    dry = PostcodesImporter(None).run(GOOD.encode(), "postcodes.csv", dry_run=True)
    assert dry.ok and not dry.applied and table() == BEFORE
    real = PostcodesImporter(None).run(GOOD.encode(), "postcodes.csv")
    assert real.applied and seen(dry) == seen(real)
    assert real.summary() == {"new": 1, "updated": 1, "unchanged": 1, "skipped": 0,
                              "rejected": 0}
    assert table() == [("1801AA", "BU03610101", "Marelaan"),
                       ("1802BB", "BU03610101", "Bloemstraat"),
                       ("1804AA", "BU03610401", "Vroonerlaan 2")]


def test_missing_columns_are_a_file_error(world):
    report = PostcodesImporter(None).run(b"postcode;straat\n1801AA;Marelaan\n")
    assert report.file_errors and report.missing == ["district"] and not report.applied


def test_load_postcodes_command(runner, world, tmp_path):
    path = tmp_path / "postcodes.csv"
    path.write_bytes(BAD.encode("cp1252"))
    for args in (["--dry-run"], []):
        result = runner.invoke(args=["load-postcodes", str(path), *args])
        assert result.exit_code == 1, result.output
        assert " 6:" in result.output and " 2:" not in result.output  # only lines with a reason
    assert table() == BEFORE
    path.write_bytes(GOOD.encode())
    checked = runner.invoke(args=["load-postcodes", str(path), "--dry-run"])
    assert checked.exit_code == 0, checked.output
    assert table() == BEFORE
    loaded = runner.invoke(args=["load-postcodes", str(path)])
    assert loaded.exit_code == 0, loaded.output
    db.session.expire_all()
    assert len(table()) == 3
    path.write_bytes(b"")
    assert runner.invoke(args=["load-postcodes", str(path)]).exit_code == 1
