"""A follow-up report in every format the council and the clerk's office use.

Everything starts from the report's content (``services.build`` or ``services.data``):

* :func:`tables` turns it into readable tables (translated titles, headers and labels).
  The screen, the spreadsheet, the CSV files and the Word document all use these tables,
  so every format holds the same numbers;
* :func:`to_xlsx` and :func:`to_csv_zip` write the tables through :mod:`panel.exports`
  (no cell can run as a formula; the same content gives the same bytes);
* :func:`to_json` writes the content itself, as described by
  ``docs/motion-report.schema.json`` (the same content gives the same bytes);
* :func:`to_docx` writes a raadsinformatiebrief in Word that the clerk can still edit.

The content holds aggregates only (no names, email addresses, phone numbers or
addresses), and its counts are already protected: below the minimum shown as ``"< N"``,
hidden to protect a small one as ``"x"`` (see :mod:`panel.disclosure`). Each table with an
``"x"`` has a note that explains it, in every format: under the table on the page, in the
print and in Word, and in a last sheet or file of notes in the spreadsheet formats.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from babel.lists import format_list
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt
from docx.table import Table as WordTable
from flask_babel import format_date, format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from panel.disclosure import SECONDARY
from panel.exports import Sheet, csv_bytes, xlsx_bytes
from panel.feedback.labels import ACTION_STATUS_LABELS
from panel.feedback.models import ActionStatus
from panel.i18n import current_language
from panel.motions.models import ReportStatus, RequestStatus

__all__ = ["ASSESSMENT_LABELS", "EVENT_LABELS", "MEMBER_SOURCE_LABELS", "REPORT_STATUS_LABELS",
           "REQUEST_STATUS_LABELS", "RESULT_LABELS", "Table", "scope_sentences", "tables",
           "to_csv_zip", "to_docx", "to_json", "to_xlsx"]

Cell = str | int | date | None

REQUEST_STATUS_LABELS = {
    RequestStatus.OPEN.value: _l("Open"), RequestStatus.COMPLETED.value: _l("Completed"),
    RequestStatus.DROPPED.value: _l("Dropped"),
}
ASSESSMENT_LABELS = {
    "met": _l("Met on time"), "late": _l("Late"), "open": _l("Not yet due"),
    "dropped": _l("Dropped"),
}
EVENT_LABELS = {
    "adopted": _l("Motion adopted"), "survey_optins": _l("Sign-ups from the safety survey"),
    "meeting": _l("Meeting held"), "action": _l("Action started"),
}
MEMBER_SOURCE_LABELS = {
    "survey": _l("Safety survey"), "online": _l("Joined online"),
    "staff": _l("Registered by staff"),
}
REPORT_STATUS_LABELS = {ReportStatus.DRAFT.value: _l("Draft"),
                        ReportStatus.FINAL.value: _l("Final")}
RESULT_LABELS = {"adopted": _l("Adopted")}

# The tables under "What we have done" in the Word document, in this order.
WORK_TABLES = ("tijdlijn", "leden", "bijeenkomsten-per-gebied", "bijeenkomsten", "meldingen",
               "acties")

# Every entry of the CSV zip gets this date and these permissions (identical zips).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_PERMISSIONS = 0o644

# Characters XML (and so Word) cannot hold; they carry no meaning in a report.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_WORD_LANGUAGES = {"nl": "nl-NL", "en": "en-GB"}
_SUPPRESSED = re.compile(r"^(< \d+|x)$")
_TEXT_WIDTH = Cm(16.0)  # A4 less the margins
_WIDEST_CELL = 40  # characters: longer text wraps
_TABLE_FONT_SIZE = Pt(10)
_LONGEST_WORD = 20  # characters: a longer word may be broken
_CHARACTER = Cm(0.21)  # about one character of 10 pt bold text
_PADDING = Cm(0.5)  # the cell's margins


@dataclass(frozen=True)
class Table:
    """One section of a report as a table.

    ``key`` names the table in file names and page anchors (``verzoeken``). Cells are
    text, whole numbers, dates or ``None``; a suppressed count is the text ``"< N"`` or
    ``"x"``. When ``total`` is true, the last row is a total row. ``note`` explains an
    ``"x"`` in the table (empty when there is none).
    """

    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    total: bool = False
    note: str = ""


def _label(labels: Mapping[str, object], code: str | None) -> str:
    """The readable, translated name of a code (the code itself when unknown)."""
    if code is None:
        return ""
    return str(labels.get(code, code))


def _labeller(labels: Mapping[str, object]) -> Callable[[str | None], str]:
    """:func:`_label` for many rows: each label is translated once, not once a row."""
    translated = {code: str(label) for code, label in labels.items()}
    return lambda code: "" if code is None else translated.get(code, code)


def _day(value: str | None) -> date | None:
    """An ISO date from the content as a date (so spreadsheets can sort it)."""
    return date.fromisoformat(value) if value else None


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _names(names: list[str]) -> str:
    """Names as a list in words: "Noord en West", "Noord and West"."""
    return format_list(names, locale=str(get_locale() or "nl"))


def scope_sentences(scope: Mapping[str, Any]) -> list[str]:
    """What the report counts, in words, in the current locale. Empty for a report made
    final before reports said so (its content has no ``level``)."""
    level = scope.get("level")
    if level is None:
        return []
    if level == "municipality":
        return [_("This report is about the whole municipality.")]
    parts = []
    whole, own = scope.get("whole_areas", []), scope.get("own_neighbourhoods", [])
    if whole:
        parts.append(ngettext("gebied %(names)s", "the gebieden %(names)s", len(whole),
                              names=_names(whole)))
    if own:
        parts.append(ngettext("wijk %(names)s", "the wijken %(names)s", len(own),
                              names=_names(own)))
    sentences = [_("This report is about %(what)s.", what=_names(parts))]
    left_out = scope.get("area_wide_left_out", [])
    if left_out:
        sentences.append(ngettext(
            "Meetings and actions for all of gebied %(names)s do not count.",
            "Meetings and actions for all of the gebieden %(names)s do not count.",
            len(left_out), names=_names(left_out)))
    return sentences


def _with_note(table: Table, column: int) -> Table:
    """The table with the note on "x" when a count in ``column`` is hidden that way."""
    if any(row[column] == SECONDARY for row in table.rows):
        return replace(table, note=_(
            "x: not shown, so that a small number cannot be worked out."))
    return table


def _motion_table(content: Mapping[str, Any]) -> Table:
    motion, report, scope = content["motion"], content["report"], content["scope"]
    rows: list[list[Cell]] = [
        [_("Reference"), motion["identifier"]],
        [_("Title"), motion["name"]],
        [_("Date adopted"), _day(motion["date"])],
        [_("Result"), _label(RESULT_LABELS, motion["result"])],
        [_("Organisation"), motion["organization"]],
        [_("Open Raadsinformatie identifier"), motion["ori_identifier"]],
        [_("Text of the motion"), motion["text"]],
    ]
    rows += [[_("Request %(n)s", n=number), text]
             for number, text in enumerate(motion["requirement"], start=1)]
    rows += [
        [_("Version"), report["version"]],
        [_("Status"), _label(REPORT_STATUS_LABELS, report["status"])],
        [_("From"), _day(report["period"]["start"])],
        [_("Up to and including"), _day(report["period"]["end"])],
        [_("Made final on"), _day(report["finalised_on"])],
        [_("Smallest number shown"), report["minimum_count"]],
        [_("Gebieden"), ", ".join(scope["areas"])],
        [_("Wijken"), ", ".join(n["name"] for n in scope["neighbourhoods"])],
        [_("Themes"), ", ".join(scope["themes"])],
    ]
    if sentences := scope_sentences(scope):
        rows.append([_("What the report is about"), " ".join(sentences)])
    return Table("motie", _("Motion"), [_("Field"), _("Value")], rows)


def _requests_table(content: Mapping[str, Any]) -> Table:
    rows: list[list[Cell]] = [
        [number, r["text"], _day(r["deadline"]), _label(REQUEST_STATUS_LABELS, r["status"]),
         _day(r["completed_on"]), _label(ASSESSMENT_LABELS, r["assessment"])]
        for number, r in enumerate(content["requests"], start=1)]
    return Table("verzoeken", _("Requests"),
                 [_("No."), _("Request"), _("Deadline"), _("Status"), _("Completed on"),
                  _("Assessment")], rows)


def tables(content: Mapping[str, Any], *, with_narrative: bool = False) -> list[Table]:
    """The report's content as readable tables, one per section, in the current locale.

    In order: the motion (field and value, with the report and its scope), the requests
    with their assessment, the timeline, members by wijk and source (with a total row),
    meetings per gebied with attendance, every meeting, feedback by theme and wijk (with
    a total row) and the actions with status and progress. With ``with_narrative``, the
    clerk's text follows as a table (title and text), for the spreadsheet formats, and
    last the notes on the tables that have one (only when one has).
    The motion table says in words what the report counts (:func:`scope_sentences`).
    Codes are shown as translated labels; dates become :class:`datetime.date`; counts
    are kept as they are (a number, or ``"< N"`` when suppressed).
    """
    result = [_motion_table(content), _requests_table(content)]
    event, source, status = (_labeller(EVENT_LABELS), _labeller(MEMBER_SOURCE_LABELS),
                             _labeller(ACTION_STATUS_LABELS))
    result.append(Table(
        "tijdlijn", _("Timeline"), [_("Date"), _("Event"), _("Description")],
        [[_day(e["date"]), event(e["event"]), e["label"]] for e in content["timeline"]]))
    members: list[list[Cell]] = [
        [m["wijk_code"], m["wijk"], source(m["source"]), m["count"]]
        for m in content["members"]]
    members.append([_("Total"), None, None, content["members_total"]])
    result.append(_with_note(Table("leden", _("Members by source and wijk"),
                                   [_("Wijk code"), _("Wijk"), _("Source"), _("Members")],
                                   members, total=True), 3))
    result.append(_with_note(Table(
        "bijeenkomsten-per-gebied", _("Meetings per gebied"),
        [_("Gebied"), _("Meetings"), _("Attendance")],
        [[m["area"], m["meetings"], m["attendance"]] for m in content["meetings_per_area"]]),
        2))
    result.append(_with_note(Table(
        "bijeenkomsten", _("Meetings"),
        [_("Gebied"), _("Title"), _("Date"), _("Attendance"), _("Report written")],
        [[m["area"], m["title"], _day(m["date"]), m["attendance"], _yes_no(m["report_written"])]
         for m in content["meetings"]]), 3))
    feedback: list[list[Cell]] = [[f["theme"], f["wijk"], f["count"]]
                                  for f in content["feedback"]]
    feedback.append([_("Total"), None, content["feedback_total"]])
    result.append(_with_note(Table("meldingen", _("Feedback by theme and wijk"),
                                   [_("Theme"), _("Wijk"), _("Number")], feedback,
                                   total=True), 2))
    result.append(Table(
        "acties", _("Actions"),
        [_("Gebied"), _("Action"), _("Owner"), _("Status"), _("Progress (%)"), _("Ready by"),
         _("Started on")],
        [[a["area"], a["title"], a["owner"], status(a["status"]), a["progress"],
          _day(a["due_date"]), _day(a["started_on"])]
         for a in content["actions"]]))
    if with_narrative:
        result.append(Table("kernboodschap", _("Key message"), [_("Title"), _("Text")],
                            [[s["title"], s["body"]] for s in content["narrative"]]))
        notes: list[list[Cell]] = [[t.title, t.note] for t in result if t.note]
        if notes:
            result.append(Table("toelichting", _("Notes"), [_("Table"), _("Note")], notes))
    return result


# --- spreadsheets and data ----------------------------------------------------------------

def to_xlsx(content: Mapping[str, Any]) -> bytes:
    """An Excel workbook with one sheet per table (the clerk's text last)."""
    return xlsx_bytes([Sheet(t.title, t.headers, t.rows)
                       for t in tables(content, with_narrative=True)])


def to_csv_zip(content: Mapping[str, Any]) -> bytes:
    """A zip with one CSV file (for Dutch Excel) per table, numbered in report order.

    Every entry has the same date (1980-01-01) and permissions, so the same content
    gives a byte-identical zip.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, table in enumerate(tables(content, with_narrative=True), start=1):
            info = zipfile.ZipInfo(f"{number:02d}-{table.key}.csv", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever system writes the zip
            info.external_attr = ZIP_PERMISSIONS << 16
            archive.writestr(info, csv_bytes(table.headers, table.rows))
    return buffer.getvalue()


def to_json(content: Mapping[str, Any]) -> bytes:
    """The content as JSON (UTF-8, sorted keys): the same content gives the same bytes."""
    return (json.dumps(content, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


# --- the raadsinformatiebrief -------------------------------------------------------------

def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _cell_text(value: object) -> str:
    """A table cell as text in the current locale (dates short enough for a column)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, int):
        return str(format_decimal(value))
    if isinstance(value, date):
        return str(format_date(value, "medium"))
    return _clean(str(value))


