from __future__ import annotations

from types import SimpleNamespace

import pytest

from panel.db import db
from tests import factories


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    session.commit()
    return item


@pytest.fixture
def people(world):  # type: ignore[no-untyped-def]
    """Anna lives in De Mare (gebied Noord), Zeno in Vroonermeer (gebied Zuid)."""
    anna = factories.member(world.mare, "Anna de Vries", "anna@example.org",
                            street="Marelaan", house_number="1", postcode="1801AA",
                            city="Alkmaar", phone="0612345678")
    bram = factories.member(world.mare, "Bram Bakker", None, status="invited",
                            source="survey", street="Marelaan", house_number="3",
                            postcode="1801AA", city="Alkmaar")
    zeno = factories.member(world.vrooner, "Zeno Zuidema", "zeno@example.org",
                            status="invited", source="survey", postcode="1804AA",
                            house_number="7")
    db.session.commit()
    return SimpleNamespace(anna=anna, bram=bram, zeno=zeno)
