"""The audit log: what is recorded (and what never is), denied attempts, and the search
page for administrators."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from panel.db import db, utcnow
from panel.privacy.models import AuditEvent
from panel.privacy.services import AuditFilter, purge_expired, record, search_events
from panel.signups.models import PanelMember
from tests import factories
from tests.mailbox import link_in, outbox

PERSONAL = ("Anna", "anna@example.org", "0612345678", "1801AA", "Marelaan", "Zeno",
            "zeno@example.org", "Piet", "piet@example.org")


def events(**where: object) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return list(db.session.scalars(query))


def assert_no_personal_data() -> None:
    for event in events():
        stored = " ".join(str(v) for v in (event.action, event.object_type, event.object_id,
                                           event.detail, event.actor))
        for value in PERSONAL:
            assert value.lower() not in stored.lower(), (value, stored)


# --- record -------------------------------------------------------------------------------

def test_record_outside_a_request_is_the_system(session, world):
    event = record("purge", "member", 12, detail="mail anna@example.org, 0612345678")
    assert (event.actor, event.actor_id, event.address, event.object_id) == \
        ("system", None, "", "12")
    assert event.detail == "mail [email], [phone]"  # redacted, to be sure
    assert event.at is not None and event.result == "ok"


def test_record_in_a_request_takes_the_staff_member_and_the_address(app, world):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        from flask_login import login_user

        login_user(world.team_noord)
        event = record("view", "member", 3)
        resident = record("export", "member", 3, actor="resident")
        assert (event.actor, event.actor_id, event.address) == \
            ("staff", world.team_noord.id, "192.0.2.7")
        assert (resident.actor, resident.actor_id) == ("resident", None)
        db.session.rollback()


# --- what staff do ------------------------------------------------------------------------

def test_viewing_searching_and_exporting_members_is_recorded(login_as, people):
    team = login_as("noord@example.org")
    assert team.get("/beheer/leden").status_code == 200
    assert team.get("/beheer/leden", query_string={"q": "Anna"}).status_code == 200
    assert team.get(f"/beheer/leden/{people.anna.id}").status_code == 200
    assert team.get("/beheer/leden/export.csv", query_string={"q": "anna"}).status_code == 200
    assert team.get("/beheer/leden/export.xlsx").status_code == 200
    team_id = db.session.scalars(select(factories.User.id).where(
        factories.User.email == "noord@example.org")).one()
    recorded = [(e.action, e.object_type, e.object_id, e.actor, e.actor_id, e.result)
                for e in events()]
    assert recorded == [
        ("list", "member_list", "", "staff", team_id, "ok"),
        ("search", "member_list", "", "staff", team_id, "ok"),
        ("view", "member", str(people.anna.id), "staff", team_id, "ok"),
        ("export", "member_list", "", "staff", team_id, "ok"),
        ("export", "member_list", "", "staff", team_id, "ok"),
    ]
    exports = events(action="export")
    assert exports[0].detail.startswith("csv; 1 rows;") and "search=yes" in exports[0].detail
    assert exports[1].detail.startswith("xlsx; 2 rows;") and "search=no" in exports[1].detail
    assert all(e.address == "127.0.0.1" for e in events())
    assert_no_personal_data()


def test_changes_by_staff_are_recorded(login_as, world, people):
    team = login_as("noord@example.org")
    response = team.post("/beheer/leden/nieuw", data={
        "name": "Piet Jansen", "email": "piet@example.org", "phone": "", "street": "",
        "house_number": "", "postcode": "", "city": "", "wijk": "WK036101",
        "language": "nl", "channel": "phone"})
    assert response.status_code == 302
    piet = db.session.scalars(select(PanelMember).where(
        PanelMember.email == "piet@example.org")).one()
    assert team.post(f"/beheer/leden/{piet.id}/bewerken", data={
        "name": "Piet Jansen", "email": "piet@example.org", "phone": "0612345670",
        "street": "", "house_number": "", "postcode": "", "city": "", "wijk": "WK036101",
        "language": "nl"}).status_code == 302
    assert team.post(f"/beheer/leden/{people.bram.id}/bevestigen",
                     data={"channel": "paper"}).status_code == 302
    assert team.post("/beheer/leden/brieven",
                     data={"member": [str(people.anna.id), str(people.bram.id)]}
                     ).status_code == 200
    assert team.post(f"/beheer/leden/{piet.id}/afmelden").status_code == 302
    recorded = [(e.action, e.object_id, e.detail) for e in events()
                if e.object_type == "member" and e.action != "view"]
    assert recorded == [
        ("register", str(piet.id), "by staff, consent phone"),
        ("change", str(piet.id), "details changed by staff"),
        ("confirm", str(people.bram.id), "by staff, consent paper"),
        ("export", str(people.anna.id), "letter (docx, access)"),
        ("export", str(people.bram.id), "letter (docx, access)"),
        ("erase", str(piet.id), "taken off the panel by staff"),
    ]
    assert_no_personal_data()


def test_denied_attempts_on_another_gebieds_member_are_recorded(login_as, world, people):
    team = login_as("noord@example.org")
    zeno = people.zeno.id
    assert team.get(f"/beheer/leden/{zeno}").status_code == 404
    assert team.get(f"/beheer/leden/{zeno}/bewerken").status_code == 404
    assert team.post(f"/beheer/leden/{zeno}/bevestigen",
                     data={"channel": "phone"}).status_code == 404
    assert team.post(f"/beheer/leden/{zeno}/afmelden").status_code == 404
    assert team.post("/beheer/leden/brieven",
                     data={"member": [str(people.anna.id), str(zeno)]}).status_code == 404
    clerk = login_as("clerk@example.org")
    assert clerk.get(f"/beheer/leden/{people.anna.id}").status_code == 403
    assert clerk.get("/beheer/leden/export.csv").status_code == 403
    denied = [(e.action, e.object_type, e.object_id) for e in events(result="denied")]
    assert denied == [("view", "member", str(zeno)), ("change", "member", str(zeno)),
                      ("confirm", "member", str(zeno)), ("erase", "member", str(zeno)),
                      ("export", "member", f"{people.anna.id},{zeno}"),
                      ("view", "member", str(people.anna.id)),
                      ("export", "member_list", "")]
    clerk_id = world.clerk.id
    assert [e.actor_id for e in events(result="denied")][-2:] == [clerk_id, clerk_id]
    # The refused letters changed nothing: Anna got no new code, no event says she did.
    assert events(action="export", result="ok") == []
    db.session.expire_all()
    assert db.session.get(PanelMember, zeno).status == "invited"


# --- what residents do --------------------------------------------------------------------

def test_joining_confirming_downloading_and_leaving_are_recorded(app, world):
    resident = app.test_client()
    assert resident.post("/aanmelden", data={
        "name": "Piet Jansen", "email": "piet@example.org", "phone": "06 12345678",
        "postcode": "1801 AA", "house_number": "12", "neighbourhood": "", "language": "nl",
        "statement_version": "2026-1", "consent": "y"}).status_code == 302
    piet = db.session.scalars(select(PanelMember).where(
        PanelMember.email == "piet@example.org")).one()
    confirm = link_in(outbox("piet@example.org")[-1], "/aanmelden/bevestigen/")
    assert resident.post(confirm, data={"statement_version": "2026-1"}).status_code == 302
    assert resident.post("/mijn", data={
        "name": "Piet Jansen", "email": "piet@example.org", "phone": "", "language": "nl",
        "accessibility_needs": "", "availability": []}).status_code == 302
    assert resident.get("/mijn/gegevens.json").status_code == 200
    assert resident.get("/mijn/gegevens.csv").status_code == 200
    assert resident.post("/mijn/afmelden").status_code == 302
    recorded = [(e.action, e.object_id, e.actor, e.detail) for e in events()]
    member = str(piet.id)
    assert recorded == [
        ("register", member, "resident", "joined online"),
        ("confirm", member, "resident", "confirmation link"),
        ("change", member, "resident", "own page"),
        ("export", member, "resident", "own data (json)"),
        ("export", member, "resident", "own data (csv)"),
        ("leave", member, "resident", "own page"),
    ]
    assert_no_personal_data()


def test_joining_with_a_known_email_records_nothing_new(app, world):
    data = {"name": "Piet Jansen", "email": "piet@example.org", "phone": "",
            "postcode": "1801 AA", "house_number": "12", "neighbourhood": "",
            "language": "nl", "statement_version": "2026-1", "consent": "y"}
    app.test_client().post("/aanmelden", data=data)
    app.test_client().post("/aanmelden", data=data)
    assert [e.action for e in events()] == ["register"]


def test_purge_records_every_erased_person_and_a_summary(session, world):
    old = factories.member(world.mare, name="Nooit Bevestigd", email="oud@example.org",
                           status="invited", source="survey")
    old.created_at = utcnow() - timedelta(days=61)
    ancient = AuditEvent(action="view", object_type="member", object_id="1",
                         at=utcnow() - timedelta(days=366))
    session.add(ancient)
    session.flush()
    report = purge_expired()
    assert (report.unconfirmed, report.audit) == (1, 1)
    recorded = [(e.action, e.object_type, e.object_id, e.actor) for e in events()]
    assert recorded == [("purge", "member", str(old.id), "system"),
                        ("purge", "retention", "", "system")]
    assert events()[1].detail == "links=0 mail=0 uploads=0 audit=1"
    purge_expired()  # nothing left to erase: no new summary
    assert len(events()) == 2


# --- the audit page -----------------------------------------------------------------------

def test_only_administrators_see_the_audit_log(app, login_as, world):
    assert app.test_client().get("/beheer/audit").status_code == 302  # to the login page
    for email in ("noord@example.org", "clerk@example.org"):
        assert login_as(email).get("/beheer/audit").status_code == 403
    admin = login_as("admin@example.org")
    response = admin.get("/beheer/audit")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_audit_log_can_be_searched(login_as, world, people):
    team = login_as("noord@example.org")
    team.get(f"/beheer/leden/{people.anna.id}")
    team.get(f"/beheer/leden/{people.zeno.id}")
    team.get("/beheer/leden/export.csv")
    team_id = world.team_noord.id
    admin = login_as("admin@example.org")

    def found(**args: object) -> str:
        response = admin.get("/beheer/audit", query_string=args)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    page = found()
    assert "3 events found" in page or "3 gebeurtenissen gevonden" in page
    assert "noord@example.org" in page and "127.0.0.1" in page
    assert "Anna" not in page
    assert "1 event found" in found(action="export") or \
        "1 gebeurtenis gevonden" in found(action="export")
    assert found(action="view", actor=team_id).count(f"?actor={team_id}") == 2
    assert "Denied" in found(action="view") or "Geweigerd" in found(action="view")
    today = utcnow().date()
    assert "3 event" in found(date_from=today.isoformat(), date_to=today.isoformat()) or \
        "3 gebeurtenissen" in found(date_from=today.isoformat())
    nothing = found(date_from=(today + timedelta(days=2)).isoformat())
    assert "0 events found" in nothing or "0 gebeurtenissen gevonden" in nothing
    wrong = found(date_from="gisteren")
    assert 'role="alert"' in wrong and "<table" not in wrong


def test_search_events_pages_and_filters(session, world):
    for n in range(55):
        record("view", "member", n, actor=world.team_noord)
    record("export", "member_list", actor=world.admin)
    first = search_events(world.admin, AuditFilter())
    assert (first.total, first.pages, len(first.events)) == (56, 2, 50)
    assert first.events[0].action == "export"  # newest first
    second = search_events(world.admin, AuditFilter(page=2))
    assert len(second.events) == 6
    by_actor = search_events(world.admin, AuditFilter(actor_id=world.admin.id))
    assert by_actor.total == 1 and by_actor.actors == {world.admin.id: "admin@example.org"}
    assert search_events(world.admin, AuditFilter(object_type="member")).total == 55
    assert search_events(world.admin, AuditFilter(page=99)).page == 2
