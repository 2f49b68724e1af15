"""A municipality over several editions of the survey, with real figures: the report mark
for safety went from 7,3 (2015) to 7,5 (2019), nuisance from 13% to 11%. Plain helpers (no
fixtures): call them inside an app context and commit."""

from __future__ import annotations

from dataclasses import dataclass

from panel.db import db
from panel.results.models import Edition, Indicator, Result
from tests import factories

MUNICIPALITY = "GM0361"


@dataclass
class World:
    mark: Indicator
    nuisance: Indicator
    editions: dict[int, Edition]


def result(edition: Edition, indicator: Indicator, code: str, value: float,
           respondents: int | None, ci: tuple[float, float] | None = None) -> Result:
    level = ("municipality" if code.startswith("GM") else
             "neighbourhood" if code.startswith("WK") else "area")
    low, high = ci if ci else (None, None)
    item = Result(edition_id=edition.id, indicator_id=indicator.id, area_level=level,
                  area_code=code, value=value, respondents=respondents, ci_low=low, ci_high=high)
    db.session.add(item)
    return item


def municipality_over_time(wijken: int = 2, years: tuple[int, ...] = (2015, 2019),
                           draft: int | None = 2023) -> World:
    """The municipality (Testgemeente), gebied Noord with ``wijken`` wijken (the first is
    De Mare, the second Klein with too few respondents), both indicators in every year of
    ``years`` (published) and in ``draft`` (not published)."""
    factories.municipality(MUNICIPALITY, "Testgemeente")
    noord = factories.area("noord", "Noord")
    codes = [factories.neighbourhood(noord, "WK036101", "De Mare").code]
    if wijken > 1:
        codes.append(factories.neighbourhood(noord, "WK036106", "Klein").code)
    for number in range(3, wijken + 1):
        codes.append(factories.neighbourhood(noord, f"WK0361{number + 10:02d}",
                                             f"Wijk {number}").code)
    mark = Indicator(code="rapportcijfer", name_nl="Rapportcijfer veiligheid buurt",
                     name_en="Safety mark for the neighbourhood", unit="mark",
                     higher_is_better=True, theme="Veiligheidsgevoel", position=1, decimals=1)
    nuisance = Indicator(code="overlast", name_nl="Ervaart veel overlast",
                         name_en="Experiences a lot of nuisance", unit="percentage",
                         higher_is_better=False, theme="Overlast", position=2, decimals=0)
    db.session.add_all([mark, nuisance])
    editions = {year: Edition(year=year, published=True) for year in years}
    if draft:
        editions[draft] = Edition(year=draft, published=False)
    db.session.add_all(editions.values())
    db.session.flush()
    marks = [7.3, 7.5, 7.4, 7.6, 7.7, 7.5, 7.8]
    shares = [13.0, 11.0, 12.0, 10.0, 9.0, 11.0, 8.0]
    for number, year in enumerate(sorted(years)):
        edition = editions[year]
        result(edition, mark, MUNICIPALITY, marks[number], 4000, (marks[number] - 0.1,
                                                                   marks[number] + 0.1))
        result(edition, nuisance, MUNICIPALITY, shares[number], 4000,
               (shares[number] - 0.8, shares[number] + 0.8))
        result(edition, mark, "noord", marks[number] - 0.2, 900,
               (marks[number] - 0.3, marks[number] - 0.1))
        result(edition, nuisance, "noord", shares[number] + 4, 900,
               (shares[number] + 3, shares[number] + 5))
        for index, code in enumerate(codes):
            respondents = 12 if code == "WK036106" else 150 + index
            result(edition, mark, code, marks[number] - 0.3, respondents,
                   (marks[number] - 0.8, marks[number] + 0.2))
            result(edition, nuisance, code, shares[number] + 5, respondents,
                   (shares[number], shares[number] + 10))
    if draft:
        result(editions[draft], mark, MUNICIPALITY, 6.1, 4100, (6.0, 6.2))
        result(editions[draft], nuisance, MUNICIPALITY, 31.0, 4100, (30.0, 32.0))
        result(editions[draft], mark, "WK036101", 6.2, 150, (5.8, 6.6))
    db.session.flush()
    return World(mark, nuisance, editions)
