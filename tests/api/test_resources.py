"""The content of every API resource, on the demo municipality."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from panel.areas.models import Area, Neighbourhood
from panel.auth.models import User
from panel.db import db, utcnow
from panel.feedback.models import FeedbackItem, Source, Theme
from panel.meetings.models import Meeting, MeetingStatus
from panel.motions import services as motion_services
from panel.motions.models import FollowUpReport, Motion
from panel.results.models import Edition, Result
from panel.results.services import figure_of
from tests.api.helpers import BASE, DRAFT_ONLY, REFERENCE, Demo, counting_in, get_json

# --- areas --------------------------------------------------------------------------------


def test_gebieden_with_their_wijken(client: FlaskClient, demo: Demo) -> None:
    body = get_json(client, "/api/v1/gebieden")
    assert [a["code"] for a in body["items"]] == ["centrum", "noord", "oost", "west", "zuid"]
    noord = body["items"][1]
    assert noord == get_json(client, "/api/v1/gebieden/noord")
    assert noord["name"] == "Noord"
    assert [(w["code"], w["name"], w["cbsYear"]) for w in noord["wijken"]] == [
        ("WK036101", "De Mare", 2023), ("WK036106", "Daalmeer", 2023)]
    assert noord["_links"]["self"]["href"] == f"{BASE}/api/v1/gebieden/noord"
    assert noord["wijken"][0]["_links"]["self"]["href"] == f"{BASE}/api/v1/wijken/WK036101"


def test_wijken_with_gebied_and_buurten(client: FlaskClient, demo: Demo) -> None:
    body = get_json(client, "/api/v1/wijken")
    assert body["total"] == 10
    mare = get_json(client, "/api/v1/wijken/WK036101")
    assert mare in body["items"]
    assert (mare["code"], mare["name"], mare["cbsYear"]) == ("WK036101", "De Mare", 2023)
    assert mare["gebied"]["code"] == "noord"
    assert [b["code"] for b in mare["buurten"]] == ["BU03610101", "BU03610102", "BU03610103"]
    assert set(mare["_links"]) == {"self", "gebied", "resultaten", "terugkoppeling"}
    assert mare["_links"]["resultaten"]["href"] == f"{BASE}/api/v1/wijken/WK036101/resultaten"


def test_indicatoren(client: FlaskClient, demo: Demo) -> None:
    body = get_json(client, "/api/v1/indicatoren")
    assert body["total"] == 8
    first = body["items"][0]
    assert first == {
        "code": "onveilig_buurt",
        "name": {"nl": "Voelt zich wel eens onveilig in de eigen buurt",
                 "en": "Ever feels unsafe in their own neighbourhood"},
        "explanation": {"nl": "Het deel van de inwoners dat dit zegt, in procenten.",
                        "en": "The share of residents who say so, as a percentage."},
        "unit": "percentage", "decimals": 0, "higherIsBetter": False,
        "theme": "Veiligheidsgevoel",
        "themeName": {"nl": "Veiligheidsgevoel", "en": "Feeling safe"},
    }
    assert body["items"][1]["code"] == "cijfer_leefbaarheid"


# --- results ------------------------------------------------------------------------------

def _stored(app: Flask, year: int, code: str) -> dict[str, Result]:
    with app.app_context():
        rows = db.session.scalars(select(Result).join(Result.edition).where(
            Edition.year == year, Result.area_code == code))
        result = {r.indicator.code: r for r in rows}
        db.session.expunge_all()
        return result


def test_results_default_to_the_newest_published_edition(app: Flask, client: FlaskClient,
                                                         demo: Demo) -> None:
    body = get_json(client, "/api/v1/wijken/WK036101/resultaten")
    assert body["edition"]["year"] == 2023  # 2025 is not published
    assert body["previousEdition"]["year"] == 2021
    assert body["editions"] == [2023, 2021]
    assert body["minimumRespondents"] == 30
    assert body["municipality"] == {"code": "GM0361", "name": "Alkmaar (demo)"}
    assert len(body["indicators"]) == 8
    stored, whole = _stored(app, 2023, "WK036101"), _stored(app, 2023, "GM0361")
    for row in body["indicators"]:
        mine = stored[row["indicator"]["code"]]
        assert row["suppressed"] is False
        assert (row["value"], row["respondents"], row["ciLow"], row["ciHigh"]) == (
            mine.value, mine.respondents, mine.ci_low, mine.ci_high)
        assert row["municipality"]["value"] == whole[row["indicator"]["code"]].value
        assert row["comparedToMunicipality"] in {"better", "worse", "same", "unknown"}
    assert body["_links"]["previousEdition"]["href"].endswith("resultaten?editie=2021")


def test_an_older_edition_and_unpublished_ones(client: FlaskClient, demo: Demo) -> None:
    older = get_json(client, "/api/v1/wijken/WK036101/resultaten?editie=2021")
    assert older["edition"]["year"] == 2021 and older["previousEdition"] is None
    assert all(r["previousEdition"]["value"] is None for r in older["indicators"])
    get_json(client, "/api/v1/wijken/WK036101/resultaten?editie=2025", 404)
    get_json(client, "/api/v1/wijken/WK036101/resultaten?editie=1999", 404)
    get_json(client, "/api/v1/wijken/WK999999/resultaten", 404)


def test_small_counts_are_suppressed_as_on_the_website(app: Flask, client: FlaskClient,
                                                       demo: Demo) -> None:
    body = get_json(client, "/api/v1/wijken/WK036109/resultaten")  # Koedijk: 18 respondents
    for row in body["indicators"]:
        assert row["suppressed"] is True and row["respondents"] is None
        assert (row["value"], row["ciLow"], row["ciHigh"]) == (None, None, None)
        assert row["municipality"]["suppressed"] is False
        assert row["municipality"]["value"] is not None
        assert row["comparedToMunicipality"] == "unknown"
        assert row["previousEdition"]["suppressed"] is True
        assert row["previousEdition"]["value"] is None
    stored = _stored(app, 2023, "WK036109")
    assert stored and all(r.value is not None and r.respondents == 18 for r in stored.values())


def test_suppression_follows_the_configured_minimum(app: Flask, client: FlaskClient,
                                                    demo: Demo) -> None:
    stored = _stored(app, 2023, "WK036101")
    app.config["PANEL_MIN_RESPONDENTS"] = 1000
    try:
        body = get_json(client, "/api/v1/wijken/WK036101/resultaten")
        with app.test_request_context():
            for row in body["indicators"]:
                expected = figure_of(stored[row["indicator"]["code"]])
                assert row["suppressed"] is expected.suppressed is True
                assert row["value"] is None
        assert body["minimumRespondents"] == 1000
    finally:
        app.config["PANEL_MIN_RESPONDENTS"] = 30


def test_results_when_nothing_is_published(app: Flask, client: FlaskClient, demo: Demo) -> None:
    with app.app_context():
        db.session.execute(update(Edition).values(published=False))
        db.session.commit()
    body = get_json(client, "/api/v1/wijken/WK036101/resultaten")
    assert body["edition"] is None and body["indicators"] == [] and body["editions"] == []
    get_json(client, "/api/v1/wijken/WK036101/resultaten?editie=2023", 404)


# --- feedback -----------------------------------------------------------------------------

def test_feedback_per_theme_with_approved_quotes_only(client: FlaskClient, demo: Demo) -> None:
    body = get_json(client, "/api/v1/wijken/WK036101/terugkoppeling")
    assert body["wijk"]["code"] == "WK036101"
    themes = {t["theme"]["code"]: t for t in body["themes"]}
    assert [t["theme"]["code"] for t in body["themes"]] == ["drugs", "jeugd", "verkeer"]
    assert {code: t["count"] for code, t in themes.items()} == {  # small: as on the page
        "drugs": "< 5", "jeugd": "< 5", "verkeer": "< 5"}
    assert themes["drugs"]["quotes"] == []  # not checked by the team: never published
    assert "Bakker" not in json.dumps(body)
    assert themes["jeugd"]["quotes"] == [{
        "text": "Groepen jongeren hangen 's avonds rond bij het winkelcentrum.",
        "status": "new", "statusReason": None, "partner": None}]
    assert themes["verkeer"]["theme"]["name"]["en"] == "Traffic: speeding and parking"
    [action] = themes["verkeer"]["actions"]
    assert action["title"] == "Snelheidscontroles bij de school"
    assert (action["status"], action["progress"]) == ("in_progress", 50)
    assert action["startedOn"] and action["dueDate"] and action["lastChangedOn"]
    assert "owner" not in action


def test_feedback_shows_why_an_item_was_declined(app: Flask, client: FlaskClient,
                                                 demo: Demo) -> None:
    with app.app_context():
        item = db.session.scalars(select(FeedbackItem).where(
            FeedbackItem.public_text.like("Groepen jongeren%"))).one()
        item.status, item.status_reason = "declined", "Dit is een zaak voor de politie."
        db.session.commit()
    body = get_json(client, "/api/v1/wijken/WK036101/terugkoppeling")
    [quote] = next(t for t in body["themes"] if t["theme"]["code"] == "jeugd")["quotes"]
    assert (quote["status"], quote["statusReason"]) == ("declined",
                                                        "Dit is een zaak voor de politie.")


def test_feedback_of_a_quiet_wijk_and_an_unknown_one(client: FlaskClient, demo: Demo) -> None:
    assert get_json(client, "/api/v1/wijken/WK036100/terugkoppeling")["themes"] == []
    get_json(client, "/api/v1/wijken/WK999999/terugkoppeling", 404)


# --- meetings -----------------------------------------------------------------------------

def _meeting(area: Area, status: str, days: int, title: str) -> Meeting:
    starts = utcnow() + timedelta(days=days)
    item = Meeting(area=area, title=title, status=status, starts_at=starts,
                   ends_at=starts + timedelta(hours=1), online_url="https://meet.example/geheim",
                   report="Verslag met details", neighbourhoods=list(area.neighbourhoods))
    db.session.add(item)
    return item


def test_meetings_are_the_open_and_cancelled_ones(app: Flask, client: FlaskClient,
                                                  demo: Demo) -> None:
    with app.app_context():
        zuid = db.session.scalars(select(Area).where(Area.code == "zuid")).one()
        draft = _meeting(zuid, MeetingStatus.DRAFT.value, 3, "Concept")
        poll = _meeting(zuid, MeetingStatus.POLL.value, 4, "Peiling")
        cancelled = _meeting(zuid, MeetingStatus.CANCELLED.value, 5, "Gaat niet door")
        db.session.commit()
        ids = {"draft": draft.id, "poll": poll.id, "cancelled": cancelled.id}
    body = get_json(client, "/api/v1/bijeenkomsten?pageSize=100")
    assert body["total"] == 9
    titles = [m["title"] for m in body["items"]]
    assert "Gaat niet door" in titles and "Concept" not in titles and "Peiling" not in titles
    starts = [m["startsAt"] for m in body["items"]]
    assert starts == sorted(starts)
    get_json(client, f"/api/v1/bijeenkomsten/{ids['draft']}", 404)
    get_json(client, f"/api/v1/bijeenkomsten/{ids['poll']}", 404)
    gone = get_json(client, f"/api/v1/bijeenkomsten/{ids['cancelled']}")
    assert gone["status"] == "cancelled" and gone["placesLeft"] is None
    assert "geheim" not in json.dumps(body) and "Verslag" not in json.dumps(body)


def test_one_meeting(client: FlaskClient, demo: Demo) -> None:
    meeting = get_json(client, "/api/v1/bijeenkomsten/4")
    assert set(meeting) == {
        "id", "title", "status", "kind", "startsAt", "endsAt", "venue", "address",
        "accessibility", "description", "agenda", "gebied", "wijken", "placesLeft", "_links"}
    assert meeting["title"] == "Wijkpanel De Mare: wat hebben we gedaan?"
    assert meeting["status"] == "open" and meeting["kind"] == "in_person"
    assert meeting["startsAt"].endswith("Z") and meeting["startsAt"] < meeting["endsAt"]
    assert meeting["gebied"]["code"] == "noord"
    assert [w["code"] for w in meeting["wijken"]] == ["WK036106", "WK036101"]
    assert meeting["agenda"][0] == "Welkom en kennismaking met het gebiedsteam"
    assert 0 <= meeting["placesLeft"] <= 12
    assert meeting["_links"]["calendar"]["href"] == f"{BASE}/bijeenkomsten/4.ics"


# --- motions ------------------------------------------------------------------------------

def test_only_motions_with_a_final_report_are_listed(client: FlaskClient, demo: Demo) -> None:
    body = get_json(client, "/api/v1/moties")
    assert body["total"] == 1
    assert body["items"] == [get_json(client, f"/api/v1/moties/{REFERENCE}")]
    assert body["items"][0]["reference"] == REFERENCE
    assert body["items"][0]["adoptedOn"] == "2026-03-12"
    get_json(client, f"/api/v1/moties/{DRAFT_ONLY}", 404)
    get_json(client, f"/api/v1/moties/{DRAFT_ONLY}/rapportages", 404)
    get_json(client, f"/api/v1/moties/{DRAFT_ONLY}/rapportages/1", 404)


def test_draft_reports_are_hidden(client: FlaskClient, demo: Demo) -> None:
    body = get_json(client, f"/api/v1/moties/{REFERENCE}/rapportages")
    assert [r["version"] for r in body["items"]] == [1]
    assert body["items"][0]["finalisedOn"] is not None
    assert body["items"][0]["_links"]["self"]["href"] == \
        f"{BASE}/api/v1/moties/{REFERENCE}/rapportages/1"
    get_json(client, f"/api/v1/moties/{REFERENCE}/rapportages/2", 404)  # the draft
    get_json(client, f"/api/v1/moties/{REFERENCE}/rapportages/3", 404)


def test_a_report_is_its_frozen_snapshot(app: Flask, client: FlaskClient, demo: Demo) -> None:
    body = get_json(client, f"/api/v1/moties/{REFERENCE}/rapportages/1")
    with app.app_context():
        report = db.session.scalars(select(FollowUpReport).where(
            FollowUpReport.motion_id == demo.motion_id, FollowUpReport.version == 1)).one()
        assert body == json.loads(report.snapshot) == motion_services.data(report)
        mare = db.session.scalars(select(Neighbourhood).where(
            Neighbourhood.code == "WK036101")).one()
        db.session.add(FeedbackItem(
            neighbourhood=mare, source=Source.MEETING.value, text="Nieuw na het rapport",
            theme=db.session.scalars(select(Theme).where(Theme.code == "verkeer")).one()))
        db.session.commit()
    assert body["report"]["version"] == 1 and body["motion"]["identifier"] == REFERENCE
    assert get_json(client, f"/api/v1/moties/{REFERENCE}/rapportages/1") == body


def test_motions_are_newest_first(app: Flask, client: FlaskClient, demo: Demo) -> None:
    with app.app_context():
        draft_only = db.session.get(Motion, demo.draft_motion_id)
        assert draft_only is not None
        clerk = db.session.get(User, draft_only.reports[0].created_by_id)
        motion_services.finalise(clerk, draft_only.reports[0].id)
        db.session.commit()
    body = get_json(client, "/api/v1/moties")
    assert [m["reference"] for m in body["items"]] == [DRAFT_ONLY, REFERENCE]


# --- efficiency ---------------------------------------------------------------------------



@pytest.mark.parametrize("path", ["/api/v1/gebieden", "/api/v1/wijken", "/api/v1/indicatoren",
                                  "/api/v1/bijeenkomsten", "/api/v1/moties",
                                  f"/api/v1/moties/{REFERENCE}/rapportages"])
def test_lists_do_not_query_per_item(app: Flask, client: FlaskClient, demo: Demo,
                                     path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both requests read what their ETag is made of (nothing is trusted from the first).
    monkeypatch.setitem(app.config, "PANEL_ETAG_SECONDS", 0)
    with counting_in(app) as one:
        assert len(get_json(client, f"{path}?pageSize=1")["items"]) == 1
    with counting_in(app) as many:
        body = get_json(client, f"{path}?pageSize=100")
    # At most 5 to build; the lists with an ETag from their rows read those too (one
    # statement, and the municipality of the ETag).
    assert len(many) == len(one) <= 7, many
    assert body["total"] == len(body["items"])


def test_resources_of_a_wijk_take_a_fixed_number_of_queries(app: Flask, client: FlaskClient,
                                                            demo: Demo) -> None:
    """The first request reads the rows of its ETag (at most 6 statements) and builds the
    answer (at most 8); a second one within the kept second is answered from memory."""
    for path in ("/api/v1/wijken/WK036101/resultaten", "/api/v1/wijken/WK036101/terugkoppeling"):
        with counting_in(app) as statements:
            first = client.get(path)
        assert first.status_code == 200
        assert len(statements) <= 14, statements
        with counting_in(app) as again:
            second = client.get(path)
        assert second.data == first.data
        assert second.headers["ETag"] == first.headers["ETag"]
        assert again == []


@pytest.mark.parametrize("path", ["/api/v1/gebieden", "/api/v1/wijken", "/api/v1/wijken/WK036101",
                                  "/api/v1/gebieden/noord"])
def test_areas_answer_from_their_rows_and_change_with_them(app: Flask, client: FlaskClient,
                                                          demo: Demo, path: str) -> None:
    first = client.get(path)
    etag = first.headers["ETag"]
    with counting_in(app) as again:  # within the kept second: from the worker's memory
        second = client.get(path, headers={"If-None-Match": etag})
    assert second.status_code == 304 and again == []
    with app.app_context():
        wijk = db.session.scalars(select(Neighbourhood)
                                  .where(Neighbourhood.code == "WK036101")).one()
        wijk.name = "De Mare en omgeving"
        db.session.commit()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "De Mare en omgeving" in changed.get_data(as_text=True)
