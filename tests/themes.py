"""Running the one test app under another theme for a while (PANEL_THEME is read once, at
start, in a real installation)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from panel.themes import Theme

# What a worker keeps of its pages: ETags by address and built pages by ETag.
_KEPT_PAGES = ("panel.conditional", "panel.conditional.pages")


def forget_kept_pages(app: Flask) -> None:
    """Forget the pages ``app`` built: the next request builds them anew."""
    for name in _KEPT_PAGES:
        app.extensions.pop(name, None)


@contextmanager
def use_theme(app: Flask, theme: Theme) -> Iterator[Theme]:
    """``app`` with ``theme`` (its class, stylesheet and page ETags) until the block ends."""
    before = app.config["PANEL_THEME"]

    def switch(to: Theme) -> None:
        app.config["PANEL_THEME"] = to
        app.jinja_env.globals["theme"] = to
        forget_kept_pages(app)

    switch(theme)
    try:
        yield theme
    finally:
        switch(before)
