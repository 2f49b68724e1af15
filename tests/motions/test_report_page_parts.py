"""The report page is put together from parts kept per worker (its top and its tables by the
figures, its text fields by the clerk's text) and the parts of the reader (the layout, the
forms' CSRF token): what it shows is never older than the data."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient

from panel.db import db
from panel.motions import services
from tests import factories
from tests.statements import counting


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """A draft report on a motion about gebied Noord, with a text by the clerk."""
    item = factories.panel_world()
    motion = services.save_motion(item.clerk, services.MotionData(
        reference="M2025-010", title="Veilig in Noord", adopted_on=date(2024, 12, 1),
        text="", area_codes=["noord"]))
    report = services.start_report(item.clerk, motion.id, date(2025, 1, 1),
                                   date(2025, 12, 31))
    services.save_narrative(item.clerk, report.id, [("Kern", "Het panel loopt.")])
    session.commit()
    return SimpleNamespace(**vars(item), motion=motion, report=report,
                           path=f"/beheer/moties/rapportages/{report.id}")


def _clerk(client: FlaskClient) -> FlaskClient:
    factories.login(client, "clerk@example.org")
    client.set_cookie("lang", "en")
    return client


def _text(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def _h1(page: str) -> str:
    match = re.search(r'<h1 class="utrecht-heading-1">([^<]*)</h1>', page)
    assert match is not None
    return match.group(1)


def test_the_text_fields_show_the_text_saved_last(client, world):
    _clerk(client)
    assert 'value="Kern"' in _text(client, world.path)
    assert 'value="Kern"' in _text(client, world.path)  # kept: the same
    answer = client.post(world.path, data={"title1": "Stand van zaken",
                                           "body1": "Er zijn drie panels."})
    assert answer.status_code == 302
    page = _text(client, world.path)
    assert 'value="Stand van zaken"' in page and "Er zijn drie panels." in page
    assert 'value="Kern"' not in page


def test_a_text_saved_by_another_worker_shows_at_once(client, world):
    _clerk(client)
    assert 'value="Kern"' in _text(client, world.path)
    with db.engine.begin() as connection:  # as another worker would, without this session
        connection.execute(services.FollowUpReport.__table__.update().values(
            narrative='[{"title": "Anders", "body": "Elders bewaard."}]'))
    db.session.expunge_all()  # the next request reads the report anew, as a worker does
    page = _text(client, world.path)
    assert 'value="Anders"' in page and 'value="Kern"' not in page


def test_a_refused_text_shows_what_was_sent_with_the_error(client, world):
    _clerk(client)
    _text(client, world.path)  # the fields as they open are kept
    answer = client.post(world.path, data={"title1": "x" * 201, "body1": "Te lange kop."})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Te lange kop." in page and 'aria-invalid="true"' in page
    assert 'value="Kern"' not in page
    assert 'value="Kern"' in _text(client, world.path)


def test_the_fields_are_kept_per_language(client, world):
    _clerk(client)
    assert "Heading 1" in _text(client, world.path)
    client.set_cookie("lang", "nl")
    dutch = _text(client, world.path)
    assert "Kop 1" in dutch and "Heading 1" not in dutch


def test_the_top_follows_a_renamed_motion_also_on_a_final_report(client, world, session):
    services.finalise(world.clerk, world.report.id)
    session.commit()
    _clerk(client)
    assert "Veilig in Noord" in _h1(_text(client, world.path))
    world.motion.title = "Veilig wonen in Noord"
    session.commit()
    assert "Veilig wonen in Noord" in _h1(_text(client, world.path))


def test_only_an_editor_gets_the_text_form(client, world):
    factories.login(client, "noord@example.org")  # a team member reads reports
    page = _text(client, world.path)
    assert 'name="title1"' not in page and "Het panel loopt." in page
    client.post("/beheer/uitloggen")
    _clerk(client)
    assert 'name="title1"' in _text(client, world.path)


def test_the_forms_carry_the_token_the_post_checks(app, client, world):
    _clerk(client)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = _text(client, world.path)
        tokens = re.findall(r'name="csrf_token" value="([^"]+)"', page)
        assert len(tokens) == 3  # signing out, the text, making it final
        assert 'id="csrf_token"' not in page  # no id given twice
        assert client.post(world.path, data={"title1": "Zonder token"}).status_code == 400
        saved = client.post(world.path, data={"title1": "Met token", "csrf_token": tokens[1]})
        assert saved.status_code == 302
        assert 'value="Met token"' in _text(client, world.path)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_report_and_its_motion_are_read_in_one_statement(app, client, world):
    app.config["PANEL_ETAG_SECONDS"] = 60  # the report's key is trusted: no figures read
    try:
        _clerk(client)
        _text(client, world.path)
        db.session.expunge_all()  # a new request starts with an empty session
        with counting(db.engine) as seen:
            _text(client, world.path)
    finally:
        app.config["PANEL_ETAG_SECONDS"] = 1
    reading = [s for s in seen if "follow_up_report" in s or "FROM motion" in s]
    assert len(reading) == 1 and "JOIN motion" in reading[0]
