"""PANEL_THEME: the ready themes, a municipality's own tokens file, refusing anything else
at start, and the theme's class and stylesheet in every page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from panel import create_app
from panel.config import PROJECT_ROOT, ConfigurationError, load_settings
from panel.themes import DEFAULT_THEME, OWN_THEME_CLASS, THEMES, Theme, ThemeError, choose_theme
from tests.themes import forget_kept_pages, use_theme

STATIC = PROJECT_ROOT / "panel" / "static"


@pytest.fixture(autouse=True)
def _pages_built_here_are_forgotten(request: pytest.FixtureRequest) -> Iterator[None]:
    """Pages of an empty site built under these tests' themes are not served to later
    tests from the page cache."""
    yield
    if "app" in request.fixturenames:
        forget_kept_pages(request.getfixturevalue("app"))


def test_without_the_setting_the_neutral_example_theme_is_used(tmp_path: Path):
    settings = load_settings(tmp_path, {})
    assert settings["PANEL_THEME"] == THEMES[DEFAULT_THEME]
    assert THEMES[DEFAULT_THEME].css_class == "voorbeeld-theme"


@pytest.mark.parametrize("name", sorted(THEMES))
def test_every_ready_theme_is_chosen_by_name(tmp_path: Path, name: str):
    assert choose_theme(name.upper(), tmp_path) == THEMES[name]


@pytest.mark.parametrize("theme", sorted(THEMES.values()), ids=lambda theme: theme.name)
def test_every_ready_theme_has_its_tokens_under_its_class(theme: Theme):
    tokens = (STATIC / theme.static).read_text(encoding="utf-8")
    assert re.search(rf"(^|[\s,}}]){re.escape('.' + theme.css_class)}\s*\{{", tokens)
    assert "--utrecht-" in tokens


@pytest.mark.parametrize("value", ["amsterdam", "instance:", "instance:../secret.css",
                                   "instance:/etc/passwd", "instance:tokens.txt",
                                   "instance:missing.css", "instance:tokens.css:Bad_Class",
                                   "/srv/tokens.css"])
def test_an_unknown_theme_stops_the_app_at_start_with_a_clear_message(tmp_path: Path,
                                                                       value: str):
    (tmp_path / "tokens.css").write_text(".gemeente-theme { --x: 1; }", encoding="utf-8")
    (tmp_path / "tokens.txt").write_text("", encoding="utf-8")
    with pytest.raises(ThemeError):
        choose_theme(value, tmp_path)
    with pytest.raises(ConfigurationError, match="PANEL_THEME"):
        load_settings(tmp_path, {"PANEL_THEME": value})


def test_the_message_names_the_choices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PANEL_THEME", "amsterdam")
    with pytest.raises(ConfigurationError) as caught:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=tmp_path)
    message = str(caught.value)
    assert "'amsterdam' is not a known theme" in message
    assert all(name in message for name in THEMES) and "instance:FILE.css" in message


def test_a_municipalitys_own_tokens_file_in_the_instance_folder(tmp_path: Path):
    (tmp_path / "haarlem.css").write_text(".haarlem-theme { --utrecht-link-color: #0a5; }",
                                          encoding="utf-8")
    own = choose_theme("instance:haarlem.css", tmp_path)
    assert (own.css_class, own.own_file, own.static) == (OWN_THEME_CLASS, "haarlem.css", "")
    named = choose_theme("instance:haarlem.css:haarlem-theme", tmp_path)
    assert (named.css_class, named.own_file) == ("haarlem-theme", "haarlem.css")


def test_the_page_carries_the_themes_class_and_stylesheet(app, client):
    page = client.get("/").get_data(as_text=True)
    theme = app.config["PANEL_THEME"]
    assert f'<html lang="nl" class="{theme.css_class}">' in page
    assert f'href="/static/{theme.static}"' in page
    assert 'href="/static/css/identity.css"' in page
    for name in ("utrecht", "rijkshuisstijl"):
        with use_theme(app, THEMES[name]):
            page = client.get("/").get_data(as_text=True)
            assert f'class="{THEMES[name].css_class}"' in page
            assert f'href="/static/vendor/themes/{name}.css"' in page
            assert "voorbeeld" not in page


def test_a_page_under_another_theme_has_another_etag(app, client):
    first = client.get("/").headers["ETag"]
    with use_theme(app, THEMES["denhaag"]):
        assert client.get("/", headers={"If-None-Match": first}).status_code == 200


def test_the_own_tokens_file_is_served_as_css(app, client):
    instance = Path(app.instance_path)
    (instance / "tokens.css").write_text(".gemeente-theme { --utrecht-link-color: #0a5; }",
                                         encoding="utf-8")
    assert client.get("/thema.css").status_code == 404  # a ready theme is in use
    with use_theme(app, choose_theme("instance:tokens.css", instance)):
        page = client.get("/").get_data(as_text=True)
        assert 'class="gemeente-theme"' in page and 'href="/thema.css"' in page
        served = client.get("/thema.css")
        assert served.status_code == 200 and served.mimetype == "text/css"
        assert b"--utrecht-link-color: #0a5" in served.data


def test_the_icon_is_where_browsers_look_for_it(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an icon directory
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in page
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert client.get("/static/favicon.svg").status_code == 200
