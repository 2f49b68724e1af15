"""Checking and normalising what residents and survey files give us.

The forms written down here (the survey import, joining online and staff registration all
use them):

- **postcodes** as four digits and two capitals without a space: ``1813 eg``, ``1813-EG``
  and ``1813.EG`` become ``1813EG``;
- **house numbers** as the number with its addition: a single letter straight after the
  number (``12`` + ``a`` is ``12a``), anything else after a dash (``12`` + ``2`` is
  ``12-2``, ``12`` + ``bis`` is ``12-bis``);
- **phone numbers** in the Dutch national form, grouped as the numbers are spoken:
  mobile ``06 12345678``; a two-digit area code (Alkmaar 072, Amsterdam 020, …) and the
  084/085/087/088/091 numbers ``072 512 34 56``; a three-digit area code
  ``0229 21 34 56``; ``0800``/``0900`` numbers ``0800 1234``. ``+31``, ``0031`` and
  ``+31 (0)`` become ``0``; parentheses, dashes, dots and spaces go; a leading zero that
  a spreadsheet dropped (``612345678``) is put back. A foreign number is kept as ``+``
  and its digits (``+32470123456``);
- **answers** to the panel question by their meaning, after ignoring case, accents,
  punctuation and spaces: ``Ja, graag!`` is ``ja graag``, a known yes.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from panel.errors import DomainError

# Dutch PC6 postcodes: four digits (not starting with 0) and two letters; SA, SD and SS are
# never issued.
POSTCODE = re.compile(r"^[1-9][0-9]{3}(?!SA|SD|SS)[A-Z]{2}$")
POSTCODE_SEPARATORS = re.compile(r"[\s.\-\u2013]")
# A number, an optional house letter and an optional addition (``12``, ``12a``, ``12-2``,
# ``12a-2``); at most ten characters, as stored.
HOUSE_NUMBER = re.compile(r"^[1-9][0-9]{0,4}[A-Za-z]?(?:[ -]?[A-Za-z0-9]{1,4})?$")
HOUSE_NUMBER_LENGTH = 10
PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()./\-\u2013]+$")
# Area codes of two digits (after the 0); the others have three. Numbers starting with
# 084, 085, 087, 088 and 091 are written like the two-digit ones.
TWO_DIGIT_AREAS = frozenset({
    "10", "13", "15", "20", "23", "24", "26", "30", "33", "35", "36", "38", "40", "43",
    "45", "46", "50", "53", "55", "58", "70", "71", "72", "73", "74", "75", "76", "77", "78",
    "79", "84", "85", "87", "88", "91"})
SERVICE_NUMBER = re.compile(r"^0(?:800|900|906|909)(?:[0-9]{4}|[0-9]{7})$")

YES, NO, SKIP = "yes", "no", "skip"
CHOICES = (YES, NO, SKIP)
# Answers to the panel question, as ``normalise_answer`` writes them.
YES_FORMS = frozenset({
    "ja", "j", "yes", "y", "1", "true", "waar", "x", "ja graag", "graag", "jazeker",
    "ja zeker", "zeker", "zeker weten", "ja hoor", "jawel", "ja wel", "ja prima", "prima",
    "ja natuurlijk", "natuurlijk", "ja leuk", "leuk", "ja akkoord", "akkoord", "ok", "oke",
    "okay", "ja ok", "ja oke", "ja dat wil ik", "ja dat wil ik graag", "ja ik wil graag",
    "ja ik doe mee", "ik doe mee", "ja ik wil meedoen", "ik wil meedoen", "ja ik wil",
    "yes please", "sure"})
NO_FORMS = frozenset({
    "nee", "n", "no", "0", "false", "onwaar", "nee dank u", "nee dank u wel", "nee dankuwel",
    "nee dank je", "nee dank je wel", "nee dankjewel", "nee bedankt", "nee hoor",
    "liever niet", "nee liever niet", "niet", "nooit", "geen interesse",
    "nee geen interesse", "geen tijd", "nee geen tijd", "no thanks", "no thank you"})


def fold(text: str) -> str:
    """``text`` for comparing by meaning: lower case, without accents, punctuation or
    extra spaces (``"Ja, graag!"`` -> ``"ja graag"``, ``"Ruïnepark"`` -> ``"ruinepark"``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def postcode(raw: str) -> str:
    """``"1823 ab"`` or ``"1823-AB"`` -> ``"1823AB"``. Raises DomainError when it is not a
    Dutch postcode."""
    value = POSTCODE_SEPARATORS.sub("", raw).upper()
    if not POSTCODE.match(value):
        raise DomainError(_l("This is not a Dutch postcode. A postcode looks like 1823 AB."))
    return value


def postcode_text(code: str) -> str:
    """A stored postcode as people write it: ``"1823AB"`` -> ``"1823 AB"`` (anything else
    as it is)."""
    return f"{code[:4]} {code[4:]}" if POSTCODE.match(code) else code


def house_number(raw: str, addition: str = "") -> str:
    """A house number with an optional addition (``12``, ``12a``, ``12-2``), joined with a
    separate ``addition`` when given (``"12", "A"`` -> ``"12A"``, ``"12", "2"`` ->
    ``"12-2"``). Raises DomainError when it is not a house number."""
    value = " ".join(raw.split())
    if re.fullmatch(r"[0-9]+\.0", value):  # a whole number from a spreadsheet
        value = value[:-2]
    extra = "".join(addition.split()).strip("-")
    if value and extra:
        single_letter = len(extra) == 1 and extra.isalpha() and value[-1].isdigit()
        value = f"{value}{extra}" if single_letter else f"{value}-{extra}"
    if not HOUSE_NUMBER.match(value) or len(value) > HOUSE_NUMBER_LENGTH:
        raise DomainError(_l("This is not a house number. For example: 12 or 12a."))
    return value


def _not_a_phone() -> DomainError:
    return DomainError(_l("This is not a phone number. For example: 072 123 45 67."))


def phone(raw: str) -> str:
    """A phone number in one form (see the module's description); ``""`` stays ``""``.
    Raises DomainError when it cannot be a phone number."""
    value = " ".join(raw.split())
    if not value:
        return ""
    if re.fullmatch(r"[0-9]+\.0", value):  # a whole number from a spreadsheet
        value = value[:-2]
    if not PHONE_CHARACTERS.match(value.replace("(0)", "")):
        raise _not_a_phone()
    international = value.startswith(("+", "00"))
    if international:
        value = value.replace("(0)", "")  # +31 (0)72 …: the 0 is not dialled from abroad
    digits = re.sub(r"[^0-9]", "", value)
    if international:
        digits = digits[2:] if digits.startswith("00") else digits
        if not digits.startswith("31"):
            if not 8 <= len(digits) <= 15:
                raise _not_a_phone()
            return "+" + digits
        digits = "0" + digits[2:]
    elif len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits  # a spreadsheet dropped the leading zero
    if SERVICE_NUMBER.match(digits):
        return f"{digits[:4]} {digits[4:]}"
    if len(digits) != 10 or not digits.startswith("0") or digits[1] == "0":
        raise _not_a_phone()
    if digits[1] == "6":
        return f"06 {digits[2:]}"
    if digits[1:3] in TWO_DIGIT_AREAS:
        return f"{digits[:3]} {digits[3:6]} {digits[6:8]} {digits[8:]}"
    return f"{digits[:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}"


def normalise_answer(raw: str) -> str:
    """An answer to the panel question as it is compared (see ``fold``)."""
    return fold(raw)


def answer_choice(raw: str) -> str | None:
    """What a known answer means: ``YES``, ``NO``, or None for an answer that is neither
    (``"Misschien"``, ``"Weet ik niet"``) or empty."""
    value = normalise_answer(raw)
    if value in YES_FORMS:
        return YES
    if value in NO_FORMS:
        return NO
    return None
