"""Spotting personal data in what residents write, before anything is published.

This is a cautious check, not a guarantee: whatever it flags must be read and, if needed,
edited by a team member; and nothing a resident writes is ever published without a check.

Phone numbers are found by ``phonenumbers`` (Google's libphonenumber): it knows every way
people write a Dutch number (``+31 (0)6 1234 5678``, ``0031``, dots, dashes, spaces,
landlines with area codes of two or three digits) and, since it only accepts numbers that
can exist, passes over dates, times, years and amounts. Numbers of organisations (0800,
0900, shared-cost and company-wide numbers) are no one's personal data and pass.

No library fits the rest of Dutch free text: email addresses written around a filter
(``piet(at)example.net``, ``piet at example dot nl``), postcodes, a street with a house
number, and names after a title (``meneer``, ``mevr.``, ``de heer``) or before "van nummer".
Those patterns are written out here. Names without such a clue are guessed from two
capitalised words in the middle of a sentence; words that start Dutch place and street
names ("De Mare", "Oud Overdie", "Lange Laan") and the municipality's own place names
(``places``) are not taken for names.

What was found is named by its kind only (``KINDS``); the text found is never returned,
so it cannot end up in a message or a log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher, PhoneNumberType

EMAIL, PHONE, POSTCODE, ADDRESS, NAME = "email", "phone", "postcode", "address", "name"
KINDS = (NAME, ADDRESS, POSTCODE, PHONE, EMAIL)  # the order in which they are named

_UPPER = "A-ZÀ-ÖØ-ÞŞŠŽČĆŁŚŹŻİ"
_LOWER = "a-zß-öø-ÿşšžčćłśźżı"
_WORD = rf"[{_UPPER}][{_LOWER}'’-]*[{_LOWER}]"  # a capitalised word: Jansen, D'Souza

# --- email ---------------------------------------------------------------------------------
_TLD = r"(?:nl|be|de|eu|fr|uk|com|net|org|info|nu|io|me|biz|frl|amsterdam|online|email|live)"
_DOT = r"(?:\s*\.\s*|\s*[(\[{<]\s*(?:dot|punt)\s*[)\]}>]\s*|\s+(?:dot|punt)\s+)"
EMAIL_PATTERNS = (
    # jan.jansen@example.org
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    # piet(at)example.net, piet [at] example, piet{@}example
    re.compile(r"[\w.+-]+\s*[(\[{<]\s*(?:at|@|apenstaartje)\s*[)\]}>]\s*[\w-]+", re.I),
    # piet at example dot nl, piet @ example . nl, piet@example(dot)net
    re.compile(rf"[\w.+-]+(?:\s*@\s*|\s+(?:at|apenstaartje)\s+)[\w-]+(?:{_DOT}[\w-]+)*?"
               rf"{_DOT}{_TLD}\b", re.I),
)

# --- phone ---------------------------------------------------------------------------------
# Numbers of organisations rather than people.
_NOT_PERSONAL = {PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE,
                 PhoneNumberType.SHARED_COST, PhoneNumberType.UAN}

# --- postcode ------------------------------------------------------------------------------
# 1823 AB, 1823AB, 1823ab, 1823 ab; not "sinds 2019 en", "1500 km" ("SA", "SD" and "SS" are
# not used in postcodes).
_NOT_POSTCODE_LETTERS = ("en|is|in|op|te|de|om|al|nu|ze|we|je|of|er|na|ik|zo|uw|km|cm|mm|kg|"
                         "ha|ca|pm|am|tm|zo|ja|nee")
POSTCODE_PATTERN = re.compile(
    r"(?<![\w-])[1-9]\d{3}(?:\s?(?!SA|SD|SS)[A-Z]{2}"
    rf"|\s?(?!(?:{_NOT_POSTCODE_LETTERS})(?![a-z]))[a-z]{{2}})(?![\w-])")

# --- street and house number -----------------------------------------------------------------
_STREET = ("straat|laan|weg|plein|singel|kade|gracht|dijk|pad|hof|dreef|steeg|markt|park|"
           "plantsoen|baan|wal|veld|kamp|haven|allee|boulevard|dam|erf|poort")
# A number that counts something is not a house number: "in de Dorpsstraat 12 mensen".
_COUNTED = (r"mensen|man|personen|jongeren|jongens|meiden|kinderen|bewoners|auto'?s|brommers|"
            r"scooters|fietsen|keer|maal|minuten|min|uur|uren|dagen|weken|maanden|jaar|jaren|"
            r"km|kilometer|meter|m|procent|euro|huizen|woningen|meldingen|stuks|x|"
            r"januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|"
            r"november|december|jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec")
# A house number: not a year ("Amsterdam 2019"), a time or an amount ("Kanaalweg 22.30").
_HOUSE_NUMBER = (r"\s*,?\s+(?:nr\.?\s*|nummer\s+)?(?!(?:19|20)\d\d(?!\d))\d{1,4}"
                 rf"(?![\d.,:]\d|\d)(?!\s*(?:%|(?:{_COUNTED})\b))")
ADDRESS_PATTERNS = (
    # Dorpsstraat 12, dorpsstraat 12a, Van Goghlaan 3
    re.compile(rf"\b[^\W\d_][\w'’-]*?(?:{_STREET}){_HOUSE_NUMBER}", re.I),
    # Lange Laan 3a, Oude Gracht 12
    re.compile(rf"\b{_WORD}\s+(?:{_STREET.title()}){_HOUSE_NUMBER}"),
    # nummer 12 in de Dorpsstraat
    re.compile(rf"\b(?:huis)?(?:nummer|nr\.?)\s*\d{{1,4}}[a-z]?\s+(?:\w+\s+){{0,3}}?"
               rf"[^\W\d_][\w'’-]*?(?:{_STREET})\b", re.I),
)

# --- names ---------------------------------------------------------------------------------
_PARTICLE = r"(?:van|de|der|den|het|ter|ten|te|op|la|le|da|di|du|el|al|von|in\s+'t|'t)"
_TITLE = (r"meneer|mijnheer|mevrouw|mevr\.?|mvr\.?|mw\.?|dhr\.?|hr\.?|de\s+heer|familie|fam\.?|"
          r"buurman|buurvrouw|buren|juffrouw|juf|meester|dokter|dr\.?|drs\.?|ir\.?|ing\.?|"
          r"mr\.?|prof\.?|mrs\.?|ms\.?|miss|mister|neighbour|neighbor")
# Capitalised words that start a sentence or a place rather than a name.
_NOT_A_NAME = (r"De|Het|Een|Die|Dat|Deze|Dit|Hij|Zij|Ze|Wij|We|Ik|Jij|U|Men|Er|Ook|Alle|"
               r"Iemand|Iedereen|Niemand|Mensen|Bewoners|Jongeren|Buren|Familie|Meneer|"
               r"Mevrouw|Oud|Oude|Nieuw|Nieuwe|Groot|Grote|Klein|Kleine|Lang|Lange|Kort|Korte|"
               r"Hoog|Hoge|Laag|Lage|Breed|Brede|Sint|Noord|Zuid|Oost|West|Achter|Voor|"
               r"Binnen|Buiten|Den|Ter|Ten")
NAME_PATTERNS = (
    # meneer Bakker, mevrouw de Wit, dhr. J. Jansen, de heer Yilmaz, familie El Amrani
    re.compile(rf"\b(?i:{_TITLE})\s+(?:[{_UPPER}]\.\s*){{0,4}}(?:{_PARTICLE}\s+){{0,3}}"
               rf"{_WORD}"),
    # Jansen van nummer 12, Piet op huisnummer 5, de Vries van nr. 7
    re.compile(rf"\b(?!(?:{_NOT_A_NAME})\b){_WORD}(?:\s+(?:{_PARTICLE}\s+){{1,2}}{_WORD})?"
               r"\s+(?i:van|op|uit|aan)\s+(?i:huis)?(?i:nummer|nr\.?)\s*\d"),
    # Piet Jansen, Jan de Vries in the middle of a sentence (its start is skipped)
    re.compile(rf"(?<=[{_LOWER},;:]\s)(?!(?:{_NOT_A_NAME})\b){_WORD}\s+"
               rf"(?:{_PARTICLE}\s+){{0,2}}(?!(?:{_STREET.title()})\b){_WORD}"),
)


def _has_phone_number(text: str) -> bool:
    for match in PhoneNumberMatcher(text, "NL", leniency=Leniency.VALID):
        if phonenumbers.number_type(match.number) not in _NOT_PERSONAL:
            return True
    return False


@lru_cache(maxsize=16)
def _places_pattern(places: tuple[str, ...]) -> re.Pattern[str] | None:
    names = sorted({p.strip() for p in places if len(p.strip()) >= 3}, key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)",
                      re.I)


def without_places(text: str, places: Iterable[str] = ()) -> str:
    """``text`` with the given place names (wijken, buurten, gebieden) replaced by a plain
    lowercase word, so that "Oud Overdie" or "Hoge Weide" is not taken for a name."""
    pattern = _places_pattern(tuple(places))
    return pattern.sub("wijk", text) if pattern is not None else text


def find(text: str, places: Iterable[str] = ()) -> tuple[str, ...]:
    """The kinds of personal data ``text`` seems to contain, in the order of ``KINDS``:
    ``name``, ``address``, ``postcode``, ``phone``, ``email``. ``places`` are the
    municipality's own place names, which are never taken for a name or an address."""
    text = without_places(text, places)
    found = set()
    if any(p.search(text) for p in NAME_PATTERNS):
        found.add(NAME)
    if any(p.search(text) for p in ADDRESS_PATTERNS):
        found.add(ADDRESS)
    if POSTCODE_PATTERN.search(text):
        found.add(POSTCODE)
    if any(p.search(text) for p in EMAIL_PATTERNS):
        found.add(EMAIL)
    if _has_phone_number(text):
        found.add(PHONE)
    return tuple(kind for kind in KINDS if kind in found)


def looks_personal(text: str, places: Iterable[str] = ()) -> bool:
    """True when ``text`` may contain an email address, phone number, postcode, a street
    address with a house number, or someone's name."""
    return bool(find(text, places))
