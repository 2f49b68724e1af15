"""The API never shows anything about residents (or staff accounts): every resource it can
reach is fetched and scanned for the distinctive details of people put in the database."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from panel.areas.models import Neighbourhood
from panel.auth.models import Role, User
from panel.db import db, utcnow
from panel.feedback.models import Action, Evaluation, FeedbackItem, Theme
from panel.meetings.models import Invitation, Meeting, Reply
from panel.motions import services as motion_services
from panel.motions.models import Motion
from panel.security import new_token
from panel.signups.models import PanelMember
from tests import factories
from tests.api.helpers import BASE, REFERENCE, Demo

# Details that must never appear in any answer (compared case-insensitively).
NEEDLES = [
    "Zebedeus", "Quirijnsma", "zebedeus.q@voorbeeld.test", "06-98765432", "Kwispelsteeg",
    "9999ZZ", "Rolstoel met hulphond", "maandagavond", "RESP-77-QQ", "Xanthippe",
    "Staffelaar", "xanthippe@gemeente.test", "Ophelia", "Vlietstra", "ophelia@voorbeeld.test",
    "@demo.example", "VM2023-", "Meneer Bakker", "Heel slecht geregeld door Quirijnsma",
    "Achter huisnummer 77b",
]


def _add_people(app: Flask) -> None:
    """Residents who reply, give feedback (checked and not) and rate a meeting, a staff
    member who acts on it, and a new final report that counts all of it."""
    with app.app_context():
        mare = db.session.scalars(select(Neighbourhood).where(
            Neighbourhood.code == "WK036101")).one()
        verkeer = db.session.scalars(select(Theme).where(Theme.code == "verkeer")).one()
        zebedeus = factories.member(
            mare, "Zebedeus Quirijnsma", "zebedeus.q@voorbeeld.test", phone="06-98765432",
            street="Kwispelsteeg", house_number="77b", postcode="9999ZZ",
            accessibility_needs="Rolstoel met hulphond", availability="maandagavond",
            respondent_id="RESP-77-QQ", confirmed_at=utcnow() - timedelta(days=3))
        ophelia = factories.member(mare, "Ophelia Vlietstra", "ophelia@voorbeeld.test",
                                   source="survey", confirmed_at=utcnow() - timedelta(days=2))
        staff = factories.user(Role.TEAM, email="xanthippe@gemeente.test",
                               areas=[mare.area])
        staff.name = "Xanthippe Staffelaar"
        meetings = list(db.session.scalars(select(Meeting).where(
            Meeting.area_id == mare.area_id)))
        for meeting in meetings:
            meeting.team = [staff]
            for member in (zebedeus, ophelia):
                db.session.add(Invitation(meeting_id=meeting.id, member_id=member.id,
                                          token_hash=new_token()[1]))
                db.session.add(Reply(meeting_id=meeting.id, member_id=member.id,
                                     status="attending", attended=True))
            db.session.add(Evaluation(meeting_id=meeting.id, member_id=zebedeus.id, rating=2,
                                      comments="Heel slecht geregeld door Quirijnsma",
                                      answered_at=utcnow()))
        pending = FeedbackItem(neighbourhood=mare, theme=verkeer, member_id=zebedeus.id,
                               source="resident", place="Achter huisnummer 77b",
                               text="Zebedeus Quirijnsma ziet elke dag hardrijders.")
        checked = FeedbackItem(neighbourhood=mare, theme=verkeer, member_id=ophelia.id,
                               source="resident", place="Kwispelsteeg",
                               text="Ophelia Vlietstra: er wordt hard gereden.",
                               public_text="Er wordt hard gereden in de straat.",
                               review="approved", reviewed_by_id=staff.id,
                               status="passed_on", partner="police")
        db.session.add_all([pending, checked])
        # ``owner`` is free text naming the team or a partner; the frozen motion report
        # publishes it, so it is not a place for a person's name.
        db.session.add(Action(area=mare.area, title="Drempels", owner="Gebiedsteam Noord",
                              created_by_id=staff.id, items=[pending, checked]))
        clerk = db.session.scalars(select(User).where(User.role == Role.CLERK.value)).one()
        motion = db.session.scalars(select(Motion).where(Motion.reference == REFERENCE)).one()
        report = motion_services.start_report(clerk, motion.id, utcnow().date() - timedelta(
            days=120), utcnow().date())
        motion_services.finalise(clerk, report.id)
        db.session.commit()


def _crawl(client: FlaskClient) -> dict[str, str]:
    """Every API resource reachable from the lists, following all links (every page, two
    items a page)."""
    start = [f"/api/v1/{name}?page=1&pageSize=2" for name in
             ("gebieden", "wijken", "indicatoren", "bijeenkomsten", "moties")]
    start.append("/api/v1/openapi.json")
    queue, seen, bodies = deque(start), set(start), {}
    while queue:
        path = queue.popleft()
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        bodies[path] = text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers)
        for href in _hrefs(response.get_json()):
            relative = href.removeprefix(BASE)
            if relative.startswith("/api/v1/") and relative not in seen:
                seen.add(relative)
                queue.append(relative)
    return bodies


def _hrefs(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["href"]] if isinstance(value.get("href"), str) else []
        return found + [h for v in value.values() for h in _hrefs(v)]
    if isinstance(value, list):
        return [h for v in value for h in _hrefs(v)]
    return []


def test_no_response_contains_personal_data(app: Flask, client: FlaskClient,
                                            demo: Demo) -> None:
    _add_people(app)
    bodies = _crawl(client)
    paths = set(bodies)
    assert {"/api/v1/wijken/WK036101/terugkoppeling", "/api/v1/wijken/WK036101/resultaten",
            f"/api/v1/moties/{REFERENCE}/rapportages/3", "/api/v1/bijeenkomsten/4",
            "/api/v1/gebieden/noord", "/api/v1/wijken/WK036101/resultaten?editie=2021",
            "/api/v1/wijken?page=5&pageSize=2", "/api/v1/bijeenkomsten?page=4&pageSize=2",
            f"/api/v1/moties/{REFERENCE}/rapportages?page=1&pageSize=20"} <= paths
    assert "Er wordt hard gereden in de straat." in bodies[
        "/api/v1/wijken/WK036101/terugkoppeling"]  # the checked words are shown
    for path, text in bodies.items():
        lowered = text.lower()
        for needle in NEEDLES:
            assert needle.lower() not in lowered, f"{needle!r} in {path}"


def test_the_members_exist_where_the_api_does_not_look(app: Flask, demo: Demo) -> None:
    """A guard for the test above: the details really are in the database."""
    _add_people(app)
    with app.app_context():
        names = set(db.session.scalars(select(PanelMember.name)))
        assert {"Zebedeus Quirijnsma", "Ophelia Vlietstra"} <= names
        assert db.session.scalars(select(FeedbackItem.text).where(
            FeedbackItem.text.like("Zebedeus%"))).one()
