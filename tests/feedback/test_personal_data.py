"""The check that keeps names, numbers and addresses of others off the public pages: every
usual Dutch way of writing them is found and named by its kind, and ordinary concerns (with
their counts, years, times, dates, amounts, streets and wijken) pass."""

from __future__ import annotations

import pytest

from panel.feedback.personal_data import find, looks_personal

FLAGGED = [
    # phone numbers
    ("Bel mij op 06-12345678 als er weer iets is.", "phone"),
    ("Mijn nummer is +31 6 1234 5678.", "phone"),
    ("Mijn nummer is +31 (0)6 1234 5678.", "phone"),
    ("Bel +31(0)20-1234567 als u hem ziet.", "phone"),
    ("Bel gerust 06.12345678 na zes uur.", "phone"),
    ("Bel gerust 06 - 1234 5678 na zes uur.", "phone"),
    ("Mijn nummer: 06 12 34 56 78.", "phone"),
    ("tel:0612345678", "phone"),
    ("Bereikbaar op 0031 6 12345678.", "phone"),
    ("Bereikbaar op 0031 (0)72 5123456.", "phone"),
    ("Het vaste nummer is 072-5123456.", "phone"),
    ("Het vaste nummer is 072 512 3456.", "phone"),
    ("Het vaste nummer is 020 123 4567.", "phone"),
    ("Het vaste nummer is (020) 123 45 67.", "phone"),
    ("Bel 010-4123456 voor de sleutel.", "phone"),
    # email addresses, also written around a filter
    ("Mail naar jan.jansen@example.org voor info.", "email"),
    ("Mail piet(at)example.net maar.", "email"),
    ("Mail piet [at] example.net maar.", "email"),
    ("Mail piet (at) example (dot) nl maar.", "email"),
    ("Mail piet@example(dot)net maar.", "email"),
    ("Mail piet at example dot nl maar.", "email"),
    ("Mail piet at example.net maar.", "email"),
    ("Mail piet @ example . nl maar.", "email"),
    ("Mail piet apenstaartje example punt nl maar.", "email"),
    # postcodes, with or without a space
    ("De jongens bij 1823 AB zijn elke avond luidruchtig.", "postcode"),
    ("De jongens bij 1823AB zijn luidruchtig.", "postcode"),
    ("De jongens bij 1823ab zijn luidruchtig.", "postcode"),
    ("De jongens bij 1823 ab zijn luidruchtig.", "postcode"),
    # a street with a house number
    ("Er wordt gedeald bij Dorpsstraat 14 in de avond.", "address"),
    ("Het huis op Dorpsstraat 12 staat leeg.", "address"),
    ("Het huis op dorpsstraat 12a staat leeg.", "address"),
    ("De bewoners van Lange Laan 3a maken herrie.", "address"),
    ("De bewoners van Oude Gracht 12 maken herrie.", "address"),
    ("Van Goghlaan 3 heeft een gevaarlijke hond.", "address"),
    ("De Kerkstraat 12-14 is een drugspand.", "address"),
    ("Het is op nummer 12 in de Dorpsstraat.", "address"),
    # names after a title
    ("Meneer Bakker verkoopt drugs vanuit zijn huis.", "name"),
    ("Ik denk dat mevrouw de Wit het weet.", "name"),
    ("Het gaat om dhr. Yilmaz op de hoek.", "name"),
    ("Het gaat om dhr. J. Jansen op de hoek.", "name"),
    ("Vraag het mevr. A. van der Berg maar.", "name"),
    ("Vraag het mw. Şahin maar.", "name"),
    ("Volgens de heer Peters is het erg.", "name"),
    ("De familie El Amrani heeft last van overlast.", "name"),
    ("Mijn buurman Henk heeft het gezien.", "name"),
    ("Het is fam. Jansen die het doet.", "name"),
    # names before "van nummer", "op nummer", "van huisnummer"
    ("Jansen van nummer 12 parkeert altijd op de stoep.", "name"),
    ("Volgens mij doet Piet op nummer 5 dat.", "name"),
    ("Het is de Vries van huisnummer 7.", "name"),
    ("Bakker van nr. 3 rijdt te hard.", "name"),
    # a full name in the middle of a sentence
    ("Volgens mij doet Piet Jansen dat.", "name"),
    ("Volgens mij doet Jan de Vries dat.", "name"),
]

