"""The look of the site: an NL Design System theme chosen with ``PANEL_THEME``.

A theme is a stylesheet of design tokens (CSS custom properties) that apply under one class
on ``<html>``; the components (``@utrecht/component-library-css``) read them. The ready
themes are published token packages, copied from ``node_modules`` by
``scripts/copy-assets``; a municipality can also put its own tokens file in ``instance/``
(``PANEL_THEME=instance:tokens.css``, served at ``/thema.css``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

DEFAULT_THEME = "voorbeeld"
OWN_THEME_PREFIX = "instance:"
OWN_THEME_CLASS = "gemeente-theme"
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.css")
_CLASS_NAME = re.compile(r"[a-z][a-z0-9-]*")


class Theme(NamedTuple):
    """``name`` as set in ``PANEL_THEME``; ``css_class`` goes on ``<html>``; ``static`` is
    the tokens file under ``panel/static`` (``""`` for the instance's own file, served
    at ``/thema.css``); ``own_file`` is the file name in ``instance/``."""

    name: str
    css_class: str
    static: str = ""
    own_file: str = ""


# The packages (pinned in package.json) and the class their tokens apply under. Each of
# them names the tokens of the components we use (css/theme-bridge.css fills in those it
# names the newer way) and passes axe-core's contrast checks on our pages
# (tests/browser/test_themes.py). Rotterdam's package
# (@nl-design-system-unstable/rotterdam-design-tokens, 1.0.0-alpha) is left out: its
# headings are 64, 48 and 40 px on every screen (a card's heading is as large as a page
# title on a phone), and it has no tokens for alerts, lists, check boxes, radio buttons
# or selects.
THEMES: dict[str, Theme] = {
    # @nl-design-system-unstable/voorbeeld-design-tokens: the neutral example theme.
    "voorbeeld": Theme("voorbeeld", "voorbeeld-theme", "vendor/themes/voorbeeld.css"),
    # @utrecht/design-tokens
    "utrecht": Theme("utrecht", "utrecht-theme", "vendor/themes/utrecht.css"),
    # @gemeente-denhaag/design-tokens-components
    "denhaag": Theme("denhaag", "denhaag-theme", "vendor/themes/denhaag.css"),
    # @rijkshuisstijl-community/design-tokens
    "rijkshuisstijl": Theme("rijkshuisstijl", "rhc-theme", "vendor/themes/rijkshuisstijl.css"),
}


class ThemeError(ValueError):
    """``PANEL_THEME`` names no ready theme and no usable file in ``instance/``."""


def choose_theme(value: str | None, instance_path: Path) -> Theme:
    """The theme ``PANEL_THEME`` asks for: a ready theme's name, or
    ``instance:FILE.css`` (tokens under the class ``gemeente-theme``) or
    ``instance:FILE.css:CLASS`` (under a class of its own, such as ``haarlem-theme``).
    Raises ThemeError, naming the choices, for anything else."""
    value = (value or "").strip() or DEFAULT_THEME
    if value.lower() in THEMES:
        return THEMES[value.lower()]
    if not value.startswith(OWN_THEME_PREFIX):
        raise ThemeError(f"PANEL_THEME={value!r} is not a known theme: choose one of "
                         f"{', '.join(sorted(THEMES))}, or instance:FILE.css for a tokens "
                         "file in the instance folder")
    file_name, _, css_class = value[len(OWN_THEME_PREFIX):].partition(":")
    css_class = css_class or OWN_THEME_CLASS
    if not _FILE_NAME.fullmatch(file_name):
        raise ThemeError(f"PANEL_THEME={value!r}: the file must be a .css file directly in "
                         "the instance folder (a name without folders)")
    if not _CLASS_NAME.fullmatch(css_class):
        raise ThemeError(f"PANEL_THEME={value!r}: the theme class must be lowercase letters, "
                         "digits and hyphens, such as haarlem-theme")
    if not (instance_path / file_name).is_file():
        raise ThemeError(f"PANEL_THEME={value!r}: {instance_path / file_name} does not exist")
    return Theme(value, css_class, own_file=file_name)
