"""The motion pages and the report downloads through the test client."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

from openpyxl import load_workbook

from panel.motions import services
from tests import factories


def test_clerk_registers_a_motion_with_requests(client, session):
    world = factories.panel_world()
    session.commit()
    factories.login(client, "clerk@example.org")
    response = client.post("/beheer/moties/nieuw", data={
        "reference": "M2024-01", "title": "Meer wijkpanels", "adopted_on": "2024-03-01",
        "text": "De raad verzoekt...", "areas": ["noord"],
        "requests-0-text": "Start in alle wijken", "requests-0-deadline": "2024-12-31",
        "requests-0-status": "open"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Meer wijkpanels" in page and "Start in alle wijken" in page
    assert world.noord.code == "noord"


def test_team_members_read_but_do_not_change_motions(client, session):
    world = factories.panel_world()
    motion = services.save_motion(world.clerk, services.MotionData(
        reference="M1", title="Motie", adopted_on=date(2024, 1, 1), text=""))
    session.commit()
    factories.login(client, "noord@example.org")
    assert client.get(f"/beheer/moties/{motion.id}").status_code == 200
    assert client.get("/beheer/moties/nieuw").status_code == 403
    assert client.post(f"/beheer/moties/{motion.id}/bewerken", data={
        "reference": "X", "title": "X", "adopted_on": "2024-01-01"}).status_code == 403


def test_every_download_opens_and_a_final_report_keeps_its_figures(client, session):
    world = factories.panel_world()
    motion = services.save_motion(world.clerk, services.MotionData(
        reference="M1", title="Motie", adopted_on=date(2024, 1, 1), text="Tekst"))
    report = services.start_report(world.clerk, motion.id, date(2024, 1, 1), date(2030, 1, 1))
    session.commit()
    factories.login(client, "clerk@example.org")
    base = f"/beheer/moties/rapportages/{report.id}"
    client.post(f"{base}/definitief")
    xlsx = client.get(f"{base}/export.xlsx")
    assert load_workbook(io.BytesIO(xlsx.data)).sheetnames
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{base}/export.zip").data))
    assert any(name.endswith(".csv") for name in archive.namelist())
    first = client.get(f"{base}/export.json").data
    assert json.loads(first)["report"]["status"] == "final"
    factories.member(world.mare, email="late@example.org", confirmed_at=report.finalised_at)
    session.commit()
    assert client.get(f"{base}/export.json").data == first
    assert client.get(f"{base}/export.docx").status_code == 200
    assert client.get(f"{base}/export.pdf").status_code == 404
    assert "Raadsinformatiebrief" in client.get(f"{base}/afdruk").get_data(as_text=True)
