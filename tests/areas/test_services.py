"""Areas: validation of CBS codes, changes by hand and loading from a file."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from panel.areas import services
from panel.areas.importer import AreasImporter
from panel.areas.models import Area, District, Neighbourhood
from panel.auth.models import Role
from panel.db import db
from panel.errors import DomainError, NotFound, PermissionDenied
from tests import factories

GOOD_CSV = (
    "niveau,code,naam,hoort_bij,cbs_jaar\n"
    "gebied,noord,Noord,,\n"
    "wijk,WK036101,De Mare,noord,2023\n"
    "buurt,BU03610101,De Mare-Noord,WK036101,2023\n"
    "buurt,BU03610102,De Mare-Zuid,WK036101,2023\n"
)


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def admin(session):
    factories.municipality()
    return factories.user(Role.ADMIN)


def test_loading_a_good_file_creates_every_level(session, admin):
    report = AreasImporter(admin).run(GOOD_CSV.encode())
    assert report.ok and report.applied
    assert [r.status for r in report.lines] == ["new"] * 4
    wijk = services.get_neighbourhood("WK036101")
    assert wijk.area.code == "noord" and wijk.cbs_year == 2023
    assert [d.code for d in wijk.districts] == ["BU03610101", "BU03610102"]


def test_loading_the_same_file_again_changes_nothing(session, admin):
    AreasImporter(admin).run(GOOD_CSV.encode())
    session.commit()
    report = AreasImporter(admin).run(GOOD_CSV.encode())
    assert [r.status for r in report.lines] == ["unchanged"] * 4
    assert (_count(Area), _count(Neighbourhood), _count(District)) == (1, 1, 2)


def test_a_corrected_file_updates_names_and_years(session, admin):
    AreasImporter(admin).run(GOOD_CSV.encode())
    session.commit()
    corrected = GOOD_CSV.replace("De Mare,noord,2023", "De Mare (Noord),noord,2024")
    report = AreasImporter(admin).run(corrected.encode())
    assert [r.status for r in report.lines] == ["unchanged", "updated", "unchanged",
                                                "unchanged"]
    assert services.get_neighbourhood("WK036101").name == "De Mare (Noord)"
    assert services.get_neighbourhood("WK036101").cbs_year == 2024


def test_dry_run_reports_but_changes_nothing(session, admin):
    report = AreasImporter(admin).run(GOOD_CSV.encode(), dry_run=True)
    assert report.ok and not report.applied
    assert report.count("new") == 4
    assert _count(Area) == 0


def _outcomes(report):  # type: ignore[no-untyped-def]
    return ([(r.line, r.status, r.subject, r.messages) for r in report.lines],
            report.summary_line(), report.notes)


CHANGES = (
    "niveau,code,naam,hoort_bij,cbs_jaar\n"
    "gebied,noord,Noord,,\n"                          # 2 unchanged
    "wijk,WK036101,De Mare (Noord),noord,2024\n"      # 3 updated
    "buurt,BU03610103,De Mare-Oost,WK036101,2023\n"   # 4 new
    "gebied,zuid,Zuid,,\n"                            # 5 new
)


def test_dry_run_reports_exactly_what_the_real_run_does(session, admin):
    AreasImporter(admin).run(GOOD_CSV.encode())
    session.commit()
    bad = CHANGES + "gebied,zuid,Zuid twee,,\n" + "wijk,WK36101,Kort,noord,2023\n"
    dry, real = AreasImporter(admin).run(bad.encode(), dry_run=True), \
        AreasImporter(admin).run(bad.encode())
    assert _outcomes(dry) == _outcomes(real)
    assert [(r.status, r.subject) for r in real.lines] == [
        ("unchanged", "gebied noord"), ("updated", "wijk WK036101"),
        ("new", "buurt BU03610103"), ("new", "gebied zuid"), ("rejected", "gebied zuid"),
        ("rejected", "wijk WK36101")]
    assert "5" in real.lines[4].messages[0]  # the duplicate points to the first line
    assert not dry.applied and not real.applied
    assert (_count(Area), _count(Neighbourhood), _count(District)) == (1, 1, 2)

    dry = AreasImporter(admin).run(CHANGES.encode(), dry_run=True)
    assert (_count(Area), _count(District)) == (1, 2)
    assert services.get_neighbourhood("WK036101").name == "De Mare"
    real = AreasImporter(admin).run(CHANGES.encode())
    assert real.applied and _outcomes(dry) == _outcomes(real)
    assert (_count(Area), _count(District)) == (2, 3)
    assert services.get_neighbourhood("WK036101").name == "De Mare (Noord)"


def test_a_title_above_the_header_row(session, admin):
    data = "Gebieden van Alkmaar\n\n" + GOOD_CSV.replace(",", ";")
    report = AreasImporter(admin).run(data.encode())
    assert report.applied and [r.line for r in report.lines] == [4, 5, 6, 7]


def test_semicolons_and_windows_1252_from_dutch_excel(session, admin):
    data = GOOD_CSV.replace(",", ";").replace("De Mare-Zuid", "Zuidérkwartier").encode("cp1252")
    report = AreasImporter(admin).run(data)
    assert report.ok, report.lines
    assert services.get_district("BU03610102").name == "Zuidérkwartier"


def test_utf8_with_byte_order_mark(session, admin):
    report = AreasImporter(admin).run(("\ufeff" + GOOD_CSV).encode("utf-8"))
    assert report.ok and report.count("new") == 4


def test_english_headers_and_levels_are_understood(session, admin):
    data = ("level,code,name,parent,cbs_year\narea,zuid,Zuid,,\n"
            "neighbourhood,WK036104,Vroonermeer,zuid,2023\n")
    assert AreasImporter(admin).run(data.encode()).ok


def test_xlsx_file(session, admin):
    workbook = Workbook()
    sheet = workbook.active
    for line in GOOD_CSV.strip().splitlines():
        sheet.append([cell or None for cell in line.split(",")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = AreasImporter(admin).run(buffer.getvalue(), "gebieden.xlsx")
    assert report.ok and report.count("new") == 4


def test_wrong_delimiter_is_a_file_error_and_changes_nothing(session, admin):
    report = AreasImporter(admin).run(GOOD_CSV.replace(",", "|").encode())
    assert not report.ok and report.file_errors
    assert "kolommen" in report.file_errors[0]
    assert _count(Area) == 0


def test_every_bad_line_gets_its_own_message_and_nothing_changes(session, admin):
    data = (
        "niveau,code,naam,hoort_bij,cbs_jaar\n"
        "gebied,noord,Noord,,\n"              # 2 fine
        "wijk,WK36101,Kort,noord,2023\n"       # 3 malformed CBS code
        "wijk,WK099901,Elders,noord,2023\n"    # 4 other municipality
        "buurt,BU03610301,Wees,WK036103,2023\n"  # 5 wijk does not exist
        "gebied,noord,Noord dubbel,,\n"        # 6 duplicate code
        "wijk,WK036102,Overdie,west,2023\n"    # 7 unknown gebied
        "stad,X,Iets,,\n"                      # 8 unknown level
        "wijk,WK036105,Zonder jaar,noord,\n"   # 9 missing CBS year
        "buurt,BU03610201,Verkeerd,WK036101,2023\n"  # 10 buurt code does not fit its wijk
    )
    data += "wijk,WK036101,De Mare,noord,2023\n"  # 11 fine
    report = AreasImporter(admin).run(data.encode())
    rejected = {r.line: " ".join(r.messages) for r in report.lines if r.status == "rejected"}
    assert set(rejected) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "WK36101" in rejected[3]
    assert "hoort niet bij deze gemeente" in rejected[4]
    assert "WK036103" in rejected[5]
    assert "regel 2" in rejected[6]
    assert "west" in rejected[7]
    assert "gebied, wijk of buurt" in rejected[8]
    assert "CBS-jaar" in rejected[9]
    assert "eerste zes cijfers" in rejected[10]
    assert not report.applied
    assert (_count(Area), _count(Neighbourhood), _count(District)) == (0, 0, 0)


def test_unreadable_and_empty_files(session, admin):
    assert AreasImporter(admin).run(b"").file_errors
    assert AreasImporter(admin).run(b"niveau,code,naam,hoort_bij,cbs_jaar\n").file_errors
    assert AreasImporter(admin).run(b"PK\x03\x04 not really a zip", "x.xlsx").file_errors


def test_only_an_admin_may_load_areas(session):
    team_member = factories.user(Role.TEAM, areas=[factories.area()])
    with pytest.raises(PermissionDenied):
        AreasImporter(team_member).run(GOOD_CSV.encode())


def test_save_by_hand_checks_codes_and_duplicates(session, admin):
    services.save_area(admin, "Noord", "Noord")  # codes are kept in lowercase
    with pytest.raises(DomainError, match="al een gebied"):
        services.save_area(admin, "noord", "Nog een Noord")
    with pytest.raises(DomainError, match="gebiedscode"):
        services.save_area(admin, "Noord Oost", "Noord-Oost")
    wijk = services.save_neighbourhood(admin, "wk036101", "De Mare", "noord", 2023)
    assert wijk.code == "WK036101"
    with pytest.raises(DomainError, match="geen CBS-wijkcode"):
        services.save_neighbourhood(admin, "WK0361", "Kort", "noord", 2023)
    with pytest.raises(DomainError, match="bestaat niet"):
        services.save_neighbourhood(admin, "WK036102", "Overdie", "west", 2023)
    with pytest.raises(DomainError, match="CBS-jaar"):
        services.save_neighbourhood(admin, "WK036102", "Overdie", "noord", 1890)
    buurt = services.save_district(admin, "BU03610101", "Noord", "WK036101", 2023)
    assert buurt.neighbourhood is wijk
    with pytest.raises(DomainError, match="eerste zes cijfers"):
        services.save_district(admin, "BU03610201", "Fout", "WK036101", 2023)


def test_municipality_code_is_checked(session, admin):
    for wrong in ("361", "GM361", "03610", "WK036101"):
        with pytest.raises(DomainError, match="GM0361"):
            services.save_municipality(admin, wrong, "Alkmaar")
    assert services.save_municipality(admin, "gm0362", "Elders").code == "GM0362"
    # Four digits are the code without GM (CBS writes codes as numbers).
    assert services.save_municipality(admin, "0361", "Alkmaar").code == "GM0361"


def test_team_member_sees_only_own_gebieden(session):
    noord, zuid = factories.area("noord"), factories.area("zuid")
    member = factories.user(Role.TEAM, areas=[noord])
    clerk = factories.user(Role.CLERK)
    assert [a.code for a in services.areas_for(member)] == ["noord"]
    assert {a.code for a in services.areas_for(clerk)} == {"noord", "zuid"}
    assert services.get_area_for(member, "noord") is noord
    with pytest.raises(NotFound):
        services.get_area_for(member, zuid.code)
