"""The survey import reads a file as people write it: wijken by name, answers by meaning,
postcodes, phone numbers and additions in one form, households sharing an email address,
respondents without a usable email address, and names garbled by an encoding."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from panel.db import db
from panel.errors import DomainError
from panel.signups import importer, validation
from panel.signups.models import PanelMember
from tests import factories
from tests.mailbox import outbox

HEADER = ("Respondentnummer;Naam;E-mailadres;Telefoonnummer;Postcode;Huisnummer;Toevoeging;"
          "Wijk;Wilt u deelnemen aan een wijkpanel?\n")


def count() -> int:
    return db.session.scalar(select(func.count(PanelMember.id))) or 0


def run(lines: str, dry_run: bool = False, answers=None, user=None):  # type: ignore[no-untyped-def]
    data = (HEADER + lines).encode("cp1252")
    return importer.RespondentsImporter(user, answers).run(data, "export.csv", dry_run=dry_run)


def outcome(report) -> dict[int, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {r.line: (r.status, " ".join(r.messages)) for r in report.lines}


def member(respondent: str) -> PanelMember:
    return db.session.scalars(select(PanelMember).where(
        PanelMember.respondent_id == respondent)).one()


# --- the header -----------------------------------------------------------------------------

def test_the_bureaus_headers_are_known(world):
    report = run("R1;Anna;anna@example.org;;;;;WK036101;Ja\n")
    assert report.mapping == {
        "respondent_id": "respondentnummer", "name": "naam", "email": "e-mailadres",
        "phone": "telefoonnummer", "postcode": "postcode", "house_number": "huisnummer",
        "addition": "toevoeging", "wijk_code": "wijk",
        "panel_answer": "wilt u deelnemen aan een wijkpanel?"}
    assert report.count("new") == 1


def test_a_question_about_the_wijkpanel_in_other_words_is_the_answer_column(world):
    data = b"Resp;Mail;Wijk;Doet u graag mee met ons wijkpanel?\nR1;a@example.org;De Mare;ja\n"
    report = importer.RespondentsImporter(None).run(data, "export.csv")
    assert report.mapping["panel_answer"] == "doet u graag mee met ons wijkpanel?"
    assert report.count("new") == 1


# --- the wijk -------------------------------------------------------------------------------

@pytest.mark.parametrize("given", ["WK036101", "wk036101", "036101", "36101", "WK 036101",
                                   "De Mare", "DE MARE", "de mare", " de  Mare "])
def test_the_wijk_by_code_or_by_name_in_any_case(world, given):
    report = run(f"R1;Anna;anna@example.org;;;;;{given};ja\n")
    assert report.lines[0].status == "new", report.lines[0].messages
    assert member("R1").neighbourhood.code == "WK036101"


@pytest.mark.parametrize("given", ["Ruïnepark", "RUINEPARK", "ruinepark", "RUÏNEPARK"])
def test_the_wijk_name_with_or_without_diacritics(world, given):
    factories.neighbourhood(world.noord, "WK036103", "Ruïnepark")
    report = run(f"R1;Anna;anna@example.org;;;;;{given};ja\n")
    assert report.lines[0].status == "new", report.lines[0].messages
    assert member("R1").neighbourhood.code == "WK036103"


def test_a_wijk_name_that_fits_no_wijk_names_the_value_and_the_candidates(world):
    factories.neighbourhood(world.noord, "WK036102", "Overdie")
    report = run("R1;A;a@example.org;;;;;OVERDIJE;ja\n"
                 "R2;B;b@example.org;;;;;Centrum;ja\n"
                 "R3;C;c@example.org;;;;;WK036199;ja\n")
    lines = outcome(report)
    assert lines[2] == ("rejected", "De wijk OVERDIJE is onbekend. Bedoelt u Overdie "
                                    "(WK036102)?")
    assert lines[3][0] == "rejected"
    assert "Centrum" in lines[3][1]
    assert "De Mare (WK036101)" in lines[3][1] and "Overdie (WK036102)" in lines[3][1]
    assert lines[4] == ("rejected", "De wijk WK036199 is onbekend.")
    assert count() == 0


def test_a_wijk_name_that_fits_more_than_one_wijk_is_rejected_with_both(world):
    factories.neighbourhood(world.noord, "WK036105", "Centrum")
    factories.neighbourhood(world.zuid, "WK036106", "Centrum")
    report = run("R1;A;a@example.org;;;;;CENTRUM;ja\n"
                 "R2;B;b@example.org;;;;;WK036105;ja\n")
    lines = outcome(report)
    assert lines[2][0] == "rejected"
    assert "CENTRUM" in lines[2][1]
    assert "Centrum (WK036105)" in lines[2][1] and "Centrum (WK036106)" in lines[2][1]
    assert lines[3][0] == "new"


def test_a_team_member_imports_a_wijk_by_name_only_in_their_gebieden(world):
    report = run("R1;A;a@example.org;;;;;DE MARE;ja\nR2;B;b@example.org;;;;;Vroonermeer;ja\n",
                 user=world.team_noord)
    assert [r.status for r in report.lines] == ["new", "rejected"]
    assert report.lines[1].messages == ["Deze wijk hoort niet bij uw gebieden."]


# --- the answer -----------------------------------------------------------------------------

YES = ["ja", "Ja", "JA", "ja, graag", "Ja, graag!", "ja graag", "jazeker", "Ja zeker",
       "zeker", "Zeker!", "yes", "Ja hoor", "j", "x"]
NO = ["nee", "Nee", "nee, dank u", "Nee, dank u wel.", "liever niet", "Liever niet!", "no",
      "nee bedankt", "geen interesse"]


@pytest.mark.parametrize("answer", YES)
def test_known_yes_forms(answer):
    assert validation.answer_choice(answer) == "yes"


@pytest.mark.parametrize("answer", NO)
def test_known_no_forms(answer):
    assert validation.answer_choice(answer) == "no"


@pytest.mark.parametrize("answer", ["Misschien", "weet ik niet", "Weet ik niet.", "", "?",
                                    "ja/nee", "later"])
def test_other_answers_are_neither(answer):
    assert validation.answer_choice(answer) is None


def test_answers_that_are_not_yes_are_skipped_with_the_answer_named(world):
    report = run("R1;A;a@example.org;;;;;WK036101;Ja, graag!\n"
                 "R2;B;b@example.org;;;;;WK036101;nee, dank u\n"
                 "R3;C;c@example.org;;;;;WK036101;Misschien\n"
                 "R4;D;d@example.org;;;;;WK036101;Weet ik niet\n"
                 "R5;E;e@example.org;;;;;WK036101;\n"
                 "R6;F;f@example.org;;;;;WK036101;  \n")
    assert outcome(report) == {
        2: ("new", ""),
        3: ("skipped", "Zei nee tegen het panel."),
        4: ("skipped", "Antwoord 'Misschien' is geen ja."),
        5: ("skipped", "Antwoord 'Weet ik niet' is geen ja."),
        6: ("skipped", "Geen antwoord op de panelvraag."),
        7: ("skipped", "Geen antwoord op de panelvraag."),
    }
    assert report.count("rejected") == 0
    assert count() == 1


def test_staff_say_what_an_answer_means(world):
    lines = ("R1;A;a@example.org;;;;;WK036101;Misschien\n"
             "R2;B;b@example.org;;;;;WK036101;Ja, lijkt me leuk\n"
             "R3;C;c@example.org;;;;;WK036101;ja\n"
             "R4;D;d@example.org;;;;;WK036101;MISSCHIEN!\n")
    choices = {"misschien": "no", "ja, lijkt me leuk": "yes", "Ja": "skip"}
    dry = run(lines, dry_run=True, answers=choices)
    real = run(lines, answers=choices)
    assert outcome(dry) == outcome(real) == {
        2: ("skipped", "Zei nee tegen het panel."),
        3: ("new", ""),
        4: ("skipped", "Antwoord 'ja' is geen ja."),
        5: ("skipped", "Zei nee tegen het panel."),
    }
    assert count() == 1


def test_the_distinct_answers_with_how_often_each_occurs(world):
    data = (HEADER + "R1;A;;;;;;;Ja\nR2;B;;;;;;;ja\nR3;C;;;;;;;Misschien\nR4;D;;;;;;;\n"
            "R5;E;;;;;;;ja, graag\nR6;F;;;;;;;Ja, graag!\nR7;G;;;;;;;Ja, graag!\n")
    table = importer.RespondentsImporter(None).read(data.encode(), "export.csv")
    groups = importer.answer_groups(table, "wilt u deelnemen aan een wijkpanel?",
                                    {"Misschien": "yes"})
    assert [(g.key, g.spellings, g.count, g.choice, g.known) for g in groups] == [
        ("ja graag", ["Ja, graag!", "ja, graag"], 3, "yes", "yes"),
        ("ja", ["Ja", "ja"], 2, "yes", "yes"),
        ("misschien", ["Misschien"], 1, "yes", None),
        ("", [], 1, "skip", None),
    ]


# --- postcodes, phone numbers, additions -------------------------------------------------------

@pytest.mark.parametrize(("typed", "written"), [
    ("1813-EG", "1813EG"), ("1813 eg", "1813EG"), ("1813eg", "1813EG"), ("1813.EG", "1813EG"),
    (" 1813  EG ", "1813EG")])
def test_postcodes_in_one_form(typed, written):
    assert validation.postcode(typed) == written


@pytest.mark.parametrize(("typed", "written"), [
    ("(072) 512 34 56", "072 512 34 56"), ("072-5123456", "072 512 34 56"),
    ("072.512.34.56", "072 512 34 56"), ("0725123456", "072 512 34 56"),
    ("+31 72 512 34 56", "072 512 34 56"), ("+31 (0)72 512 34 56", "072 512 34 56"),
    ("0031 72 5123456", "072 512 34 56"), ("+31 6 12345678", "06 12345678"),
    ("+31612345678", "06 12345678"), ("06-12 34 56 78", "06 12345678"),
    ("612345678", "06 12345678"), ("0612345678.0", "06 12345678"),
    ("020 123 4567", "020 123 45 67"), ("0229-213456", "0229 21 34 56"),
    ("088 123 45 67", "088 123 45 67"), ("0800-1234", "0800 1234"),
    ("+32 470 12 34 56", "+32470123456"), ("0032 470 123456", "+32470123456")])
def test_phone_numbers_in_one_form(typed, written):
    assert validation.phone(typed) == written


@pytest.mark.parametrize("typed", ["abc", "12345", "072 512 34 5", "+31 72 512 34 56 78",
                                   "+31 6 1234", "072 512 34 56 ext 2"])
def test_what_cannot_be_a_phone_number(typed):
    with pytest.raises(DomainError):
        validation.phone(typed)


@pytest.mark.parametrize(("number", "addition", "written"), [
    ("12", "", "12"), ("12", "a", "12a"), ("12", "A", "12A"), ("12", "2", "12-2"),
    ("12", "bis", "12-bis"), ("12", "-3", "12-3"), ("12a", "2", "12a-2"), ("12.0", "", "12")])
def test_an_addition_is_joined_to_the_house_number(number, addition, written):
    assert validation.house_number(number, addition) == written


def test_the_import_writes_them_in_one_form_and_says_how_many(world):
    report = run("R1;A;a@example.org;(072) 512 34 56;1801-aa;12;a;DE MARE;ja\n"
                 "R2;B;b@example.org;+31 6 12345678;1801 AA;14;2;WK036101;ja\n"
                 "R3;C;c@example.org;072 512 34 57;1801AA;16;;WK036101;ja\n")
    assert [r.status for r in report.lines] == ["new", "new", "new"]
    anna, bram, cor = member("R1"), member("R2"), member("R3")
    assert (anna.postcode, anna.house_number, anna.phone) == ("1801AA", "12a", "072 512 34 56")
    assert (bram.postcode, bram.house_number, bram.phone) == ("1801AA", "14-2", "06 12345678")
    assert (cor.postcode, cor.house_number, cor.phone) == ("1801AA", "16", "072 512 34 57")
    assert report.notes == [
        "Postcodes in de gewone vorm gezet (zoals 1813EG): 1.",
        "Telefoonnummers in de gewone vorm gezet (zoals 072 512 34 56 of 06 12345678): 2.",
        "Toevoegingen bij het huisnummer gezet: 2.",
        "Regels met de naam van de wijk in plaats van de code: 1.",
    ]


def test_a_phone_number_that_cannot_be_one_is_left_out_when_there_is_another_way(world):
    report = run("R1;A;a@example.org;bel me maar;;;;WK036101;ja\n"
                 "R2;B;;bel me maar;;;;WK036101;ja\n")
    assert [r.status for r in report.lines] == ["new", "rejected"]
    assert report.lines[0].warnings == [
        "Het telefoonnummer bel me maar klopt niet: ingelezen zonder telefoonnummer."]
    assert member("R1").phone == ""
    assert report.lines[1].messages == [
        "Dit is geen telefoonnummer. Bijvoorbeeld: 072 123 45 67."]


# --- who cannot be emailed -----------------------------------------------------------------

def test_an_email_address_that_cannot_be_valid_with_a_phone_or_address(world):
    report = run("R1;Anna;anna@@example;072 512 34 56;;;;WK036101;ja\n"
                 "R2;Bram;bram at example;;1801 AA;12;;;ja\n"
                 "R3;Cor;cor@;;;;;WK036101;ja\n"
                 "R4;Dirk;;;;;;WK036101;ja\n")
    lines = outcome(report)
    assert [lines[n][0] for n in (2, 3, 4, 5)] == ["new", "new", "rejected", "rejected"]
    assert report.lines[0].warnings == [
        "Het e-mailadres anna@@example klopt niet: ingelezen zonder e-mailadres. Bereik "
        "deze persoon per telefoon of brief."]
    assert report.lines[1].warnings[0].startswith("Het e-mailadres bram at example klopt")
    assert lines[4][1] == "Het e-mailadres klopt niet."
    assert "niet bereiken" in lines[5][1]
    assert (member("R1").email, member("R1").phone) == (None, "072 512 34 56")
    assert (member("R2").email, member("R2").street) == (None, "Marelaan")
    assert outbox() == []
    assert ("Nieuwe of gewijzigde mensen zonder bruikbaar e-mailadres, te bereiken per "
            "telefoon of brief: 2.") in report.notes


def test_a_known_persons_email_address_stays_when_the_file_has_one_that_cannot_be_valid(world):
    run("R1;Anna;anna@example.org;;;;;WK036101;ja\n")
    db.session.commit()
    report = run("R1;Anna Bos;anna@@example;072 512 34 56;;;;WK036101;ja\n")
    assert report.lines[0].status == "updated" and report.lines[0].warnings
    assert (member("R1").name, member("R1").email) == ("Anna Bos", "anna@example.org")


# --- names garbled by an encoding ----------------------------------------------------------

@pytest.mark.parametrize("name", ["Ren? de Vries", "RenÃ© de Vries", "FranÃ§oise Ãœnal",
                                  "Ren\ufffd de Vries"])
def test_a_name_that_lost_letters_to_the_encoding_gets_a_warning(world, name):
    data = (HEADER + f"R1;{name};a@example.org;;;;;WK036101;ja\n").encode("utf-8")
    report = importer.RespondentsImporter(None).run(data, "export.csv")
    assert report.lines[0].status == "new"
    assert report.lines[0].warnings == [
        f"Bij de naam {name} zijn misschien letters verloren gegaan door de codering van het "
        "bestand. Controleer de naam."]
    assert report.notes[-1].startswith("Namen waarbij misschien letters verloren")


@pytest.mark.parametrize("name", ["René de Vries", "Anna Ünal-Çelik", "Jan-Willem O'Brien",
                                  "Zoë van 't Hof"])
def test_a_name_with_accents_is_fine(world, name):
    report = run(f"R1;{name};a@example.org;;;;;WK036101;ja\n")
    assert report.lines[0].warnings == []
    assert member("R1").name == name


# --- households and duplicates ---------------------------------------------------------------

def test_a_household_shares_an_email_address_and_each_gets_their_own_invitation(world):
    lines = ("R1;Anna Jansen;fam.jansen@example.org;;;;;WK036101;ja\n"
             "R2;Bram Jansen;Fam.Jansen@example.org;;;;;WK036101;ja\n")
    dry = run(lines, dry_run=True)
    real = run(lines)
    assert outcome(dry) == outcome(real) == {2: ("new", ""), 3: ("new", "")}
    anna, bram = member("R1"), member("R2")
    assert anna.id != bram.id and anna.email == bram.email == "fam.jansen@example.org"
    invitations = outbox("fam.jansen@example.org")
    assert len(invitations) == 2
    bodies = [message.text_body for message in invitations]
    assert any("Anna Jansen" in body for body in bodies)
    assert any("Bram Jansen" in body for body in bodies)
    db.session.commit()
    assert [r.status for r in run(lines).lines] == ["unchanged", "unchanged"]


def test_the_same_respondent_number_twice_is_rejected_with_the_first_line(world):
    report = run("R1;Anna;anna@example.org;;;;;WK036101;ja\n"
                 "R2;Bram;bram@example.org;;;;;WK036101;nee\n"
                 "R1;Anna;anna2@example.org;;;;;WK036101;ja, graag\n")
    assert outcome(report)[4] == ("rejected", "Dezelfde persoon staat ook op regel 2.")
    assert count() == 1


def test_without_a_respondent_number_a_line_is_matched_on_an_email_only_one_person_has(world):
    run("R1;Anna Jansen;fam.jansen@example.org;;;;;WK036101;ja\n"
        "R2;Bram Jansen;fam.jansen@example.org;;;;;WK036101;ja\n"
        "R3;Cor Smit;cor@example.org;;;;;WK036101;ja\n")
    db.session.commit()
    report = run(";Cor Smit-Bos;cor@example.org;;;;;WK036101;ja\n"
                 ";Jansen;fam.jansen@example.org;;;;;WK036101;ja\n")
    assert outcome(report) == {
        2: ("updated", ""),
        3: ("rejected", "Meer dan één panellid heeft dit e-mailadres. Zet het "
                        "respondentnummer erbij, zodat duidelijk is wie dit is."),
    }
    assert member("R3").name == "Cor Smit-Bos"
    assert count() == 3


def test_a_new_respondent_number_with_a_known_email_address_is_a_new_person(world):
    run("R1;Anna Jansen;fam.jansen@example.org;;;;;WK036101;ja\n")
    db.session.commit()
    report = run("R2;Bram Jansen;fam.jansen@example.org;;;;;WK036101;ja\n")
    assert report.lines[0].status == "new"
    assert count() == 2
    assert member("R1").name == "Anna Jansen"


def test_two_members_may_share_an_email_address_in_the_database(world):
    factories.member(world.mare, "Anna Jansen", "fam.jansen@example.org")
    factories.member(world.mare, "Bram Jansen", "fam.jansen@example.org")
    db.session.commit()
    assert db.session.scalar(select(func.count(PanelMember.id)).where(
        PanelMember.email == "fam.jansen@example.org")) == 2
