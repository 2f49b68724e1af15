"""The public page of a meeting (the page every invitation links to) has an ETag made from
its data and from where the meeting stands in time: it answers 304 until the meeting, its
places or its wijken change, or until it starts or ends."""

from __future__ import annotations

import pytest

from panel.areas.models import Neighbourhood
from panel.db import db
from panel.meetings import services
from panel.meetings.models import Meeting
from tests.meetings.helpers import day_after, meeting_data


def _again(client, path: str, etag: str):  # type: ignore[no-untyped-def]
    return client.get(path, headers={"If-None-Match": etag})


def test_the_meeting_page_answers_304_until_its_data_or_its_moment_changes(
        app, client, world, open_meeting, monkeypatch):
    # The ETag is worked out for every request, as once a worker's kept second is over:
    # the moment changes without a commit that would make the worker forget it.
    monkeypatch.setitem(app.config, "PANEL_ETAG_SECONDS", 0)
    starts, ends = open_meeting.starts_at, open_meeting.ends_at
    path = f"/bijeenkomsten/{open_meeting.id}"

    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache" and "Cookie" in first.headers["Vary"]
    assert "3 / 3" in first.get_data(as_text=True)
    not_modified = _again(client, path, etag)
    assert not_modified.status_code == 304 and not_modified.data == b""

    services.reply(open_meeting, world.members[1], True)  # a place is taken
    db.session.commit()
    changed = _again(client, path, etag)
    assert changed.status_code == 200 and "2 / 3" in changed.get_data(as_text=True)
    etag = changed.headers["ETag"]
    assert _again(client, path, etag).status_code == 304

    monkeypatch.setattr(services, "utcnow", lambda: starts)  # no row changes, time passes
    started = _again(client, path, etag)
    assert started.status_code == 200
    assert "Deze bijeenkomst is al begonnen." in started.get_data(as_text=True)
    assert started.headers["ETag"] != etag
    etag = started.headers["ETag"]
    assert _again(client, path, etag).status_code == 304

    monkeypatch.setattr(services, "utcnow", lambda: ends)
    ended = _again(client, path, etag)
    assert ended.status_code == 200
    assert "Deze bijeenkomst is geweest." in ended.get_data(as_text=True)
    etag = ended.headers["ETag"]

    db.session.get(Neighbourhood, world.mare.id).name = "De Mare-Oost"  # a wijk's name
    db.session.commit()
    renamed = _again(client, path, etag)
    assert renamed.status_code == 200 and "De Mare-Oost" in renamed.get_data(as_text=True)


@pytest.mark.parametrize("change", ["title", "cancel"])
def test_a_change_of_the_meeting_gives_a_new_etag(client, world, open_meeting, change):
    path = f"/bijeenkomsten/{open_meeting.id}"
    etag = client.get(path).headers["ETag"]
    if change == "title":
        db.session.get(Meeting, open_meeting.id).title = "Andere titel"
    else:
        services.cancel(world.team_noord, open_meeting.id)
    db.session.commit()
    answer = _again(client, path, etag)
    assert answer.status_code == 200 and answer.headers["ETag"] != etag


def test_a_meeting_the_public_may_not_see_is_not_found(client, world):
    draft, _ = services.create(world.team_noord, "noord", meeting_data(day=day_after(30)))
    db.session.commit()
    for path in (f"/bijeenkomsten/{draft.id}", "/bijeenkomsten/999999"):
        answer = client.get(path, headers={"If-None-Match": "*"})
        assert answer.status_code == 404 and "ETag" not in answer.headers
