"""PostgreSQL plans a page's statements once per connection, not on every request: the
statements psycopg prepares outlive the rollback that ends every request
(``panel.db._rollback_keeping_prepared``), and a rollback still undoes what it should."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from panel.areas.models import Municipality
from panel.db import db
from tests import factories


def _prepared() -> list[str]:
    return list(db.session.scalars(text("SELECT statement FROM pg_prepared_statements")))


@pytest.mark.postgresql
def test_prepared_statements_outlive_the_rollback_that_ends_a_request(session: object) -> None:
    factories.municipality()
    db.session.commit()
    query = select(func.count(Municipality.id)).where(Municipality.name != "x")
    for _ in range(7):  # psycopg prepares from the fifth run on
        assert db.session.scalar(query) == 1
        db.session.rollback()
    assert any("municipality" in statement for statement in _prepared())


@pytest.mark.postgresql
def test_a_rollback_still_undoes_the_transaction(session: object) -> None:
    factories.municipality(name="Eerst")
    db.session.commit()
    db.session.execute(text("UPDATE municipality SET name = 'Daarna'"))
    db.session.rollback()
    assert db.session.scalar(select(Municipality.name)) == "Eerst"
    # and a failed statement's transaction can be rolled back and the connection reused
    with pytest.raises(Exception, match="division by zero"):
        db.session.execute(text("SELECT 1 / 0"))
    db.session.rollback()
    assert db.session.scalar(text("SELECT 1")) == 1
