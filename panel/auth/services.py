"""Staff accounts: creating them, one-time password links, signing in, roles and areas."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from panel.areas.models import Area
from panel.auth import staff_sessions
from panel.auth.models import PasswordLink, Role, User
from panel.auth.permissions import (
    grants_administration,
    may_administer,
    may_assign_areas,
    require,
)
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.mail import services as mail
from panel.security import hash_token, new_token
from panel.urls import absolute_url

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
MAX_FAILED_LOGINS = 5  # wrong passwords or codes in a row before the account is locked
LOCK_MINUTES = 15
# Words every guesser tries first for this site; checked like the user's own name.
_SITE_WORDS = ("wijkpanel",)
COMMON_PASSWORD = _l("This password is used by many people, so it is easy to guess. Choose "
                     "another one, for example a sentence of a few words.")
PERSONAL_PASSWORD = _l("Do not use your name or email address in your password.")
# A link from the forgotten-password page: short, since anyone can ask for one.
FORGOTTEN_PASSWORD_HOURS = 2
LINK_GONE = _l("This link no longer works. It was already used or it has expired. Ask an "
               "administrator for a new link.")
# Compared against when the email is unknown, so both paths cost one slow hash.
_DUMMY_HASH = generate_password_hash("wijkpanel-timing-equaliser")


def normalise_email(email: str) -> str:
    """Return the email in canonical form. Raises DomainError when it is not a valid address."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise DomainError(_l("This is not a valid email address.")) from exc


def _areas_by_code(codes: Iterable[str]) -> list[Area]:
    wanted = sorted({c.strip().lower() for c in codes if c.strip()})
    found = list(db.session.scalars(select(Area).where(Area.code.in_(wanted))))
    unknown = set(wanted) - {a.code for a in found}
    if unknown:
        raise DomainError(_l("Unknown gebied: %(codes)s.", codes=", ".join(sorted(unknown))))
    return found


def _check_role_areas(role: str, areas: list[Area]) -> Role:
    try:
        checked = Role(role)
    except ValueError as exc:
        raise DomainError(_l("Unknown role.")) from exc
    if may_assign_areas(checked) and not areas:
        raise DomainError(_l("A team member needs at least one gebied."))
    return checked


def create_user(actor: User | None, email: str, role: str, area_codes: Iterable[str] = (),
                name: str = "", link_hours: int = 48) -> tuple[User, str]:
    """Create a staff account without a password and a one-time link to set it.

    ``actor`` is the admin doing it, or None for the command line. Returns the user and the
    link token. Raises DomainError for an invalid or taken email, an unknown role or gebied.
    """
    if actor is not None:
        require(may_administer(actor))
    email = normalise_email(email)
    areas = _areas_by_code(area_codes)
    checked_role = _check_role_areas(role, areas)
    if db.session.scalars(select(User).where(User.email == email)).first() is not None:
        raise DomainError(_l("There is already an account with this email address."))
    user = User(email=email, name=name.strip(), role=checked_role.value,
                areas=areas if may_assign_areas(checked_role) else [])
    db.session.add(user)
    db.session.flush()
    return user, issue_password_link(user, link_hours)


def issue_password_link(user: User, hours: int = 48) -> str:
    """Make a new one-time link for ``user`` to set a password; earlier unused links stop
    working. Returns the token (only its hash is stored)."""
    now = utcnow()
    db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
    )
    token, token_hash = new_token()
    db.session.add(PasswordLink(user_id=user.id, token_hash=token_hash,
                                expires_at=now + timedelta(hours=hours)))
    db.session.flush()
    return token


