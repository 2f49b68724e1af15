"""A research bureau's export of the survey's panel question, as bureaus write it: Dutch
headers, a title row above them, Windows-1252 with semicolons (or XLSX), the wijk as a
name in capitals, answers in many forms, a separate addition column, households sharing an
email address, phone-only and address-only respondents, names whose letters were lost to
an encoding, and duplicates.

``bureau_export("csv")`` or ``bureau_export("xlsx")`` builds it; ``add_bureau_wijken``
adds the wijken, buurten and postcodes it names to ``factories.panel_world()`` (all in
gebied Noord, so team Noord may import every line).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook

from tests import factories

HEADERS = ("Respondentnummer", "Naam", "E-mailadres", "Telefoonnummer", "Postcode",
           "Huisnummer", "Toevoeging", "Wijk", "Wilt u deelnemen aan een wijkpanel?")
TITLE = "Veiligheidsmonitor 2026 – wijkpanel, export Onderzoeksbureau Peil & Partners"

WILLING = 127  # said yes, in some form (two of them in a form staff must mark as yes)
CUSTOM_YES = "Ja, lijkt me leuk"  # not a known yes form
CUSTOM_YES_COUNT = 2
REFUSALS = (("Nee", 10), ("nee, dank u", 5), ("Liever niet", 4))
MAYBES = (("Misschien", 6), ("Weet ik niet", 3))
EMPTY = 7
DUPLICATES = 4  # respondent numbers on a second line
SKIPPED = sum(n for _a, n in REFUSALS) + sum(n for _a, n in MAYBES) + EMPTY

PHONE_ONLY = 13  # no email: i % 10 == 3
ADDRESS_ONLY = 12  # no email and no phone: i % 10 == 7
BAD_EMAIL = 5  # an email that cannot be valid, with a phone: imported without email
WITHOUT_EMAIL = PHONE_ONLY + ADDRESS_ONLY + BAD_EMAIL
WITH_EMAIL = WILLING - WITHOUT_EMAIL
HOUSEHOLDS = (("fam.jansen@example.org", (10, 11)), ("familie.bos@example.org", (40, 41)),
              ("de.smitjes@example.org", (90, 91)))
GARBLED = {12: "Ren? de Vries", 13: "RenÃ© Bakker"}  # letters lost to an encoding

YES_FORMS = ("Ja", "ja, graag", "Ja, graag!", "jazeker", "JA", "ja graag", "Zeker", "yes")
# The wijk as bureaus write it, and the postcodes written as people type them.
WIJKEN = (("De Mare", "1801 AA"), ("DE MARE", "1801-aa"), ("OVERDIE", "1813-EG"),
          ("Overdie", "1813 eg"), ("WK036101", "1801AB"), ("036102", "1813EG"),
          ("RUINEPARK", "1802 ab"), ("Ruïnepark", "1802-AB"), ("de mare", "1801ab"))
# Phone numbers as people type them, and as the panel writes them.
PHONES = (("(072) 512 34 {n:02d}", "072 512 34 {n:02d}"),
          ("072-51234{n:02d}", "072 512 34 {n:02d}"),
          ("+31 6 1234 56{n:02d}", "06 123456{n:02d}"),
          ("0031 72 512 34{n:02d}", "072 512 34 {n:02d}"),
          ("06-123456{n:02d}", "06 123456{n:02d}"),
          ("072.512.34.{n:02d}", "072 512 34 {n:02d}"),
          ("06123456{n:02d}", "06 123456{n:02d}"))


@dataclass
class Respondent:
    number: int
    name: str
    email: str
    phone: str
    postcode: str
    house_number: int
    addition: str
    wijk: str
    answer: str


def respondent_number(i: int) -> int:
    return 20260001 + i


def willing() -> list[Respondent]:
    """The 127 who want to join."""
    people = []
    household = {i: email for email, pair in HOUSEHOLDS for i in pair}
    for i in range(WILLING):
        wijk, postcode = WIJKEN[i % len(WIJKEN)]
        typed, _written = PHONES[i % len(PHONES)]
        phone = typed.format(n=i % 100)
        email = household.get(i, f"respondent{i}@example.org")
        if i % 10 == 3:
            email = ""
        elif i % 10 == 7:
            email = phone = ""
        elif i % 25 == 5:
            email = f"r{i}@@example"
        addition = "a" if i % 4 == 1 else ("2" if i % 6 == 2 else "")
        answer = CUSTOM_YES if i in (20, 60) else YES_FORMS[i % len(YES_FORMS)]
        people.append(Respondent(respondent_number(i), GARBLED.get(i, f"Bewoner {i}"), email,
                                 phone, postcode, 1 + i % 80, addition, wijk, answer))
    return people


def others() -> list[Respondent]:
    """Those who said no, maybe, nothing at all (each with their own number)."""
    people = []
    answers = [a for a, n in REFUSALS for _ in range(n)] + \
        [a for a, n in MAYBES for _ in range(n)] + [""] * EMPTY
    for j, answer in enumerate(answers):
        people.append(Respondent(respondent_number(500 + j), f"Andere bewoner {j}",
                                 f"ander{j}@example.org", "", "1801 AA", 2, "", "DE MARE",
                                 answer))
    return people


def rows() -> list[Respondent]:
    """Everyone in file order: the willing, with the others between them and four
    willing respondents on a second line near the end (the same respondent number)."""
    rest = others()
    result: list[Respondent] = []
    for i, person in enumerate(willing()):
        result.append(person)
        if i % 4 == 2 and rest:
            result.append(rest.pop(0))
    result += rest
    first = willing()
    for i in (0, 31, 62, 100):
        again = first[i]
        again.email = f"nogmaals{i}@example.org"
        result.append(again)
    return result


def _cells(person: Respondent) -> list[object]:
    return [person.number, person.name, person.email, person.phone, person.postcode,
            person.house_number, person.addition, person.wijk, person.answer]


def bureau_export(kind: str = "csv") -> bytes:
    """The export as Windows-1252 CSV with semicolons (a title row as Excel writes it, a
    blank row, the header row) or as XLSX (a title row and a blank row above the headers;
    numbers as numbers, and the leading zero of mobile numbers lost as Excel loses it)."""
    if kind == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.append([TITLE])
        sheet.append([])
        sheet.append(list(HEADERS))
        for person in rows():
            cells = _cells(person)
            if person.phone.startswith("06123456"):
                cells[3] = int(person.phone)  # Excel dropped the 0
            sheet.append(cells)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    lines = [TITLE + ";" * (len(HEADERS) - 1), ";" * (len(HEADERS) - 1), ";".join(HEADERS)]
    lines += [";".join(str(cell) for cell in _cells(person)) for person in rows()]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def add_bureau_wijken(world):  # type: ignore[no-untyped-def]
    """Overdie and Ruïnepark next to De Mare in gebied Noord, with the export's postcodes."""
    overdie = factories.neighbourhood(world.noord, "WK036102", "Overdie")
    ruine = factories.neighbourhood(world.noord, "WK036103", "Ruïnepark")
    mare_buurt = world.mare.districts[0] if world.mare.districts else \
        factories.district(world.mare)
    factories.postcode(mare_buurt, "1801AB", "Marelaan")
    factories.postcode(factories.district(overdie, name="Oud Overdie"), "1813EG",
                       "Overdiepad")
    factories.postcode(factories.district(ruine, name="Ruïnepark-Oost"), "1802AB",
                       "Ruïnelaan")
    return overdie, ruine
