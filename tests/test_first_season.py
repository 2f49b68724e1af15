"""A new municipality's first season, from an empty database, with only the commands and
pages the README's "Setting up a real municipality" documents: the administrator, the
municipality, its areas, CBS's postcode file, the consent text, the Veiligheidsmonitor's
indicators, a team, working mail, the research bureau's opt-in export and a published
edition of real survey figures."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from panel.db import db
from panel.signups.models import MemberStatus, PanelMember
from tests.mailbox import outbox
from tests.signups.bureau import CUSTOM_YES, WILLING, WITH_EMAIL, bureau_export

AREAS = """niveau;code;naam;hoort_bij;cbs_jaar
gebied;noord;Noord;;
wijk;WK036101;De Mare;noord;2023
wijk;WK036102;Overdie;noord;2023
wijk;WK036103;Ruïnepark;noord;2023
buurt;BU03610101;De Mare-Noord;WK036101;2023
buurt;BU03610201;Oud Overdie;WK036102;2023
buurt;BU03610301;Ruïnepark-Oost;WK036103;2023
"""
# CBS's postcode-house number file as published: codes as numbers, one line per address,
# and addresses of another municipality.
POSTCODES = """PC6;Huisnummer;Buurt2023;Wijk2023;Gemeente2023
1801AA;1;3610101;36101;361
1801AA;3;3610101;36101;361
1801AB;2;3610101;36101;361
1813EG;5;3610201;36102;361
1802AB;7;3610301;36103;361
2951AA;1;5050101;50501;505
"""
# Real figures over two editions: a report mark of 7,3 and 7,5, and 13% and 11%.
RESULTS = """editie;gebiedscode;indicator;waarde;respondenten;ondergrens;bovengrens
2015;GM0361;cijfer_veiligheid;7,3;2400;7,2;7,4
2019;GM0361;cijfer_veiligheid;7,5;2350;7,4;7,6
2015;GM0361;onveilig_buurt;13;2400;12;14
2019;GM0361;onveilig_buurt;11;2350;10;12
2019;WK036101;cijfer_veiligheid;7,1;160;6,9;7,3
2019;WK036101;onveilig_buurt;14;160;9;19
"""


def _cli(runner: FlaskCliRunner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _file(folder: Path, name: str, text: str, encoding: str = "cp1252") -> str:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_a_new_municipality_is_made_ready_with_the_documented_commands_and_pages(
        app, client: FlaskClient, runner: FlaskCliRunner, smtp, tmp_path: Path) -> None:
    with app.app_context():
        # 1–2. The first administrator sets a password through the printed link.
        link = _cli(runner, "create-user", "--email", "beheer@gemeente.example", "--role",
                    "admin")
        path = re.search(r"(/beheer/wachtwoord/\S+)", link).group(1)
        password = "Veilig wonen in de wijk 2026"
        assert client.post(path, data={"password": password,
                                       "confirm": password}).status_code == 302
        answer = client.post("/beheer/inloggen", data={"email": "beheer@gemeente.example",
                                                       "password": password})
        assert answer.status_code == 302
        start = client.get("/beheer/").get_data(as_text=True)
        assert "Nog 7 stappen te doen." in start

        # 3–5. Municipality, areas and CBS's postcode file.
        _cli(runner, "set-municipality", "--code", "0361", "--name", "Alkmaar")
        _cli(runner, "load-areas", _file(tmp_path, "gebieden.csv", AREAS))
        _cli(runner, "load-postcodes", _file(tmp_path, "pc6hnr20230801_gwb.csv", POSTCODES))

        # 6. The consent text is published on its page.
        answer = client.post("/beheer/toestemming", data={
            "version": "2027-1", "text_nl": "Wij gebruiken uw gegevens alleen voor het panel.",
            "text_en": "We only use your data for the panel."})
        assert answer.status_code == 302

        # 7–9. Indicators, a team for the gebied, and mail that works.
        _cli(runner, "load-indicators", "--catalogue", "veiligheidsmonitor")
        _cli(runner, "create-user", "--email", "team-noord@gemeente.example", "--role",
             "team", "--area", "noord")
        _cli(runner, "check-mail", "--to", "beheer@gemeente.example")
        assert len(smtp.messages) == 1
        start = client.get("/beheer/").get_data(as_text=True)
        assert "Alles is klaar. Inwoners kunnen meedoen." in start

        # 10. The research bureau's export: every willing respondent, nobody else.
        export = tmp_path / "export.csv"
        export.write_bytes(bureau_export("csv"))
        _cli(runner, "import-respondents", str(export), "--yes", CUSTOM_YES)
        invited = db.session.scalar(select(func.count(PanelMember.id)).where(
            PanelMember.status == MemberStatus.INVITED))
        assert invited == WILLING
        assert len([m for m in outbox() if "/aanmelden/bevestigen/" in m.text_body]) \
            == WITH_EMAIL

        # 11. Results, then the editions published on their page.
        report = _cli(runner, "import-results", _file(tmp_path, "resultaten.csv", RESULTS))
        assert "6 nieuw" in report
        public = app.test_client()  # unpublished figures are for staff only
        assert "7,1" not in public.get("/wijken/WK036101").get_data(as_text=True)
        for year in (2015, 2019):
            assert client.post(f"/beheer/resultaten/{year}/publiceren",
                               data={"published": "1"}).status_code == 302
        client.post("/beheer/uitloggen")

    page = public.get("/wijken/WK036101").get_data(as_text=True)
    assert "7,1" in page and "7,5" in page  # the wijk next to the municipality, 2019
    assert "14%" in page and "11%" in page
