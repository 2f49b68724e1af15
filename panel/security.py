"""Small security primitives shared by every domain: link tokens and safe redirects."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

TOKEN_BYTES = 32


def new_token() -> tuple[str, str]:
    """Return ``(token, token_hash)``: the opaque token for the link and the hash to store.

    Only the hash is kept in the database, so a copy of the database cannot be used to
    open anyone's links.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_safe_redirect(target: str | None) -> bool:
    """True for a local path on this site (``/beheer``), false for anything that leaves it."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def no_store(response):  # type: ignore[no-untyped-def]
    """Mark a response with personal data so that browsers and proxies do not keep it."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
