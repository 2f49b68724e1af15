"""The ETags of the meetings, the motions with their reports and the OpenAPI document: made
from the rows an answer shows (or, for the document, from the release), so a client that has
the answer gets ``304`` without it being built, and any change of what it shows gives a new
ETag."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from panel.api import openapi
from panel.api import services as api_services
from panel.api.http import API_VERSION
from panel.areas.models import Area
from panel.auth.models import User
from panel.db import db
from panel.meetings import models as meeting_models
from panel.meetings.models import Meeting, MeetingStatus, meeting_neighbourhood
from panel.motions import services as motion_services
from panel.motions.models import FollowUpReport, Motion
from tests.api.helpers import (
    DRAFT_ONLY,
    REFERENCE,
    Demo,
    assert_public_headers,
    counting_in,
    document_app,
    get_json,
)

MEETINGS = "/api/v1/bijeenkomsten?pageSize=100"
MOTIONS = "/api/v1/moties"
REPORTS = f"/api/v1/moties/{REFERENCE}/rapportages"
REPORT = f"/api/v1/moties/{REFERENCE}/rapportages/1"


def _etag(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.headers["ETag"]


def _assert_holds(client: FlaskClient, path: str, etag: str) -> None:
    """Unchanged data: the same ETag, and ``304`` without a body for a client that has it."""
    assert _etag(client, path) == etag
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert_public_headers(again, etag)


def _assert_changed(client: FlaskClient, path: str, etag: str) -> str:
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    return changed.headers["ETag"]


def _open_meeting(app: Flask) -> int:
    """The demo's first open meeting that has not started and has wijken."""
    with app.app_context():
        return db.session.scalars(
            select(Meeting.id).join(meeting_neighbourhood)
            .where(Meeting.status == MeetingStatus.OPEN.value,
                   Meeting.starts_at > meeting_models.utcnow())
            .order_by(Meeting.starts_at, Meeting.id)).first()  # type: ignore[return-value]


def _change_meeting(meeting_id: int, change: str) -> None:
    """One change of what the API shows of a meeting, as staff (or a reply) would make it."""
    meeting = db.session.get(Meeting, meeting_id)
    assert meeting is not None and meeting.starts_at is not None
    if change == "places taken":  # as a reply takes (or gives back) a place: an UPDATE of
        step = 1 if meeting.places_left else -1  # the counter only
        db.session.execute(update(Meeting).where(Meeting.id == meeting_id)
                           .values(seats_taken=Meeting.seats_taken + step))
        return
    if change == "title":
        meeting.title = "Andere titel"
    elif change == "venue":
        meeting.venue = "Buurthuis De Schakel"
    elif change == "times":
        meeting.starts_at += timedelta(minutes=30)
    elif change == "agenda":
        meeting.agenda = "Alleen vragen"
    elif change == "capacity":
        meeting.capacity += 5
    elif change == "status":
        meeting.status = MeetingStatus.CANCELLED.value
    elif change == "wijken":
        meeting.neighbourhoods = meeting.neighbourhoods[:-1]
    elif change == "name of a wijk":
        meeting.neighbourhoods[0].name = "Andere wijknaam"
    elif change == "name of the gebied":
        meeting.area.name = "Andere gebiedsnaam"
    else:  # pragma: no cover - a mistake in the parameters below
        raise AssertionError(change)


MEETING_CHANGES = ["title", "venue", "times", "agenda", "capacity", "places taken", "status",
                   "wijken", "name of a wijk", "name of the gebied"]


@pytest.mark.parametrize("change", MEETING_CHANGES)
def test_a_change_of_a_meeting_gives_its_answers_a_new_etag(app: Flask, client: FlaskClient,
                                                            demo: Demo, change: str) -> None:
    meeting_id = _open_meeting(app)
    one = f"/api/v1/bijeenkomsten/{meeting_id}"
    before = {path: _etag(client, path) for path in (MEETINGS, one)}
    shown = get_json(client, one)
    for path, etag in before.items():
        _assert_holds(client, path, etag)
    with app.app_context():
        _change_meeting(meeting_id, change)
        db.session.commit()
    for path, etag in before.items():
        _assert_changed(client, path, etag)
    assert get_json(client, one) != shown


