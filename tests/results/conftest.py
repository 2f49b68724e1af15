from __future__ import annotations

from types import SimpleNamespace

import pytest

from panel.db import db
from panel.results.models import Edition, Indicator
from tests import factories
from tests.results.helpers import add


@pytest.fixture
def survey(session):  # type: ignore[no-untyped-def]
    factories.municipality("GM0361")
    noord = factories.area("noord", "Noord")
    mare = factories.neighbourhood(noord, "WK036101", "De Mare")
    small = factories.neighbourhood(noord, "WK036106", "Klein")
    unsafe = Indicator(code="onveilig", name_nl="Voelt zich wel eens onveilig",
                       name_en="Ever feels unsafe", unit="percentage", higher_is_better=False,
                       position=1)
    mark = Indicator(code="cijfer", name_nl="Rapportcijfer leefbaarheid",
                     name_en="Liveability mark", unit="mark", higher_is_better=True, position=2)
    db.session.add_all([unsafe, mark])
    old, new = Edition(year=2021, published=True), Edition(year=2023, published=True)
    draft = Edition(year=2025, published=False)
    db.session.add_all([old, new, draft])
    db.session.flush()
    add(new, unsafe, "GM0361", 32.0, 2400, (30.1, 33.9))
    add(new, unsafe, "WK036101", 45.0, 150, (37.0, 53.0))
    add(old, unsafe, "WK036101", 40.0, 140, (31.9, 48.1))
    add(new, mark, "GM0361", 7.6, 2400, (7.5, 7.7))
    add(new, mark, "WK036101", 7.5, 150, (7.3, 7.7))
    add(new, unsafe, "WK036106", 50.0, 12, (22.0, 78.0))
    add(draft, unsafe, "WK036101", 20.0, 150, (14.0, 26.0))
    session.commit()
    return SimpleNamespace(mare=mare, small=small, unsafe=unsafe, mark=mark, old=old, new=new,
                           draft=draft)
