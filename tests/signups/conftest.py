from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from panel.db import db
from panel.mail.models import OutboxMessage
from tests import factories


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    session.commit()
    return item


def outbox(to: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.session.scalars(query))


def link_in(message: OutboxMessage, path: str) -> str:
    """The path of the first link in ``message`` that starts with ``path``."""
    found = re.search(rf"http://wijkpanel\.test({re.escape(path)}[^\s\"<>]*)", message.text_body)
    assert found, f"no {path} link in the message"
    return found.group(1)
