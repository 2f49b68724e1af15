"""Messages on the resident's pages are text: a name that looks like HTML is shown as
typed, never as markup."""

from __future__ import annotations

import re

import pytest

from panel.db import db
from panel.signups import services
from panel.signups.models import MemberStatus, Source
from tests import factories


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = factories.panel_world()
    session.commit()
    return item


def _messages(page: str) -> str:
    found = re.search(r'<div class="wp-messages".*?</div>\s*</div>', page, re.S)
    assert found, "no messages on the page"
    return found.group(0)


def test_a_flashed_message_repeating_a_wijk_name_shows_it_escaped(client, world) -> None:
    world.mare.name = "<b>Mare</b>"
    member = factories.member(world.mare, name="Bep Bos", status=MemberStatus.INVITED,
                             source=Source.SURVEY)
    code = services.new_short_code(member)
    db.session.commit()

    assert client.post("/code", data={"code": code}).headers["Location"] == "/mijn"
    response = client.post("/mijn/bevestigen", data={"statement_version": "2026-1"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "&lt;b&gt;Mare&lt;/b&gt;" in _messages(page)
    assert "<b>Mare</b>" not in page


def test_a_wrong_code_is_shown_next_to_the_field_and_the_page_stays(client, world) -> None:
    response = client.post("/code", data={"code": "<b>ZZZZ</b>"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="code-error"' in page and "<b>ZZZZ</b>" not in page
