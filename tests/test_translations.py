"""Every user-facing string exists in Dutch and in English."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "translations" / "messages.pot"


def _catalog(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_catalog_translates_every_extracted_string(lang):
    template = _catalog(TEMPLATE)
    catalog = _catalog(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po")
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{lang}: no translation for {key!r}"
        assert not message.fuzzy, f"{lang}: fuzzy translation for {key!r}"
        wanted.discard(key)
    assert not wanted, f"{lang}: missing from the catalog: {sorted(wanted)}"


def test_catalog_template_is_up_to_date_with_the_code():
    from babel.messages.extract import extract_from_dir

    method_map = [("panel/**.py", "python"), ("templates/**.html", "jinja2"),
                  ("templates/**.txt", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    template = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(TEMPLATE) if m.id}
    assert found - template == set(), "run 'make messages' and translate the new strings"


def test_dutch_differs_from_english_for_sentences():
    catalog = _catalog(ROOT / "translations" / "nl" / "LC_MESSAGES" / "messages.po")
    sentences = [m for m in catalog if isinstance(m.id, str) and m.id.count(" ") >= 4]
    untranslated = [m.id for m in sentences if m.string == m.id]
    assert untranslated == []


@pytest.mark.parametrize(("cookie", "short", "full"), [
    ("nl", "07-12-2026, 20:08", "maandag 7 december 2026"),
    # English with the day first and a 24-hour clock, not American "12/7/26, 8:08 PM"
    ("en", "07/12/2026, 20:08", "Monday, 7 December 2026"),
])
def test_dates_read_the_same_way_in_both_languages(app, cookie, short, full):
    from datetime import UTC, datetime

    from flask_babel import format_date, format_datetime

    from panel.i18n import current_language

    moment = datetime(2026, 12, 7, 19, 8, tzinfo=UTC)
    with app.test_request_context("/", headers={"Cookie": f"lang={cookie}"}):
        assert current_language() == cookie
        assert format_datetime(moment, "short") == short
        assert format_date(moment, "full") == full
