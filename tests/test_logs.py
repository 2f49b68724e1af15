"""Logs never hold personal data or secrets: whole resident and staff journeys run with
every logger at DEBUG, and no record may contain an email address, a phone number, a
postcode, a link token, a letter code or a password. Also: the log lines are JSON."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from panel.logging import JsonFormatter, RedactingFilter, redact
from panel.mail.services import deliver_due
from panel.meetings import services as meeting_services
from panel.signups import services as signup_services
from panel.signups.models import PanelMember
from tests import factories
from tests.mailbox import outbox
from tests.meetings.helpers import meeting_data

EMAIL = "piet.jansen@example.org"
PHONE = "06-12345678"
WRONG_PASSWORD = "not-the-password-42"
SECRET_LINK = re.compile(r"http://wijkpanel\.test(/(?:mijn/link|aanmelden/bevestigen|antwoord|"
                         r"afmelden|beheer/wachtwoord|code)/([^\s\"<>]+))")
ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
ANY_POSTCODE = re.compile(r"\b[1-9]\d{3} ?[A-Z]{2}\b")


# --- the filter itself --------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("sent to anna@example.org", "sent to [email]"),
    ("call 06-12345678 or +31 6 1234 5678 or 072 512 3456", "call [phone] or [phone] or "
                                                            "[phone]"),
    ("lives at 1801 AA, also 1801aa", "lives at [postcode], also [postcode]"),
    ('"GET /mijn/link/Zx8_Yq2-kLmNoPqRsTuVwXyZ0123456789abc HTTP/1.1" 302',
     '"GET /mijn/link/[…] HTTP/1.1" 302'),
    ("/aanmelden/bevestigen/abc /antwoord/abc /afmelden/abc /beheer/wachtwoord/abc "
     "/code/ABCD-EFGH", "/aanmelden/bevestigen/[…] /antwoord/[…] /afmelden/[…] "
                        "/beheer/wachtwoord/[…] /code/[…]"),
    ("GET /beheer/leden?q=Anna+de+Vries&wijk=WK036101", "GET /beheer/leden?[…]"),
    ("token Zx8_Yq2-kLmNoPqRsTuVwXyZ0123456789abc end", "token [token] end"),
    # What must stay readable: ids, codes of wijken, times, addresses, short references.
    ("outbox message 12: sent after 3 attempt(s) in 1500 ms", None),
    ("127.0.0.1 - - [25/Nov/2026 10:53:16] \"GET /mijn HTTP/1.1\" 200 -", None),
    ("reference=0a1b2c3d4e5f wijk WK036101 port 8000 at 2026-11-25T10:53:16Z", None),
    ("/mijn/afmelden and /beheer/wachtwoord", None),
])
def test_redact(raw, expected):
    assert redact(raw) == (raw if expected is None else expected)


def test_the_filter_redacts_arguments_and_exceptions():
    record = logging.LogRecord("panel.test", logging.ERROR, __file__, 1,
                               "failed for %s", ("anna@example.org",), None)
    try:
        raise ValueError("duplicate key anna@example.org 1801AA")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record) is True
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "failed for [email]"
    assert "[email] [postcode]" in entry["exception"]
    assert "anna@example.org" not in line and "1801AA" not in line
    assert set(entry) == {"time", "level", "logger", "message", "request_id", "exception"}


def test_database_values_and_rows_are_never_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine.Engine")
    engine_log = logging.getLogger("sqlalchemy.engine.Engine")
    engine_log.info("SELECT name FROM panel_member WHERE id = ?")
    engine_log.info("[%s] %r", "generated in 0.0001s", ("Anna de Vries", 3))
    engine_log.debug("Row %r", ("Anna de Vries", "Marelaan"))
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["SELECT name FROM panel_member WHERE id = ?",
                        "[generated in 0.0001s] [values hidden]", "Row [values hidden]"]


def test_every_record_is_redacted_when_made_and_carries_the_request_id(app, caplog):
    caplog.set_level(logging.DEBUG)
    with app.test_request_context("/"):
        from flask import g

        g.request_id = "abc123"
        logging.getLogger("some.library").info("user %s", "anna@example.org")
    [record] = [r for r in caplog.records if r.name == "some.library"]
    assert record.getMessage() == "user [email]"
    assert record.request_id == "abc123"


def test_requests_get_an_id_and_the_proxys_id_is_kept(app, session, caplog):
    caplog.set_level(logging.INFO)
    for given in ("nginx-42", "bad id with spaces"):
        with app.test_request_context("/", headers={"X-Request-ID": given}):
            app.preprocess_request()
            logging.getLogger("panel.test").info("inside")
    ids = [r.request_id for r in caplog.records if r.name == "panel.test"]
    assert ids[0] == "nginx-42"
    assert re.fullmatch(r"[0-9a-f]{16}", ids[1])


def test_the_app_writes_one_json_object_per_line(app):
    from panel.logging import _HANDLER_MARK

    [handler] = [h for h in logging.getLogger().handlers if getattr(h, _HANDLER_MARK, False)]
    stream = io.StringIO()
    old = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        logging.getLogger("panel.test").warning("to %s at %s", "anna@example.org", "1801 AA")
    finally:
        handler.setStream(old)  # type: ignore[attr-defined]
    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "to [email] at [postcode]"
    assert (entry["level"], entry["logger"], entry["request_id"]) == ("WARNING", "panel.test",
                                                                       "-")


# --- whole journeys -----------------------------------------------------------------------

@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    """The app behind werkzeug's own server, whose access log names every path."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def fetch(url: str) -> int:
    opener = urllib.request.build_opener(NoRedirect())
    try:
        with opener.open(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def secret_links() -> dict[str, str]:
    """Every secret path in every email so far: {path: token}."""
    found: dict[str, str] = {}
    for message in outbox():
        for path, token in SECRET_LINK.findall(message.text_body):
            found[path] = token
    return found


def test_no_personal_data_or_secret_reaches_the_logs(app, session, runner, caplog, live):
    # Everything at DEBUG, also SQLAlchemy (which otherwise stays at WARNING): its log
    # shows every statement with its parameters, the hardest case for the filter.
    for name in ("", "sqlalchemy.engine", "werkzeug", "panel", "flask"):
        caplog.set_level(logging.DEBUG, logger=name or None)
    world = factories.panel_world()
    meeting, _ = meeting_services.create(world.team_noord, "noord", meeting_data())
    meeting_services.open_for_replies(world.team_noord, meeting.id)
    session.commit()

    # A resident joins, confirms, opens their page, asks for a new link and downloads
    # their data.
    resident = app.test_client()
    assert resident.post("/aanmelden", data={
        "name": "Piet Jansen", "email": EMAIL, "phone": PHONE, "postcode": "1801 AA",
        "house_number": "12", "neighbourhood": "", "language": "nl",
        "statement_version": "2026-1", "consent": "y"}).status_code == 302
    [confirm] = [p for p in secret_links() if p.startswith("/aanmelden/bevestigen/")]
    assert resident.post(confirm, data={"statement_version": "2026-1"}).status_code == 302
    assert resident.get("/mijn").status_code == 200
    assert resident.get("/mijn/gegevens.json").status_code == 200
    assert app.test_client().post("/mijn/link", data={"email": EMAIL}).status_code == 302
    member = session.query(PanelMember).filter_by(email=EMAIL).one()

    # Staff: a wrong password, the right one, searches, exports, letters, the audit log.
    team = app.test_client()
    assert factories.login(team, "noord@example.org", WRONG_PASSWORD).status_code == 200
    assert factories.login(team, "noord@example.org").status_code == 302
    assert team.get("/beheer/leden", query_string={"q": EMAIL}).status_code == 200
    assert team.get("/beheer/leden", query_string={"q": "1801 AA"}).status_code == 200
    assert team.get(f"/beheer/leden/{member.id}").status_code == 200
    assert team.get("/beheer/leden/export.csv", query_string={"q": EMAIL}).status_code == 200
    assert team.get("/beheer/leden/export.xlsx").status_code == 200
    assert team.post("/beheer/leden/brieven", data={"member": [str(member.id)]}
                     ).status_code == 200
    assert team.post(f"/beheer/bijeenkomsten/{meeting.id}/uitnodigen").status_code == 302
    admin = app.test_client()
    assert factories.login(admin, "admin@example.org").status_code == 302
    assert admin.get("/beheer/audit").status_code == 200
    created = runner.invoke(args=["create-user", "--email", "nieuw.team@example.org",
                                  "--role", "team", "--area", "noord"])
    assert created.exit_code == 0, created.output
    password_path = re.search(r"http://wijkpanel\.test(/beheer/wachtwoord/\S+)",
                              created.output).group(1)  # type: ignore[union-attr]
    assert app.test_client().get(password_path).status_code == 200

    # A letter code, the reply link of the invitation, delivery of the mail.
    code = signup_services.new_short_code(member)
    session.commit()
    assert app.test_client().get(f"/code/{code}").status_code == 302
    with app.app_context():
        deliver_due()
    links = secret_links()
    reply = next(p for p in links if p.startswith("/antwoord/")).split("?")[0]
    replier = app.test_client()
    assert replier.get(reply).status_code == 200
    assert replier.post(reply, data={"answer": "yes"}).status_code in (200, 302)

    # The same secret paths through a real server, whose access log names them (with a
    # query string too).
    for path in [*links, password_path, f"/code/{code}"]:
        fetch(f"{live}{path}?email={EMAIL}")
    fetch(f"{live}/beheer/leden?q={EMAIL}")
    assert any(r.name == "werkzeug" for r in caplog.records)

    # Finally the resident leaves with the link from an email.
    leave = next(p for p in links if p.startswith("/afmelden/"))
    assert app.test_client().post(leave).status_code == 302

    secrets = {EMAIL, "piet.jansen", "Piet Jansen", "Marelaan", PHONE, "0612345678",
               "612345678", "1801 AA", "1801AA", WRONG_PASSWORD, factories.PASSWORD, code,
               code.replace("-", ""),
               "nieuw.team@example.org", "noord@example.org", "admin@example.org",
               password_path.rsplit("/", 1)[1]}
    secrets |= set(links.values())
    formatter = JsonFormatter()
    assert len(caplog.records) > 50
    for record in caplog.records:
        written = "\n".join((record.getMessage(), record.exc_text or "",
                             formatter.format(record), caplog.handler.format(record)))
        for secret in secrets:
            assert secret not in written, (secret, record.name, written)
        assert not ANY_EMAIL.search(written), written
        assert not ANY_POSTCODE.search(written), written
