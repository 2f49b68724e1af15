"""Spotting personal data in what residents write, before anything is published.

This is a cautious check, not a guarantee: whatever it flags must be read and, if needed,
edited by a team member; and nothing a resident writes is ever published without a check.
No library fits Dutch free text here (names after "meneer", Dutch phone numbers and
postcodes), so these few patterns are written out.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# 06-12345678, 06 1234 5678, +31 6 12345678, 072-5123456, 0031 72 512 3456
PHONE = re.compile(r"(?<!\d)(\+31|0031|0)[\s-]?(\d[\s-]?){8,9}(?!\d)")
POSTCODE_AND_NUMBER = re.compile(r"\b[1-9]\d{3}\s?[A-Za-z]{2}\b")
TITLED_NAME = re.compile(
    r"\b(meneer|mevrouw|mevr\.?|mw\.?|dhr\.?|de heer|familie|fam\.?|buurman|buurvrouw|"
    r"mr\.?|mrs\.?|ms\.?|neighbour)\s+[A-Z][a-zà-ÿ]+", re.IGNORECASE)
# Two or three capitalised words in the middle of a sentence, such as "Jan de Vries" or
# "Piet Jansen" (the start of a sentence is skipped).
FULL_NAME = re.compile(r"(?<=[a-z,;:]\s)[A-Z][a-z]+(\s(van|de|der|den|van der|van de))?\s"
                       r"[A-Z][a-z]+")
HOUSE_ADDRESS = re.compile(r"\b[A-Z][a-z]+(straat|laan|weg|plein|singel|kade|gracht|dijk)"
                           r"\s\d{1,4}[a-zA-Z]?\b")

PATTERNS = (EMAIL, PHONE, POSTCODE_AND_NUMBER, TITLED_NAME, FULL_NAME, HOUSE_ADDRESS)


def looks_personal(text: str) -> bool:
    """True when ``text`` may contain an email address, phone number, postcode, a street
    address with a house number, or someone's name."""
    return any(pattern.search(text) for pattern in PATTERNS)
