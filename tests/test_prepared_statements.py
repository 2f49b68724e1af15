"""PostgreSQL plans a page's statements once per connection, not on every request: the
statements psycopg prepares outlive the rollback that ends every request
(``panel.db._rollback_keeping_prepared``), a rollback still undoes what it should, and
``plan_generically`` asks for generic plans for the rest of one transaction only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from panel.areas.models import Municipality
from panel.db import db, plan_generically
from tests import factories
from tests.statements import counting


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


def test_generic_plans_are_asked_for_the_rest_of_the_transaction_only(session: object) -> None:
    with counting(db.engine) as statements:
        plan_generically(db.session.connection())
    if db.engine.dialect.name != "postgresql":
        assert statements == []  # other databases plan every statement anyway
        return
    assert db.session.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"
    db.session.rollback()
    assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"