def _long_date(value: str | None) -> str:
    day = _day(value)
    return str(format_date(day, "long")) if day else ""


def _setup(document: DocumentObject, content: Mapping[str, Any],
           municipality_name: str) -> None:
    """A4 pages, the document language for spelling, and the file's properties."""
    for section in document.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.top_margin = section.bottom_margin = Cm(2.0)
        section.left_margin = section.right_margin = Cm(2.5)
    language = _WORD_LANGUAGES.get(current_language(), "nl-NL")
    properties = document.styles["Normal"].element.get_or_add_rPr()
    for old in properties.findall(qn("w:lang")):
        properties.remove(old)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), language)
    properties.append(lang)
    core = document.core_properties
    core.title = _clean(_("Council information letter: %(title)s",
                          title=content["motion"]["name"]))
    core.author = _clean(municipality_name)
    core.language = language


def _paragraphs(document: DocumentObject, text: str) -> None:
    """One Word paragraph per non-empty line."""
    for line in text.splitlines():
        if line.strip():
            document.add_paragraph(_clean(line.strip()))


def _is_number(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and _SUPPRESSED.match(value) is not None)


def _column_widths(table: Table) -> list[int]:
    """Column widths in EMU that fill the text width, after the contents of each column.

    Every column is at least as wide as its longest word (so words are not broken, when
    the page allows); the width that is left goes to the columns with longer texts.
    """
    least, wanted = [], []
    for column, header in enumerate(table.headers):
        texts = [_cell_text(row[column]) for row in table.rows]
        word = max((len(w) for text in (header, *texts) for w in text.split()), default=1)
        word = min(word, _LONGEST_WORD)
        cell = max((len(text) for text in texts), default=1)
        least.append(_CHARACTER * word + _PADDING)
        wanted.append(_CHARACTER * max(word, min(cell, _WIDEST_CELL)) + _PADDING)
    if sum(wanted) <= _TEXT_WIDTH:
        scale = _TEXT_WIDTH / sum(wanted)
        return [int(w * scale) for w in wanted]
    if sum(least) >= _TEXT_WIDTH:  # too many columns: every one gets its share
        return [int(m * _TEXT_WIDTH / sum(least)) for m in least]
    room = _TEXT_WIDTH - sum(least)
    extra = sum(w - m for w, m in zip(wanted, least, strict=True)) or 1
    return [int(m + room * (w - m) / extra) for w, m in zip(wanted, least, strict=True)]


