"""No hidden survey figure can be worked out from the figures the public pages and the API
show: not its respondents (by subtraction from its gebied) and not its figure (from the
gebied's figure, the mean of its wijken's figures weighted by their respondents).

The tests play the reader: they take only what is published (the API's indicator results,
with full precision, and the overview page) and try every value the hidden cells can have.
"""

from __future__ import annotations

import csv
import io
import itertools
from types import SimpleNamespace

import pytest

from panel.db import db
from panel.disclosure import Sum, bounds, protect
from panel.results import protection
from panel.results.models import Edition, Indicator, Result
from tests import factories

MINIMUM = 30  # PANEL_MIN_RESPONDENTS in the tests
# The wijken of gebied Noord (De Mare is small) and Zuid: respondents and figure.
NOORD = {"WK036101": (12, 80.0), "WK036102": (150, 30.0), "WK036103": (200, 40.0)}
ZUID = {"WK036104": (300, 20.0)}


def weighted(parts: dict[str, tuple[int, float]]) -> tuple[int, float]:
    total = sum(n for n, _ in parts.values())
    return total, sum(n * value for n, value in parts.values()) / total


def store(edition: Edition, indicator: Indicator, level: str, code: str, respondents: int,
          value: float) -> None:
    db.session.add(Result(edition_id=edition.id, indicator_id=indicator.id, area_level=level,
                          area_code=code, value=value, respondents=respondents))


@pytest.fixture
def survey(session):  # type: ignore[no-untyped-def]
    """Gebied Noord's respondents and figure are exactly those of its wijken added up (the
    figure is their weighted mean), and so are the municipality's of the gebieden."""
    factories.municipality("GM0361")
    noord, zuid = factories.area("noord", "Noord"), factories.area("zuid", "Zuid")
    for code in NOORD:
        factories.neighbourhood(noord, code, f"Wijk {code[-2:]}")
    for code in ZUID:
        factories.neighbourhood(zuid, code, f"Wijk {code[-2:]}")
    unsafe = Indicator(code="onveilig", name_nl="Voelt zich wel eens onveilig",
                       name_en="Ever feels unsafe", unit="percentage", higher_is_better=False,
                       position=1)
    edition = Edition(year=2023, published=True)
    db.session.add_all([unsafe, edition])
    db.session.flush()
    for code, (n, value) in {**NOORD, **ZUID}.items():
        store(edition, unsafe, "neighbourhood", code, n, value)
    store(edition, unsafe, "area", "noord", *weighted(NOORD))
    store(edition, unsafe, "area", "zuid", *weighted(ZUID))
    store(edition, unsafe, "municipality", "GM0361", *weighted({**NOORD, **ZUID}))
    session.commit()
    protection.forget()
    return SimpleNamespace(indicator=unsafe, edition=edition)


def published(client) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """What the API publishes per area: respondents and figure, or None."""
    body = client.get("/api/v1/indicatoren/onveilig/resultaten?pageSize=100").get_json()
    return {item["area"]["code"]: item for item in body["items"]}


def possible_respondents(items: dict[str, dict], parts: list[str], total: str,
                         ceiling: int = 1000) -> dict[str, set[int]]:
    """Every number of respondents each hidden part can have: a part hidden as too small
    1 … MINIMUM - 1, any other hidden part MINIMUM or more, and the parts add up to the
    total."""
    shown = {code: item["respondents"] for code, item in items.items()}
    hidden = [code for code in parts if shown[code] is None]
    known = sum(shown[code] or 0 for code in parts)
    possible: dict[str, set[int]] = {code: set() for code in hidden}
    ranges = [range(1, MINIMUM) if items[code]["suppressedReason"] == "tooFewRespondents"
              else range(MINIMUM, ceiling) for code in hidden]
    for guess in itertools.product(*ranges):
        if known + sum(guess) == shown[total]:
            for code, n in zip(hidden, guess, strict=True):
                possible[code].add(n)
    return possible


def possible_figures(items: dict[str, dict], parts: list[str], total: str,
                     small: str) -> set[int]:
    """Every whole percentage the small hidden figure can have, given the gebied's figure
    as the weighted mean of its wijken's, for every split of the hidden respondents."""
    hidden = [code for code in parts if items[code]["value"] is None]
    n_total, v_total = items[total]["respondents"], items[total]["value"]
    rest = n_total * v_total - sum(items[c]["respondents"] * items[c]["value"]
                                   for c in parts if c not in hidden)
    hidden_n = n_total - sum(items[c]["respondents"] for c in parts if c not in hidden)
    found: set[int] = set()
    others = [c for c in hidden if c != small]
    for n_small in range(1, MINIMUM):
        if not others:
            if n_small == hidden_n:
                found.add(round(rest / n_small))
            continue
        n_other = hidden_n - n_small
        if len(others) > 1 or n_other < MINIMUM:
            continue
        for v_other in range(0, 101):
            v_small = (rest - n_other * v_other) / n_small
            if 0 <= v_small <= 100:
                found.add(round(v_small))
    return found


def test_without_protection_the_small_wijk_is_given_away(client, survey, monkeypatch):
    # The reader of these tests finds what "too few respondents" alone gives away.
    monkeypatch.setattr(protection, "withheld_among", lambda rows: frozenset())
    items = published(client)
    assert items["WK036101"]["respondents"] is None
    assert possible_respondents(items, list(NOORD), "noord") == {"WK036101": {12}}
    assert possible_figures(items, list(NOORD), "noord", "WK036101") == {80}