NOT_FLAGGED = [
    "Er wordt te hard gereden op de Kanaalweg.",
    "Bij het winkelcentrum hangen 's avonds groepen jongeren.",
    "De verlichting in het park is kapot, het voelt onveilig.",
    "Veel auto's parkeren op de stoep bij de school.",
    # numbers of people
    "Er stonden 12 mensen te wachten.",
    "Het gaat om 3 keer per week, 45 auto's en 2 scooters.",
    "In de Dorpsstraat 12 mensen gezien.",
    # years
    "Het is al zo sinds 2019.",
    "Sinds 2019 en nog steeds.",
    "In 2023 was het beter, nu is het 30 procent erger.",
    "Tussen 2019 en 2023 kwamen er 1234 meldingen.",
    # times
    "Om 22.30 uur begint het lawaai.",
    "Van 20.00 tot 23.30 uur is het onrustig.",
    "Tussen 22:00 en 06:00 is het lawaai.",
    # dates
    "Op 14-01-2027 was er een inbraak.",
    "Op 06-12-2026 om 22.30 was het raak.",
    "Op 14 januari 2027 was er een inbraak.",
    "Op 1-2-2024 en op 12/01/2027 ook.",
    "De markt op 3 juni was onrustig.",
    # amounts and measures
    "De schade was € 1.250,00.",
    "Het kostte 1250 euro.",
    "Het ging om 12.345.678 euro.",
    "Ze rijden er 80 km per uur, soms 1500 km per week.",
    # a street without a number
    "Het gebeurt in de Dorpsstraat.",
    "In de Lange Laan wordt hard gereden.",
    # numbers of organisations
    "Bel bij nood 112.",
    "Bel de politie op 0900-8844.",
    "Bel 0800-1234 voor gratis hulp.",
    # people without a name
    "Een mevrouw die daar woont, zegt het ook.",
    "De buurman zegt het ook.",
    "Die van nummer 12 is heel aardig.",
    "Hij at een broodje. Daarna ging hij weg.",
    # the wijken and buurten of the demo municipality
    "De Mare is een fijne wijk maar de straatverlichting is slecht.",
    "Ik woon in De Mare, vlak bij De Mare-Zuid.",
    "Ik woon in Oud Overdie en werk in Nieuw Overdie.",
    "Het is druk in Binnenstad, Schermereiland, Daalmeer en Bergerhof.",
    "Het is stil in Huiswaard 1, Huiswaard 2, Koedijk-Dorp en Oudorp-Polder.",
    "Vroonermeer-Noord en Vroonermeer-Zuid hebben veel jongeren.",
]


@pytest.mark.parametrize(("text", "kind"), FLAGGED)
def test_personal_data_is_flagged_and_named_by_its_kind(text, kind):
    assert looks_personal(text)
    assert find(text) == (kind,)


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_ordinary_concerns_are_not_flagged(text):
    assert find(text) == ()
    assert not looks_personal(text)


def test_every_kind_found_is_named_once_in_a_fixed_order():
    text = ("Meneer Bakker (Dorpsstraat 12, 1823 AB) is bereikbaar op 06-12345678 en "
            "bakker(at)example.net.")
    assert find(text) == ("name", "address", "postcode", "phone", "email")


def test_the_municipalitys_own_place_names_are_not_taken_for_names():
    text = "In het Rode Kwartier wordt gedeald."
    assert find(text) == ("name",)
    assert find(text, ["Rode Kwartier", "Noord"]) == ()
    assert find("Jansen van nummer 12 woont in het Rode Kwartier.", ["Rode Kwartier"]) == \
        ("name",)
