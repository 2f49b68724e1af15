"""The check that keeps names, numbers and addresses of others off the public pages."""

from __future__ import annotations

import pytest

from panel.feedback.personal_data import looks_personal


@pytest.mark.parametrize("text", [
    "Bel mij op 06-12345678 als er weer iets is.",
    "Mijn nummer is +31 6 1234 5678.",
    "Het vaste nummer is 072 512 3456.",
    "Mail naar jan.jansen@example.org voor info.",
    "De jongens bij 1823 AB zijn elke avond luidruchtig.",
    "Meneer Bakker verkoopt drugs vanuit zijn huis.",
    "Ik denk dat mevrouw de Wit het weet.",
    "Het gaat om dhr. Yilmaz op de hoek.",
    "Volgens mij doet Piet Jansen dat.",
    "Er wordt gedeald bij Dorpsstraat 14 in de avond.",
])
def test_personal_data_is_flagged(text):
    assert looks_personal(text)


@pytest.mark.parametrize("text", [
    "Er wordt te hard gereden op de Kanaalweg.",
    "Bij het winkelcentrum hangen 's avonds groepen jongeren.",
    "De verlichting in het park is kapot, het voelt onveilig.",
    "Veel auto's parkeren op de stoep bij de school.",
    "In 2023 was het beter, nu is het 30 procent erger.",
    "De Mare is een fijne wijk maar de straatverlichting is slecht.",
])
def test_ordinary_concerns_are_not_flagged(text):
    assert not looks_personal(text)
