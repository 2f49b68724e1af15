"""The staff member search finds every name, email address, phone number and postcode,
without case, accents, spaces or punctuation, with the same results on SQLite and
PostgreSQL; and every way a member is written keeps the searched text current."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from panel.auth.models import Role
from panel.db import db
from panel.search import fold, member_search_text, query_text, query_words, recompute
from panel.signups import importer, services, staff
from panel.signups.models import SEARCHED, PanelMember
from tests import factories

QUERIES = {
    # What staff type: who must be found (by first name), in gebied Noord.
    "celik": {"Çelik", "Hoff-Çelik", "Celik"},
    "Çelik": {"Çelik", "Hoff-Çelik", "Celik"},
    "ÇELIK": {"Çelik", "Hoff-Çelik", "Celik"},
    "hoff-celik": {"Hoff-Çelik"},
    "hoff celik": {"Hoff-Çelik"},
    "Hoff": {"Hoff-Çelik"},
    "unal": {"Ünal"},
    "Ünal": {"Ünal"},
    "ünal": {"Ünal"},
    "nal": {"Ünal"},
    "isik": {"Işık"},
    "IŞIK": {"Işık"},
    "Işık": {"Işık"},
    "ilker": {"İlker"},
    "İLKER": {"İlker"},
    "strasse": {"Straße"},
    "STRAẞE": {"Straße"},
    "oyvind": {"Øyvind"},
    # email addresses, typed with or without capitals
    "j.devries@example.nl": {"Jan"},
    "J.DeVries@EXAMPLE.NL": {"Jan"},
    "devries@": {"Jan"},
    "hoff@example": {"Hoff-Çelik"},
    # postcodes, with and without the space
    "1801 AB": {"Jan"},
    "1801 ab": {"Jan"},
    "1801ab": {"Jan"},
    "1801 ac": set(),
    # phone numbers as people write them
    "06 12345678": {"Jan"},
    "0612345678": {"Jan"},
    "06-1234 5678": {"Jan"},
    "+31 6 12345678": {"Jan"},
    "+31 (0)6 1234 5678": {"Jan"},
    "0031612345678": {"Jan"},
    "12345678": {"Jan"},
    "072 512 34 56": {"Ünal"},
    "+31 72 5123456": {"Ünal"},
    "072-5123456": {"Ünal"},
    # several words: every one of them, in any order, in any field
    "Yıldız Çelik": {"Çelik"},
    "celik, yildiz": {"Çelik"},
    "Çelik Yıldız": {"Çelik"},
    "aydin hoff-celik": {"Hoff-Çelik"},
    "celik bakker": {"Celik"},
    "vries jan": {"Jan"},
    "jan 1801ab": {"Jan"},
    "celik onbekend": set(),
    "  celik   ": {"Çelik", "Hoff-Çelik", "Celik"},
    # LIKE's wildcards are letters like any other: nothing left to look for finds nobody
    "%": set(),
    "_": set(),
    "%%": set(),
    "j%n": set(),
    "c_lik": set(),
    "-": set(),
}


@pytest.fixture
def names(world):  # type: ignore[no-untyped-def]
    """Members in De Mare (Noord) with the names of the queries above; a Çelik in
    Vroonermeer (Zuid), whom Noord's team must not find; and a member who left."""
    mare = world.mare
    factories.member(mare, "Çelik Yıldız", "celik@example.org")
    factories.member(mare, "Hoff-Çelik Aydın", "hoff@example.org")
    factories.member(mare, "Celik Bakker", None, phone="06 87654321")
    factories.member(mare, "Ünal Öztürk", "UNAL@example.org", phone="072 512 34 56")
    factories.member(mare, "Işık Demir", "isik@example.org")
    factories.member(mare, "İlker Kaya", "ilker@example.org")
    factories.member(mare, "Straße Müller", "strasse@example.org")
    factories.member(mare, "Øyvind Ærø", "oyvind@example.org")
    factories.member(mare, "Jan de Vries", "J.deVries@Example.NL", phone="06 12345678",
                     postcode="1801AB")
    zuid = factories.member(world.vrooner, "Çelik Zuidema", "zuid@example.org")
    gone = factories.member(mare, "Celik Vertrokken", "weg@example.org")
    services.leave(gone)
    db.session.commit()
    return SimpleNamespace(world=world, zuid=zuid, gone=gone)


def _found(user, query: str, **filters) -> set[str]:  # type: ignore[no-untyped-def]
    page = staff.list_members(user, staff.MemberFilter(query=query, **filters))
    assert page.total == len(page.members)
    return {first_name(m.name) for m in page.members}


def first_name(name: str) -> str:
    return (name.split() or [""])[0]


@pytest.mark.parametrize("query", list(QUERIES))
def test_the_search_finds_every_spelling(names, query):
    assert _found(names.world.team_noord, query) == QUERIES[query]


def test_the_search_page_finds_them_too(names, login_as):
    team = login_as("noord@example.org")
    for query, first_names in (("celik", {"Çelik", "Hoff-Çelik", "Celik"}), ("%", set()),
                               ("isik", {"Işık"}), ("+31 6 1234 5678", {"Jan"})):
        page = team.get("/beheer/leden", query_string={"q": query}).get_data(as_text=True)
        assert f"{len(first_names)} panell" in page, query
        for member in db.session.scalars(select(PanelMember).where(PanelMember.name != "")):
            shown = f">{member.name}</a>" in page
            assert shown == (first_name(member.name) in first_names
                             and member.neighbourhood_id == names.world.mare.id), \
                (query, member.name)


