"""The survey import: messy files, outcomes per line, idempotence and corrections."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from panel.db import db
from panel.signups import importer, services
from panel.signups.models import ImportRecord, MemberStatus, PanelMember
from tests.mailbox import outbox

HEADER = "respondent;naam;e-mail;telefoon;postcode;huisnummer;wijkcode;wijkpanel\n"
GOOD = (
    HEADER
    + "R1;Anna de Vries;anna@example.org;;1801 AA;1;;ja\n"
    + "R2;Bram Bakker;;072 123 45 67;;;WK036104;ja\n"
    + "R3;Chantal Smit;chantal@example.org;;;;WK036101;nee\n"
)


def count() -> int:
    return db.session.scalar(select(func.count(PanelMember.id))) or 0


def run(data: bytes | str, dry_run: bool = False, user=None, **kw):  # type: ignore[no-untyped-def]
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return importer.RespondentsImporter(user).run(raw, "export.csv", dry_run=dry_run, **kw)


def test_yes_becomes_invited_and_no_is_skipped(world):
    report = run(GOOD)
    assert [(r.line, r.status) for r in report.lines] == [(2, "new"), (3, "new"), (4, "skipped")]
    anna = db.session.scalars(select(PanelMember).where(PanelMember.respondent_id == "R1")).one()
    assert (anna.status, anna.source, anna.neighbourhood.code) == ("invited", "survey",
                                                                  "WK036101")
    assert anna.street == "Marelaan"
    assert len(outbox("anna@example.org")) == 1  # invitation to confirm (double opt-in)
    assert len(outbox()) == 1  # Bram has no email: he gets a letter instead


def test_dry_run_shows_exactly_what_the_real_run_does(world):
    dry = run(GOOD, dry_run=True)
    assert count() == 0 and outbox() == []
    real = run(GOOD)
    assert [(r.line, r.status, r.messages) for r in dry.lines] == \
        [(r.line, r.status, r.messages) for r in real.lines]


def test_dry_run_equals_the_real_run_with_every_kind_of_line(world):
    run(GOOD)
    db.session.commit()
    mixed = (HEADER
             + "R1;Anna de Vries;anna@example.org;;1801 AA;1;;ja\n"         # 2 unchanged
             + "R2;Bram Bakker;bram@example.org;072 123 45 67;;;WK036104;ja\n"  # 3 updated
             + "R3;Chantal Smit;chantal@example.org;;;;WK036101;nee\n"       # 4 skipped
             + "R4;Dirk Dekker;dirk@example.org;;;;WK036101;ja\n"            # 5 new
             + "R4;Dirk Dekker;dirk2@example.org;;;;WK036101;ja\n"           # 6 same person
             + "R5;Eva;not-an-email;;;;WK036101;ja\n")                       # 7 rejected
    sent = len(outbox())

    def seen(report):  # type: ignore[no-untyped-def]
        return ([(r.line, r.status, r.messages) for r in report.lines], report.summary(),
                report.summary_line())

    dry = run(mixed, dry_run=True)
    assert count() == 2 and len(outbox()) == sent
    assert db.session.scalars(select(PanelMember.email).where(
        PanelMember.respondent_id == "R2")).one() is None
    real = run(mixed)
    assert seen(dry) == seen(real)
    assert [r.status for r in real.lines] == ["unchanged", "updated", "skipped", "new",
                                              "rejected", "rejected"]
    assert "5" in real.lines[4].messages[0]
    assert real.applied and not dry.applied
    assert count() == 3 and len(outbox()) == sent + 2  # Bram's new address and Dirk


def test_importing_the_same_file_again_changes_nothing(world):
    run(GOOD)
    db.session.commit()
    again = run(GOOD)
    assert [r.status for r in again.lines] == ["unchanged", "unchanged", "skipped"]
    assert count() == 2 and len(outbox()) == 1


def test_a_corrected_file_updates_the_same_people(world):
    run(GOOD)
    db.session.commit()
    corrected = GOOD.replace("Anna de Vries", "Anna de Vries-Bos") \
        .replace("R2;Bram Bakker;;", "R2;Bram Bakker;bram@example.org;")
    report = run(corrected)
    assert [r.status for r in report.lines] == ["updated", "updated", "skipped"]
    assert count() == 2
    assert len(outbox("bram@example.org")) == 1  # a new email address gets the invitation
    # Matched on email when the respondent id is missing:
    by_email = HEADER + ";Anna Bos;anna@example.org;;1801 AA;1;;ja\n"
    assert [r.status for r in run(by_email).lines] == ["updated"]
    assert count() == 2


def test_confirmed_members_keep_their_own_details(world):
    run(GOOD)
    anna = db.session.scalars(select(PanelMember).where(PanelMember.respondent_id == "R1")).one()
    anna.status = MemberStatus.MEMBER.value
    report = run(GOOD.replace("Anna de Vries", "Other Name"))
    assert report.lines[0].status == "unchanged"
    assert anna.name == "Anna de Vries"


def test_people_who_left_are_never_invited_again(world):
    run(GOOD)
    anna = db.session.scalars(select(PanelMember).where(PanelMember.respondent_id == "R1")).one()
    services.leave(anna)
    report = run(GOOD)
    assert report.lines[0].status == "skipped"
    assert count() == 2


def test_each_bad_row_is_rejected_with_its_reason(world):
    data = (HEADER
            + "R1;A;not-an-email;;;;WK036101;ja\n"       # 2 invalid email, no other way
            + "R2;B;b@example.org;;;;WK999999;ja\n"       # 3 unknown wijk
            + "R3;C;c@example.org;;9999 ZZ;1;;ja\n"       # 4 postcode not in municipality
            + "R4;D;d@example.org;;1801 AA;1;;ja\n"       # 5 fine
            + "R4;D;d2@example.org;;1801 AA;1;;ja\n"      # 6 duplicate respondent id
            + ";E;D@example.org;;1801 AA;2;;ja\n"         # 7 new: no number, new email
            + ";E;d@Example.org;;1801 AA;2;;ja\n"         # 8 duplicate email, no number
            + ";G;;;;;WK036101;ja\n"                      # 9 no id and no email
            + "R8;H;;;;;WK036101;ja\n"                    # 10 no way to reach
            + "R9;I;i@example.org;;12;1;;ja\n"            # 11 malformed postcode
            + ";J;not-an-email;072 123 45 67;;;WK036101;ja\n")  # 12 invalid, no number
    report = run(data)
    outcome = {r.line: (r.status, " ".join(r.messages)) for r in report.lines}
    assert outcome[5][0] == "new" and outcome[7][0] == "new"
    rejected = {line for line, (status, _) in outcome.items() if status == "rejected"}
    assert rejected == {2, 3, 4, 6, 8, 9, 10, 11, 12}
    assert "5" in outcome[6][1] and "7" in outcome[8][1]
    assert "9999ZZ" in outcome[4][1]
    assert outcome[2][1] == outcome[12][1] == "Het e-mailadres klopt niet."
    assert count() == 2


def test_windows_1252_with_semicolons_as_dutch_excel_writes_it(world):
    data = GOOD.replace("Anna de Vries", "Anna Ünal-Çelik").encode("cp1252")
    report = run(data)
    assert report.count("new") == 2
    assert db.session.scalars(select(PanelMember.name).where(
        PanelMember.respondent_id == "R1")).one() == "Anna Ünal-Çelik"


def test_utf8_bom_and_commas(world):
    data = "\ufeff" + GOOD.replace(";", ",")
    assert run(data).count("new") == 2


def test_xlsx(world):
    book = Workbook()
    sheet = book.active
    for line in GOOD.strip().splitlines():
        sheet.append(line.split(";"))
    buffer = io.BytesIO()
    book.save(buffer)
    report = importer.RespondentsImporter(None).run(buffer.getvalue(), "export.xlsx")
    assert report.count("new") == 2


def test_other_headers_need_a_mapping(world):
    data = ("Resp;Volledig;Mailadres;Pc;Nr;Wijk;Wil meedoen?\n"
            "R1;Anna;anna@example.org;;;WK036101;Ja\n")
    report = run(data)
    assert report.missing == ["panel_answer"] and count() == 0
    mapping = {"respondent_id": "resp", "name": "volledig", "email": "mailadres",
               "postcode": "pc", "house_number": "nr", "wijk_code": "wijk",
               "panel_answer": "wil meedoen?", "phone": None}
    assert run(data, mapping=mapping).count("new") == 1


def test_team_member_imports_only_for_own_gebieden(world):
    report = run(GOOD, user=world.team_noord)
    assert report.lines[0].status == "new"
    assert report.lines[1].status == "rejected"  # Vroonermeer lies in gebied Zuid


def test_command_line_import_keeps_a_record(runner, world, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(GOOD.encode())
    dry = runner.invoke(args=["import-respondents", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert count() == 0
    real = runner.invoke(args=["import-respondents", str(path)])
    assert real.exit_code == 0, real.output
    assert count() == 2
    record = db.session.scalars(select(ImportRecord)).one()
    assert record.content is None and record.row_count == 3


def test_command_line_mapping_option(runner, world, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"Resp;Mail;Wijk;Doet mee\nR1;anna@example.org;WK036101;ja\n")
    failed = runner.invoke(args=["import-respondents", str(path)])
    assert failed.exit_code != 0
    result = runner.invoke(args=["import-respondents", str(path), "--map",
                                 "panel_answer=Doet mee", "--map", "email=Mail",
                                 "--map", "respondent_id=Resp", "--map", "wijk_code=Wijk"])
    assert result.exit_code == 0, result.output
    assert count() == 1


@pytest.mark.parametrize("size", [10_000])
def test_a_ten_thousand_row_import(world, size):
    lines = [HEADER]
    for number in range(size):
        wijk = "WK036101" if number % 2 else "WK036104"
        email = f"resident{number}@example.org" if number % 3 else ""
        phone = "" if email else "072 123 45 67"
        lines.append(f"R{number};Resident {number};{email};{phone};;;{wijk};ja\n")
    data = "".join(lines).encode()
    report = run(data)
    assert report.count("new") == size
    db.session.commit()
    assert count() == size
    again = run(data, dry_run=True)
    assert again.count("unchanged") == size
