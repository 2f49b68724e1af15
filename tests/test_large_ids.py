"""Every address with an id answers 404 for an id that no row has: however large, with
thousands of digits, negative or not a number; never a database error (500).

Every route of the app with an ``int`` in its address is requested, for a visitor and for
a signed-in administrator, with each of its methods."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from panel.auth.models import Role
from panel.urls import LARGEST_ID, DatabaseId
from tests import factories

# An id no row can have (one past the largest a row can have, SQLite's overflow, thousands
# of digits), one that could exist but does not, and ids that are not numbers at all.
BEYOND = [str(LARGEST_ID + 1), "99999999999999999999", "9" * 5000]
ABSENT = [str(LARGEST_ID), "0000000012345"]
NOT_IDS = ["-1", "1e3", "12abc", " 7"]


def _int_rules(app: Flask) -> list[Rule]:
    rules = [rule for rule in app.url_map.iter_rules()
             if any(isinstance(conv, IntegerConverter) for conv in rule._converters.values())]
    assert len(rules) > 30, "every route with an id in its address is requested"
    return sorted(rules, key=lambda rule: rule.rule)


MARK = 987654321  # an id in the built address, replaced by the value to request


def _address(app: Flask, rule: Rule, value: str) -> str:
    """``rule``'s address with ``value`` for every id and a made-up text elsewhere."""
    values: dict[str, object] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = MARK
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x1"
    path = app.url_map.bind("wijkpanel.test").build(rule.endpoint, values,
                                                     method=next(iter(rule.methods or {"GET"})))
    assert str(MARK) in path, path
    return path.replace(str(MARK), value)


def _requests(client: FlaskClient, rule: Rule, value: str) -> list[tuple[str, str, int]]:
    path = _address(client.application, rule, value)
    answers = []
    for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
        response = client.open(path, method=method)
        answers.append((method, path[:120], response.status_code))
    return answers


@pytest.fixture
def admin_client(login_as, session) -> FlaskClient:  # type: ignore[no-untyped-def]
    factories.municipality()
    factories.user(Role.ADMIN, "beheerder@example.org")
    session.commit()
    return login_as("beheerder@example.org")


@pytest.mark.parametrize("value", BEYOND + NOT_IDS)
def test_an_id_no_row_can_have_answers_404_on_every_route(app: Flask, client: FlaskClient,
                                                          admin_client: FlaskClient,
                                                          value: str) -> None:
    wrong = [(who, *answer) for rule in _int_rules(app)
             for who, user_client in (("visitor", client), ("admin", admin_client))
             for answer in _requests(user_client, rule, value) if answer[2] != 404]
    assert wrong == []


@pytest.mark.parametrize("value", ABSENT)
def test_an_id_that_does_not_exist_never_breaks_a_page(app: Flask, client: FlaskClient,
                                                       admin_client: FlaskClient,
                                                       value: str) -> None:
    """Within the range of ids a missing row is the page's own answer: 404 for what it
    shows, or a redirect to sign in, never an error."""
    wrong = [(who, *answer) for rule in _int_rules(app)
             for who, user_client in (("visitor", client), ("admin", admin_client))
             for answer in _requests(user_client, rule, value) if answer[2] >= 500]
    assert wrong == []
    statuses = {answer[2] for rule in _int_rules(app)
                for answer in _requests(admin_client, rule, value)}
    assert 404 in statuses


def test_the_converter_takes_the_ids_rows_have(app: Flask) -> None:
    assert app.url_map.converters["int"] is DatabaseId
    adapter = app.url_map.bind("wijkpanel.test")
    assert adapter.match(f"/bijeenkomsten/{LARGEST_ID}")[1] == {"meeting_id": LARGEST_ID}
    assert adapter.match("/bijeenkomsten/007")[1] == {"meeting_id": 7}
