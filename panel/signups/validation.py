"""Checking and normalising what residents and survey files give us."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from panel.errors import DomainError

# Dutch PC6 postcodes: four digits (not starting with 0) and two letters; SA, SD and SS are
# never issued.
POSTCODE = re.compile(r"^[1-9][0-9]{3}(?!SA|SD|SS)[A-Z]{2}$")
HOUSE_NUMBER = re.compile(r"^[1-9][0-9]{0,4}(?:[ -]?[A-Za-z0-9]{1,4})?$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{7,18}[0-9]$")
YES = {"ja", "j", "yes", "y", "1", "true", "waar", "x"}
NO = {"nee", "n", "no", "0", "false", "onwaar", ""}


def postcode(raw: str) -> str:
    """``"1823 ab"`` -> ``"1823AB"``. Raises DomainError when it is not a Dutch postcode."""
    value = raw.replace(" ", "").upper()
    if not POSTCODE.match(value):
        raise DomainError(_l("This is not a Dutch postcode. A postcode looks like 1823 AB."))
    return value


def house_number(raw: str) -> str:
    """A house number with an optional addition (``12``, ``12a``, ``12-2``)."""
    value = " ".join(raw.split())
    if not HOUSE_NUMBER.match(value):
        raise DomainError(_l("This is not a house number. For example: 12 or 12a."))
    return value


def phone(raw: str) -> str:
    """A phone number as typed, checked loosely (digits, spaces, dashes, a leading +)."""
    value = " ".join(raw.split())
    if value and not PHONE.match(value):
        raise DomainError(_l("This is not a phone number. For example: 072 123 45 67."))
    return value


def answer(raw: str) -> bool | None:
    """The panel question's answer: True for yes, False for no, None when not understood."""
    value = raw.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    return None
