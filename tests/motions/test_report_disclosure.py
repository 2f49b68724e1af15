"""Disclosure control in follow-up reports: no small count can be worked out from what a
report shows, in any format, nor from two versions of it together.

Each test plays the reader as tests/test_disclosure.py does: it reads a table from the page,
the CSV files, the workbook and the JSON (the API serves the same JSON), and tries every
value the hidden cells could have.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
import re
import zipfile
from collections.abc import Hashable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from typing import Any

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import load_workbook

from panel.auth.models import Role
from panel.db import db
from panel.disclosure import SECONDARY, Sum, protect
from panel.feedback.models import FeedbackItem, Theme
from panel.meetings.models import Meeting
from panel.motions import exports, services
from panel.motions.models import FollowUpReport, ReportStatus
from tests import factories
from tests.test_disclosure import MINIMUM, assert_safe

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
NOTE_NL = "x: niet getoond, zodat een klein aantal niet uit te rekenen is."


def _moment(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """Gebied Noord with De Mare, Oudorp and Daalmeer, a clerk and two themes."""
    factories.municipality()
    noord = factories.area("noord", "Noord")
    mare = factories.neighbourhood(noord, "WK036101", "De Mare")
    oudorp = factories.neighbourhood(noord, "WK036102", "Oudorp")
    daalmeer = factories.neighbourhood(noord, "WK036103", "Daalmeer")
    clerk = factories.user(Role.CLERK, email="griffie@example.org")
    traffic = Theme(code="verkeer", name_nl="Verkeer", name_en="Traffic", position=1)
    youth = Theme(code="jeugd", name_nl="Jongeren", name_en="Young people", position=2)
    db.session.add_all([traffic, youth])
    db.session.flush()
    motion = services.save_motion(clerk, services.MotionData(
        reference="M2025-009", title="Veilig in Noord", adopted_on=date(2024, 12, 1),
        text="", area_codes=["noord"]))
    return SimpleNamespace(noord=noord, mare=mare, oudorp=oudorp, daalmeer=daalmeer,
                           clerk=clerk, traffic=traffic, youth=youth, motion=motion)


def _members(wijk, source: str, number: int) -> None:  # type: ignore[no-untyped-def]
    for _n in range(number):
        factories.member(wijk, source=source, confirmed_at=_moment(date(2025, 2, 1)))


def _report(world, session) -> FollowUpReport:  # type: ignore[no-untyped-def]
    report = services.start_report(world.clerk, world.motion.id, *PERIOD)
    session.commit()
    return report


# --- what each format shows ---------------------------------------------------------------

def _number(text: object) -> int | str:
    """A cell as the reader takes it: a number, or the mark ("< 5", "x")."""
    if isinstance(text, int):
        return text
    text = str(text).strip()
    return int(text) if text.isdigit() else text


def _page_rows(page: str, key: str) -> list[list[int | str]]:
    section = page.split(f'id="section-{key}"', 1)[1].split("</section>", 1)[0]
    return [[_number(html.unescape(cell)) for cell in
             re.findall(r'<td class="utrecht-table__cell">(.*?)</td>', row)]
            for row in re.findall(r'<tr class="utrecht-table__row">(.*?)</tr>', section)
            if "<td" in row]


def _csv_rows(zipped: bytes, key: str) -> list[list[int | str]]:
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(f"-{key}.csv"))
        text = archive.read(name).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))[1:]
    return [[_number(cell) for cell in row] for row in rows]


def _xlsx_rows(workbook: bytes, title: str) -> list[list[int | str]]:
    sheet = load_workbook(io.BytesIO(workbook))[title]
    return [[_number("" if cell is None else cell) for cell in row]
            for row in list(sheet.iter_rows(values_only=True))[1:]]


def _formats(client, report_id: int, key: str, title: str) -> dict[str, list[list[Any]]]:  # type: ignore[no-untyped-def]
    """The rows of one table as the page, the CSV zip and the workbook show them."""
    base = f"/beheer/moties/rapportages/{report_id}"
    page = client.get(base).get_data(as_text=True)
    assert client.get(f"{base}/afdruk").status_code == 200
    return {"page": _page_rows(page, key),
            "print": _page_rows(client.get(f"{base}/afdruk").get_data(as_text=True), key),
            "csv": _csv_rows(client.get(f"{base}/export.zip").data, key),
            "xlsx": _xlsx_rows(client.get(f"{base}/export.xlsx").data, title)}


def _json(client, report_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return json.loads(client.get(f"/beheer/moties/rapportages/{report_id}/export.json").data)


# --- one table at a time ------------------------------------------------------------------

def test_members_a_small_row_next_to_its_total_cannot_be_worked_out(client, world, session):
    # 4 online in De Mare next to 10, 7 and 5: total 26 (the case the clerk's office found)
    _members(world.mare, "online", 4)
    _members(world.mare, "survey", 10)
    _members(world.oudorp, "staff", 7)
    _members(world.daalmeer, "online", 5)
    report = _report(world, session)
    factories.login(client, "griffie@example.org")
    keys = ["a", "b", "c", "d"]
    values = {"a": 4, "b": 10, "c": 7, "d": 5, "total": 26}
    sums = [Sum("total", tuple(keys))]

    content = _json(client, report.id)
    from_json = dict(zip(keys, [m["count"] for m in content["members"]], strict=True))
    from_json["total"] = content["members_total"]
    assert from_json["a"] == "< 5" and SECONDARY in from_json.values()
    assert_safe(values, from_json, sums)
    with force_locale("nl"):
        title = _("Members by source and wijk")
    for name, rows in _formats(client, report.id, "leden", title).items():
        shown = dict(zip([*keys, "total"], [row[-1] for row in rows], strict=True))
        assert shown == from_json, name  # every format shows the same
        assert_safe(values, shown, sums)
    page = client.get(f"/beheer/moties/rapportages/{report.id}").get_data(as_text=True)
    assert NOTE_NL in page


def test_meetings_a_small_attendance_next_to_the_gebied_total(client, world, session):
    for day, present in ((date(2025, 3, 1), 6), (date(2025, 4, 1), 7), (date(2025, 5, 1), 2)):
        session.add(Meeting(area=world.noord, title=f"Avond {day.month}", status="open",
                            starts_at=_moment(day, 18), extra_attendees=present))
    report = _report(world, session)
    factories.login(client, "griffie@example.org")
    values = {"m3": 6, "m4": 7, "m5": 2, "noord": 15}
    sums = [Sum("noord", ("m3", "m4", "m5"))]

    content = _json(client, report.id)
    by_title = {m["title"]: m["attendance"] for m in content["meetings"]}
    shown: dict[Hashable, int | str] = {
        "m3": by_title["Avond 3"], "m4": by_title["Avond 4"], "m5": by_title["Avond 5"],
        "noord": content["meetings_per_area"][0]["attendance"]}
    assert shown["m5"] == "< 5" and SECONDARY in shown.values()
    assert_safe(values, shown, sums)
    with force_locale("nl"):
        meetings_title, per_area_title = _("Meetings"), _("Meetings per gebied")
    meetings = _formats(client, report.id, "bijeenkomsten", meetings_title)
    per_area = _formats(client, report.id, "bijeenkomsten-per-gebied", per_area_title)
    for name, rows in meetings.items():
        cells = {row[1]: row[3] for row in rows}
        seen = {"m3": cells["Avond 3"], "m4": cells["Avond 4"], "m5": cells["Avond 5"],
                "noord": per_area[name][0][2]}
        assert seen == shown, name
        assert_safe(values, seen, sums)


def test_feedback_a_small_cell_next_to_the_total(client, world, session):
    cells = {(world.traffic, world.mare): 4, (world.traffic, world.oudorp): 9,
             (world.youth, world.mare): 6}
    for (theme, wijk), number in cells.items():
        session.add_all([FeedbackItem(neighbourhood=wijk, theme=theme, source="resident",
                                      text="Te hard.", created_at=_moment(date(2025, 4, 2)))
                         for _n in range(number)])
    report = _report(world, session)
    factories.login(client, "griffie@example.org")
    # rows by theme, then wijk: Verkeer/De Mare, Verkeer/Oudorp, Jongeren/De Mare
    keys = ["vm", "vo", "jm"]
    values = {"vm": 4, "vo": 9, "jm": 6, "total": 19}
    sums = [Sum("total", tuple(keys))]

    content = _json(client, report.id)
    shown = dict(zip(keys, [f["count"] for f in content["feedback"]], strict=True))
    shown["total"] = content["feedback_total"]
    assert shown["vm"] == "< 5" and SECONDARY in shown.values()
    # "You said, we did" shows the counts per theme and wijk as they are: the total is
    # what is hidden, so no count that page shows can be subtracted from it.
    assert shown["total"] == SECONDARY and shown["vo"] == 9 and shown["jm"] == 6
    assert_safe(values, shown, sums)
    with force_locale("nl"):
        title = _("Feedback by theme and wijk")
    for name, rows in _formats(client, report.id, "meldingen", title).items():
        seen = dict(zip([*keys, "total"], [row[-1] for row in rows], strict=True))
        assert seen == shown, name
        assert_safe(values, seen, sums)


def test_the_notes_explain_x_in_the_spreadsheets(client, world, session):
    _members(world.mare, "online", 4)
    _members(world.mare, "survey", 10)
    report = _report(world, session)
    factories.login(client, "griffie@example.org")
    base = f"/beheer/moties/rapportages/{report.id}"
    notes = _csv_rows(client.get(f"{base}/export.zip").data, "toelichting")
    assert notes == [["Leden per bron en wijk", NOTE_NL]]
    assert _xlsx_rows(client.get(f"{base}/export.xlsx").data, "Toelichting") == notes


# --- across versions ----------------------------------------------------------------------

def _reader_of_two(first: Mapping[Hashable, int | str], second: Mapping[Hashable, int | str],
                   sums: Sequence[Sum], changed: set[Hashable], target: Hashable,
                   ceiling: int) -> set[int]:
    """The values ``target`` can have for a reader of both versions who knows which cells
    changed in between (the worst case: say the clerk told which sign-ups came late). A
    cell that did not change is one unknown, known when either version shows it; a cell
    that changed is an unknown of its own in each version that hides it."""
    variables: dict[tuple[int, Hashable], tuple[int, ...]] = {}
    for key in first:
        versions = (0, 1) if key in changed else (0,)
        for number in versions:
            shown = [(first, second)[n][key] for n in ((number,) if key in changed else (0, 1))]
            if any(isinstance(value, int) for value in shown):
                continue
            variables[(number, key)] = tuple(
                range(1, MINIMUM) if f"< {MINIMUM}" in shown else range(MINIMUM, ceiling + 1))
    possible = set()
    for guess in itertools.product(*variables.values()):
        chosen = dict(zip(variables, guess, strict=True))
        versions = []
        for number, shown in enumerate((first, second)):
            cells = {}
            for key, value in shown.items():
                home = (number, key) if key in changed else (0, key)
                if isinstance(value, int):
                    cells[key] = value
                elif home in chosen:
                    cells[key] = chosen[home]
                else:  # unchanged and shown by the other version
                    cells[key] = (first, second)[1 - number][key]
            versions.append(cells)
        if all(cells[s.total] == sum(cells[p] for p in s.parts)  # type: ignore[misc]
               for cells in versions for s in sums):
            possible.add(chosen[(0, target)])
    return possible


def test_two_versions_together_give_no_small_count_away(client, world, session):
    # Version 1: 4 online in De Mare, 5 by survey, 6 in Oudorp, 11 in Daalmeer (total 26):
    # the 5 is hidden with the 4. Then two late sign-ups by survey in De Mare: version 2
    # would hide the 6 instead and show the 7, and with the 6 of version 1 give the 4 away.
    _members(world.mare, "online", 4)
    _members(world.mare, "survey", 5)
    _members(world.oudorp, "staff", 6)
    _members(world.daalmeer, "online", 11)
    first = _report(world, session)
    services.finalise(world.clerk, first.id)
    session.commit()
    _members(world.mare, "survey", 2)
    second = services.start_report(world.clerk, world.motion.id, *PERIOD)
    session.commit()
    services.finalise(world.clerk, second.id)
    session.commit()
    factories.login(client, "griffie@example.org")
    keys = ["a", "b", "c", "d"]
    sums = [Sum("total", tuple(keys))]

    def shown(report_id: int) -> dict[Hashable, int | str]:
        content = _json(client, report_id)
        cells = dict(zip(keys, [m["count"] for m in content["members"]], strict=True))
        return {**cells, "total": content["members_total"]}

    before, after = shown(first.id), shown(second.id)
    assert before == {"a": "< 5", "b": SECONDARY, "c": 6, "d": 11, "total": 26}
    assert after["b"] == SECONDARY  # hidden before, hidden still
    assert _reader_of_two(before, after, sums, {"b", "total"}, "a", 40) == {1, 2, 3, 4}
    # Each version on its own is safe too.
    assert_safe({"a": 4, "b": 7, "c": 6, "d": 11, "total": 28}, after, sums)

    # Without the earlier version's cells the second would give the 4 away.
    alone = protect({"a": 4, "b": 7, "c": 6, "d": 11, "total": 28}, sums, minimum=MINIMUM)
    careless = {key: alone.shown(key) for key in [*keys, "total"]}
    assert careless["c"] == SECONDARY and careless["b"] == 7
    assert _reader_of_two(before, careless, sums, {"b", "total"}, "a", 40) == {4}


def test_cells_of_earlier_versions_are_found_in_their_frozen_json(world, session):
    _members(world.mare, "online", 4)
    _members(world.mare, "survey", 5)
    first = _report(world, session)
    services.finalise(world.clerk, first.id)
    session.commit()
    assert services.hidden_cells(json.loads(first.snapshot)) == {
        ("members", "WK036101", "online"), ("members", "WK036101", "survey")}
    assert json.loads(first.snapshot)["members_total"] == 9  # 9 less "x" (5 or more): safe


def test_a_report_made_final_before_keeps_its_frozen_content(client, world, session):
    """A snapshot from before scopes and "x" (no level; "< 5" next to shown totals) is
    served as it was, and the cells it hid stay hidden in the next version."""
    _members(world.mare, "online", 4)
    _members(world.mare, "survey", 9)
    _members(world.oudorp, "staff", 6)
    report = _report(world, session)
    old = services.build(report)
    old["scope"] = {k: old["scope"][k] for k in ("areas", "neighbourhoods", "themes")}
    old["members"] = [{**m, "count": c} for m, c in zip(old["members"], ["< 5", "< 5", 6],
                                                        strict=True)]
    old["members_total"] = 13
    old["report"]["status"] = ReportStatus.FINAL.value
    old["report"]["finalised_on"] = "2025-06-01"
    frozen = json.dumps(old, ensure_ascii=False, sort_keys=True)
    report.status, report.snapshot = ReportStatus.FINAL.value, frozen
    report.finalised_at = _moment(date(2025, 6, 1))
    session.commit()
    factories.login(client, "griffie@example.org")
    base = f"/beheer/moties/rapportages/{report.id}"
    assert json.loads(client.get(f"{base}/export.json").data) == json.loads(frozen)
    assert db.session.get(FollowUpReport, report.id).snapshot == frozen
    page = client.get(base).get_data(as_text=True)
    assert "Deze rapportage gaat over" not in page  # it did not say so then
    for fmt in ("xlsx", "zip", "docx"):
        assert client.get(f"{base}/export.{fmt}").status_code == 200
    with force_locale("nl"):
        assert exports.scope_sentences(old["scope"]) == []
    # On its own the next version would hide the 6 with the 4; it hides the cell the old
    # version hid (now 9) instead, and shows the 6.
    alone = protect({"a": 4, "b": 9, "c": 6, "t": 19}, [Sum("t", ("a", "b", "c"))],
                    minimum=MINIMUM)
    assert alone.secondary == {"c"}
    newer = services.start_report(world.clerk, world.motion.id, *PERIOD)
    session.commit()
    built = services.build(newer)
    assert [m["count"] for m in built["members"]] == ["< 5", SECONDARY, 6]
    assert built["members_total"] == 19


def test_the_api_serves_the_protected_snapshot(client, world, session):
    _members(world.mare, "online", 4)
    _members(world.mare, "survey", 10)
    _members(world.oudorp, "staff", 7)
    report = _report(world, session)
    services.finalise(world.clerk, report.id)
    session.commit()
    body = client.get("/api/v1/moties/M2025-009/rapportages/1").get_json()
    assert [m["count"] for m in body["members"]] == ["< 5", 10, SECONDARY]
    assert body["members_total"] == 21
    from panel.api.openapi import COUNT
    assert {"type": "string", "enum": [SECONDARY]} in COUNT["oneOf"]
