"""Rate limits: what each limit counts, what it counts by, and how long a refused visitor
must wait.

Many people share one IP address (a care home, a library, a household, a mobile network
behind carrier NAT), so a limit counts by what the request is about wherever it names
something: the personal link, the email address typed, the staff account, the member whose
page is open. A (much looser) limit per address is kept only where guessing or spraying is
the threat, and there it counts failed attempts only.

The keys never hold a link's token, an email address or an IP address: each is an HMAC
with the app's secret key, so neither the shared storage (``PANEL_RATELIMIT_STORAGE_URL``)
nor flask-limiter's log line ("ratelimit … (key) exceeded") holds personal data.

Used as ``@limiter.limit(limits.PER_LINK, key_func=limits.by_link())``; the 429 page
(``panel.errors``) states ``stated_wait(seconds_until_allowed(…))``, the same number it
sends in ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email
from flask import current_app, request, session
from flask_limiter import Limiter, RateLimitExceeded
from flask_login import current_user
from werkzeug.wrappers import Response

# --- the limits ---------------------------------------------------------------------------

# A personal link (meeting reply, confirmation, staff password link) or the member whose
# page is open: one person clicks a few times; a link tried again and again is refused.
PER_LINK = "10 per minute; 30 per hour"
PER_MEMBER = PER_LINK
# Joining and asking for a link to one's own page, per email address typed: people of one
# household may share an address, so a few per hour (each request can send mail to it).
# Only accepted forms count (``accepted``): a form sent back with errors sends nothing.
PER_EMAIL = "5 per hour; 20 per day"
# The same forms from one IP address, whatever the email: loose, for a library or a care
# home where many people join in one afternoon.
PER_ADDRESS = "60 per hour"
# The forgotten-password form, per email address typed: one person needs a link or two;
# each request sends an email to that address, also when it has no account.
STAFF_LINKS_PER_EMAIL = "3 per hour; 10 per day"
# Staff: signing in (per email typed), the login code and confirming the password (per
# account). The account lockout after a few wrong passwords or codes comes on top.
PER_ACCOUNT = "10 per minute; 50 per hour"
# Failed sign-ins and codes from one address, any account: slows a password spray but an
# office behind one address does not notice a colleague's typos. Successes do not count.
FAILED_SIGN_INS_PER_ADDRESS = "30 per minute; 100 per hour"
# Wrong letter codes from one address: codes can be guessed, so per address, but only the
# wrong ones count (a library full of residents typing their right codes is never stopped).
WRONG_CODES_PER_ADDRESS = "10 per minute; 100 per hour"
# Things a resident raises on their own page.
FEEDBACK_PER_MEMBER = "10 per hour"


# --- what a limit counts by ---------------------------------------------------------------

def _digest(kind: str, value: object) -> str:
    secret = current_app.secret_key or ""
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    mac = hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{mac[:32]}"


def client_address() -> str:
    """The client's IP address as the limits see it: an IPv6 address by its /64 network
    (one household or phone gets a whole /64, and could otherwise pick a new address for
    every try)."""
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def by_address() -> str:
    """The client's address (hashed)."""
    return _digest("address", client_address())


def by_link(argument: str = "token") -> Callable[[], str]:
    """The personal link in the URL (``argument``, the token): hashed, never kept as is."""

    def key() -> str:
        return _digest("link", (request.view_args or {}).get(argument, ""))

    return key


def normalised_email(typed: str) -> str:
    """The email address as the app compares them (stripped, lowercased); what is not a
    valid address is only stripped and lowercased."""
    try:
        return validate_email(typed.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return typed.strip().lower()


def by_email(field: str = "email") -> Callable[[], str]:
    """The email address typed in the form's ``field`` (normalised, hashed); without one,
    the address."""

    def key() -> str:
        email = normalised_email(request.form.get(field, ""))
        return _digest("email", email) if email else _digest("no-email", client_address())

    return key


def by_member(session_key: str) -> Callable[[], str]:
    """The member whose page is open in this browser (the id under ``session_key``);
    without one, the address."""

    def key() -> str:
        member_id = session.get(session_key)
        if member_id is None:
            return by_address()
        return _digest("member", member_id)

    return key


def by_staff_account(pending_key: str) -> Callable[[], str]:
    """The signed-in staff account, else the account that typed its password and still
    has to pass the login code (``session[pending_key]["user"]``), else the address."""

    def key() -> str:
        if current_user.is_authenticated:
            return _digest("account", current_user.get_id())
        pending = session.get(pending_key)
        if isinstance(pending, dict) and pending.get("user") is not None:
            return _digest("account", pending["user"])
        return by_address()

    return key


def failed(response: Response) -> bool:
    """Whether an attempt failed (for ``deduct_when``): the form came back or the code was
    wrong, rather than the request moving on with a redirect. A refusal by the limit
    itself (429) is not counted again."""
    status = response.status_code
    return status != 429 and not 300 <= status < 400


def accepted(response: Response) -> bool:
    """Whether a form was accepted (for ``deduct_when``): the request moved on with a
    redirect. A form that came back with errors sent nothing and does not count, so a
    resident who corrects a few typos is never refused."""
    return 300 <= response.status_code < 400


# --- how long to wait ---------------------------------------------------------------------

def seconds_until_allowed(limiter: Limiter, error: RateLimitExceeded,
                          now: float | None = None) -> float:
    """How long until the refused request would pass every limit of its route: the latest
    end of a window among the limits that are used up. flask-limiter stops at the first
    limit that is exceeded, so the others of the route are read here as well (a retry
    after the minute's window would otherwise meet the hour's).

    The time is read after the windows: a storage that tells the time left (Redis: its TTL
    in whole seconds, from the moment it is asked) then gives a window that has just begun
    as a whole minute or hour, not a fraction of a second more, which ``stated_wait``
    would round up to the next minute or hour."""
    endpoint = request.endpoint or ""
    defaults, decorated = limiter.limit_manager.resolve_limits(
        current_app, endpoint, request.blueprint)
    ends = []
    for limit in (*defaults, *decorated):
        if limit.is_exempt or limit.method_exempt:
            continue
        key = limit.key_func()
        if not key:
            continue
        window = limiter.limiter.get_window_stats(
            limit.limit, key, limit.scope_for(endpoint, request.method))
        if window.remaining < limit.deduction_amount:
            ends.append(window.reset_time)
    if not ends:  # the windows ended in the meantime: the whole window of the refusing limit
        return float(error.limit.limit.get_expiry())
    return max(ends) - (time.time() if now is None else now)


def stated_wait(seconds: float) -> int:
    """The wait to state and to send as ``Retry-After``, rounded up so that it never
    promises less than the limits need: whole seconds under a minute, whole minutes up to
    an hour, whole hours up to a day, whole days beyond."""
    wait = max(1, math.ceil(seconds))
    for unit, up_to in ((1, 59), (60, 3600), (3600, 86400)):
        if wait <= up_to:
            return math.ceil(wait / unit) * unit
    return math.ceil(wait / 86400) * 86400
