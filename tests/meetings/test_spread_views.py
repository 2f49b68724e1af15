"""Spreading the panel through the web: the page shows the plan (open meetings with their
places, drafts left out), and the button invites exactly the plan shown, once, also when
it is pressed twice at the same moment."""

from __future__ import annotations

import html
import re
import threading

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from panel.db import db
from panel.meetings import services
from panel.meetings.models import Invitation
from panel.signups.models import PanelMember
from tests import factories
from tests.mailbox import outbox
from tests.meetings.helpers import day_after, meeting_data

PAGE = "/beheer/gebieden/noord/spreiding"
TITLE = "Wijkpanel De Mare"  # the title of the ``open_meeting`` fixture (3 places)
SENT = "uitnodigingen per e-mail verstuurd."
ALREADY = "Deze uitnodigingen waren al verstuurd. Niemand is twee keer uitgenodigd."
CHANGED = "Het plan is veranderd nadat deze pagina werd getoond. Daarom is niemand uitgenodigd."


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def suggested_names(page: str, title: str) -> list[str]:
    """The names the spread page suggests for the meeting called ``title``."""
    section = page.split(f">{title}</h2>")[1].split("</section>")[0]
    return re.findall(r'<li class="utrecht-unordered-list__item">([^<(]+?)</li>', section)


