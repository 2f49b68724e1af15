"""Comparisons, suppression of small counts, and editions."""

from __future__ import annotations

import pytest

from panel.db import db
from panel.errors import NotFound, PermissionDenied
from panel.results import services
from panel.results.models import Edition
from panel.results.services import Figure
from tests import factories
from tests.results.helpers import add
from tests.statements import counting


def test_the_wijk_is_compared_with_the_municipality_and_the_previous_edition(survey):
    report = services.wijk_results("WK036101")
    assert (report.edition.year, report.previous_edition.year) == (2023, 2021)
    unsafe, mark = report.rows
    assert (unsafe.wijk.value, unsafe.municipality.value, unsafe.previous.value) == \
        (45.0, 32.0, 40.0)
    assert unsafe.vs_municipality == "worse"  # more people feel unsafe, clearly so
    assert unsafe.vs_previous == "same"  # 45 vs 40 with these intervals: could be chance
    assert mark.vs_municipality == "same"
    assert mark.vs_previous == "unknown"  # no mark in 2021


@pytest.mark.parametrize(("a", "b", "expected"), [
    (Figure(50, 100, 45, 55), Figure(30, 100, 25, 35), True),
    (Figure(50, 100, 40, 60), Figure(45, 100, 35, 55), False),
    (Figure(50, 100), Figure(30, 100, 25, 35), None),
    (Figure(suppressed=True), Figure(30, 100, 25, 35), None),
])
def test_meaningful_differences_use_the_confidence_intervals(a, b, expected):
    assert services.meaningful(a, b) is expected


def test_higher_is_better_decides_the_direction(survey):
    better = Figure(8.0, 100, 7.8, 8.2)
    worse = Figure(6.0, 100, 5.8, 6.2)
    assert services.direction(survey.mark, better, worse) == "better"
    assert services.direction(survey.unsafe, better, worse) == "worse"


def test_figures_from_too_few_respondents_are_never_shown(survey, app, monkeypatch):
    report = services.wijk_results("WK036106")
    [row] = [r for r in report.rows if r.indicator.code == "onveilig"]
    assert row.wijk.suppressed and row.wijk.value is None
    assert row.vs_municipality == "unknown"
    monkeypatch.setitem(app.config, "PANEL_MIN_RESPONDENTS", 10)
    [row] = [r for r in services.wijk_results("WK036106").rows
             if r.indicator.code == "onveilig"]
    assert row.wijk.value == 50.0


def test_unpublished_editions_are_only_for_staff(survey):
    assert services.wijk_results("WK036101").edition.year == 2023
    assert services.wijk_results("WK036101", staff=True).edition.year == 2025
    with pytest.raises(NotFound):
        services.wijk_results("WK036101", year=2025)
    assert services.wijk_results("WK036101", year=2025, staff=True).rows[0].wijk.value == 20.0


def test_unknown_wijk(survey):
    with pytest.raises(NotFound):
        services.wijk_results("WK999999")


def test_only_an_admin_publishes(survey):
    admin, clerk = factories.user(), factories.user(factories.Role.CLERK)
    with pytest.raises(PermissionDenied):
        services.set_published(clerk, 2025, True)
    services.set_published(admin, 2025, True)
    assert db.session.get(Edition, survey.draft.id).published
    assert services.wijk_results("WK036101").edition.year == 2025


def test_query_count_does_not_grow_with_the_number_of_indicators(survey):
    def count_queries() -> int:
        with counting(db.engine) as statements:
            db.session.expire_all()
            services.wijk_results("WK036101")
        return len(statements)

    before = count_queries()
    from panel.results.models import Indicator
    for number in range(5):
        indicator = Indicator(code=f"extra{number}", name_nl="x", name_en="x",
                              unit="percentage", higher_is_better=False)
        db.session.add(indicator)
        db.session.flush()
        add(survey.new, indicator, "WK036101", 10.0 + number)
        add(survey.new, indicator, "GM0361", 12.0)
    db.session.commit()
    assert count_queries() == before
