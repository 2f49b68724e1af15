"""The work list on the start page and the weekly email choice, through the test client."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from panel.db import utcnow
from panel.worklist.models import WeeklyWorkList
from tests.worklist.helpers import EXPECTED_LINES, EXPECTED_MEETING, work_of_every_kind


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    item = work_of_every_kind(utcnow())
    session.commit()
    return item


def _lines(html: str) -> dict[str, tuple[int, str]]:
    """Per kind of line: its count (the first number of its text) and its link."""
    page = BeautifulSoup(html, "html.parser")
    found = {}
    for item in page.select("#werklijst ~ ul > li[data-kind], #werklijst ~ * li[data-kind]"):
        if item.find_parent("li", attrs={"data-meeting": True}):
            continue
        link = item.find("a")
        found[item["data-kind"]] = (int(re.search(r"\d+", item.get_text()).group()),
                                    link["href"] if link else "")
    return found


def test_the_start_page_is_the_team_members_work_list(client, login_as, world) -> None:  # type: ignore[no-untyped-def]
    html = login_as("noord@example.org", client).get("/beheer/").get_data(as_text=True)
    lines = _lines(html)
    assert {kind: count for kind, (count, _) in lines.items()} == EXPECTED_LINES
    assert lines["feedback_14"][1] == "/beheer/meldingen?te_controleren=1&ouder_dan=14"
    assert lines["actions_overdue"][1] == "/beheer/acties?termijn=verlopen"
    assert "Bijeenkomst n" in html and "Bijeenkomst z" not in html
    page = BeautifulSoup(html, "html.parser")
    soon = page.select_one(f'li[data-meeting="{world.noord_work.soon.id}"]')
    assert {li["data-kind"]: int(re.search(r"\d+", li.get_text()).group())
            for li in soon.select("li[data-kind]") if li["data-kind"] != "places"} \
        == EXPECTED_MEETING
    assert "2 van 2 plaatsen bezet, 0 vrij" in soon.get_text()
    # Printing is a button on the meeting's page: the line leads to it.
    assert soon.select_one('li[data-kind="letters_to_print"] a')["href"] == \
        f"/beheer/bijeenkomsten/{world.noord_work.soon.id}#brieven"
    # Late work comes first and stands out.
    kinds = [li["data-kind"] for li in page.select("li[data-kind]")]
    assert kinds.index("actions_overdue") < kinds.index("waiting") < kinds.index("polls")
    assert "wp-work-list__item--late" in page.select_one('li[data-kind="feedback_14"]')["class"]
    # No choice of gebied for one gebied, and not the municipality's numbers.
    assert page.select_one("#werklijst-gebied") is None
    assert "In cijfers" not in html


@pytest.mark.parametrize(("path", "rows"), [
    ("/beheer/meldingen?te_controleren=1&ouder_dan=14", 1),
    ("/beheer/meldingen?te_controleren=1&ouder_dan=7", 2),
    ("/beheer/meldingen?te_controleren=1", 4),
    ("/beheer/acties?termijn=verlopen", 1),
    ("/beheer/acties?termijn=binnenkort", 1),
    ("/beheer/acties?termijn=stil", 1),
    ("/beheer/leden?bellen=1", 1),
    ("/beheer/leden?status=invited&zonder_email=1", 1),
])
def test_each_link_shows_as_many_as_its_line_counts(client, login_as, world, path, rows) -> None:  # type: ignore[no-untyped-def]
    page = BeautifulSoup(login_as("noord@example.org", client).get(path).get_data(as_text=True),
                         "html.parser")
    table = "items" if "meldingen" in path else "members" if "leden" in path else "actions"
    assert len(page.select(f'[aria-labelledby="{table}-caption"] tbody tr')) == rows


@pytest.mark.parametrize("who", ["noord@example.org", "admin@example.org"])
def test_every_link_of_the_work_list_opens_a_page(client, login_as, world, who) -> None:  # type: ignore[no-untyped-def]
    """Each line leads to a page that opens with a plain link (not a form's address),
    and to the part of it named after ``#``."""
    user = login_as(who, client)
    page = BeautifulSoup(user.get("/beheer/").get_data(as_text=True), "html.parser")
    links = {a["href"] for a in page.select("#werklijst ~ * li[data-kind] a, "
                                            "#werklijst ~ ul > li[data-kind] a")}
    assert any("#" in link for link in links)
    for link in sorted(links):
        path, _, anchor = link.partition("#")
        answer = user.get(path)
        assert answer.status_code == 200, link
        if anchor:
            assert f'id="{anchor}"' in answer.get_data(as_text=True), link


def test_an_administrator_chooses_a_gebied(client, login_as, world) -> None:  # type: ignore[no-untyped-def]
    admin = login_as("admin@example.org", client)
    everything = _lines(admin.get("/beheer/").get_data(as_text=True))
    assert everything["polls"][0] == 2 and everything["motions_overdue"][0] == 1
    html = admin.get("/beheer/?gebied=zuid").get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    assert page.select_one('#werklijst-gebied option[selected]')["value"] == "zuid"
    zuid = _lines(html)
    assert zuid["feedback_new"] == (4, "/beheer/meldingen?gebied=zuid&te_controleren=1")
    assert zuid["call_requests"] == (1, "/beheer/leden?gebied=zuid&bellen=1")
    members = BeautifulSoup(admin.get(zuid["awaiting_confirmation"][1]).get_data(as_text=True),
                            "html.parser")
    assert [row.select("td")[1].get_text(strip=True) for row in
            members.select('[aria-labelledby="members-caption"] tbody tr')] == ["Wacht z"]
    assert "Bijeenkomst z" in html and "Bijeenkomst n" not in html
    assert "motions_overdue" not in zuid  # motions belong to no gebied
    assert admin.get("/beheer/?gebied=nergens").status_code == 404
    # The line about motions leads to the late requests on the list of motions.
    assert everything["motions_overdue"][1] == "/beheer/moties/#verzoeken"
    motions = BeautifulSoup(admin.get("/beheer/moties/").get_data(as_text=True), "html.parser")
    late = [row for row in motions.select('[aria-labelledby="due-caption"] tbody tr')
            if "(voorbij)" in row.get_text()]
    assert len(late) == everything["motions_overdue"][0]


def test_a_team_member_cannot_open_another_gebieds_list(client, login_as, world) -> None:  # type: ignore[no-untyped-def]
    assert login_as("noord@example.org", client).get("/beheer/?gebied=zuid").status_code == 404


def test_the_weekly_email_is_chosen_in_a_form(  # type: ignore[no-untyped-def]
        app, client, login_as, world, session, monkeypatch) -> None:
    team = login_as("noord@example.org", client)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = BeautifulSoup(team.get("/beheer/").get_data(as_text=True), "html.parser")
    form = page.select_one("form.wp-work-weekly")
    assert form.select_one("input[name=weekly]").get("checked") is None
    token = form.select_one("input[name=csrf_token]")["value"]
    assert team.post("/beheer/werklijst/email", data={"weekly": "y"}).status_code == 400
    answer = team.post("/beheer/werklijst/email", data={"weekly": "y", "csrf_token": token},
                       follow_redirects=True)
    assert "elke week" in answer.get_data(as_text=True)
    assert session.get(WeeklyWorkList, world.team_noord.id) is not None
    team.post("/beheer/werklijst/email", data={"csrf_token": token})
    session.expire_all()
    assert session.get(WeeklyWorkList, world.team_noord.id) is None


def test_the_weekly_email_command(runner, world, session) -> None:  # type: ignore[no-untyped-def]
    session.add(WeeklyWorkList(user_id=world.team_noord.id))
    session.commit()
    result = runner.invoke(args=["send-work-lists", "--any-day"])
    assert result.exit_code == 0 and result.output.startswith("1 ")
    assert runner.invoke(args=["send-work-lists", "--any-day"]).output.startswith("0 ")
