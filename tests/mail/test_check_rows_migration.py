"""The migration that marks the rows of mail settings checks, which used to be known only by
the template in their headers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from panel import create_app
from panel.db import db, utcnow
from panel.migrations import upgrade

BEFORE = "e18a1a000005"  # the revision before the rows were marked
MARKED = "e18a1a000006"


def test_the_migration_marks_the_check_rows_and_nothing_else(fresh_database, tmp_path: Path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": fresh_database},
                     instance_path=tmp_path / "instance")
    rows = {1: '{"X-Wijkpanel-Template": "mail_check"}',  # a settings check
            2: '{"X-Wijkpanel-Template": "meeting_invitation"}',
            3: '{"Reply-To": "mail_check"}',  # the word, but not as the template
            4: "{}"}
    with app.app_context():
        upgrade(BEFORE)
        with db.engine.begin() as connection:
            for message_id, headers in rows.items():
                connection.execute(text(
                    "INSERT INTO outbox_message (id, to_address, subject, text_body, "
                    "html_body, headers, attachments, language, status, attempts, "
                    "next_attempt_at, last_error, created_at, message_id, claimed_by) "
                    "VALUES (:id, 'a@example.org', 'S', 'T', 'H', :headers, '[]', 'nl', "
                    "'sent', 1, :now, '', :now, '', '')"),
                    {"id": message_id, "headers": headers, "now": utcnow()})
        upgrade(MARKED)
        with db.engine.connect() as connection:
            marked = dict(connection.execute(text(
                "SELECT id, is_check FROM outbox_message ORDER BY id")).tuples().all())
        db.engine.dispose()
    assert marked == {1: True, 2: False, 3: False, 4: False}
