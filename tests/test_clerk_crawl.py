"""The clerk's office (griffie) sees no resident's personal data anywhere: every page
reachable from the clerk's start page (links followed), every GET address of the app
filled in with the demo's ids and codes, and every export (the follow-up report in each
format, the member list, the figures as CSV) answers without a panel member's name, email
address, phone number, or postcode with house number.

The demo municipality is loaded (127 panel members); exports that are ZIP files (XLSX,
DOCX, the CSV bundle) are searched inside, member by member."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter, deque

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from panel.areas.models import Area, District, Neighbourhood
from panel.auth.models import User
from panel.demo.services import DEMO_PASSWORD, seed_demo
from panel.feedback.models import Action, FeedbackItem
from panel.meetings.models import Meeting
from panel.motions.models import FollowUpReport, Motion
from panel.results.models import Edition, Indicator
from panel.signups.models import PanelMember
from tests import crawl

CLERK = "griffie@demo.example"
PER_ENDPOINT = 4  # addresses followed per page kind (lists link to many of one kind)
NOT_FOLLOWED = {"static", "site.language", "auth.logout", "residents.resident_logout"}


@pytest.fixture
def demo(session) -> None:
    seed_demo()
    session.commit()


def _personal_data(session) -> list[str]:
    """What of the panel members must never reach the clerk, in the forms a page or a file
    could show it."""
    found: set[str] = set()
    for member in session.scalars(select(PanelMember)):
        found.add(member.name)
        if member.email:
            found.add(member.email)
        if member.phone:
            found.add(member.phone)
            found.add(re.sub(r"\D", "", member.phone))
        if member.postcode and member.house_number:
            postcode = member.postcode.replace(" ", "")
            for written in (postcode, f"{postcode[:4]} {postcode[4:]}"):
                found.add(f"{written} {member.house_number}")
            if member.street:
                found.add(f"{member.street} {member.house_number}")
    assert len(found) > 300
    return sorted(found)


def _text(body: bytes) -> str:
    """A page or file as text: a ZIP file (XLSX, DOCX, CSV bundle) as all of its parts."""
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(_text(archive.read(name)) for name in archive.namelist())
    return body.decode("utf-8", errors="replace")


def _argument_values(session) -> dict[str, list[object]]:
    """Ids and codes of every kind, to fill in the app's addresses."""
    def first(statement, count: int = 2) -> list[object]:  # type: ignore[no-untyped-def]
        return list(session.scalars(statement.limit(count)))

    codes = (first(select(Area.code)) + first(select(Neighbourhood.code))
             + first(select(District.code), 1) + first(select(Indicator.code)))
    return {
        "meeting_id": first(select(Meeting.id).order_by(Meeting.id), 3),
        "member_id": first(select(PanelMember.id).order_by(PanelMember.id), 3),
        "item_id": first(select(FeedbackItem.id).order_by(FeedbackItem.id)),
        "action_id": first(select(Action.id).order_by(Action.id)),
        "motion_id": first(select(Motion.id)),
        "report_id": first(select(FollowUpReport.id)),
        "user_id": first(select(User.id).order_by(User.id), 3),
        "year": first(select(Edition.year)),
        "version": [1],
        "reference": first(select(Motion.reference)),
        "code": codes,
        "area": ["GM0361", *first(select(Neighbourhood.code), 1)],
        "fmt": ["csv", "json", "xlsx", "zip", "docx"],
        "slot_id": [1], "record_id": [1], "token": ["x"],
    }


def _addresses(app: Flask, session) -> list[str]:
    values = _argument_values(session)
    found = []
    for rule in crawl.rules(app):
        if rule.endpoint in NOT_FOLLOWED or "GET" not in crawl.methods(rule):
            continue
        found += crawl.addresses(app, rule, values) if rule.arguments else [rule.rule]
    return found


def test_the_clerk_sees_no_personal_data_anywhere(app: Flask, demo, session,
                                                  login_as) -> None:
    clerk: FlaskClient = login_as(CLERK, password=DEMO_PASSWORD)
    personal = _personal_data(session)
    adapter = app.url_map.bind("wijkpanel.test")
    queue = deque(["/beheer/", *_addresses(app, session)])
    seen: set[str] = set()
    per_endpoint: Counter[str] = Counter()
    leaks, answered = [], Counter()
    while queue:
        address = queue.popleft()
        if address in seen:
            continue
        seen.add(address)
        try:
            endpoint, _arguments = adapter.match(address.split("?")[0], method="GET")
        except Exception:  # noqa: BLE001 (not an address of the app, or not for GET)
            continue
        if endpoint in NOT_FOLLOWED:
            continue
        response = clerk.get(address)
        answered[response.status_code // 100] += 1
        text = _text(response.get_data())
        leaks += [(address, item) for item in personal if item in text]
        if response.status_code == 200 and response.mimetype == "text/html":
            for link in crawl.links(text, address):
                kind = _endpoint(adapter, link)
                if link not in seen and kind and per_endpoint[kind] < PER_ENDPOINT:
                    per_endpoint[kind] += 1
                    queue.append(link)
    assert leaks == []
    assert answered[2] > 60, answered  # the clerk did see pages, and downloads
    # The clerk saw the follow-up report in every format.
    report = session.scalars(select(FollowUpReport.id)).first()
    for fmt in ("xlsx", "zip", "json", "docx"):
        assert f"/beheer/moties/rapportages/{report}/export.{fmt}" in seen


def _endpoint(adapter, address: str) -> str | None:  # type: ignore[no-untyped-def]
    try:
        return str(adapter.match(address.split("?")[0], method="GET")[0])
    except Exception:  # noqa: BLE001 (a link outside the app's routes)
        return None
