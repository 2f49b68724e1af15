"""Messages that repeat what someone typed reach the page escaped, and ``outcome`` decides a
request's result: commit and say so, or roll back and show the domain error, never hiding
an access error."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import get_flashed_messages, render_template_string
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import Form, StringField

from panel.areas.models import Area
from panel.db import db
from panel.errors import DomainError, NotFound, PermissionDenied
from panel.motions import services as motion_services
from panel.outcome import outcome, say
from tests import factories

TYPED = "<b>x</b>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt;"


def _messages(page: str) -> str:
    """The flashed messages at the top of the page."""
    found = re.search(r'<div class="wp-messages".*?</div>\s*</div>', page, re.S)
    return found.group(0) if found else ""


def _summary(page: str) -> str:
    """The error summary of the page's form (``outcome(form=...)``)."""
    found = re.search(r'<div[^>]*data-error-summary.*?</ul>', page, re.S)
    return found.group(0) if found else ""


def test_a_form_error_that_repeats_a_motion_reference_is_escaped(session, login_as):
    world = factories.panel_world()
    motion_services.save_motion(world.clerk, motion_services.MotionData(
        reference=TYPED, title="Eerste", adopted_on=date(2024, 1, 1), text=""))
    session.commit()
    client = login_as("clerk@example.org")
    response = client.post("/beheer/moties/nieuw", data={
        "reference": TYPED, "title": "Tweede", "adopted_on": "2024-03-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Er is al een motie met kenmerk {ESCAPED}." in _summary(page)
    assert TYPED not in page


def test_an_error_on_a_form_field_that_repeats_a_gebied_code_is_escaped(session, login_as):
    factories.municipality()
    factories.user(email="beheer@example.org")
    session.commit()
    client = login_as("beheer@example.org")
    response = client.post("/beheer/gebieden/nieuw", data={"code": TYPED, "name": "Noord"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    error = re.search(r'id="code-error">(.*?)</div>', page, re.S)
    assert error is not None and ESCAPED in error.group(1)
    assert TYPED not in page
    assert _messages(page) == ""  # on the field, not at the top as well
    assert db.session.scalar(select(func.count(Area.id))) == 0


def test_say_flashes_plain_text_even_for_markup_and_lazy_strings(app):
    with app.test_request_context():
        say(Markup(TYPED), "error")
        say(_l("Saved."))
        messages = get_flashed_messages(with_categories=True)
        assert [type(m) for _, m in messages] == [str, str]
        assert render_template_string("{{ m }}", m=messages[0][1]) == ESCAPED


# --- outcome ------------------------------------------------------------------------------

def _areas() -> int:
    return db.session.scalar(select(func.count(Area.id))) or 0


def test_outcome_commits_and_says_the_success_message(app):
    with app.test_request_context():
        with outcome("Klaar.") as saved:
            factories.area("noord")
        assert saved and saved.error is None
        db.session.rollback()  # nothing left to undo: it was committed
        assert _areas() == 1
        assert get_flashed_messages(with_categories=True) == [("success", "Klaar.")]


def test_outcome_rolls_back_and_shows_a_domain_error(app):
    with app.test_request_context():
        with outcome("Klaar.") as saved:
            factories.area("noord")
            raise DomainError(_l("There is already a gebied with code %(code)s.", code=TYPED))
        assert not saved
        assert _areas() == 0
        messages = get_flashed_messages(with_categories=True)
        assert len(messages) == 1 and messages[0][0] == "error"
        assert TYPED in messages[0][1] and not isinstance(messages[0][1], Markup)


def test_outcome_puts_a_domain_error_on_a_field(app):
    class CodeForm(Form):
        code = StringField()

    with app.test_request_context():
        form = CodeForm()
        form.validate()
        with outcome("Klaar.", field=form.code) as saved:
            raise DomainError("De code klopt niet.")
        assert not saved and form.code.errors == ["De code klopt niet."]
        assert get_flashed_messages() == []


def test_outcome_without_commit_leaves_the_transaction_open(app):
    with app.test_request_context():
        with outcome(commit=False) as saved:
            factories.area("noord")
        assert saved
        db.session.rollback()
        assert _areas() == 0


@pytest.mark.parametrize("error", [NotFound, PermissionDenied, RuntimeError])
def test_outcome_lets_access_errors_and_bugs_through(app, error):
    with app.test_request_context():
        with pytest.raises(error), outcome("Klaar."):
            factories.area("noord")
            raise error()
        assert _areas() == 0  # rolled back all the same
        assert get_flashed_messages() == []
