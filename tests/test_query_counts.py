"""Performance guards that need no timing.

* Every page the benchmark measures makes as many SQL statements on a small data set as on
  a larger one (no query per row: an N+1 would show up as a difference). Both data sets
  come from the benchmark's generator (``bench/generate.py``) at scale 1 and 3.
* Public pages carry an ETag made from their data and answer ``304 Not Modified`` to a
  browser that has the current version; the ETag changes as soon as the data does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text, update

from bench.generate import MUNICIPALITY_CODE, PASSWORD, Summary, populate
from bench.run import PAGES, Page, login_email, page_path
from panel import kept
from panel.areas.models import Area, Neighbourhood
from panel.db import db, utcnow
from panel.feedback.models import FeedbackItem
from panel.meetings.models import Meeting
from panel.motions.models import Motion
from panel.results.models import Result
from tests.statements import counting
from tests.timing import Clock

SCALES = (0.2, 3)  # at 0.2 a team's member list is shorter than one page
PUBLIC_WITH_ETAG = ("wijk", "meetings", "meeting", "feedback", "results", "indicator", "trend",
                    "gebied", "wijken", "feedback-index",
                    # downloads and slides, from the rows of the page they belong to
                    "wijk-csv", "wijk-slides", "results-csv", "indicator-csv",
                    "indicator-slides", "trend-csv", "trend-slides", "gebied-csv",
                    "meeting-ics", "gebied-ics",
                    # the open-data API's answers that used to hash their body
                    "api-meetings", "api-meeting", "api-motions", "api-motion")


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


def _path(page: Page, summary: Summary) -> str:
    return page_path(page, summary)


def _client(app: Flask, login: str | None, summary: Summary) -> FlaskClient:
    client = app.test_client()
    if login:
        answer = client.post("/beheer/inloggen", data={"email": login_email(login, summary),
                                                       "password": PASSWORD})
        assert answer.status_code == 302, f"login as {login} failed"
    return client


def _statements(app: Flask, summary: Summary) -> dict[str, int]:
    """Statements of the second request of every page (the first one warms up)."""
    with app.app_context():
        engine = db.engine
    counts: dict[str, int] = {}
    clients: dict[str | None, FlaskClient] = {}
    with counting(engine) as seen:
        for page in PAGES:
            if page.login not in clients:
                clients[page.login] = _client(app, page.login, summary)
            client = clients[page.login]
            assert client.get(_path(page, summary)).status_code == 200, page.name
            seen.clear()
            assert client.get(_path(page, summary)).status_code == 200, page.name
            counts[page.name] = len(seen)
    return counts


@pytest.fixture(scope="module")
def statement_counts(app: Flask) -> Iterator[dict[int, dict[str, int]]]:
    """Statements per page at both scales (the ETag worked out and the page built on every
    request: kept pages would hide the statements of building them)."""
    app.config.update(PANEL_ETAG_SECONDS=0, PANEL_PAGE_CACHE_MB=0)
    counts: dict[int, dict[str, int]] = {}
    try:
        for scale in SCALES:
            with app.app_context():
                summary = populate(scale)
            counts[scale] = _statements(app, summary)
            with app.app_context():
                _empty_tables()
        yield counts
    finally:
        app.config.update(PANEL_ETAG_SECONDS=1, PANEL_PAGE_CACHE_MB=32)


@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_statements_do_not_grow_with_the_data(statement_counts: dict[int, dict[str, int]],
                                              page: str) -> None:
    small, large = (statement_counts[scale][page] for scale in SCALES)
    assert small == large, f"{page}: {small} statements at scale {SCALES[0]}, " \
                           f"{large} at scale {SCALES[1]}"


def test_the_larger_data_set_is_larger(app: Flask) -> None:
    with app.app_context():
        small = populate(SCALES[0]).rows
        _empty_tables()
        large = populate(SCALES[1]).rows
    for table in ("panel_member", "reply", "feedback_item", "action"):
        assert large[table] >= 10 * small[table], table
    assert large["neighbourhood"] > small["neighbourhood"]


# --- conditional GET on public pages -----------------------------------------------------

@pytest.fixture
def world(app: Flask) -> Summary:
    with app.app_context():
        return populate(1)


def _public(name: str) -> Page:
    return next(p for p in PAGES if p.name == name)


def _change(name: str, summary: Summary) -> None:
    """Change something the public page ``name`` shows, through the ORM, and commit."""
    name = name.removesuffix("-csv").removesuffix("-slides")
    if name in ("wijk", "indicator", "trend", "results", "gebied"):  # a figure shown
        code = {"results": MUNICIPALITY_CODE, "gebied": summary.area_code}.get(
            name, summary.wijk_code)
        query = select(Result).where(Result.area_code == code).order_by(Result.id.desc())
        if name in ("indicator", "trend", "results"):  # the first indicator
            query = query.where(Result.indicator_id == 1)
        result = db.session.scalars(query).first()
        assert result is not None
        result.value = result.value + 1
    elif name == "meetings":  # an upcoming meeting's title
        meeting = db.session.scalars(select(Meeting).where(
            Meeting.status == "open", Meeting.starts_at > utcnow())
            .order_by(Meeting.starts_at)).first()
        assert meeting is not None
        meeting.title = f"{meeting.title} (nieuw)"
    elif name in ("wijken", "feedback-index"):  # a wijk's name in the list
        wijk = db.session.scalars(select(Neighbourhood)
                                  .where(Neighbourhood.code == summary.wijk_code)).one()
        wijk.name = f"{wijk.name} (nieuw)"
    elif name == "gebied-ics":  # the title of one of the gebied's meetings
        meeting = db.session.scalars(
            select(Meeting).join(Meeting.area)
            .where(Meeting.status == "open", Area.code == summary.area_code)
            .order_by(Meeting.id)).first()
        assert meeting is not None
        meeting.title = f"{meeting.title} (nieuw)"
    elif name in ("meeting-ics", "api-meeting"):  # the meeting's title
        meeting = db.session.get(Meeting, summary.meeting_id)
        assert meeting is not None
        meeting.title = f"{meeting.title} (nieuw)"
    elif name == "api-meetings":  # the title of the first meeting listed
        meeting = db.session.scalars(
            select(Meeting).where(Meeting.status.in_(("open", "cancelled")))
            .order_by(Meeting.starts_at.is_(None), Meeting.starts_at, Meeting.id)).first()
        assert meeting is not None
        meeting.title = f"{meeting.title} (nieuw)"
    elif name in ("api-motions", "api-motion"):  # the title of the motion with a report
        motion = db.session.scalars(select(Motion).where(
            Motion.reference == summary.final_reference)).one()
        motion.title = f"{motion.title} (nieuw)"
    elif name == "meeting":  # the places left on the meeting's own page
        meeting_id = int(_path(_public(name), summary).rsplit("/", 1)[1])
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting is not None
        meeting.seats_taken += 1 if meeting.places_left else -1
    else:  # the checked words of a quote from the wijk
        item = db.session.scalars(
            select(FeedbackItem).join(FeedbackItem.neighbourhood)
            .where(FeedbackItem.review == "approved", Neighbourhood.code == summary.wijk_code)
            .order_by(FeedbackItem.id)).first()
        assert item is not None
        item.public_text = "Nagekeken tekst, opnieuw geformuleerd."
    db.session.commit()


@pytest.mark.parametrize("name", PUBLIC_WITH_ETAG)
def test_public_page_answers_304_until_its_data_changes(app: Flask, client: FlaskClient,
                                                        world: Summary, name: str) -> None:
    path = _path(_public(name), world)
    first = client.get(path)
    etag = first.headers["ETag"]
    if name.startswith("api-"):  # open data: the same for everyone, for a few minutes
        assert first.headers["Cache-Control"].startswith("public, max-age=")
    else:  # a page in the visitor's language (a cookie): always asked again
        assert first.headers["Cache-Control"] == "no-cache"
        assert "Cookie" in first.headers["Vary"]

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag

    with app.app_context():
        _change(name, world)
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_a_change_outside_the_orm_shows_within_the_kept_seconds(
        app: Flask, client: FlaskClient, world: Summary,
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()  # the seconds pass when the test says so
    monkeypatch.setattr(kept, "time", clock)
    app.config["PANEL_ETAG_SECONDS"] = 0.2
    try:
        path = _path(_public("wijk"), world)
        etag = client.get(path).headers["ETag"]
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(update(Result).where(Result.area_code == world.wijk_code)
                               .values(value=Result.value + 1))
        clock.advance(0.3)
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 200
    finally:
        app.config["PANEL_ETAG_SECONDS"] = 1


def test_the_etag_depends_on_the_language(client: FlaskClient, world: Summary) -> None:
    path = _path(_public("wijk"), world)
    dutch = client.get(path).headers["ETag"]
    client.set_cookie("lang", "en")
    english = client.get(path)
    assert english.headers["ETag"] != dutch
    assert client.get(path, headers={"If-None-Match": dutch}).status_code == 200


def test_staff_never_get_a_cached_public_page(app: Flask, world: Summary) -> None:
    path = _path(_public("wijk"), world)
    etag = app.test_client().get(path).headers["ETag"]
    staff = _client(app, "team", world)
    answer = staff.get(path, headers={"If-None-Match": etag})
    assert answer.status_code == 200
    assert "ETag" not in answer.headers


# --- motion reports -----------------------------------------------------------------------

def test_a_report_makes_as_many_statements_for_one_gebied_as_for_all(app: Flask) -> None:
    """Building a report costs the same number of statements whatever the motion's scope
    (one gebied, every gebied, or the whole municipality without naming any)."""
    from datetime import date

    from panel.areas.models import Area
    from panel.motions import services as motion_services
    from panel.motions.models import FollowUpReport, Motion

    with app.app_context():
        populate(1)
        areas = list(db.session.scalars(select(Area)))
        period = {"period_start": date(2020, 1, 1), "period_end": date.today()}
        for reference, scope in (("M-ALL", areas), ("M-NONE", [])):
            db.session.add(Motion(reference=reference, title=reference,
                                  adopted_on=date(2024, 1, 1), areas=scope,
                                  reports=[FollowUpReport(version=1, **period)]))
        db.session.commit()
        reports = {m.reference: m.reports[0].id for m in db.session.scalars(select(Motion))}
        counts = {}
        with counting(db.engine) as seen:
            for reference, report_id in reports.items():
                db.session.expunge_all()
                report = db.session.get(FollowUpReport, report_id)
                seen.clear()
                motion_services.build(report)
                counts[reference] = len(seen)
    assert len(set(counts.values())) == 1, counts


def test_the_logo_is_one_row_and_its_304_needs_no_statement(
        app: Flask, client: FlaskClient, world: Summary, monkeypatch: pytest.MonkeyPatch) -> None:
    """``/logo`` (an image in every page's header, not a page the benchmark measures):
    one statement for the stored file, whatever the data; none for a browser that has it
    while the worker trusts the header it read."""
    from panel.areas.logo import clean_logo
    from panel.areas.models import Municipality
    from panel.demo.services import DEMO_LOGO

    monkeypatch.setitem(app.config, "PANEL_ETAG_SECONDS", 60)  # no expiry within the test
    logo = clean_logo(DEMO_LOGO.read_bytes(), DEMO_LOGO.name)
    with app.app_context():
        db.session.execute(update(Municipality).values(
            logo=logo.data, logo_type=logo.content_type, logo_hash=logo.sha256))
        db.session.commit()
    assert client.get("/").status_code == 200  # the header is read and trusted
    with app.app_context():
        engine = db.engine
    with counting(engine) as seen:
        built = client.get("/logo")
    assert built.status_code == 200 and built.data == logo.data
    assert len(seen) <= 2, seen  # the stored file (and the header, when not trusted now)
    with counting(engine) as seen:
        again = client.get("/logo", headers={"If-None-Match": built.headers["ETag"]})
    assert again.status_code == 304
    assert seen == []
