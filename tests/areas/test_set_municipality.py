"""``flask set-municipality``: what the page Gemeente sets, from the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from panel.areas.models import Municipality
from panel.areas.services import cbs_code, municipality_code
from panel.db import db
from tests import factories


def municipalities() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(m.code, m.name) for m in db.session.scalars(select(Municipality))]


@pytest.mark.parametrize("code", ["GM0361", "gm0361", " GM0361 ", "0361", "Gm0361"])
def test_the_code_with_or_without_gm_is_set(runner, session, code):
    result = runner.invoke(args=["set-municipality", "--code", code, "--name", " Alkmaar "])
    assert result.exit_code == 0, result.output
    assert "GM0361 Alkmaar" in result.output
    assert municipalities() == [("GM0361", "Alkmaar")]


@pytest.mark.parametrize("code", ["361", "GM361", "36", "GM03610", "03610", "GMO361", "Alkmaar",
                                  "WK036101", ""])
def test_a_wrong_code_changes_nothing_and_exits_with_1(runner, session, code):
    result = runner.invoke(args=["set-municipality", "--code", code, "--name", "Alkmaar"])
    assert result.exit_code == 1, result.output
    assert "GM0361" in result.output  # the message shows what a code looks like
    assert municipalities() == []


def test_a_missing_name_or_option_is_refused(runner, session):
    assert runner.invoke(args=["set-municipality", "--code", "GM0361", "--name", " "]
                         ).exit_code == 1
    assert runner.invoke(args=["set-municipality", "--code", "GM0361"]).exit_code == 2
    assert municipalities() == []


def test_setting_again_changes_the_one_municipality_and_says_what_it_was(runner, session):
    factories.municipality("GM0361", "Testgemeente")
    session.commit()
    result = runner.invoke(args=["set-municipality", "--code", "0361", "--name", "Alkmaar"])
    assert result.exit_code == 0, result.output
    assert "Testgemeente" in result.output.splitlines()[1]
    assert municipalities() == [("GM0361", "Alkmaar")]


def test_a_code_that_does_not_fit_the_wijken_gives_a_warning(runner, session):
    factories.municipality("GM0361", "Alkmaar")
    factories.neighbourhood(factories.area("noord"), "WK036101")
    session.commit()
    result = runner.invoke(args=["set-municipality", "--code", "GM0362", "--name", "Elders"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output.splitlines()[-1] and "WK" not in result.output
    assert municipalities() == [("GM0362", "Elders")]
    same = runner.invoke(args=["set-municipality", "--code", "GM0361", "--name", "Alkmaar"])
    assert len(same.output.splitlines()) == 2  # set, and what it was: no warning


def test_the_page_gemeente_accepts_the_same_forms(login_as, session):
    factories.user(email="admin@example.org")
    session.commit()
    client = login_as("admin@example.org")
    client.post("/beheer/gemeente", data={"code": "0361", "name": "Alkmaar"})
    assert municipalities() == [("GM0361", "Alkmaar")]
    page = client.post("/beheer/gemeente", data={"code": "361", "name": "Alkmaar"})
    assert "GM0361" in page.get_data(as_text=True)
    assert municipalities() == [("GM0361", "Alkmaar")]


def test_cbs_codes_as_cbs_writes_them():
    assert [cbs_code(raw, "BU") for raw in ("3610101", "03610101", "bu3610101", "BU03610101",
                                             " 3610101 ", '"03610101"')] == ["BU03610101"] * 6
    assert cbs_code("36101", "WK") == "WK036101" and cbs_code("361", "GM") == "GM0361"
    assert [cbs_code(raw, "BU") for raw in ("", "BU", "123456789", "WK036101", "x1", "٣٦١")] \
        == [None] * 6
    assert municipality_code("gm0361") == municipality_code("0361") == "GM0361"
    assert municipality_code("361") == "361"
