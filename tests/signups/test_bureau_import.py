"""A research bureau's export (tests/signups/bureau.py) through the service, the command
line and the staff pages: every willing respondent becomes a member, nobody else does, and
the report says what was put in one form and what needs a look."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select

from panel.db import db
from panel.signups import importer
from panel.signups.models import ImportRecord, PanelMember
from panel.tabular import read_table
from tests.mailbox import outbox
from tests.signups.bureau import (
    BAD_EMAIL,
    CUSTOM_YES,
    CUSTOM_YES_COUNT,
    DUPLICATES,
    GARBLED,
    HOUSEHOLDS,
    SKIPPED,
    WILLING,
    WITH_EMAIL,
    WITHOUT_EMAIL,
    add_bureau_wijken,
    bureau_export,
    respondent_number,
    willing,
)


@pytest.fixture
def bureau(world):  # type: ignore[no-untyped-def]
    add_bureau_wijken(world)
    db.session.commit()
    return world


def members() -> list[PanelMember]:
    return list(db.session.scalars(select(PanelMember).order_by(PanelMember.respondent_id)))


def count() -> int:
    return db.session.scalar(select(func.count(PanelMember.id))) or 0


def seen(report):  # type: ignore[no-untyped-def]
    return ([(r.line, r.status, r.messages, r.warnings) for r in report.lines],
            report.summary(), report.notes)


def member(i: int) -> PanelMember:
    return db.session.scalars(select(PanelMember).where(
        PanelMember.respondent_id == str(respondent_number(i)))).one()


# --- the service ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_every_willing_respondent_of_a_bureau_export_becomes_a_member(bureau, kind):
    data = bureau_export(kind)
    choices = {CUSTOM_YES: "yes"}
    dry = importer.RespondentsImporter(None, choices).run(data, f"export.{kind}", dry_run=True)
    assert count() == 0 and outbox() == []
    real = importer.RespondentsImporter(None, choices).run(data, f"export.{kind}")
    assert seen(dry) == seen(real)
    assert real.summary() == {"new": WILLING, "updated": 0, "unchanged": 0,
                              "skipped": SKIPPED, "rejected": DUPLICATES}

    everyone = members()
    assert len(everyone) == WILLING
    assert {m.respondent_id for m in everyone} == {str(p.number) for p in willing()}
    assert {(m.status, m.source) for m in everyone} == {("invited", "survey")}
    with_email = [m for m in everyone if m.email]
    without_email = [m for m in everyone if not m.email]
    assert (len(with_email), len(without_email)) == (WITH_EMAIL, WITHOUT_EMAIL)
    assert all(m.phone or (m.postcode and m.house_number) for m in without_email)
    assert len(outbox()) == WITH_EMAIL  # one invitation each, households included
    for email, pair in HOUSEHOLDS:
        sharing = [m for m in everyone if m.email == email]
        assert sorted(m.respondent_id for m in sharing) == \
            [str(respondent_number(i)) for i in pair]
        assert len(outbox(email)) == 2

    # Read as people wrote it, stored in one form.
    first, second, third = member(0), member(1), member(2)
    assert (first.neighbourhood.code, first.postcode, first.house_number, first.phone) == \
        ("WK036101", "1801AA", "1", "072 512 34 00")
    assert (second.neighbourhood.code, second.postcode, second.house_number) == \
        ("WK036101", "1801AA", "2a")
    assert (third.neighbourhood.code, third.postcode, third.house_number, third.phone) == \
        ("WK036102", "1813EG", "3-2", "06 12345602")
    assert member(6).neighbourhood.code == member(7).neighbourhood.code == "WK036103"
    assert member(6).phone == "06 12345606"  # in the XLSX, Excel had dropped the 0

    lines = {r.line: r for r in real.lines}
    rejected = [r for r in real.lines if r.status == "rejected"]
    for line in rejected:
        first_line = int(re.fullmatch(r"Dezelfde persoon staat ook op regel (\d+)\.",
                                      line.messages[0]).group(1))
        assert lines[first_line].status == "new"
    reasons = {r.messages[0] for r in real.lines if r.status == "skipped"}
    assert reasons == {"Zei nee tegen het panel.", "Antwoord 'Misschien' is geen ja.",
                       "Antwoord 'Weet ik niet' is geen ja.",
                       "Geen antwoord op de panelvraag."}
    warnings = [w for r in real.lines for w in r.warnings]
    assert sum("klopt niet: ingelezen zonder e-mailadres" in w for w in warnings) == BAD_EMAIL
    assert sum("letters verloren" in w for w in warnings) == len(GARBLED)
    assert f"Nieuwe of gewijzigde mensen zonder bruikbaar e-mailadres, te bereiken per " \
           f"telefoon of brief: {WITHOUT_EMAIL}." in real.notes
    assert any(n.startswith("Postcodes in de gewone vorm gezet") for n in real.notes)
    assert any(n.startswith("Telefoonnummers in de gewone vorm gezet") for n in real.notes)
    assert any(n.startswith("Toevoegingen bij het huisnummer gezet") for n in real.notes)

    db.session.commit()
    again = importer.RespondentsImporter(None, choices).run(data, f"export.{kind}")
    assert again.count("unchanged") == WILLING and count() == WILLING


def test_an_answer_nobody_marked_as_yes_is_skipped_with_the_answer_named(bureau):
    report = importer.RespondentsImporter(None).run(bureau_export("csv"), "export.csv")
    assert report.count("new") == WILLING - CUSTOM_YES_COUNT
    named = [r for r in report.lines if r.messages == [f"Antwoord '{CUSTOM_YES}' is geen ja."]]
    assert len(named) == CUSTOM_YES_COUNT and all(r.status == "skipped" for r in named)


# --- the command line -------------------------------------------------------------------------

def test_the_command_line_imports_the_export_with_the_answers_it_is_told(runner, bureau,
                                                                        tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(bureau_export("csv"))
    args = ["import-respondents", str(path), "--yes", "ja, LIJKT me leuk", "--no", "Misschien"]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert count() == 0 and outbox() == []
    real = runner.invoke(args=args)
    assert real.exit_code == 0, real.output
    assert count() == WILLING and len(outbox()) == WITH_EMAIL
    assert dry.output.splitlines()[:-1] == real.output.splitlines()[:-1]
    summary = f"{WILLING} nieuw, 0 bijgewerkt, 0 ongewijzigd, {SKIPPED} overgeslagen, " \
              f"{DUPLICATES} afgewezen."
    assert summary in real.output
    assert "Antwoord 'Misschien'" not in real.output  # told: it means no
    assert "Antwoord 'Weet ik niet' is geen ja." in real.output
    assert "Geen antwoord op de panelvraag." in real.output
    assert "Dezelfde persoon staat ook op regel" in real.output
    assert "  let op: Bij de naam Ren? de Vries zijn misschien letters verloren" in real.output
    assert f"telefoon of brief: {WITHOUT_EMAIL}." in real.output
    record = db.session.scalars(select(ImportRecord)).one()
    assert record.content is None and record.row_count == WILLING + SKIPPED + DUPLICATES


def test_the_command_line_refuses_an_answer_given_as_yes_and_as_no(runner, bureau, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(bureau_export("csv"))
    result = runner.invoke(args=["import-respondents", str(path), "--yes", "Misschien",
                                 "--no", "misschien!"])
    assert result.exit_code != 0
    assert count() == 0


def test_the_command_line_takes_the_header_line(runner, world, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"Gemaakt op;5-12-2026;door;Peil\nResp.;E-post;Gebied;Vraag 17\n"
                     b"R1;a@example.org;De Mare;ja\n")
    args = ["import-respondents", str(path), "--map", "respondent_id=Resp.", "--map",
            "email=E-post", "--map", "wijk_code=Gebied", "--map", "panel_answer=Vraag 17"]
    assert runner.invoke(args=args).exit_code != 0  # the first line was taken as the header
    result = runner.invoke(args=[*args, "--header-line", "2"])
    assert result.exit_code == 0, result.output
    assert count() == 1


# --- finding the header row -----------------------------------------------------------------

def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_header_row_below_a_title_also_when_no_header_is_known(kind):
    rows: list[list[object]] = [["Veiligheidsmonitor 2026"], [], ["Resp.", "E-post", "Vraag 17"],
                                ["R1", "a@example.org", "ja"]]
    data = _xlsx(rows) if kind == "xlsx" else \
        "\r\n".join(";".join(map(str, row)) for row in rows).encode("cp1252")
    table = read_table(data, f"export.{kind}")
    assert (table.header_line, table.headers) == (3, ["resp.", "e-post", "vraag 17"])
    assert table.rows == [(4, {"resp.": "R1", "e-post": "a@example.org", "vraag 17": "ja"})]
    assert [line for line, _cells in table.first_lines] == [1, 3, 4]
    chosen = read_table(data, f"export.{kind}", header_line=1)
    assert chosen.header_line == 1 and chosen.headers == ["veiligheidsmonitor 2026"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_bureau_export_has_its_header_row_found(bureau, kind):
    table = importer.RespondentsImporter(None).read(bureau_export(kind), f"export.{kind}")
    assert table.header_line == 3
    assert table.headers[-1] == "wilt u deelnemen aan een wijkpanel?"


# --- the staff pages --------------------------------------------------------------------------

class _Form(HTMLParser):
    """The values a browser would send for the page's form without an action (the mapping
    step, not the sign-out button): hidden inputs, selected options and checked radio
    buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.selects: dict[str, list[str]] = {}
        self._select: str | None = None
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._inside = "action" not in found
        if not self._inside:
            return
        if tag == "input" and found.get("type") == "hidden":
            self.values[found["name"]] = found.get("value", "")
        elif tag == "input" and found.get("type") == "radio" and "checked" in found:
            self.values[found["name"]] = found["value"]
        elif tag == "select":
            self._select = found["name"]
            self.selects[self._select] = []
        elif tag == "option" and self._select:
            self.selects[self._select].append(found["value"])
            if "selected" in found:
                self.values[self._select] = found["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._inside = False


def form_of(page: str) -> _Form:
    parser = _Form()
    parser.feed(page)
    return parser


def answer_field(form: _Form, key: str) -> str:
    """The name of the radio buttons for the answer ``key`` (as compared)."""
    [name] = [name[:-4] for name, value in form.values.items()
              if name.endswith("-key") and value == key]
    return name


def upload(client: FlaskClient, data: bytes, filename: str):  # type: ignore[no-untyped-def]
    return client.post("/beheer/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def result_rows(page: str) -> list[tuple[str, str]]:
    table = page.split('id="import-lines-caption"')[1].split("</table>")[0]
    return re.findall(r'<tr class="utrecht-table__row">\s*<td[^>]*>(\d+)</td>\s*'
                      r'<td[^>]*>([^<]*)</td>', table)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_mapping_step_shows_the_answers_and_staff_mark_each(login_as, bureau, kind):
    team = login_as("noord@example.org")
    location = upload(team, bureau_export(kind), f"export.{kind}").headers["Location"]
    page = team.get(location).get_data(as_text=True)
    form = form_of(page)
    assert form.values["header_line"] == "3" and form.values["map-wijk_code"] == "wijk"
    assert form.values["map-panel_answer"] == "wilt u deelnemen aan een wijkpanel?"
    assert "“Misschien”: 6 keer" in page
    assert "“Weet ik niet”: 3 keer" in page
    assert "“Nee”: 10 keer" in page
    assert "Geen antwoord: 7 keer. Deze regels worden overgeslagen." in page
    assert re.search(r"“ja, graag / Ja, graag! / ja graag”: \d+ keer", page)
    assert form.values[answer_field(form, "misschien")] == "skip"
    assert form.values[answer_field(form, "ja graag")] == "yes"
    assert form.values[answer_field(form, "nee dank u")] == "no"
    assert form.values[answer_field(form, "ja lijkt me leuk")] == "skip"
    assert f"{WILLING - CUSTOM_YES_COUNT} nieuw" in page
    assert "Antwoord &#39;Misschien&#39; is geen ja." in page
    assert count() == 0

    form.values[answer_field(form, "misschien")] = "no"
    form.values[answer_field(form, "ja lijkt me leuk")] = "yes"
    page = team.post(location, data={**form.values, "dry_run": "1"}).get_data(as_text=True)
    checked = form_of(page)
    assert checked.values[answer_field(checked, "misschien")] == "no"
    assert checked.values[answer_field(checked, "ja lijkt me leuk")] == "yes"
    assert f"{WILLING} nieuw, 0 bijgewerkt, 0 ongewijzigd, {SKIPPED} overgeslagen, " \
           f"{DUPLICATES} afgewezen." in page
    assert "Antwoord &#39;Misschien&#39; is geen ja." not in page
    assert "Postcodes in de gewone vorm gezet" in page
    assert count() == 0

    page = team.post(location, data={**checked.values, "dry_run": "0"}).get_data(as_text=True)
    assert "Ingelezen" in page
    assert count() == WILLING and len(outbox()) == WITH_EMAIL
    # The page shows the first lines and those with a reason; the others are counted.
    assert f"{WILLING} nieuw, 0 bijgewerkt" in page
    assert len(result_rows(page)) < WILLING + SKIPPED + DUPLICATES
    assert "regels staan hier niet." in page


def test_staff_choose_the_line_with_the_column_names(login_as, world):
    team = login_as("noord@example.org")
    data = (b"Gemaakt op;5-12-2026;door;Peil\nResp.;E-post;Gebied;Vraag 17\n"
            b"R1;a@example.org;De Mare;ja\n")
    location = upload(team, data, "export.csv").headers["Location"]
    page = team.get(location).get_data(as_text=True)
    form = form_of(page)
    assert form.values["header_line"] == "1"  # as many cells as the real header row
    assert form.selects["header_line"] == ["1", "2", "3"]
    assert "Regel 2: Resp.; E-post; Gebied; Vraag 17" in page
    assert "gemaakt op" in form.selects["map-name"]

    # Another header row: the columns are found again, and nothing is imported yet.
    form.values["header_line"] = "2"
    page = team.post(location, data={**form.values, "dry_run": "0"}).get_data(as_text=True)
    form = form_of(page)
    assert form.values["header_line"] == form.values["shown_header_line"] == "2"
    assert form.selects["map-name"] == ["", "resp.", "e-post", "gebied", "vraag 17"]
    assert count() == 0

    form.values.update({"map-respondent_id": "resp.", "map-email": "e-post",
                        "map-wijk_code": "gebied", "map-panel_answer": "vraag 17"})
    page = team.post(location, data={**form.values, "dry_run": "1"}).get_data(as_text=True)
    assert result_rows(page) == [("3", "nieuw")]
    assert "“ja”: 1 keer" in page
    page = team.post(location, data={**form.values, "dry_run": "0"}).get_data(as_text=True)
    assert count() == 1


def test_the_rarest_answers_are_counted_but_not_offered(login_as, world):
    team = login_as("noord@example.org")
    lines = [f"R{i};r{i}@example.org;WK036101;antwoord {i}" for i in range(45)]
    data = ("Respondent;E-mail;Wijkcode;Wijkpanel\n" + "\n".join(lines) + "\n").encode()
    location = upload(team, data, "export.csv").headers["Location"]
    page = team.get(location).get_data(as_text=True)
    assert len([name for name in form_of(page).values if name.endswith("-key")]) == 40
    assert "Er zijn nog 5 andere antwoorden die minder vaak voorkomen." in page
