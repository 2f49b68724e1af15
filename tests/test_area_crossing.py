"""A team member of one gebied reaches nothing of another gebied: every staff address
(from the app's url_map) filled in with the other gebieden's meetings, polls, members,
feedback, actions, gebieden, wijken and buurten, requested and posted, answers 403 or 404,
and the database is the same afterwards.

The demo municipality is loaded (five gebieden), with a poll and an upload of the team of
Zuid added; the team member is the demo's team Noord. A posted form carries what the same
page shows an administrator (every field filled in as the page fills it), so a view that
checked the form before the gebied would be caught changing something."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from panel.areas.models import Area, District, Neighbourhood
from panel.auth.models import User
from panel.db import db, utcnow
from panel.demo.services import DEMO_PASSWORD, seed_demo
from panel.feedback.models import Action, FeedbackItem
from panel.meetings.models import Meeting, MeetingStatus, PollSlot
from panel.signups.models import ImportRecord, PanelMember
from tests import crawl

TEAM = "team-noord@demo.example"
OWN = "noord"
# The addresses' arguments that name something of a gebied (``code`` only under the
# gebieden, wijken and buurten; an indicator's code belongs to no gebied).
AREA_CODE_PREFIXES = ("/beheer/gebieden/<", "/beheer/wijken/<", "/beheer/buurten/<")
# Tables the crawl may change: who did what (every refused request is in the audit log)
# and the staff member's own session.
ALLOWED_TO_CHANGE = {"audit_event", "staff_session"}


@pytest.fixture
def other_gebieden(session) -> dict[str, list[object]]:
    """The demo with a poll and an upload in Zuid; the values of the addresses' arguments
    that belong to the gebieden other than the team member's."""
    seed_demo()
    zuid = session.scalars(select(Area).where(Area.code == "zuid")).one()
    start = utcnow() + timedelta(days=20)
    poll = Meeting(area=zuid, title="Wanneer praten we over Koedijk?",
                   status=MeetingStatus.POLL.value, neighbourhoods=list(zuid.neighbourhoods),
                   slots=[PollSlot(starts_at=start + timedelta(days=n),
                                   ends_at=start + timedelta(days=n, hours=2))
                          for n in range(2)])
    session.add(poll)
    team_zuid = session.scalars(select(User).where(User.email == "team-zuid@demo.example")).one()
    session.add(ImportRecord(kind="respondents", filename="zuid.csv",
                             uploaded_by_id=team_zuid.id, content=b"naam;wijkpanel\nA;ja\n"))
    session.commit()

    foreign_areas = [a for a in session.scalars(select(Area).order_by(Area.id)) if a.code != OWN]
    area_ids = [a.id for a in foreign_areas]
    wijken = list(session.scalars(select(Neighbourhood).where(
        Neighbourhood.area_id.in_(area_ids)).order_by(Neighbourhood.id)))
    wijk_ids = [w.id for w in wijken]
    meetings = [poll.id] + [m for m in session.scalars(
        select(Meeting.id).where(Meeting.area_id.in_(area_ids), Meeting.id != poll.id)
        .order_by(Meeting.id))]
    values: dict[str, list[object]] = {
        "meeting_id": meetings,
        "slot_id": [slot.id for slot in poll.slots],
        "member_id": list(session.scalars(select(PanelMember.id).where(
            PanelMember.neighbourhood_id.in_(wijk_ids)).order_by(PanelMember.id).limit(3))),
        "item_id": list(session.scalars(select(FeedbackItem.id).where(
            FeedbackItem.neighbourhood_id.in_(wijk_ids)).order_by(FeedbackItem.id))),
        "action_id": list(session.scalars(select(Action.id).where(
            Action.area_id.in_(area_ids)).order_by(Action.id))),
        "record_id": list(session.scalars(select(ImportRecord.id))),
    }
    assert all(values.values()), values  # something of every kind in another gebied
    values["gebieden"] = [a.code for a in foreign_areas]
    values["wijken"] = [w.code for w in wijken]
    values["buurten"] = list(session.scalars(select(District.code).where(
        District.neighbourhood_id.in_(wijk_ids)).order_by(District.code)))
    return values


def _values_for(rule_text: str, values: dict[str, list[object]]) -> dict[str, list[object]]:
    chosen = dict(values)
    kind = next((p for p in AREA_CODE_PREFIXES if rule_text.startswith(p)), None)
    if kind is not None:
        chosen["code"] = values[kind.split("/")[2]]
    else:
        chosen.pop("code", None)
    return chosen


def test_a_team_member_reaches_nothing_of_another_gebied(
        app: Flask, session, login_as, other_gebieden: dict[str, list[object]]) -> None:
    team = login_as(TEAM, password=DEMO_PASSWORD)
    admin = login_as("beheer@demo.example", password=DEMO_PASSWORD)
    before = crawl.table_digests(leave_out=ALLOWED_TO_CHANGE)

    gebied_arguments = {"meeting_id", "slot_id", "member_id", "item_id", "action_id",
                        "record_id"}
    requested, posted_with_fields, wrong = 0, 0, []
    for rule in crawl.rules(app, "/beheer/"):
        values = _values_for(rule.rule, other_gebieden)
        if not (set(rule.arguments) & (gebied_arguments | set(values) & {"code"})):
            continue  # nothing of a gebied in the address
        for address in crawl.addresses(app, rule, values):
            for method in crawl.methods(rule):
                data: list[tuple[str, str]] = []
                if method == "POST" and "GET" in crawl.methods(rule):
                    shown = admin.get(address)  # the form as the page shows it
                    data = crawl.form_data(shown.get_data(as_text=True), address)
                response = team.open(address, method=method, data=MultiDict(data))
                requested += 1
                posted_with_fields += bool(data)
                if response.status_code not in (403, 404):
                    wrong.append((method, address, response.status_code))
    assert requested > 100 and posted_with_fields > 10
    assert wrong == []
    # The same kind of address of the team member's own gebied is theirs to open.
    own = session.scalars(select(Meeting.id).join(Area).where(Area.code == OWN)).first()
    assert team.get(f"/beheer/bijeenkomsten/{own}").status_code == 200
    assert team.get(f"/beheer/gebieden/{OWN}").status_code == 200
    db.session.rollback()
    assert crawl.table_digests(leave_out=ALLOWED_TO_CHANGE) == before
