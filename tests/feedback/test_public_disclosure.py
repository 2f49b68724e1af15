""""You said, we did" publishes how often residents of a wijk raised each theme. A count
below ``PANEL_REPORT_MIN_COUNT`` is shown as "fewer than N" (the API: "< N"), as in the
motion reports that count the same items, and no total is shown that would give it away.
The tests play the reader of the page and of the API."""

from __future__ import annotations

import re

import pytest

from panel.db import db
from panel.feedback.models import FeedbackItem, Review, Source, Theme

MINIMUM = 5


def raise_items(wijk, theme: Theme, count: int, quoted: int = 0) -> None:  # type: ignore[no-untyped-def]
    for index in range(count):
        db.session.add(FeedbackItem(
            neighbourhood_id=wijk.id, theme_id=theme.id, text=f"Melding {index}",
            source=Source.MEETING.value,
            public_text=f"Nagekeken woorden {index}." if index < quoted else "",
            review=Review.APPROVED.value if index < quoted else Review.PENDING.value))


@pytest.fixture
def raised(world, session):  # type: ignore[no-untyped-def]
    raise_items(world.mare, world.verkeer, 7, quoted=1)
    raise_items(world.mare, world.jeugd, 2, quoted=1)
    session.commit()
    return world


def readable_counts(shown: int | str, quotes: int) -> set[int]:
    """What a reader can tell of one theme's count: a number is itself; "< N" is 1 … N - 1,
    and at least the quotes shown (each quote is one item)."""
    if isinstance(shown, int):
        return {shown}
    assert shown == f"< {MINIMUM}"
    return set(range(max(1, quotes), MINIMUM))


def test_a_small_count_is_shown_as_fewer_than_the_minimum(client, raised):
    page = client.get(f"/terugkoppeling/{raised.mare.code}").get_data(as_text=True)
    assert "Inwoners meldden dit 7 keer." in page
    assert "Inwoners meldden dit minder dan 5 keer." in page
    # The counts are these two sentences: no total (9) that would give the 2 away.
    assert re.findall(r"meldden dit ([^.<]*) keer", page) == ["7", "minder dan 5"]
    assert not re.search(r"\b[29] (keer|meldingen)\b", page)


def test_the_api_and_the_page_hide_the_same_count(client, raised):
    body = client.get(f"/api/v1/wijken/{raised.mare.code}/terugkoppeling").get_json()
    themes = {t["theme"]["code"]: t for t in body["themes"]}
    assert themes["verkeer"]["count"] == 7
    assert themes["jeugd"]["count"] == "< 5"
    assert "9" not in {str(value) for value in body.values()}
    # The reader: the API lists the counts with no total, so the small count stays open
    # (at least its one quote).
    possible = readable_counts(themes["jeugd"]["count"], len(themes["jeugd"]["quotes"]))
    assert possible == {1, 2, 3, 4}


def test_without_the_minimum_the_count_would_be_given_away(app, client, raised):
    # The reader of these tests can fail: with the minimum at 1 every count is a number.
    app.config["PANEL_REPORT_MIN_COUNT"] = 1
    try:
        body = client.get(f"/api/v1/wijken/{raised.mare.code}/terugkoppeling").get_json()
    finally:
        app.config["PANEL_REPORT_MIN_COUNT"] = MINIMUM
    jeugd = next(t for t in body["themes"] if t["theme"]["code"] == "jeugd")
    assert readable_counts(jeugd["count"], len(jeugd["quotes"])) == {2}


def test_the_page_changes_when_a_count_reaches_the_minimum(client, raised, session):
    path = f"/terugkoppeling/{raised.mare.code}"
    etag = client.get(path).headers["ETag"]
    raise_items(raised.mare, raised.jeugd, 3)
    session.commit()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Inwoners meldden dit 5 keer." in changed.get_data(as_text=True)
