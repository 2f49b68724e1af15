"""Catalog upkeep for developers.

``python scripts/translate.py english`` fills the English catalog: English is the source
language, so every English msgstr is its msgid (plural forms included).
``python scripts/translate.py dutch FILE.json`` merges Dutch translations from a JSON object
``{msgid: msgstr}`` (a list of two strings for plural forms) into the Dutch catalog.
``python scripts/translate.py missing`` lists msgids without a Dutch translation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def _load(lang: str):  # type: ignore[no-untyped-def]
    path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return path, read_po(handle, locale=lang)


def _save(path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, no_location=True)


def english() -> None:
    path, catalog = _load("en")
    for message in catalog:
        if not message.id:
            continue
        message.string = message.id
        message.flags.discard("fuzzy")
    _save(path, catalog)


def dutch(source: str) -> None:
    translations = json.loads(Path(source).read_text(encoding="utf-8"))
    path, catalog = _load("nl")
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in translations:
            value = translations[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
    _save(path, catalog)


def missing() -> None:
    _, catalog = _load("nl")
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and not all(strings):
            print(json.dumps(message.id[0] if isinstance(message.id, tuple) else message.id))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "english":
        english()
    elif command == "dutch" and len(sys.argv) == 3:
        dutch(sys.argv[2])
    elif command == "missing":
        missing()
    else:
        sys.exit(__doc__)