def _at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Time passes (no row changes): the moment the ETag and the answer are made at."""
    monkeypatch.setattr(api_services, "utcnow", lambda: moment)
    monkeypatch.setattr(meeting_models, "utcnow", lambda: moment)


def test_a_meeting_that_starts_gets_a_new_etag_without_any_row_changing(
        app: Flask, client: FlaskClient, demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    # The ETag is worked out for every request, as once a worker's kept second is over.
    monkeypatch.setitem(app.config, "PANEL_ETAG_SECONDS", 0)
    meeting_id = _open_meeting(app)
    one = f"/api/v1/bijeenkomsten/{meeting_id}"
    with app.app_context():
        starts = db.session.get(Meeting, meeting_id).starts_at  # type: ignore[union-attr]
    assert starts is not None
    _at(monkeypatch, starts - timedelta(seconds=1))
    before = {path: _etag(client, path) for path in (MEETINGS, one)}
    assert get_json(client, one)["placesLeft"] is not None
    for path, etag in before.items():
        _assert_holds(client, path, etag)

    _at(monkeypatch, starts)
    after = {path: _assert_changed(client, path, etag) for path, etag in before.items()}
    assert get_json(client, one)["placesLeft"] is None
    listed = {m["id"]: m for m in get_json(client, MEETINGS)["items"]}
    assert listed[meeting_id]["placesLeft"] is None
    for path, etag in after.items():  # and it holds again while nothing else changes
        _assert_holds(client, path, etag)


def test_the_pages_of_the_meetings_have_their_own_etags(app: Flask, client: FlaskClient,
                                                        demo: Demo) -> None:
    pages = [f"/api/v1/bijeenkomsten?pageSize=2&page={n}" for n in (1, 2, 99)]
    before = {path: _etag(client, path) for path in pages}
    assert len(set(before.values())) == len(pages)
    for path, etag in before.items():
        _assert_holds(client, path, etag)
    with app.app_context():  # one more public meeting: every page shows another total
        area = db.session.scalars(select(Area).where(Area.code == "zuid")).one()
        db.session.add(Meeting(area=area, title="Extra", status=MeetingStatus.CANCELLED.value,
                               starts_at=None))
        db.session.commit()
    for path, etag in before.items():
        _assert_changed(client, path, etag)


def test_a_meeting_the_public_may_not_see_stays_not_found(app: Flask, client: FlaskClient,
                                                         demo: Demo) -> None:
    meeting_id = _open_meeting(app)
    public = f"/api/v1/bijeenkomsten/{meeting_id}"
    etag = _etag(client, public)
    with app.app_context():  # back to a draft: no longer public
        db.session.execute(update(Meeting).where(Meeting.id == meeting_id)
                           .values(status=MeetingStatus.DRAFT.value))
        db.session.commit()
    for path in (public, "/api/v1/bijeenkomsten/999999", "/api/v1/bijeenkomsten/2147483647"):
        for headers in ({}, {"If-None-Match": "*"}, {"If-None-Match": etag}):
            answer = client.get(path, headers=headers)
            assert answer.status_code == 404 and "ETag" not in answer.headers
            assert answer.mimetype == "application/problem+json"
            assert answer.get_json()["detail"] == "There is no resource at this address."


# --- motions and their reports ------------------------------------------------------------

def _finalise_draft_of(reference: str) -> None:
    """Finalise the draft report on a motion (its next version), as the clerk would."""
    report = db.session.scalars(select(FollowUpReport).join(FollowUpReport.motion).where(
        Motion.reference == reference, FollowUpReport.status != "final")).one()
    clerk = db.session.get(User, report.created_by_id)
    assert clerk is not None
    motion_services.finalise(clerk, report.id)


def _change_motion(change: str) -> None:
    motion = db.session.scalars(select(Motion).where(Motion.reference == REFERENCE)).one()
    first = db.session.scalars(select(FollowUpReport).where(
        FollowUpReport.motion_id == motion.id, FollowUpReport.version == 1)).one()
    if change == "title":
        motion.title = "Motie over wijkpanels"
    elif change == "adopted on":
        motion.adopted_on = date(2026, 3, 13)
    elif change == "period":
        first.period_end -= timedelta(days=1)
    elif change == "finalised on":
        assert first.finalised_at is not None
        first.finalised_at -= timedelta(days=2)
    elif change == "new final report":
        _finalise_draft_of(REFERENCE)
    elif change == "another motion's first final report":
        _finalise_draft_of(DRAFT_ONLY)
    else:  # pragma: no cover - a mistake in the parameters below
        raise AssertionError(change)


# Each change: the answers that show it (a new ETag and body) and those that do not (the
# same ETag). A final report's own answer is its frozen snapshot: later changes to the motion
# or the report's row do not alter it.
MOTION = f"{MOTIONS}/{REFERENCE}"
MOTION_CHANGES = {
    "title": ((MOTIONS, MOTION), (REPORTS, REPORT)),
    "adopted on": ((MOTIONS, MOTION), (REPORTS, REPORT)),
    "period": ((REPORTS,), (MOTIONS, MOTION, REPORT)),
    "finalised on": ((REPORTS,), (MOTIONS, MOTION)),
    "new final report": ((REPORTS,), (MOTIONS, MOTION, REPORT)),
    "another motion's first final report": ((MOTIONS,), (MOTION, REPORTS, REPORT)),
}


@pytest.mark.parametrize("change", list(MOTION_CHANGES))
def test_a_change_of_a_motion_or_its_reports_gives_a_new_etag(app: Flask, client: FlaskClient,
                                                              demo: Demo, change: str) -> None:
    changed, unchanged = MOTION_CHANGES[change]
    before = {path: _etag(client, path) for path in changed + unchanged}
    shown = {path: get_json(client, path) for path in changed}
    for path, etag in before.items():
        _assert_holds(client, path, etag)
    with app.app_context():
        _change_motion(change)
        db.session.commit()
    for path in changed:
        _assert_changed(client, path, before[path])
        assert get_json(client, path) != shown[path]
    for path in unchanged:
        _assert_holds(client, path, before[path])


def test_a_finalised_version_is_found_and_the_pages_of_reports_have_their_own_etags(
        app: Flask, client: FlaskClient, demo: Demo) -> None:
    second = f"{REPORTS}/2"
    get_json(client, second, 404)
    pages = [f"{REPORTS}?pageSize=1&page={n}" for n in (1, 2)]
    before = {path: _etag(client, path) for path in pages}
    assert before[pages[0]] != before[pages[1]]
    with app.app_context():
        _finalise_draft_of(REFERENCE)
        db.session.commit()
    for path, etag in before.items():
        _assert_changed(client, path, etag)
    assert get_json(client, pages[1])["items"][0]["version"] == 2
    _assert_holds(client, second, _etag(client, second))


@pytest.mark.parametrize("path", [
    f"{MOTIONS}/{DRAFT_ONLY}", f"{MOTIONS}/M-ONBEKEND", f"{MOTIONS}/{'x' * 41}",
    f"{MOTIONS}/{DRAFT_ONLY}/rapportages", f"{MOTIONS}/M-ONBEKEND/rapportages",
    f"{REPORTS}/2", f"{REPORTS}/99", f"{MOTIONS}/{DRAFT_ONLY}/rapportages/1",
    f"{MOTIONS}/{'x' * 41}/rapportages/1"])
def test_what_is_not_public_stays_not_found(client: FlaskClient, demo: Demo, path: str) -> None:
    for headers in ({}, {"If-None-Match": "*"}):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404 and "ETag" not in answer.headers
        assert answer.mimetype == "application/problem+json"
        assert answer.get_json() == {
            "type": "about:blank", "title": "Not Found", "status": 404,
            "detail": "There is no resource at this address.",
            "instance": path.split("?")[0]}


def test_a_deleted_motion_is_gone(app: Flask, client: FlaskClient, demo: Demo) -> None:
    paths = (f"{MOTIONS}/{REFERENCE}", REPORTS, REPORT)
    before = {path: _etag(client, path) for path in paths}
    with app.app_context():
        db.session.execute(delete(Motion).where(Motion.reference == REFERENCE))
        db.session.commit()
    for path, etag in before.items():
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 404


# --- statements ---------------------------------------------------------------------------



FINGERPRINTED = ["/api/v1/bijeenkomsten", "/api/v1/bijeenkomsten/{meeting}", MOTIONS,
                 f"{MOTIONS}/{REFERENCE}", REPORTS, REPORT]


@pytest.mark.parametrize("path", FINGERPRINTED)
def test_a_304_reads_a_fixed_number_of_statements_and_builds_nothing(
        app: Flask, client: FlaskClient, demo: Demo, path: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The ETag is worked out from one statement (and the municipality of the header),
    however long the page; the answer is not built for a ``304``."""
    monkeypatch.setitem(app.config, "PANEL_ETAG_SECONDS", 0)
    path = path.format(meeting=_open_meeting(app))
    counts = []
    for size in (1, 100):
        sized = f"{path}?pageSize={size}"
        etag = _etag(client, sized)
        with monkeypatch.context() as unbuilt, counting_in(app) as statements:
            for name in ("meetings", "meeting", "motions", "motion", "reports", "report",
                         "report_data"):
                unbuilt.setattr(api_services, name, _unbuilt)
            answer = client.get(sized, headers={"If-None-Match": etag})
        assert answer.status_code == 304
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 2, counts