def _word_table(document: DocumentObject, table: Table) -> WordTable:
    """A Word table (style Table Grid) with a bold header row that repeats on every page.

    Columns get a width after their contents; numbers are aligned to the right.
    """
    grid = document.add_table(rows=1, cols=len(table.headers))
    grid.style = document.styles["Table Grid"]
    grid.autofit = False
    caption = OxmlElement("w:tblCaption")  # the table's name for screen readers
    caption.set(qn("w:val"), _clean(table.title))
    grid._tbl.tblPr.append(caption)
    header = grid.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(repeat)
    for cell, text in zip(header.cells, table.headers, strict=True):
        run = cell.paragraphs[0].add_run(_clean(text))
        run.bold, run.font.size = True, _TABLE_FONT_SIZE
    for index, row in enumerate(table.rows):
        is_total = table.total and index == len(table.rows) - 1
        for cell, value in zip(grid.add_row().cells, row, strict=True):
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(_cell_text(value))
            run.bold, run.font.size = is_total or None, _TABLE_FONT_SIZE
            if _is_number(value):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    widths = _column_widths(table)
    for number, column in enumerate(grid.columns):
        column.width = Emu(widths[number])
        for cell in column.cells:
            cell.width = Emu(widths[number])
    return grid


def _details(document: DocumentObject, content: Mapping[str, Any]) -> None:
    """The table at the top: subject, reference, date of the motion, period, version."""
    motion, report = content["motion"], content["report"]
    version = str(report["version"])
    if report["status"] != ReportStatus.FINAL:
        version = f"{version} ({_('draft')})"
    rows = [
        (_("Subject"), motion["name"]),
        (_("Reference"), motion["identifier"]),
        (_("Date of the motion"), _long_date(motion["date"])),
        (_("Period"), _("%(start)s to %(end)s", start=_long_date(report["period"]["start"]),
                        end=_long_date(report["period"]["end"]))),
        (_("Version"), version),
    ]
    grid = document.add_table(rows=0, cols=2)
    grid.style = document.styles["Table Grid"]
    grid.autofit = False
    for label, value in rows:
        cells = grid.add_row().cells
        cells[0].paragraphs[0].add_run(_clean(label)).bold = True
        cells[1].paragraphs[0].add_run(_clean(str(value)))
    for column, width in zip(grid.columns, (Cm(5.0), Cm(11.0)), strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _reason(document: DocumentObject, content: Mapping[str, Any]) -> None:
    motion = content["motion"]
    document.add_heading(_("Background"), level=1)
    document.add_paragraph(_clean(_(
        "On %(date)s the council adopted motion %(reference)s: “%(title)s”.",
        date=_long_date(motion["date"]), reference=motion["identifier"],
        title=motion["name"])))
    _paragraphs(document, motion["text"])
    if motion["requirement"]:
        document.add_paragraph(_("The motion asks the executive to:"))
        for text in motion["requirement"]:
            document.add_paragraph(_clean(text), style="List Bullet")


def _key_message(document: DocumentObject, content: Mapping[str, Any]) -> None:
    document.add_heading(_("Key message"), level=1)
    if not content["narrative"]:
        document.add_paragraph(_("No text written yet."))
    for section in content["narrative"]:
        if section["title"]:
            document.add_heading(_clean(section["title"]), level=2)
        _paragraphs(document, section["body"])


def _work(document: DocumentObject, content: Mapping[str, Any],
          by_key: Mapping[str, Table]) -> None:
    document.add_heading(_("What we have done"), level=1)
    minimum = content["report"]["minimum_count"]
    document.add_paragraph(_("Counts below %(n)s are shown as “< %(n)s”. The report holds "
                             "no names or addresses.", n=minimum))
    for key in WORK_TABLES:
        table = by_key[key]
        document.add_heading(table.title, level=2)
        if table.rows:
            _word_table(document, table)
            if table.note:
                document.add_paragraph(_clean(table.note))
        else:
            document.add_paragraph(_("Nothing in this period."))


def _requests(document: DocumentObject, content: Mapping[str, Any],
              by_key: Mapping[str, Table]) -> None:
    document.add_heading(_("Progress on the requests"), level=1)
    if not content["requests"]:
        document.add_paragraph(_("Nothing in this period."))
        return
    counts = Counter(r["assessment"] for r in content["requests"])
    document.add_paragraph(" · ".join(f"{_label(ASSESSMENT_LABELS, code)}: {counts[code]}"
                                      for code in ASSESSMENT_LABELS if counts[code]))
    _word_table(document, by_key["verzoeken"])


def _next_steps(document: DocumentObject, content: Mapping[str, Any],
                municipality_name: str) -> None:
    document.add_heading(_("Next steps"), level=1)
    still_open = [r for r in content["requests"] if r["status"] == RequestStatus.OPEN]
    running = [a for a in content["actions"]
               if a["status"] in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)]
    if still_open or running:
        document.add_paragraph(_("Still to do:"))
        for request in still_open:
            text = request["text"]
            if request["deadline"]:
                text += f" ({_('deadline %(date)s', date=_long_date(request['deadline']))})"
            document.add_paragraph(_clean(text), style="List Bullet")
        for action in running:
            document.add_paragraph(_clean(_(
                "%(title)s: %(status)s, %(progress)s%% done", title=action["title"],
                status=_label(ACTION_STATUS_LABELS, action["status"]).lower(),
                progress=action["progress"])), style="List Bullet")
    else:
        document.add_paragraph(_("All requests are handled."))
    document.add_paragraph(_("We will tell the council how things go in the next report."))
    closing = document.add_paragraph(_("Kind regards,"))
    closing.add_run().add_break()
    closing.add_run(_clean(_("The mayor and aldermen of %(municipality)s",
                             municipality=municipality_name) if municipality_name
                           else _("The mayor and aldermen")))


def to_docx(content: Mapping[str, Any], municipality_name: str) -> bytes:
    """A raadsinformatiebrief in Word, in the current locale, for the clerk to edit.

    The letter has a title, a table with subject, reference, date of the motion, period
    and version, then the sections Reason (the motion and what it asks), Key message (the
    clerk's sections: each title a Heading 2, the body as paragraphs), What we have done
    (the tables), Progress on the requests (met or late per request) and Next steps.
    It uses Word's own styles (Title, Heading 1 and 2, List Bullet, Table Grid), so it
    stays easy to edit. Needs a Flask app context (for the translations).
    """
    document = Document()
    _setup(document, content, municipality_name)
    by_key = {t.key: t for t in tables(content)}
    document.add_heading(_("Council information letter"), level=0)
    document.add_paragraph(_clean(_("To the municipal council of %(municipality)s",
                                    municipality=municipality_name) if municipality_name
                                  else _("To the municipal council")))
    _details(document, content)
    for sentence in scope_sentences(content["scope"]):
        document.add_paragraph(_clean(sentence))
    _reason(document, content)
    _key_message(document, content)
    _work(document, content, by_key)
    _requests(document, content, by_key)
    _next_steps(document, content, municipality_name)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