def request_password_link(email: str, language: str,
                          hours: int = FORGOTTEN_PASSWORD_HOURS) -> User | None:
    """Forgotten password: email a new one-time set-password link (working ``hours``) to
    the active account with this address, in ``language``; earlier unused links stop
    working. Returns that account, or None.

    Any other address (unknown, or an account that may not sign in) gets one short email
    that there is no account for it. The view calls this after its response
    (``panel.later``), so neither the page nor its timing tells whether an address has an
    account (README, privacy and security); the limits per email address and per IP
    address keep the form from being used to send mail.
    Raises DomainError for an address that is not valid (it cannot be an account's).
    """
    address = normalise_email(email)
    user = db.session.scalars(select(User).where(User.email == address)).first()
    if user is None or not user.active:
        mail.queue(address, _l("No staff account for this email address"),
                   "no_staff_account", {},
                   language=language)
        return None
    token = issue_password_link(user, hours)
    mail.queue(user.email, _l("Set a new password"), "password_link",
               {"user": user, "link": absolute_url("auth.set_password", token=token),
                "hours": hours}, language=language)
    return user


def reset_password_link(actor: User, user_id: int, hours: int = 48) -> str:
    """An admin makes a new set-password link for an account. Returns the token."""
    require(may_administer(actor))
    return issue_password_link(get_user(actor, user_id), hours)


def _valid_link(token: str) -> PasswordLink:
    link = db.session.scalars(
        select(PasswordLink).where(PasswordLink.token_hash == hash_token(token))
    ).first()
    if link is None or link.used_at is not None or link.expires_at <= utcnow() \
            or not link.user.active:
        raise DomainError(LINK_GONE)
    return link


