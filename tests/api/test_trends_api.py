"""The open-data API for one indicator: its results for every area of an edition, and the
trend of one area. Published editions only; suppressed figures are null with a reason and
without a respondent count."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from panel.db import db
from panel.results.models import Result
from tests.api.helpers import BASE, get_json
from tests.results.trend_data import World, municipality_over_time

RESULTS = "/api/v1/indicatoren/rapportcijfer/resultaten"
TREND = "/api/v1/indicatoren/overlast/ontwikkeling"
SUPPRESSED = {"value": None, "respondents": None, "ciLow": None, "ciHigh": None,
              "suppressed": True, "suppressedReason": "tooFewRespondents"}


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        made = municipality_over_time(wijken=4)
        db.session.commit()
    return made


def test_an_indicator_for_every_area_of_the_newest_edition(client: FlaskClient,
                                                           world: World) -> None:
    body = get_json(client, RESULTS)
    assert set(body) == {"_links", "items", "page", "pageSize", "total"}
    assert body["total"] == 6
    assert {item["edition"]["year"] for item in body["items"]} == {2019}
    assert [(i["area"]["level"], i["area"]["code"], i["area"]["name"])
            for i in body["items"]] == [
        ("municipality", "GM0361", "Testgemeente"), ("gebied", "noord", "Noord"),
        ("wijk", "WK036101", "De Mare"), ("wijk", "WK036106", "Klein"),
        ("wijk", "WK036113", "Wijk 3"), ("wijk", "WK036114", "Wijk 4")]
    whole = body["items"][0]
    assert (whole["value"], whole["respondents"], whole["ciLow"], whole["ciHigh"],
            whole["suppressed"], whole["suppressedReason"]) == (7.5, 4000, 7.4, 7.6, False, None)
    assert whole["_links"]["ontwikkeling"]["href"] == \
        f"{BASE}/api/v1/indicatoren/rapportcijfer/ontwikkeling/GM0361"
    klein = body["items"][3]
    assert {k: klein[k] for k in SUPPRESSED} == SUPPRESSED  # no count of the small group


def test_the_list_comes_a_page_at_a_time(client: FlaskClient, world: World) -> None:
    response = client.get(RESULTS + "?editie=2015&pageSize=4&page=2")
    body = response.get_json()
    assert {item["edition"]["year"] for item in body["items"]} == {2015}
    assert (body["page"], body["pageSize"], body["total"]) == (2, 4, 6)
    assert [i["area"]["code"] for i in body["items"]] == ["WK036113", "WK036114"]
    assert body["items"][0]["value"] == pytest.approx(7.0)
    assert 'rel="prev"' in response.headers["Link"] and 'rel="next"' not in response.headers[
        "Link"]
    assert body["_links"]["first"]["href"] == f"{BASE}{RESULTS}?editie=2015&page=1&pageSize=4"


@pytest.mark.parametrize(("path", "status"), [
    (RESULTS + "?editie=2023", 404),  # not published
    (RESULTS + "?editie=2017", 404),  # no such edition
    ("/api/v1/indicatoren/bestaat-niet/resultaten", 404),
    (RESULTS + "?editie=negentien", 400),
    (RESULTS + "?pageSize=1000", 400),
    (f"{TREND}/GM0999", 404),
    (f"{TREND}/zuid", 404),
    (f"{TREND}/WK999999", 404),
    ("/api/v1/indicatoren/bestaat-niet/ontwikkeling/GM0361", 404),
])
def test_what_does_not_exist_or_is_not_public_is_a_problem(client: FlaskClient, world: World,
                                                           path: str, status: int) -> None:
    problem = get_json(client, path, status=status)
    assert problem["status"] == status and problem["type"] == "about:blank"
    assert problem["instance"] == path.split("?")[0]


def test_the_trend_of_an_area_over_the_published_editions(client: FlaskClient,
                                                          world: World) -> None:
    body = get_json(client, f"{TREND}/GM0361")
    assert body["area"] == {"level": "municipality", "code": "GM0361", "name": "Testgemeente"}
    assert body["indicator"]["code"] == "overlast" and body["minimumRespondents"] == 30
    assert [(e["edition"]["year"], e["value"], e["respondents"], e["previousEdition"],
             e["comparedToPreviousEdition"]) for e in body["editions"]] == [
        (2015, 13.0, 4000, None, "unknown"), (2019, 11.0, 4000, 2015, "better")]
    assert body["_links"]["self"]["href"] == f"{BASE}{TREND}/GM0361"
    assert body["_links"]["resultaten"]["href"] == \
        f"{BASE}/api/v1/indicatoren/overlast/resultaten"
    gebied = get_json(client, f"{TREND}/noord")
    assert gebied["area"]["level"] == "gebied" and len(gebied["editions"]) == 2


def test_the_trend_of_a_small_wijk_has_no_figures(client: FlaskClient, world: World) -> None:
    body = get_json(client, f"{TREND}/WK036106")
    assert [{k: e[k] for k in SUPPRESSED} for e in body["editions"]] == [SUPPRESSED] * 2
    assert [e["comparedToPreviousEdition"] for e in body["editions"]] == ["unknown"] * 2


@pytest.mark.parametrize("path", [RESULTS, f"{TREND}/WK036101"])
def test_answers_have_an_etag_from_their_data(app: Flask, client: FlaskClient, world: World,
                                              path: str) -> None:
    first = client.get(path)
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    with app.app_context():
        db.session.execute(update(Result).where(Result.area_code == "WK036101")
                           .values(value=Result.value + 0.5))
        db.session.commit()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
