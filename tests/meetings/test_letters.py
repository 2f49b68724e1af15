"""Printed invitations: the letters of a meeting are marked as printed when staff make the
document, the meeting page says how many are still to print, and staff print only those
(the letters printed before keep working) or all of them again (with new codes)."""

from __future__ import annotations

import io
import re

from docx import Document
from sqlalchemy import select

from panel.db import db
from panel.meetings import services
from panel.meetings.models import Invitation
from panel.signups.models import MemberStatus
from tests import factories

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _words(body: bytes) -> str:
    document = Document(io.BytesIO(body))
    return "\n".join(p.text for p in document.paragraphs)


def _codes(body: bytes) -> list[str]:
    return re.findall(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b", _words(body))


def _letter_invitations(meeting_id: int) -> dict[str, Invitation]:
    db.session.expire_all()
    return {i.member.name: i for i in db.session.scalars(
        select(Invitation).where(Invitation.meeting_id == meeting_id,
                                 Invitation.channel == "letter"))}


def _code_works(app, code: str) -> bool:  # type: ignore[no-untyped-def]
    return app.test_client().post("/code", data={"code": code}).status_code == 302


def test_only_the_letters_still_to_print_are_printed(app, login_as, world, open_meeting):
    services.invite(world.team_noord, open_meeting.id)
    db.session.commit()
    team = login_as("noord@example.org")
    base = f"/beheer/bijeenkomsten/{open_meeting.id}"
    assert "Uitnodigingen per brief: 1. Nog te printen: 1." in \
        team.get(base).get_data(as_text=True)
    assert services.letter_counts(open_meeting) == services.LetterCounts(total=1, to_print=1)

    first = team.post(f"{base}/brieven", data={"letters": "new"})
    assert first.mimetype == DOCX
    assert "Oma Zonder Mail" in _words(first.get_data())
    [oma_code] = _codes(first.get_data())
    oma = _letter_invitations(open_meeting.id)["Oma Zonder Mail"]
    printed_at, oma_token = oma.letter_printed_at, oma.token_hash
    assert printed_at is not None
    page = team.get(base).get_data(as_text=True)
    assert "Uitnodigingen per brief: 1. Nog te printen: 0." in page
    assert "Print alle brieven opnieuw" in page
    assert "Print de brieven die nog niet geprint zijn" not in page

    # Someone without email joins the panel and is invited: one new letter to print.
    factories.member(world.mare, name="Opa Zonder Mail", email=None, street="Marelaan",
                     house_number="5", postcode="1801AA", city="Alkmaar")
    db.session.commit()
    services.invite(world.team_noord, open_meeting.id)
    db.session.commit()
    assert services.letter_counts(open_meeting) == services.LetterCounts(total=2, to_print=1)
    second = team.post(f"{base}/brieven", data={"letters": "new"})
    words = _words(second.get_data())
    assert "Opa Zonder Mail" in words and "Oma Zonder Mail" not in words
    invitations = _letter_invitations(open_meeting.id)
    assert invitations["Oma Zonder Mail"].letter_printed_at == printed_at
    assert invitations["Oma Zonder Mail"].token_hash == oma_token  # her letter still works
    assert invitations["Opa Zonder Mail"].letter_printed_at is not None
    assert _code_works(app, oma_code)

    nothing = team.post(f"{base}/brieven", data={"letters": "new"}, follow_redirects=True)
    assert nothing.mimetype == "text/html"
    assert "Alle brieven zijn al geprint. Er zijn geen nieuwe brieven om te printen." in \
        nothing.get_data(as_text=True)

    everything = team.post(f"{base}/brieven", data={"letters": "all"})
    words = _words(everything.get_data())
    assert "Opa Zonder Mail" in words and "Oma Zonder Mail" in words
    assert _letter_invitations(open_meeting.id)["Oma Zonder Mail"].token_hash != oma_token
    assert not _code_works(app, oma_code)  # the earlier letter stops working
    assert services.letter_counts(open_meeting).to_print == 0


def test_letters_still_to_print_leave_out_members_with_email_and_those_who_left(
        world, open_meeting):
    services.invite(world.team_noord, open_meeting.id)
    db.session.commit()
    assert services.letter_counts(open_meeting) == services.LetterCounts(total=1, to_print=1)
    world.offline.status = MemberStatus.LEFT.value
    db.session.commit()
    assert services.letter_counts(open_meeting) == services.LetterCounts()
    assert services.letter_recipients(world.team_noord, open_meeting.id) == []
