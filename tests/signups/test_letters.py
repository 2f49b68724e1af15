"""Printable letters: one page per resident, in the resident's language, with a QR code."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from flask import Flask
from flask_babel import force_locale, format_date, gettext

from panel.signups.letters import Letter, address_lines, build_letters_docx, format_postcode

TODAY = date(2026, 3, 3)

ANNA = Letter(
    name="Anna de Vries", street="Kerkstraat", house_number="12a", postcode="3542ab",
    city="Utrecht", language="nl", wijk_name="Overvecht", short_code="K7M2-QX9P",
    url="http://wijkpanel.test/c/K7M2-QX9P", code_url="http://wijkpanel.test/code",
    kind="invitation",
)
BOB = Letter(
    name="Bob Smith", street="Lange Nieuwstraat", house_number="3", postcode="3512 PH",
    city="Utrecht", language="en", wijk_name="Binnenstad", short_code="R4TW-8HNZ",
    url="http://wijkpanel.test/c/R4TW-8HNZ", code_url="http://wijkpanel.test/code",
    kind="access",
)


def _open(data: bytes) -> DocumentObject:
    return Document(io.BytesIO(data))


def _page_breaks(document: DocumentObject) -> int:
    return sum(1 for br in document.element.body.iter(qn("w:br"))
               if br.get(qn("w:type")) == "page")


def _pages(document: DocumentObject) -> list[str]:
    """The text of each page: paragraphs split at the paragraphs holding a page break."""
    pages: list[list[str]] = [[]]
    for paragraph in document.paragraphs:
        breaks = [br for br in paragraph._p.iter(qn("w:br")) if br.get(qn("w:type")) == "page"]
        if breaks:
            pages.append([])
        else:
            pages[-1].append(paragraph.text)
    return ["\n".join(page) for page in pages]


def _build(app: Flask, letters: list[Letter], phone: str = "030 286 00 00") -> DocumentObject:
    with app.app_context():
        return _open(build_letters_docx(letters, "Gemeente Utrecht", phone, today=TODAY))


def test_two_letters_one_page_each_with_names_codes_and_pictures(app):
    document = _build(app, [ANNA, BOB])
    text = "\n".join(p.text for p in document.paragraphs)
    for letter in (ANNA, BOB):
        assert letter.name in text
        assert letter.short_code in text
        assert letter.code_url in text
    assert _page_breaks(document) == 1
    assert len(document.inline_shapes) == 2
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0
    assert round(section.page_height.cm, 1) == 29.7
    for shape in document.inline_shapes:
        assert 3.5 <= shape.width.cm <= 4.5


def test_no_letter_contains_another_residents_name_or_code(app):
    carla = replace(BOB, name="Carla Jansen", short_code="ZZ9Q-4KMP", language="nl")
    letters = [ANNA, BOB, carla]
    pages = _pages(_build(app, letters))
    assert len(pages) == 3
    for page, letter in zip(pages, letters, strict=True):
        assert letter.name in page
        assert letter.short_code in page
        for other in letters:
            if other is not letter:
                assert other.name not in page
                assert other.short_code not in page


def test_each_letter_has_its_address_block_and_its_date_in_its_language(app):
    anna_page, bob_page = _pages(_build(app, [ANNA, BOB]))
    assert "Anna de Vries\nKerkstraat 12a\n3542 AB  UTRECHT" in anna_page
    assert "Bob Smith\nLange Nieuwstraat 3\n3512 PH  UTRECHT" in bob_page
    # Month names come from Babel's locale data, not from our catalog.
    assert "3 maart 2026" in anna_page
    assert "3 March 2026" in bob_page  # British English: day, month
    assert "maart" not in bob_page


def test_english_letter_for_access_says_what_the_code_is_for(app):
    _, bob_page = _pages(_build(app, [ANNA, BOB]))
    assert "Your personal code for the wijkpanel" in bob_page
    assert "This is your personal code for the wijkpanel of Binnenstad." in bob_page
    assert "see and change your data" in bob_page
    assert "reply to invitations" in bob_page
    assert "leave the panel" in bob_page
    assert ("Scan the QR code with your phone, or go to http://wijkpanel.test/code and type "
            "your code.") in bob_page
    assert "No internet? Then call the municipality: 030 286 00 00." in bob_page
    assert "Is this not for you?" not in bob_page  # only in the invitation


def test_english_invitation_asks_to_confirm(app):
    page = _pages(_build(app, [replace(ANNA, language="en")]))[0]
    assert "Dear Anna de Vries," in page
    assert ("You said yes in the safety survey: you want to join the wijkpanel of "
            "Overvecht.") in page
    assert "Please confirm your place." in page
    assert "Is this not for you? Then you do not need to do anything." in page


def test_dutch_letter_uses_the_dutch_catalog(app):
    anna_page, bob_page = _pages(_build(app, [ANNA, BOB]))
    with app.app_context():
        with force_locale("nl"):
            dutch = gettext("Kind regards,")
            dutch_confirm = gettext("Please confirm your place.")
            dutch_date = format_date(TODAY, "long")
    assert dutch in anna_page
    assert dutch_confirm in anna_page
    assert dutch_date in anna_page
    assert "Kind regards," in bob_page
    if dutch != "Kind regards,":  # once the Dutch translations are merged
        assert "Kind regards," not in anna_page


def test_without_phone_the_letter_still_says_to_call(app):
    page = _pages(_build(app, [BOB], phone=""))[0]
    assert "No internet? Then call the municipality." in page
    assert "030" not in page


def test_unknown_language_falls_back_to_dutch(app):
    page = _pages(_build(app, [replace(BOB, language="fr")]))[0]
    assert "3 maart 2026" in page


def test_letters_need_a_known_kind_and_an_app_context(app):
    with app.app_context(), pytest.raises(ValueError):
        build_letters_docx([replace(ANNA, kind="other")], "Gemeente Utrecht")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        build_letters_docx([ANNA], "Gemeente Utrecht")


def test_no_letters_gives_an_empty_document(app):
    document = _build(app, [])
    assert _page_breaks(document) == 0
    assert len(document.inline_shapes) == 0


def test_address_helpers():
    assert format_postcode("3542ab") == "3542 AB"
    assert format_postcode(" 3542 AB ") == "3542 AB"
    assert format_postcode("B-1000") == "B-1000"
    assert address_lines(replace(ANNA, street="", house_number="")) == [
        "Anna de Vries", "3542 AB  UTRECHT"]