def check_password_link(token: str) -> User:
    """The account a set-password link belongs to. Raises DomainError when used or expired."""
    return _valid_link(token).user


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (zxcvbn's list), in lower case. Loaded once."""
    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _letters_and_digits(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _personal_words(email: str, name: str) -> set[str]:
    """Parts of the account's email address and name that a guesser would try."""
    local = email.split("@", 1)[0]
    words = {_letters_and_digits(local), _letters_and_digits(name), *_SITE_WORDS}
    words.update(_letters_and_digits(part) for part in re.split(r"[\s._+-]+", f"{local} {name}"))
    return {word for word in words if len(word) >= 4}


def is_common_password(password: str) -> bool:
    """True when ``password`` (ignoring case, spaces, and digits or signs around it) is on
    the list of common passwords."""
    lowered = password.strip().casefold()
    candidates = {lowered, re.sub(r"\s+", "", lowered),
                  re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lowered)}
    common = _common_passwords()
    return any(candidate in common for candidate in candidates if candidate)


def check_password_rules(password: str, email: str = "", name: str = "") -> None:
    """Raises DomainError when ``password`` is too short or too long, is a common password,
    or contains the account's own email address or name. There are no composition rules
    (no required digits or signs): length is what makes a password strong."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(_l("Use at most %(n)s characters.", n=MAX_PASSWORD_LENGTH))
    if is_common_password(password):
        raise DomainError(COMMON_PASSWORD)
    flat = _letters_and_digits(password)
    if any(word in flat for word in _personal_words(email, name)):
        raise DomainError(PERSONAL_PASSWORD)


def _new_password(user: User, password: str) -> None:
    """Store a new password hash and end every session of ``user`` (see sessions.py)."""
    check_password_rules(password, user.email, user.name)
    user.password_hash = generate_password_hash(password)
    user.password_changed_at = utcnow()
    bump_session_version(user, staff_sessions.Reason.PASSWORD)


def bump_session_version(user: User,
                         reason: staff_sessions.Reason = staff_sessions.Reason.TWO_STEP) -> None:
    """End every session of ``user`` on the server (``staff_sessions.end_all``, for
    ``reason``: a change of two-step login unless said otherwise), and every login of the
    account halfway through its second step (it carries the older version number).

    The number is raised in SQL (``+ 1``), so two changes at the same time both count.
    """
    staff_sessions.end_all(user, reason)
    db.session.execute(
        update(User).where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["session_version"])


def set_password(token: str, password: str) -> User:
    """Set the password through a one-time link and use the link up.

    The link is claimed with a conditional update, so two submissions of the same link
    (a double click) cannot both succeed. Raises DomainError.
    """
    link = _valid_link(token)
    check_password_rules(password, link.user.email, link.user.name)
    claimed = db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise DomainError(LINK_GONE)
    _new_password(link.user, password)
    db.session.flush()
    return link.user


def is_locked(user: User, now: datetime | None = None) -> bool:
    """True while ``user`` is locked after too many failed attempts."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def record_failed_login(user: User) -> bool:
    """Count one wrong password or code for ``user``. After MAX_FAILED_LOGINS in a row the
    account is locked for LOCK_MINUTES. Returns True when the account is locked now.

    Counted in SQL, so attempts made at the same moment are all counted. The caller commits,
    also when the request otherwise fails.
    """
    db.session.execute(
        update(User).where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(User).where(User.id == user.id, User.failed_logins >= MAX_FAILED_LOGINS)
        .values(failed_logins=0, locked_until=utcnow() + timedelta(minutes=LOCK_MINUTES))
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["failed_logins", "locked_until"])
    return is_locked(user)


def record_login(user: User) -> None:
    """The user passed every step of signing in: forget earlier failed attempts."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    db.session.flush()


def authenticate(email: str, password: str) -> User | None:
    """The active, unlocked account for these credentials, or None.

    Takes the same time whether or not the email is known, and never says which part was
    wrong or that the account is locked. A wrong password counts toward the lockout (the
    caller commits). A right password alone does not reset the count: that happens in
    ``record_login`` once the second step has passed too.
    """
    try:
        email = normalise_email(email)
    except DomainError:
        email = ""
    user = db.session.scalars(select(User).where(User.email == email)).first() if email else None
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    password_ok = check_password_hash(user.password_hash, password)
    if not user.active or is_locked(user):
        return None
    if not password_ok:
        record_failed_login(user)
        return None
    return user


def confirm_password(user: User, password: str) -> bool:
    """Check the password of a signed-in user again (before a sensitive action).

    A wrong password counts toward the lockout (the caller commits); a locked account is
    always refused. A right one resets the count.
    """
    password_ok = bool(user.password_hash) and check_password_hash(user.password_hash or "",
                                                                    password)
    if not user.active or is_locked(user):
        return False
    if not password_ok:
        record_failed_login(user)
        return False
    user.failed_logins = 0
    db.session.flush()
    return True


def change_password(user: User, password: str) -> None:
    """Set a new password for ``user`` (the view has checked the current one). Every other
    session of the account ends. Raises DomainError when the password breaks the rules."""
    _new_password(user, password)
    db.session.flush()


def list_users(actor: User) -> list[User]:
    """All staff accounts. Admin only."""
    require(may_administer(actor))
    return list(db.session.scalars(select(User).order_by(User.email)))


def get_user(actor: User, user_id: int) -> User:
    """One staff account. Admin only. Raises NotFound."""
    require(may_administer(actor))
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def update_user(actor: User, user_id: int, name: str, role: str,
                area_codes: Iterable[str], active: bool) -> User:
    """Change an account's name, role, gebieden and whether it may sign in. Admin only.

    An admin cannot lock themselves out (remove their own admin role or deactivate
    themselves). Blocking an account or changing its role ends every session of it (a
    change of gebieden does not: they are read on every request). Raises DomainError.
    """
    require(may_administer(actor))
    user = get_user(actor, user_id)
    areas = _areas_by_code(area_codes)
    checked_role = _check_role_areas(role, areas)
    if user.id == actor.id and (not grants_administration(checked_role) or not active):
        raise DomainError(_l("You cannot remove your own administrator rights."))
    if user.active and not active:
        bump_session_version(user, staff_sessions.Reason.BLOCKED)
    elif user.role != checked_role.value:
        bump_session_version(user, staff_sessions.Reason.ROLE)
    user.name = name.strip()
    user.role = checked_role.value
    user.areas = areas if may_assign_areas(checked_role) else []
    user.active = active
    db.session.flush()
    return user
