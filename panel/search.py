"""Finding people by what staff type: names, email addresses, phone numbers and postcodes,
compared without case, accents, spaces or punctuation, with the same results on SQLite and
PostgreSQL.

Databases compare text in their own ways (SQLite's ``lower()`` and ``LIKE`` know only the
letters A to Z; PostgreSQL's depend on its collation), so the comparing is done here, in
Python, once when a row is written: a row keeps its *search text*, every field folded by
``fold`` and joined by ``|``, and a query is folded the same way and looked for in it with
``LIKE '%…%'``. Folding:

- lower case by Unicode's case folding (``ß`` is ``ss``), then every accent dropped
  (``Çelik`` is ``celik``, ``Ünal`` is ``unal``, Turkish ``İlker`` is ``ilker``) and the
  letters that have no accent to drop written as in ASCII (Turkish dotless ``ı`` is ``i``,
  so ``Işık`` is ``isik``; ``ø`` is ``o``, ``æ`` is ``ae``, ``ł`` is ``l``, …);
- everything but letters, digits and ``@`` left out, spaces too: ``1234 ab`` finds
  postcode ``1234AB``, ``06-1234 5678`` finds ``06 12345678`` and ``de vries`` finds
  ``De Vries``; letters of other scripts (Arabic, Cyrillic, …) are kept as they are;
- a phone number typed in the international form, ``+31 6 1234 5678``, ``0031 6 …`` or
  ``+31 (0)6 …``, is looked for in the national form ``0612345678``.

A query of several words (``Çelik Ayşe``, ``Celik, Ayse``) finds the rows that hold every
word, in any order and in any of the fields (``query_words``); a phone number or a postcode
typed with spaces is one word. A query with nothing left to look for (``%``, ``--``) finds
nobody. ``|`` never survives folding, so a word cannot match across two fields. Changing
``fold`` changes what is stored: it needs a migration that calls ``recompute`` (see
``migrations/versions``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import Connection, TableClause, bindparam, select, update

SEPARATOR = "|"
# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({
    "ı": "i", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
    "ħ": "h", "ŧ": "t", "ŀ": "l", "ĸ": "k", "ŋ": "n", "ə": "e",
})
_PHONE = re.compile(r"\+?[0-9 ()./\-\u2013]+")
_KEPT = "@"
# What ``fold`` leaves out of lower-case ASCII text: all but letters, digits and ``_KEPT``.
_NOT_KEPT_ASCII = re.compile(f"[^0-9a-z{re.escape(_KEPT)}]+")


def fold(text: str | None) -> str:
    """``text`` as it is compared: case folded, without accents, spaces or punctuation
    (``"Hoff-Çelik"`` -> ``"hoffcelik"``, ``"1234 AB"`` -> ``"1234ab"``)."""
    if not text:
        return ""
    if text.isascii():  # the same outcome without the steps for accents and other scripts
        return _NOT_KEPT_ASCII.sub("", text.lower())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in plain.translate(_LETTERS) if ch.isalnum() or ch in _KEPT)


def national_phone(text: str | None) -> str:
    """The digits of a phone number, an international Dutch one (``+31``, ``0031``,
    ``+31 (0)``) in the national form: ``"+31 (0)6-1234 5678"`` -> ``"0612345678"``.
    ``""`` for text that is not a phone number."""
    raw = (text or "").strip()
    if not raw or not _PHONE.fullmatch(raw.replace("(0)", "")):
        return ""
    digits = re.sub(r"[^0-9]", "", raw.replace("(0)", ""))
    if raw.startswith("+") and digits.startswith("31"):
        return "0" + digits[2:]
    if digits.startswith("0031"):
        return "0" + digits[4:]
    return digits


def search_text(*fields: str | None) -> str:
    """The search text of a row with these fields (``""`` when they are all empty)."""
    folded = [fold(value) for value in fields]
    return SEPARATOR.join(folded) if any(folded) else ""


def member_search_text(name: str | None, email: str | None, phone: str | None,
                       postcode: str | None) -> str:
    """The search text of a panel member: name, email address, phone number (its digits,
    in the national form) and postcode."""
    return search_text(name, email, national_phone(phone) or phone, postcode)


def query_text(query: str) -> str:
    """What to look for in search texts when staff type ``query`` as one word: folded,
    and a phone number in the national form. ``""`` when nothing is left to look for."""
    return national_phone(query) or fold(query)


_POSTCODE = re.compile(r"\s*[0-9]{4}\s*[A-Za-z]{2}\s*")
_WORD_BREAKS = re.compile(r"[\s,;]+")
MAX_WORDS = 5  # more words are joined into the last one (a statement per number of words)


def query_words(query: str) -> list[str]:
    """What to look for when staff type ``query``: each word folded (``query_text``), in
    the order typed, without repeats; a row matches when its search text holds them all.
    A phone number or a postcode is one word, whatever its spaces. ``[]`` when nothing is
    left to look for."""
    if national_phone(query) or _POSTCODE.fullmatch(query):
        words = [query]
    else:
        words = _WORD_BREAKS.split(query.strip())
        if len(words) > MAX_WORDS:
            words = [*words[:MAX_WORDS - 1], "".join(words[MAX_WORDS - 1:])]
    folded = [query_text(word) for word in words]
    return list(dict.fromkeys(word for word in folded if word))


def recompute(connection: Connection, table: TableClause, columns: Iterable[str],
              batch: int = 1000) -> int:
    """Write the search text of every row of ``table`` from ``columns`` (in the order
    ``member_search_text`` takes them), ``batch`` rows at a time, going up by id: for the
    migration that adds the column or changes the folding. Returns the rows written."""
    names = list(columns)
    written, last = 0, 0
    change = update(table).where(table.c.id == bindparam("row_id")) \
        .values(search_text=bindparam("text"))
    while True:
        rows = connection.execute(
            select(table.c.id, *(table.c[name] for name in names))
            .where(table.c.id > last).order_by(table.c.id).limit(batch)).all()
        if not rows:
            return written
        connection.execute(change, [{"row_id": row[0], "text": member_search_text(*row[1:])}
                                    for row in rows])
        written += len(rows)
        last = rows[-1][0]
