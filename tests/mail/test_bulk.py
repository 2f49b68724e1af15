"""Queueing many messages at once: stencils filled in per recipient, and one bulk INSERT."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from panel.mail import services
from panel.mail.models import MailStatus, OutboxMessage

FIELDS = ("name", "leave_url")
LEAVE_URL = "http://wijkpanel.test/afmelden/abc"


def context(values: dict[str, str]) -> dict[str, Any]:
    return {"name": values["name"], "leave_url": values["leave_url"]}


def stencil(language: str = "nl") -> services.Stencil:
    return services.Stencil("test_message", _l("Language"), language, context, FIELDS)


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("name", [
    "Jan", "", " Jan", "Jan\n", "<b>Jan</b> & \"Piet\" 'K'", "{{ name }} %(name)s $name {0} \\1",
    "wpslot0123456789abcdefn0x",
])
def test_a_stencil_gives_what_rendering_gives(session, caplog, language, name):
    values = {"name": name, "leave_url": f"{LEAVE_URL}?a=1&b=<2>"}
    full = services.render_message("test_message", context(values), language, _l("Language"))
    with caplog.at_level(logging.WARNING):
        assert stencil(language).render(values, lambda: context(values)) == full
    assert not caplog.records


def test_values_are_escaped_in_the_html_part_only(session):
    filled = stencil().fill({"name": "<b>Jan</b> & co", "leave_url": LEAVE_URL})
    assert "Taal: <b>Jan</b> & co" in filled.text_body
    assert "Taal: &lt;b&gt;Jan&lt;/b&gt; &amp; co" in filled.html_body
    assert filled.subject == "Taal"


def test_empty_values_and_white_space_at_the_ends_are_rendered_in_full(session):
    # The test template ends its body with the name, and the layout trims the body.
    for name in ("", "Jan "):
        values = {"name": name, "leave_url": LEAVE_URL}
        assert stencil().fill(values).text_body != services.render_message(
            "test_message", context(values), "nl", _l("Language")).text_body
        calls: list[int] = []
        stencil().render(values, lambda v=values, c=calls: c.append(1) or context(v))
        assert calls == [1]


def test_only_the_first_message_is_rendered_in_full_to_check(session):
    item, calls = stencil(), []
    for name in ("Jan", "Piet", "Klaas"):
        values = {"name": name, "leave_url": LEAVE_URL}
        item.render(values, lambda v=values: calls.append(1) or context(v))
    assert calls == [1] and item.usable


def test_a_failed_check_renders_every_later_message_in_full(session, monkeypatch, caplog):
    item, calls = stencil(), []
    monkeypatch.setattr(services.Stencil, "fill",
                        lambda self, values: services.Rendered("x", "y", "z"))
    with caplog.at_level(logging.WARNING, logger="panel.mail.services"):
        for name in ("Jan", "Piet"):
            values = {"name": name, "leave_url": LEAVE_URL}
            assert item.render(values, lambda v=values: calls.append(1) or context(v)) == \
                services.render_message("test_message", context(values), "nl",
                                        _l("Language"))
    assert calls == [1, 1] and not item.usable
    assert "rendering each message in full" in caplog.text
    assert "Jan" not in caplog.text and "Piet" not in caplog.text


def test_a_template_that_changes_a_placeholder_is_never_filled_in(session):
    def shouting(values: dict[str, str]) -> dict[str, Any]:
        return {**context(values), "name": values["name"].upper()}

    item = services.Stencil("test_message", _l("Language"), "nl", shouting, FIELDS)
    assert not item.usable
    values = {"name": "Jan", "leave_url": LEAVE_URL}
    assert item.render(values, lambda: shouting(values)).text_body.count("JAN") == 1


def test_queue_many_stores_what_queue_stores(session):
    headers = {"List-Unsubscribe": f"<{LEAVE_URL}>"}
    single = services.queue("jan@example.org", _l("Language"), "test_message",
                            context({"name": "Jan", "leave_url": LEAVE_URL}), language="en",
                            headers=headers)
    rows = [services.message_row(f"r{n}@example.org",
                                 stencil("en").fill({"name": "Jan", "leave_url": LEAVE_URL}),
                                 "en", headers) for n in range(3)]
    assert services.queue_many(rows) == 3
    assert services.queue_many([]) == 0
    stored = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert len(stored) == 4
    for message in stored[1:]:
        for column in ("subject", "text_body", "html_body", "headers", "attachments",
                       "language", "status", "attempts", "last_error", "message_id"):
            assert getattr(message, column) == getattr(single, column), column
        assert message.status == MailStatus.QUEUED and message.sent_at is None
        assert json.loads(message.headers) == {**headers,
                                               "X-Wijkpanel-Template": "test_message"}
    session.rollback()
    assert session.scalar(select(func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize(("to", "headers"), [
    ("not an address", None), ("", None),
    ("jan@example.org", {"Subject": "x"}), ("jan@example.org", {"X-Test": "a\r\nBcc: b"}),
])
def test_message_row_checks_as_queue_does(session, to, headers):
    with pytest.raises(ValueError):
        services.message_row(to, services.Rendered("s", "t", "h"), "nl", headers)