def test_a_team_finds_only_members_of_its_own_gebied(names):
    world = names.world
    assert _found(world.team_noord, "zuidema") == set()
    noord = staff.list_members(world.team_noord, staff.MemberFilter(query="celik"))
    assert noord.total == 3 and names.zuid.id not in {m.id for m in noord.members}
    everyone = staff.list_members(world.admin, staff.MemberFilter(query="celik"))
    assert everyone.total == 4 and names.zuid.id in {m.id for m in everyone.members}
    zuid_team = factories.user(Role.TEAM, email="zuid@example.org", areas=[world.zuid])
    assert {m.id for m in staff.list_members(
        zuid_team, staff.MemberFilter(query="celik")).members} == {names.zuid.id}


def test_the_search_combines_with_the_other_filters(names):
    world = names.world
    assert _found(world.team_noord, "celik", status="member") == {"Çelik", "Hoff-Çelik", "Celik"}
    assert _found(world.team_noord, "celik", status="invited") == set()
    assert _found(world.team_noord, "celik", neighbourhood_code="WK036104") == set()
    assert _found(world.admin, "celik", neighbourhood_code="WK036104") == {"Çelik"}
    assert _found(world.team_noord, "", neighbourhood_code="WK036101", status="left") == {""}


def test_who_left_is_found_by_nothing_they_were(names):
    gone = names.gone
    assert (gone.search_text, gone.name, gone.call_requested_at) == ("", "", None)
    for query in ("vertrokken", "weg@example.org", "celik"):
        page = staff.list_members(names.world.team_noord, staff.MemberFilter(query=query))
        assert gone.id not in {m.id for m in page.members}


def test_every_change_keeps_the_search_text_current(names, session):
    world = names.world
    jan = session.scalars(select(PanelMember).where(PanelMember.name == "Jan de Vries")).one()
    staff.update_member(world.team_noord, jan.id, staff.Registration(
        name="Jan Şahin", email="jan@example.org", phone="+31 20 123 4567", street="",
        house_number="12", postcode="1801 aa", city="", neighbourhood_code="WK036101",
        language="nl", channel=""))
    session.commit()
    assert jan.search_text == "jansahin|jan@exampleorg|0201234567|1801aa"
    assert _found(world.team_noord, "sahin") == {"Jan"}
    assert _found(world.team_noord, "devries") == set()
    services.update_details(jan, services.DetailsChange(
        name="Jan Öz", email="jan@example.org", phone="", language="nl",
        accessibility_needs="", availability=[]))
    session.commit()
    assert _found(world.team_noord, "jan oz") == {"Jan"}
    assert _found(world.team_noord, "sahin") == set()
    assert _found(world.team_noord, "0201234567") == set()
    assert jan.search_text == member_search_text("Jan Öz", "jan@example.org", "", "1801AA")


def test_members_imported_in_bulk_are_found(world):
    data = ("respondent;naam;e-mail;telefoon;postcode;huisnummer;wijkcode;wijkpanel\n"
            "R1;Gül Şen;GUL@example.org;06-11122233;1801 AA;1;;ja\n"
            "R2;Ahmet Yılmaz;;072 123 45 67;;;WK036101;ja\n")
    importer.RespondentsImporter(None).run(data.encode(), "export.csv")
    db.session.commit()
    assert _found(world.team_noord, "gul sen") == {"Gül"}
    assert _found(world.team_noord, "0611122233") == {"Gül"}
    assert _found(world.team_noord, "yilmaz") == {"Ahmet"}
    assert _found(world.team_noord, "+31721234567") == {"Ahmet"}


def test_recompute_writes_the_search_text_of_every_row(names, session):
    """What the migration that adds the column does for the members there are."""
    table = PanelMember.__table__
    session.execute(update(table).values(search_text=""))
    assert _found(names.world.team_noord, "celik") == set()
    written = recompute(session.connection(), table, SEARCHED, batch=3)
    session.commit()
    assert written == session.scalar(select(func.count(PanelMember.id)))
    assert _found(names.world.team_noord, "celik") == {"Çelik", "Hoff-Çelik", "Celik"}
    assert names.gone.search_text == ""


@pytest.mark.parametrize(("typed", "looked_for"), [
    ("Çelik", "celik"), ("İlker", "ilker"), ("ISIK", "isik"), ("Işık", "isik"),
    ("ß", "ss"), ("Ærø", "aero"), ("Łódź", "lodz"), ("Hoff-Çelik", "hoffcelik"),
    ("1234 ab", "1234ab"), ("+31 (0)6-1234 5678", "0612345678"), ("0031 72 512 34 56",
                                                                 "0725123456"),
    ("+32 470 12 34 56", "32470123456"), ("Мария", "мария"), ("%_|", ""),
])
def test_folding(typed, looked_for):
    assert query_text(typed) == looked_for
    assert SEARCHED == ("name", "email", "phone", "postcode")
    assert "|" not in fold(typed)


@pytest.mark.parametrize(("typed", "words"), [
    ("Çelik Ayşe", ["celik", "ayse"]), ("Celik, Ayse", ["celik", "ayse"]),
    ("de vries de", ["de", "vries"]), ("1801 AB", ["1801ab"]), (" 1801ab ", ["1801ab"]),
    ("06 1234 5678", ["0612345678"]), ("+31 (0)6 1234 5678", ["0612345678"]),
    ("Hoff-Çelik", ["hoffcelik"]), ("% _", []), ("", []),
    ("a b c d e f g", ["a", "b", "c", "d", "efg"]),
])
def test_query_words(typed, words):
    assert query_words(typed) == words

