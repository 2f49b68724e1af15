"""Loading the postcode table: outcomes per line, all or nothing, dry run = real run; CBS's
postcode–house number–buurt file as CBS publishes it, counted per postcode."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import delete, select

from panel.areas.models import District
from panel.db import db
from panel.signups.models import Postcode
from panel.signups.postcodes import PostcodesImporter
from tests.signups.helpers import cbs_address_file, cbs_address_lines, cbs_zip

GOOD = (
    "postcode;buurtcode;straat;plaats\n"
    "1801 AA;BU03610101;Marelaan;Alkmaar\n"        # 2 unchanged (in the world already)
    "1804AA;BU03610401;Vroonerlaan 2;Alkmaar\n"    # 3 updated: another street
    "1802 bb;bu03610101;Bloemstraat;Alkmaar\n"     # 4 new
)
BAD = GOOD + (
    "1802BB;BU03610101;Bloemstraat;Alkmaar\n"      # 5 the same postcode as line 4
    "12;BU03610101;Kort;Alkmaar\n"                 # 6 not a postcode
    "1803CC;BU03619901;Elders;Alkmaar\n"           # 7 no such buurt
    "1861AA;BU03730100;Dorpsstraat;Bergen\n"       # 8 another municipality: left out
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
    assert "4" in real.lines[3].messages[0] and "BU03619901" in real.lines[5].messages[0]
    assert real.notes == ["1 regel van een andere gemeente is weggelaten."]
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


# --- codes with and without prefix and leading zeros --------------------------------------

def test_buurt_codes_without_prefix_or_leading_zeros_are_understood(world):
    data = ("postcode;buurtcode;straat;plaats\n"
            "1802AA;3610101;Bloemstraat;Alkmaar\n"
            "1802AB;03610101;Bloemstraat;Alkmaar\n"
            "1802AC;bu3610401;Kanaalkade;Alkmaar\n"
            "1802AD;BU03610401;Kanaalkade;Alkmaar\n")
    report = PostcodesImporter(None).run(data.encode(), "postcodes.csv")
    assert report.applied, [line.messages for line in report.lines]
    assert [row for row in table() if row[0].startswith("1802")] == [
        ("1802AA", "BU03610101", "Bloemstraat"), ("1802AB", "BU03610101", "Bloemstraat"),
        ("1802AC", "BU03610401", "Kanaalkade"), ("1802AD", "BU03610401", "Kanaalkade")]


def test_without_buurten_the_file_is_refused_at_once(session):
    report = PostcodesImporter(None).run(GOOD.encode(), "postcodes.csv")
    assert report.file_errors and not report.lines and not report.applied


# --- CBS's postcode–house number–buurt file -----------------------------------------------

def _first_lines(lines: list[str]) -> dict[str, int]:
    first: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        first.setdefault(text.split(";")[0], number)
    return first


def test_the_cbs_file_is_counted_per_postcode(world):
    lines = cbs_address_lines(others=3000)
    first = _first_lines(lines)
    dry = PostcodesImporter(None).run(cbs_address_file(3000), "pc6hnr20230801_gwb.csv",
                                      dry_run=True)
    real = PostcodesImporter(None).run(cbs_address_file(3000), "pc6hnr20230801_gwb.csv")
    assert seen(dry) == seen(real) and dry.notes == real.notes
    assert [(r.line, r.status, r.subject) for r in real.lines] == [
        (first["1801AA"], "unchanged", "1801AA"), (first["1801AB"], "new", "1801AB"),
        (first["1804AA"], "unchanged", "1804AA"), (first["1804AB"], "new", "1804AB")]
    # A postcode in two buurten goes to the one with the most addresses, with a warning.
    warned = real.lines[1]
    assert warned.warnings and "BU03610101 (10)" in warned.warnings[0] \
        and "BU03610401 (3)" in warned.warnings[0]
    assert not any(line.warnings for line in real.lines if line is not warned)
    # Lines of other municipalities are counted, not listed.
    assert real.notes == ["Het bestand heeft 90 adressen van deze gemeente, in 4 postcodes.",
                          "3.000 regels van andere gemeenten zijn weggelaten."]
    assert real.applied and not dry.applied
    # The file has no streets: the streets already known stay.
    assert table() == [("1801AA", "BU03610101", "Marelaan"), ("1801AB", "BU03610101", ""),
                       ("1804AA", "BU03610401", "Vroonerlaan"), ("1804AB", "BU03610401", "")]
    again = PostcodesImporter(None).run(cbs_address_file(3000), "pc6hnr20230801_gwb.csv")
    assert again.summary()["unchanged"] == 4


def test_the_cbs_zip_file_is_read_as_published(world):
    report = PostcodesImporter(None).run(cbs_zip(cbs_address_file(300)),
                                         "2023-cbs-pc6huisnr20230801_buurt.zip")
    assert report.applied and report.summary()["new"] == 2
    assert "300 regels van andere gemeenten zijn weggelaten." in report.notes


def test_an_address_file_as_xlsx_with_a_buurt_code_column(world):
    book = Workbook()
    sheet = book.active
    sheet.append(["Postcode", "Huisnummer", "Buurtcode", "Straat", "Plaats"])
    for number in range(1, 6):
        sheet.append(["1802 AA", number, "BU03610101", "Bloemstraat", "Alkmaar"])
    sheet.append(["1861AA", 1, "BU03730100", "Dorpsstraat", "Bergen"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = PostcodesImporter(None).run(buffer.getvalue(), "adressen.xlsx")
    assert [(r.line, r.status, r.subject) for r in report.lines] == [(2, "new", "1802AA")]
    assert report.applied and ("1802AA", "BU03610101", "Bloemstraat") in table()
    assert "1 regel van een andere gemeente is weggelaten." in report.notes


def test_a_cbs_file_with_an_unknown_buurt_of_this_municipality_changes_nothing(world):
    data = cbs_address_file(100) + b"1805AA;1;3619901;36199;361\r\n"
    report = PostcodesImporter(None).run(data, "pc6hnr20230801_gwb.csv")
    rejected = [line for line in report.lines if line.status == "rejected"]
    assert [(line.subject, line.messages) for line in rejected] == [
        ("1805AA", ["De buurt BU03619901 bestaat niet."])]
    assert not report.applied and table() == BEFORE


def test_a_file_of_only_other_municipalities_is_refused(world):
    lines = [line for line in cbs_address_lines(others=50) if ";361" not in line
             and ";0361" not in line]
    report = PostcodesImporter(None).run("\n".join(lines).encode(), "pc6hnr.csv")
    assert report.file_errors and "GM0361" in report.file_errors[0] and not report.applied


def test_a_municipality_without_buurten_of_the_file_year_skips_by_the_gemeente_column(world):
    # A line with an empty buurt code belongs to the municipality its gemeente column names.
    data = (b"PC6;Huisnummer;Buurt2023;Wijk2023;Gemeente2023\n"
            b"1801AA;1;3610101;36101;361\n"
            b"1861AA;1;;;373\n")
    report = PostcodesImporter(None).run(data, "pc6hnr.csv")
    assert report.applied and [r.subject for r in report.lines] == ["1801AA"]
    assert "1 regel van een andere gemeente is weggelaten." in report.notes


def test_load_postcodes_command_with_the_cbs_file(runner, world, tmp_path):
    path = tmp_path / "pc6hnr20230801_gwb.csv"
    path.write_bytes(cbs_address_file(3000))
    result = runner.invoke(args=["load-postcodes", str(path)])
    assert result.exit_code == 0, result.output
    printed = result.output.splitlines()
    # Only the postcode with a warning is printed as a line, then the notes and the summary.
    assert [line for line in printed if line.startswith("regel ")] == [
        f"regel {_first_lines(cbs_address_lines(3000))['1801AB']}: nieuw 1801AB"]
    assert "3.000 regels van andere gemeenten zijn weggelaten." in printed
    assert "2 nieuw, 0 bijgewerkt, 2 ongewijzigd, 0 overgeslagen, 0 afgewezen." in printed
    db.session.expire_all()
    assert len(table()) == 4


def test_a_large_cbs_file_keeps_one_report_line_per_postcode(world):
    report = PostcodesImporter(None).run(cbs_address_file(20_000), "pc6hnr.csv",
                                         dry_run=True)
    assert len(report.lines) == 4 and report.ok


def test_postcodes_of_removed_buurten_are_named_in_the_notes(world):
    db.session.execute(delete(Postcode).where(Postcode.postcode == "1801AA"))
    db.session.add(Postcode(postcode="1809ZZ", street="", city="",
                            district=db.session.scalars(select(District)).first()))
    db.session.commit()
    report = PostcodesImporter(None).run(cbs_address_file(10), "pc6hnr.csv")
    assert "1 postcode in de tabel staat niet in dit bestand. Die blijft zoals hij is." \
        in report.notes


# --- the page /beheer/postcodes -----------------------------------------------------------

def _upload(client, data: bytes, filename: str, dry_run: bool):  # type: ignore[no-untyped-def]
    form = {"file": (io.BytesIO(data), filename)}
    if dry_run:
        form["dry_run"] = "y"
    return client.post("/beheer/postcodes", data=form, content_type="multipart/form-data")


def test_the_postcode_page_is_for_administrators_only(world, login_as, client):
    assert client.get("/beheer/postcodes").status_code == 302  # to the login page
    for email in ("noord@example.org", "clerk@example.org"):
        team = login_as(email)
        assert team.get("/beheer/postcodes").status_code == 403
        assert _upload(team, GOOD.encode(), "postcodes.csv", dry_run=False).status_code == 403
    assert table() == BEFORE
    page = login_as("admin@example.org").get("/beheer/postcodes").get_data(as_text=True)
    assert "De tabel heeft nu 2 postcodes." in page


def test_the_cbs_file_is_checked_then_loaded_on_the_page(world, login_as):
    admin = login_as("admin@example.org")
    checked = _upload(admin, cbs_address_file(3000), "pc6hnr20230801_gwb.csv", dry_run=True)
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and table() == BEFORE
    assert "3.000 regels van andere gemeenten zijn weggelaten." in page
    assert "De tabel heeft nu 2 postcodes." in page
    # Only the postcode with a warning is listed, not every postcode (or address).
    assert "1801AB" in page and "1804AB" not in page and "1861AA" not in page
    saved = _upload(admin, cbs_zip(cbs_address_file(3000)), "cbs.zip", dry_run=False)
    page = saved.get_data(as_text=True)
    assert "De postcodes zijn opgeslagen." in page and "De tabel heeft nu 4 postcodes." in page
    db.session.expire_all()
    assert len(table()) == 4


def test_a_bad_file_on_the_page_shows_the_reasons_and_changes_nothing(world, login_as):
    page = _upload(login_as("admin@example.org"), BAD.encode(), "postcodes.csv",
                   dry_run=False).get_data(as_text=True)
    assert "Het bestand heeft fouten" in page and "BU03619901" in page
    assert table() == BEFORE


def test_an_address_file_without_a_buurt_column_is_a_file_error(world):
    report = PostcodesImporter(None).run(b"PC6;Huisnummer;Wijk2023\n1801AA;1;36101\n",
                                         "pc6hnr.csv")
    assert report.missing == ["district"] and report.file_errors and not report.lines


def test_an_address_of_this_municipality_without_a_buurt_code_is_rejected(world):
    report = PostcodesImporter(None).run(
        b"PC6;Huisnummer;Buurt2023;Wijk2023;Gemeente2023\n1806AA;1;;;361\n", "pc6hnr.csv")
    assert [(r.subject, r.messages) for r in report.lines] == [
        ("1806AA", ["De buurtcode ontbreekt."])]
    assert not report.applied
