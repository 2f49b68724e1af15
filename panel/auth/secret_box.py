"""Secrets kept encrypted at rest: the two-step login secrets of staff accounts.

The encryption is Fernet (AES-128-CBC with an HMAC-SHA256, from the well-kept
``cryptography`` package); nothing cryptographic is written here. ``PANEL_ENCRYPTION_KEY``
holds one or more Fernet keys, comma-separated (``PANEL_ENCRYPTION_KEYS`` in the
configuration, see ``panel.config``): the first key encrypts, every key decrypts
(``MultiFernet``). A key is replaced by putting a new key first, restarting, running
``flask --app app rotate-encryption-key`` (which encrypts every secret with the first key)
and then removing the old key.

A value stored before secrets were encrypted (a base32 secret) is still read, with a
warning in the log, so an account keeps working until the migration or the command
encrypts it. A value that no key opens raises ``SecretUnreadable``: the log names the
account (by id) and the setting to check, never the value.
"""

from __future__ import annotations

import enum
import logging
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import ServiceUnavailable

from panel.errors import DomainError

log = logging.getLogger(__name__)

# Every Fernet token starts so: the version byte 0x80 and a timestamp below 2**32 seconds.
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 - the format's fixed start, not a secret
# A secret stored in plain text before encryption came: base32, as authenticator apps use.
_PLAIN = re.compile(r"[A-Z2-7]{16,64}=*")


class SecretUnreadable(DomainError, ServiceUnavailable):
    """A stored secret that none of the configured keys opens (a key missing from
    ``PANEL_ENCRYPTION_KEY``, or a damaged value).

    A ``DomainError``, so a view's ``outcome`` shows its message; where no ``outcome`` is
    around, it is also an HTTP 503, so the error page says "try again later" with a
    reference instead of a 500 with a traceback.
    """

    def __init__(self) -> None:
        super().__init__(_l("Two-step login does not work at the moment. Please tell the "
                            "administrator."))


class Resealed(enum.Enum):
    """What ``reseal`` did with a stored value."""

    CURRENT = "current"  # already encrypted with the first key: left as it is
    ROTATED = "rotated"  # encrypted with another key: now with the first
    ENCRYPTED = "encrypted"  # stored in plain text: now encrypted


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[Fernet, MultiFernet]:
    fernets = [Fernet(key) for key in keys]
    return fernets[0], MultiFernet(fernets)


def _keys() -> tuple[str, ...]:
    return tuple(current_app.config["PANEL_ENCRYPTION_KEYS"])


def new_key() -> str:
    """A new random Fernet key (44 characters) for ``PANEL_ENCRYPTION_KEY``."""
    return Fernet.generate_key().decode("ascii")


def seal(plain: str) -> str:
    """``plain`` encrypted with the first key, as text for the database."""
    return _fernets(_keys())[1].encrypt(plain.encode("utf-8")).decode("ascii")


def is_sealed(stored: str) -> bool:
    """True when ``stored`` is a Fernet token (whether or not a key opens it)."""
    return stored.startswith(TOKEN_PREFIX)


def is_plain(stored: str) -> bool:
    """True when ``stored`` is a secret kept in plain text from before encryption."""
    return _PLAIN.fullmatch(stored) is not None


def _unreadable(owner: str) -> SecretUnreadable:
    log.error("the stored secret of %s cannot be decrypted: no key in PANEL_ENCRYPTION_KEY "
              "opens it (add the key it was encrypted with)", owner)
    return SecretUnreadable()


def reveal(stored: str, owner: str) -> str:
    """The secret in ``stored`` (``owner`` names its row in the log, e.g. ``staff account
    12``). Raises SecretUnreadable when no key opens it."""
    if is_sealed(stored):
        try:
            return _fernets(_keys())[1].decrypt(stored.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise _unreadable(owner) from None
    if is_plain(stored):
        log.warning("the secret of %s is stored without encryption: run "
                    "'flask --app app rotate-encryption-key'", owner)
        return stored
    raise _unreadable(owner)


def reseal(stored: str, owner: str) -> tuple[str, Resealed]:
    """``stored`` as it should be stored now: encrypted with the first key. Returns the
    value to store and what was done. Raises SecretUnreadable when no key opens it."""
    first, every = _fernets(_keys())
    if is_plain(stored):
        return seal(stored), Resealed.ENCRYPTED
    if not is_sealed(stored):
        raise _unreadable(owner)
    try:
        first.decrypt(stored.encode("ascii"))
        return stored, Resealed.CURRENT
    except InvalidToken:
        pass
    try:
        return every.rotate(stored.encode("ascii")).decode("ascii"), Resealed.ROTATED
    except InvalidToken:
        raise _unreadable(owner) from None