def hidden_fields(page: str) -> dict[str, str]:
    """What the page's form sends back: its hidden inputs by name."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = html.unescape(value.group(1) if value else "")
    return fields


def invited_names(meeting_id: int) -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(
        select(PanelMember.name).join(Invitation, Invitation.member_id == PanelMember.id)
        .where(Invitation.meeting_id == meeting_id)))


def invitation_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Invitation)) or 0


def invitation_mails() -> int:
    return len([m for m in outbox() if "/antwoord/" in m.text_body])


def test_the_team_sees_the_plan_and_invites_it(login_as, world, open_meeting):
    team = login_as("noord@example.org")
    response = team.get(PAGE)
    page = text(response)
    assert response.status_code == 200
    assert "Panel van Noord verdelen over de bijeenkomsten" in page
    assert "3 panelleden" in page
    assert "3 plaatsen: 0 bezet, 0 uitgenodigd zonder antwoord, 3 vrij." in page
    suggested = suggested_names(page, TITLE)
    assert len(suggested) == 3
    assert "Geen plek" in page and "De bijeenkomsten voor deze wijk zijn vol." in page
    assert "Zuid Lid" not in page
    fields = hidden_fields(page)
    assert re.fullmatch(r"[0-9a-f]{64}", fields["fingerprint"])
    assert len(fields["plan"].split()) == 3
    assert outbox() == [] and invited_names(open_meeting.id) == []  # only a suggestion

    response = team.post(PAGE, data=fields, follow_redirects=True)
    assert response.request.path == "/beheer/bijeenkomsten"
    assert f"3 {SENT}" in text(response)
    assert invited_names(open_meeting.id) == sorted(suggested)
    assert invitation_mails() == 3


def test_a_second_run_counts_the_open_invitations_and_invites_nobody_more(login_as, world,
                                                                         open_meeting):
    team = login_as("noord@example.org")
    first = hidden_fields(text(team.get(PAGE)))
    assert team.post(PAGE, data=first).status_code == 302

    page = text(team.get(PAGE))
    assert "3 plaatsen: 0 bezet, 3 uitgenodigd zonder antwoord, 0 vrij." in page
    assert suggested_names(page, TITLE) == []
    assert "Er is nu niemand om uit te nodigen." in page
    assert 'type="submit"' not in page.split("<main")[1]
    response = team.post(PAGE, data=hidden_fields(page), follow_redirects=True)
    assert invitation_count() == 3 and invitation_mails() == 3

    # A no gives the place back: the next run fills it, and only it.
    member = db.session.get(PanelMember, world.members[0].id)
    services.reply(open_meeting, member, False)
    db.session.commit()
    page = text(team.get(PAGE))
    assert "3 plaatsen: 0 bezet, 2 uitgenodigd zonder antwoord, 1 vrij." in page
    response = team.post(PAGE, data=hidden_fields(page), follow_redirects=True)
    assert f"1 {SENT}" in text(response)
    assert invitation_count() == 4 and invitation_mails() == 4


def test_drafts_are_left_out_and_named_on_the_page(login_as, world, open_meeting):
    draft, _ = services.create(world.team_noord, "noord", meeting_data(
        title="<b>Nog niet open</b>", day=day_after(20)))
    db.session.commit()
    team = login_as("noord@example.org")
    page = text(team.get(PAGE))

    drafts = page.split('id="drafts"')[1].split("</section>")[0]
    assert "Niet in het plan: nog niet open" in drafts
    assert "&lt;b&gt;Nog niet open&lt;/b&gt;" in drafts and "<b>" not in page
    assert f'href="/beheer/bijeenkomsten/{draft.id}"' in drafts
    assert f'id="m-{draft.id}"' not in page  # no section with members for the draft
    assert len(suggested_names(page, TITLE)) == 3

    response = team.post(PAGE, data=hidden_fields(page), follow_redirects=True)
    assert f"3 {SENT}" in text(response)
    assert invited_names(draft.id) == [] and len(invited_names(open_meeting.id)) == 3


def test_a_plan_that_changed_is_not_invited_and_the_new_plan_is_shown(login_as, world,
                                                                      open_meeting):
    team = login_as("noord@example.org")
    shown = hidden_fields(text(team.get(PAGE)))
    newcomer = factories.member(world.mare, name="Aaron Nieuw", email="aaron@example.org")
    db.session.get(PanelMember, world.members[0].id).status = "left"
    db.session.commit()

    response = team.post(PAGE, data=shown)
    page = text(response)
    assert response.status_code == 200
    assert "<title>Fout:" in page
    summary = page.split('id="foutmeldingen"')[1].split("</div>")[0]
    assert CHANGED in summary
    assert invitation_count() == 0 and outbox() == []
    again = hidden_fields(page)
    assert again["fingerprint"] != shown["fingerprint"]
    assert again["plan"] != shown["plan"]  # Lid 0 left: the next member takes the place
    assert newcomer.name in page and "Lid 0" not in page

    response = team.post(PAGE, data=again, follow_redirects=True)
    assert f"3 {SENT}" in text(response)
    assert invited_names(open_meeting.id) == sorted(suggested_names(page, TITLE))
    assert "Lid 0" not in invited_names(open_meeting.id)


def test_a_form_without_the_plan_invites_nobody(login_as, world, open_meeting):
    team = login_as("noord@example.org")
    response = team.post(PAGE, data={})
    assert response.status_code == 200 and CHANGED in text(response)
    forged = hidden_fields(text(team.get(PAGE)))
    forged["fingerprint"] = "0" * 64
    assert CHANGED in text(team.post(PAGE, data=forged))
    assert invitation_count() == 0 and outbox() == []


def test_without_the_csrf_token_nobody_is_invited(app, world, open_meeting, csrf_enabled):
    team = app.test_client()
    login = hidden_fields(text(team.get("/beheer/inloggen")))
    assert team.post("/beheer/inloggen", data={**login, "email": "noord@example.org",
                                               "password": factories.PASSWORD}
                     ).status_code == 302
    fields = hidden_fields(text(team.get(PAGE)))
    token = fields.pop("csrf_token")

    assert team.post(PAGE, data=fields).status_code == 400
    assert invitation_count() == 0 and outbox() == []
    response = team.post(PAGE, data={**fields, "csrf_token": token}, follow_redirects=True)
    assert f"3 {SENT}" in text(response)


def test_the_same_form_sent_again_says_it_was_sent_already(login_as, world, open_meeting):
    team = login_as("noord@example.org")
    fields = hidden_fields(text(team.get(PAGE)))
    assert f"3 {SENT}" in text(team.post(PAGE, data=fields, follow_redirects=True))

    response = team.post(PAGE, data=fields, follow_redirects=True)

    assert response.request.path == "/beheer/bijeenkomsten"
    assert ALREADY in text(response) and CHANGED not in text(response)
    assert invitation_count() == 3 and invitation_mails() == 3


def _press(client: FlaskClient, fields: dict[str, str], barrier: threading.Barrier,
           pages: list[str], errors: list[BaseException]) -> None:
    try:
        barrier.wait(timeout=30)
        response = client.post(PAGE, data=fields, follow_redirects=True)
        assert response.status_code == 200, response.status_code
        pages.append(response.get_data(as_text=True))
    except BaseException as exc:  # noqa: BLE001 - collected and asserted below
        errors.append(exc)


def test_a_double_click_invites_once(app: Flask, login_as, world, open_meeting):
    first, second = login_as("noord@example.org"), login_as("noord@example.org")
    fields = hidden_fields(text(first.get(PAGE)))
    barrier = threading.Barrier(2)
    pages: list[str] = []
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_press, args=(client, fields, barrier, pages, errors))
               for client in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == [] and len(pages) == 2
    assert sorted((f"3 {SENT}" in page, ALREADY in page) for page in pages) == \
        [(False, True), (True, False)]
    assert invitation_count() == 3 and invitation_mails() == 3


def test_the_team_cannot_spread_the_panel_of_another_gebied(login_as, world, open_meeting):
    other, _ = services.create(world.admin, "zuid", meeting_data(
        neighbourhood_codes=["WK036104"], venue="Buurthuis Vroonermeer"))
    services.open_for_replies(world.admin, other.id)
    db.session.commit()
    team = login_as("noord@example.org")
    assert team.get("/beheer/gebieden/zuid/spreiding").status_code == 404
    assert team.post("/beheer/gebieden/zuid/spreiding",
                     data={"fingerprint": "0" * 64}).status_code == 404
    assert login_as("clerk@example.org").get(PAGE).status_code == 404
    assert outbox() == [] and invitation_count() == 0


def test_members_without_a_place_are_counted_by_wijk_and_reason(login_as, world, open_meeting):
    """Seven members of De Mare for three places, two of a wijk without a meeting: the page
    counts who gets no invitation, by wijk and reason, with their names folded away."""
    molen = factories.neighbourhood(world.noord, "WK036102", "Molenbuurt")
    for number in range(2):
        factories.member(molen, name=f"Molen <Lid> {number}", email=f"molen{number}@example.org")
    db.session.commit()
    page = text(login_as("noord@example.org").get(PAGE))

    section = page.split('id="unplaced"')[1].split("</section>")[0]
    assert "6 panelleden krijgen nu geen uitnodiging." in section
    groups = re.findall(r"<details class=\"wp-details\">\s*<summary>([^<]*)</summary>\s*"
                        r"<p class=\"utrecht-paragraph\">([^<]*)</p>", section)
    assert [summary for summary, _names in groups] == [
        "De Mare: 4 panelleden. De bijeenkomsten voor deze wijk zijn vol.",
        "Molenbuurt: 2 panelleden. Er is geen bijeenkomst voor deze wijk.",
    ]
    mare_names = groups[0][1].split(", ")
    assert len(mare_names) == 4 and not set(mare_names) & set(suggested_names(page, TITLE))
    assert groups[1][1] == "Molen &lt;Lid&gt; 0, Molen &lt;Lid&gt; 1"  # escaped
    assert "<li" not in section  # no list item per member


def test_a_change_made_elsewhere_shows_at_once_and_the_old_plan_invites_nobody(
        app, login_as, world, open_meeting):
    """The plan is worked out for every request, whichever worker answers; a page shown
    before a change made elsewhere invites nobody, and the page then shows the plan as it
    is now."""
    from sqlalchemy import update

    team = login_as("noord@example.org")
    shown = hidden_fields(text(team.get(PAGE)))
    with db.engine.begin() as connection:  # elsewhere: another worker, not this session
        connection.execute(update(PanelMember).where(PanelMember.name == "Lid 0")
                           .values(status="left"))
    now = hidden_fields(text(team.get(PAGE)))
    assert now["fingerprint"] != shown["fingerprint"]

    response = team.post(PAGE, data=shown)
    assert response.status_code == 200 and CHANGED in text(response)
    assert hidden_fields(text(response)) == now
    assert invitation_count() == 0 and outbox() == []
    response = team.post(PAGE, data=now, follow_redirects=True)
    assert f"3 {SENT}" in text(response)
    assert "Lid 0" not in invited_names(open_meeting.id)
