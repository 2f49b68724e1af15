"""The migration that brings waitlist numbers numbers the people already waiting in the
order they had (the moment they asked, then the reply's id), per meeting."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from panel import create_app
from panel.db import db
from panel.migrations import upgrade

BEFORE = "d16a00000001"  # the revision before waitlist numbers
MEETING = ("INSERT INTO meeting (id, area_id, title, description, agenda, kind, venue, address, "
           "accessibility, online_url, capacity, seats_taken, status, uid, sequence, report, "
           "extra_attendees, created_at, updated_at) VALUES (:id, 1, 'Wijkpanel', '', '', "
           "'in_person', '', '', '', '', 1, 1, 'open', :uid, 0, '', 0, '2026-11-01', "
           "'2026-11-01')")
REPLY = ("INSERT INTO reply (id, meeting_id, member_id, status, replied_at, waiting_since) "
         "VALUES (:id, :meeting, :id, :status, '2026-11-01', :since)")


def test_people_waiting_keep_their_order_as_numbers(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"},
                     instance_path=tmp_path)
    with app.app_context():
        upgrade(BEFORE)
        with db.engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # replies without members
            for meeting_id in (1, 2, 3):
                connection.execute(text(MEETING), {"id": meeting_id, "uid": f"m{meeting_id}"})
            for row in [(1, 1, "attending", None), (2, 1, "waiting", "2026-11-03 10:00:00"),
                        (3, 1, "waiting", "2026-11-02 10:00:00"),
                        (4, 1, "waiting", "2026-11-02 10:00:00"), (5, 1, "declined", None),
                        (6, 2, "waiting", "2026-11-05 10:00:00"),
                        (7, 2, "waiting", "2026-11-04 10:00:00")]:
                connection.execute(text(REPLY), dict(zip(("id", "meeting", "status", "since"),
                                                         row, strict=True)))
        upgrade()
        with db.engine.connect() as connection:
            numbers = dict(connection.execute(text("SELECT id, waiting_number FROM reply")).all())
            counters = dict(connection.execute(
                text("SELECT id, waitlist_counter FROM meeting")).all())
        db.engine.dispose()
    assert numbers == {1: None, 2: 3, 3: 1, 4: 2, 5: None, 6: 2, 7: 1}
    assert counters == {1: 3, 2: 2, 3: 0}
