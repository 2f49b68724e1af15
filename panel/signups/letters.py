"""Printable letters for residents without email: one page each, with a QR code.

Staff print these for residents who have no email address (often older residents). Each
letter is in the resident's own language and carries a QR code and a short code that
open the resident's personal page, the web address to type the code, and what to do
without internet. All letters go into one Word document, one letter per A4 page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import segno
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from flask import current_app, has_app_context
from flask_babel import force_locale, format_date, format_time, get_timezone
from flask_babel import gettext as _

from panel.i18n import locale_of

LetterKind = Literal["invitation", "access", "meeting"]
LETTER_KINDS: tuple[str, ...] = ("invitation", "access", "meeting")

QR_WIDTH = Cm(4)
FONT_NAME = "Arial"
FONT_SIZE = Pt(12)  # large enough for older readers
CODE_SIZE = Pt(26)

_POSTCODE = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})\s*$")


@dataclass(frozen=True)
class Letter:
    """What one letter needs: the address, the language, the code and where it leads.

    ``kind`` is ``"invitation"`` (the resident said yes in the safety survey and should
    confirm the place), ``"access"`` (the personal code for the resident's own page) or
    ``"meeting"`` (an invitation to a meeting; ``url`` is then the reply page and the
    ``meeting_*`` fields say what, when and where).
    ``url`` is the absolute address behind the QR code (it contains the code);
    ``code_url`` is the address where the resident can type the code.
    """

    name: str
    street: str
    house_number: str
    postcode: str
    city: str
    language: str
    wijk_name: str
    short_code: str
    url: str
    code_url: str
    kind: LetterKind
    meeting_title: str = ""
    meeting_starts: datetime | None = None
    meeting_place: str = ""
    meeting_accessibility: str = ""


def format_postcode(postcode: str) -> str:
    """A Dutch postcode as PostNL prints it: ``3542 AB`` (other text is left alone)."""
    match = _POSTCODE.match(postcode)
    if not match:
        return postcode.strip()
    return f"{match.group(1)} {match.group(2).upper()}"


def address_lines(letter: Letter) -> list[str]:
    """The address block: name, street and number, postcode and city (empty lines left out).

    The city is in capitals after two spaces, as PostNL asks for letters.
    """
    street = " ".join(part for part in (letter.street.strip(), letter.house_number.strip())
                      if part)
    place = "  ".join(part for part in (format_postcode(letter.postcode),
                                        letter.city.strip().upper()) if part)
    return [line for line in (letter.name.strip(), street, place) if line]


def qr_png(url: str) -> bytes:
    """A QR code for ``url`` as PNG bytes (made in memory, nothing written to disk)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def _setup(document: DocumentObject, municipality_name: str) -> None:
    """A4 pages, a readable font and black headings."""
    for section in document.sections:
        section.page_width = Cm(21.0)
        section.page_height = Cm(29.7)
        section.top_margin = section.bottom_margin = Cm(2.0)
        section.left_margin = section.right_margin = Cm(2.5)
    normal = document.styles["Normal"]
    normal.font.name = FONT_NAME
    normal.font.size = FONT_SIZE
    normal.paragraph_format.space_after = Pt(6)  # so a whole letter fits on one page
    normal.paragraph_format.line_spacing = 1.0
    heading = document.styles["Heading 1"]
    heading.font.name = FONT_NAME
    heading.font.size = Pt(16)
    heading.font.color.rgb = RGBColor(0, 0, 0)
    heading.paragraph_format.space_before = Pt(18)
    heading.paragraph_format.space_after = Pt(12)
    for style in (normal, heading):
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:asciiTheme", "w:hAnsiTheme"):  # a theme font wins over Arial
            fonts.attrib.pop(qn(attribute), None)
    document.core_properties.author = municipality_name
    document.core_properties.title = municipality_name


def _language(letter: Letter) -> str:
    languages = current_app.config.get("LANGUAGES", ("nl", "en"))
    if letter.language in languages:
        return letter.language
    return str(current_app.config.get("BABEL_DEFAULT_LOCALE", "nl"))


def _add_letter(document: DocumentObject, letter: Letter, municipality_name: str,
                phone: str, today: date) -> None:
    """Write one letter into ``document``, in the current (forced) locale."""
    sender = document.add_paragraph()
    sender.add_run(municipality_name).bold = True

    # One line per part of the address, in a single paragraph (keeps the block together).
    address = document.add_paragraph()
    for number, line in enumerate(address_lines(letter)):
        if number:
            address.add_run().add_break()
        address.add_run(line)

    document.add_paragraph(format_date(today, "long"))

    if letter.kind == "invitation":
        document.add_heading(_("Confirm your place in the wijkpanel"), level=1)
    elif letter.kind == "meeting":
        document.add_heading(_("Invitation: %(title)s", title=letter.meeting_title), level=1)
    else:
        document.add_heading(_("Your personal code for the wijkpanel"), level=1)

    name = letter.name.strip()
    document.add_paragraph(_("Dear %(name)s,", name=name) if name else _("Dear resident,"))

    if letter.kind == "invitation":
        document.add_paragraph(_("You said yes in the safety survey: you want to join the "
                                 "wijkpanel of %(wijk)s.", wijk=letter.wijk_name))
        document.add_paragraph(_("Thank you!"))
        document.add_paragraph(_("Please confirm your place."))
    elif letter.kind == "meeting":
        document.add_paragraph(_("We invite you to a meeting of the wijkpanel of %(wijk)s.",
                                 wijk=letter.wijk_name))
        if letter.meeting_starts is not None:
            when = f"{format_date(letter.meeting_starts, 'full')}, " \
                f"{format_time(letter.meeting_starts, 'HH:mm')}"
            document.add_paragraph(_("When: %(when)s", when=when))
        if letter.meeting_place:
            document.add_paragraph(_("Where: %(place)s", place=letter.meeting_place))
        if letter.meeting_accessibility:
            document.add_paragraph(letter.meeting_accessibility)
        document.add_paragraph(_("Please tell us if you are coming. The number of places is "
                                 "limited."))
    else:
        document.add_paragraph(_("This is your personal code for the wijkpanel of %(wijk)s.",
                                 wijk=letter.wijk_name))
        document.add_paragraph(_("With your code you can:"))
        for task in (_("see and change your data"), _("reply to invitations"),
                     _("leave the panel")):
            document.add_paragraph(task, style="List Bullet")

    document.add_paragraph(_("Scan the QR code with your phone, or go to %(code_url)s and "
                             "type your code.", code_url=letter.code_url))

    document.add_picture(io.BytesIO(qr_png(letter.url)), width=QR_WIDTH)

    document.add_paragraph(_("Your code:"))
    code = document.add_paragraph().add_run(letter.short_code)
    code.bold = True
    code.font.size = CODE_SIZE
    document.add_paragraph(_("Web address: %(code_url)s", code_url=letter.code_url))
    document.add_paragraph(_("Your code is only for you. Do not give it to others."))

    if letter.kind == "invitation":
        document.add_paragraph(_("Is this not for you? Then you do not need to do anything."))

    if phone:
        document.add_paragraph(_("No internet? Then call the municipality: %(phone)s.",
                                 phone=phone))
    else:
        document.add_paragraph(_("No internet? Then call the municipality."))
    document.add_paragraph(_("We are happy to help you."))

    closing = document.add_paragraph(_("Kind regards,"))
    closing.add_run().add_break()
    closing.add_run(municipality_name)


def build_letters_docx(letters: Sequence[Letter], municipality_name: str, phone: str = "",
                       *, today: date | None = None) -> bytes:
    """A Word document with one letter per A4 page, each in the resident's language.

    Every letter has the address block, the date, a short text for its ``kind``, a QR
    code that opens ``letter.url``, the short code in large type, the web address to type
    it, and what to do without internet (call the municipality, on ``phone`` if given).
    ``today`` is the date printed on the letters (default: today in the app's time zone).
    Needs a Flask app context (for the translations).
    """
    if not has_app_context():
        raise RuntimeError("build_letters_docx needs a Flask app context")
    for letter in letters:
        if letter.kind not in LETTER_KINDS:
            raise ValueError(f"unknown letter kind: {letter.kind!r}")
    if today is None:
        today = datetime.now(get_timezone()).date()

    document = Document()
    _setup(document, municipality_name)
    for number, letter in enumerate(letters):
        if number:
            document.add_page_break()
        with force_locale(locale_of(_language(letter))):
            _add_letter(document, letter, municipality_name, phone.strip(), today)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
