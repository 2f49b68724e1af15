"""An indicator's theme has an English name for the English pages: given in the form, in
a file (``thema_en``) or by the shipped catalogue; without one the Dutch theme is shown."""

from __future__ import annotations

import io

from sqlalchemy import select

from panel.auth.models import Role
from panel.db import db
from panel.results.indicator_import import load_catalogue
from panel.results.models import Indicator
from tests import factories

ADMIN = "beheer@example.org"


def _themes(survey) -> None:  # type: ignore[no-untyped-def]
    survey.unsafe.theme, survey.unsafe.theme_en = "Veiligheidsgevoel", "Feeling safe"
    survey.mark.theme = "Leefbaarheid"  # no English name
    db.session.commit()


def test_the_figures_per_edition_have_the_theme_in_the_pages_language(client, survey):
    _themes(survey)
    dutch = client.get("/uitkomsten").get_data(as_text=True)
    assert ">Veiligheidsgevoel</h2>" in dutch and "Feeling safe" not in dutch
    client.set_cookie("lang", "en")
    english = client.get("/uitkomsten").get_data(as_text=True)
    assert ">Feeling safe</h2>" in english and ">Veiligheidsgevoel<" not in english
    assert ">Leefbaarheid</h2>" in english  # the Dutch theme where there is no English one
    assert "Figures per edition: Feeling safe" in english
    csv = client.get("/uitkomsten.csv").get_data(as_text=True)
    assert "Feeling safe" in csv


def test_the_form_and_a_file_give_the_english_theme(client, login_as, survey):
    factories.user(Role.ADMIN, email=ADMIN)
    db.session.commit()
    admin = login_as(ADMIN, client)
    form = {"code": "overlast_drugs", "name_nl": "Ervaart veel overlast van drugs",
            "name_en": "", "explanation_nl": "", "explanation_en": "", "unit": "percentage",
            "higher_is_better": "0", "decimals": "", "theme": "Overlast",
            "theme_en": "Nuisance", "position": ""}
    assert admin.post("/beheer/indicatoren/nieuw", data=form).status_code == 302
    made = db.session.scalars(select(Indicator).where(Indicator.code == "overlast_drugs")).one()
    assert (made.theme, made.theme_en) == ("Overlast", "Nuisance")
    upload = (b"code;naam;eenheid;hoger_is_beter;thema;thema_en\n"
              b"overlast_drugs;Ervaart veel overlast van drugs;percentage;nee;Overlast;"
              b"Nuisance from drugs\n")
    admin.post("/beheer/indicatoren", data={"file": (io.BytesIO(upload), "indicatoren.csv")},
               content_type="multipart/form-data")
    db.session.refresh(made)
    assert made.theme_en == "Nuisance from drugs"


def test_the_catalogue_names_its_themes_in_english(session):
    load_catalogue(None, "veiligheidsmonitor")
    session.commit()
    themes = {(i.theme, i.theme_en) for i in session.scalars(select(Indicator))}
    assert ("Veiligheidsgevoel", "Feeling safe") in themes
    assert all(english for _dutch, english in themes)


def test_the_migration_names_the_standard_themes_in_english(fresh_database, tmp_path):
    from sqlalchemy import Boolean, Integer, String, column, insert, table

    from panel import create_app
    from panel.migrations import upgrade

    indicator = table("indicator", column("id", Integer()), column("code", String()),
                      column("name_nl", String()), column("name_en", String()),
                      column("unit", String()), column("higher_is_better", Boolean()),
                      column("theme", String()), column("theme_en", String()),
                      column("position", Integer()), column("decimals", Integer()),
                      column("explanation_nl", String()), column("explanation_en", String()))
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": fresh_database},
                     instance_path=tmp_path / "instance")
    with app.app_context():
        upgrade("e18a1a000007")
        with db.engine.begin() as connection:
            for number, theme in enumerate(("Veiligheidsgevoel", "Eigen thema"), start=1):
                connection.execute(insert(indicator).values(
                    id=number, code=f"i{number}", name_nl="Naam", name_en="Name",
                    unit="percentage", higher_is_better=True, theme=theme, position=number,
                    decimals=0, explanation_nl="", explanation_en=""))
        upgrade("e18a1a000008")
        with db.engine.connect() as connection:
            names = connection.execute(select(indicator.c.theme, indicator.c.theme_en)
                                       .order_by(indicator.c.id)).all()
        db.engine.dispose()
    assert [tuple(row) for row in names] == [("Veiligheidsgevoel", "Feeling safe"),
                                             ("Eigen thema", "")]