def test_the_api_hides_a_second_figure_so_the_small_one_stays_unknown(client, survey):
    items = published(client)
    shown = {code: item["respondents"] for code, item in items.items()}
    assert items["WK036101"]["suppressedReason"] == "tooFewRespondents"
    withheld = [code for code, item in items.items()
                if item["suppressedReason"] == "protectsSmallFigure"]
    assert withheld == ["WK036102"]  # the smallest wijk beside it that is enough
    assert items["WK036102"]["value"] is None and items["WK036102"]["ciLow"] is None

    respondents = possible_respondents(items, list(NOORD), "noord")
    assert respondents["WK036101"] == set(range(1, MINIMUM))
    # The municipality adds nothing: its gebieden are both shown.
    assert shown["GM0361"] == shown["noord"] + shown["zuid"]
    figures = possible_figures(items, list(NOORD), "noord", "WK036101")
    assert {0, 25, 50, 75, 80, 99} <= figures  # 80 is the truth, as likely as any


def test_the_pages_show_x_where_the_api_hides_the_second_figure(client, survey):
    rows = list(csv.reader(io.StringIO(client.get(
        "/uitkomsten/onveilig.csv").data.decode("utf-8-sig")), delimiter=";"))
    by_wijk = {row[0]: row for row in rows[1:] if row[0]}
    assert by_wijk["Wijk 01"][2:5] == ["te weinig deelnemers", "", ""]
    assert by_wijk["Wijk 02"][2:5] == ["x", "x", ""]
    assert by_wijk["Wijk 03"][2:4] == ["40%", "200"]
    assert "150" not in {cell for row in rows for cell in row}
    note = ["x: niet getoond, zodat een klein aantal niet uit te rekenen is."]
    assert rows[-1] == note  # under the table, as on the page
    for download, shown in (("/wijken/WK036102.csv", True), ("/wijken/WK036103.csv", False),
                            ("/uitkomsten/onveilig/ontwikkeling/WK036102.csv", True),
                            ("/gebieden/noord.csv", False)):
        answer = client.get(download)
        assert answer.status_code == 200, download
        lines = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
        assert (lines[-1] == note) is shown, download
        assert ("x" in {cell for line in lines for cell in line}) is shown, download

    page = client.get("/uitkomsten/onveilig").get_data(as_text=True)
    assert "x: niet getoond, zodat een klein aantal niet uit te rekenen is." in page
    wijk = client.get("/wijken/WK036102").get_data(as_text=True)
    assert "x: niet getoond" in wijk and ">150<" not in wijk and "30%" not in wijk
    assert "x: niet getoond" not in client.get("/wijken/WK036103").get_data(as_text=True)
    trend = client.get("/uitkomsten/onveilig/ontwikkeling/WK036102").get_data(as_text=True)
    assert "x: niet getoond" in trend and "30%" not in trend
    for slides in ("/wijken/WK036102/presentatie", "/uitkomsten/onveilig/presentatie",
                   "/uitkomsten/onveilig/ontwikkeling/WK036102/presentatie"):
        slide = client.get(slides).get_data(as_text=True)
        assert "x: niet getoond" in slide and "30%" not in slide, slides
    api_trend = client.get("/api/v1/indicatoren/onveilig/ontwikkeling/WK036102").get_json()
    assert api_trend["editions"][0]["suppressedReason"] == "protectsSmallFigure"
    wijk_api = client.get("/api/v1/wijken/WK036102/resultaten").get_json()
    assert wijk_api["indicators"][0]["value"] is None
    assert wijk_api["indicators"][0]["respondents"] is None


def test_a_total_larger_than_its_wijken_needs_no_second_figure(client, survey, session):
    # Respondents outside the wijken with a figure: the reader cannot subtract.
    for code in ("noord", "GM0361"):
        db.session.query(Result).filter_by(area_code=code).one().respondents += 1000
    session.commit()
    items = published(client)
    assert all(item["suppressedReason"] != "protectsSmallFigure" for item in items.values())
    assert items["WK036102"]["respondents"] == 150
    # The reader knows only that the small wijk and the rest add up to the difference;
    # the rest can be any number, so every count below the minimum stays possible.
    difference = items["noord"]["respondents"] - sum(
        items[code]["respondents"] or 0 for code in NOORD)
    assert difference > MINIMUM


def test_the_etag_changes_when_another_wijk_changes_what_is_withheld(client, survey,
                                                                     session):
    path = "/wijken/WK036102"
    etag = client.get(path).headers["ETag"]
    small = db.session.query(Result).filter_by(area_code="WK036101").one()
    small.respondents = 40  # no longer small: nothing needs protecting
    noord = db.session.query(Result).filter_by(area_code="noord").one()
    noord.respondents = 390
    session.commit()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "x: niet getoond" not in changed.get_data(as_text=True)


def test_a_subtotal_is_not_taken_as_unknown_when_the_total_above_gives_it():
    # Noord's respondents follow from the municipality's and Zuid's even when Noord's own
    # were not shown: showing them all hides nothing, so a second wijk must go.
    values = {"a": 12, "b": 150, "c": 200, "noord": 362, "d": 300, "zuid": 300, "all": 662}
    sums = [Sum("noord", ("a", "b", "c")), Sum("zuid", ("d",)), Sum("all", ("noord", "zuid"))]
    protected = protect(values, sums, minimum=MINIMUM)
    assert protected.primary == {"a"} and protected.secondary == {"b"}
    ranges = bounds(values, sums, MINIMUM, protected.primary, protected.secondary)
    assert ranges["a"] == (1, MINIMUM - 1)