def _unbuilt(*args: object) -> None:
    raise AssertionError("the answer was built for a 304")


# --- the OpenAPI document -----------------------------------------------------------------



def test_the_document_is_built_once_and_answers_304_without_a_database(
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = document_app()
    client = app.test_client()
    path = "/api/v1/openapi.json"
    first = client.get(path)
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert first.get_json()["info"]["version"] == API_VERSION
    etag = first.headers["ETag"]
    assert_public_headers(first, etag)

    built: list[object] = []
    real: Callable[..., object] = openapi._with
    monkeypatch.setattr(openapi, "_with", lambda contact: built.append(contact) or real(contact))
    again = client.get(path)
    assert again.get_data() == first.get_data() and again.headers["ETag"] == etag
    for header in (etag, f"W/{etag}", "*"):
        not_modified = client.get(path, headers={"If-None-Match": header})
        assert not_modified.status_code == 304 and not_modified.get_data() == b""
        assert_public_headers(not_modified, etag)
    assert built == []  # kept from the first answer, and never built for a 304

    monkeypatch.setitem(app.config, "PANEL_BASE_URL", "https://veilig.example.nl")
    moved = client.get(path, headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["ETag"] != etag
    assert moved.get_json()["info"]["contact"]["url"] == "https://veilig.example.nl"
    assert len(built) == 1
