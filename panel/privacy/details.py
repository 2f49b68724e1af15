"""The audit log's notes in the reader's language.

An event's ``detail`` is stored as the code wrote it: a short English note ("own page",
"page 1; 12 found; wijk=all status=member source=all"). The stored text stays as it is (the
log is evidence); ``Notes`` reads the notes the code writes and says them again in the
page's language. A note it does not know (one written by an older release, or cut off at
200 characters) is shown as stored, marked as English.

The notes are matched by hand-written patterns, one per place that writes a note: they are
ours, short and few, and a parser library would not know them either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from panel.i18n import Catalogue
from panel.importing import STATUS_LABELS as IMPORT_STATUS_LABELS
from panel.signups.forms import SOURCE_LABELS, STATUS_LABELS

Pattern = re.Pattern[str]


@dataclass(frozen=True)
class Note:
    """A note to show: ``text`` and whether it is in the page's language (``translated``);
    an untranslated note is the stored English text."""

    text: str
    translated: bool


class Notes:
    """``describe(detail)`` for one page: the catalogue is looked up once (``Catalogue``)
    and the notes are written in its words (``_``, the name the extraction knows)."""

    def __init__(self) -> None:
        self.words = Catalogue()
        _ = self.words.gettext
        self.fixed = {
            "joined online": _("joined online"),
            "confirmation link": _("with the link in the confirmation email"),
            "own page": _("on their own page"),
            "leave link": _("with the leave link in an email"),
            "asked to be called": _("asked to be called"),
            "details changed by staff": _("details changed by staff"),
            "called at the resident's request": _("called at the resident's request"),
            "taken off the panel by staff": _("taken off the panel by staff"),
            "file uploaded": _("file uploaded"),
            "letters": _("letters"),
            "never confirmed within the retention period":
                _("never confirmed within the retention period"),
            "signed out": _("signed out"),
            "ended from the list of sessions": _("ended from the list of sessions"),
            "password changed": _("password changed"),
            "two-step login changed": _("two-step login changed"),
            "new recovery codes": _("new recovery codes"),
            "account blocked": _("account blocked"),
            "role changed": _("role changed"),
            "forgotten password": _("on the page for a forgotten password"),
        }
        self.channels = {"survey": _("in the safety survey"), "online": _("online"),
                         "paper": _("on paper"), "phone": _("by phone")}
        self.letter_kinds = {"invitation": _("invitation"), "access": _("code for the own page")}
        self.all = _("all")
        self.patterns: list[tuple[Pattern, Callable[[re.Match[str]], str]]] = [
            (_CONSENT, lambda m: _("by staff, consent given %(channel)s",
                                   channel=self.channels.get(m["channel"], m["channel"]))),
            (_OWN_DATA, lambda m: _("own data downloaded (%(format)s)",
                                    format=m["format"].upper())),
            (_LETTER, lambda m: _("letter (DOCX, %(kind)s)",
                                  kind=self.letter_kinds.get(m["kind"], m["kind"]))),
            (_SURVEY_IMPORT, lambda m: _("survey import %(id)s", id=m["id"])),
            (_MEMBER_LIST, self._member_list),
            (_EXPORT, self._export),
            (_IMPORT_SUMMARY, self._import_summary),
            (_PURGE, lambda m: _("expired and erased: %(links)s links, %(mail)s emails, "
                                 "%(uploads)s uploaded files, %(audit)s log entries",
                                 links=m["links"], mail=m["mail"], uploads=m["uploads"],
                                 audit=m["audit"])),
            (_LOGO, lambda m: _("%(type)s, %(size)s bytes", type=m["type"], size=m["size"])),
        ]

    def __call__(self, detail: str) -> Note:
        """The stored note ``detail`` in the page's language, when it is a note we write."""
        if not detail:
            return Note("", True)
        if detail in self.fixed:
            return Note(self.fixed[detail], True)
        for pattern, say in self.patterns:
            match = pattern.fullmatch(detail)
            if match:
                return Note(say(match), True)
        return Note(detail, False)

    def _label(self, labels: Mapping[str, object], value: str) -> str:
        return self.all if value == "all" else str(labels.get(value, value))

    def _filters(self, match: re.Match[str]) -> str:
        _ = self.words.gettext
        return _("wijk: %(wijk)s, status: %(status)s, source: %(source)s",
                 wijk=self._label({}, match["wijk"]),
                 status=self._label(STATUS_LABELS, match["status"]),
                 source=self._label(SOURCE_LABELS, match["source"]))

    def _member_list(self, match: re.Match[str]) -> str:
        _ = self.words.gettext
        text = _("page %(page)s, %(found)s found; %(filters)s", page=match["page"],
                 found=match["found"], filters=self._filters(match))
        return text + ("; " + _("wants to be called") if match["call"] else "")

    def _export(self, match: re.Match[str]) -> str:
        _ = self.words.gettext
        return _("%(format)s, %(rows)s rows; %(filters)s; searched: %(searched)s",
                 format=match["format"].upper(), rows=match["rows"],
                 filters=self._filters(match),
                 searched=_("yes") if match["search"] == "yes" else _("no"))

    @staticmethod
    def _import_summary(match: re.Match[str]) -> str:
        counts = (part.split("=") for part in match[0].split("; "))
        return ", ".join(f"{count} {IMPORT_STATUS_LABELS.get(status, status)}"  # type: ignore[call-overload]
                         for status, count in counts)


def describe(detail: str) -> Note:
    """One note in the page's language (a page with many notes makes one ``Notes``)."""
    return Notes()(detail)


# The notes the code writes, one pattern per place that writes one.
_CONSENT = re.compile(r"by staff, consent (?P<channel>\w+)")
_OWN_DATA = re.compile(r"own data \((?P<format>json|csv)\)")
_LETTER = re.compile(r"letter \(docx, (?P<kind>\w+)\)")
_SURVEY_IMPORT = re.compile(r"survey import (?P<id>\d+)")
_FILTERS = r"wijk=(?P<wijk>\S+) status=(?P<status>\S+) source=(?P<source>\S+)"
_MEMBER_LIST = re.compile(r"page (?P<page>\d+); (?P<found>\d+) found; " + _FILTERS
                          + r"(?P<call> wants a call)?")
_EXPORT = re.compile(r"(?P<format>csv|xlsx); (?P<rows>\d+) rows; " + _FILTERS
                     + r" search=(?P<search>yes|no)")
_STATUS = r"(?:new|updated|unchanged|skipped|rejected)=\d+"
_IMPORT_SUMMARY = re.compile(rf"{_STATUS}(?:; {_STATUS})*")
_PURGE = re.compile(r"links=(?P<links>\d+) mail=(?P<mail>\d+) uploads=(?P<uploads>\d+) "
                    r"audit=(?P<audit>\d+)")
_LOGO = re.compile(r"(?P<type>image/[\w+.-]+), (?P<size>\d+) bytes")
