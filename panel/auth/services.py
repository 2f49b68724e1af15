"""Staff accounts: creating them, one-time password links, signing in, roles and areas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from panel.areas.models import Area
from panel.auth.models import PasswordLink, Role, User
from panel.auth.permissions import require_role
from panel.db import db, utcnow
from panel.errors import DomainError, NotFound
from panel.security import hash_token, new_token

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
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
    if checked == Role.TEAM and not areas:
        raise DomainError(_l("A team member needs at least one gebied."))
    return checked


def create_user(actor: User | None, email: str, role: str, area_codes: Iterable[str] = (),
                name: str = "", link_hours: int = 48) -> tuple[User, str]:
    """Create a staff account without a password and a one-time link to set it.

    ``actor`` is the admin doing it, or None for the command line. Returns the user and the
    link token. Raises DomainError for an invalid or taken email, an unknown role or gebied.
    """
    if actor is not None:
        require_role(actor, Role.ADMIN)
    email = normalise_email(email)
    areas = _areas_by_code(area_codes)
    checked_role = _check_role_areas(role, areas)
    if db.session.scalars(select(User).where(User.email == email)).first() is not None:
        raise DomainError(_l("There is already an account with this email address."))
    user = User(email=email, name=name.strip(), role=checked_role.value,
                areas=areas if checked_role == Role.TEAM else [])
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


def reset_password_link(actor: User, user_id: int, hours: int = 48) -> str:
    """An admin makes a new set-password link for an account. Returns the token."""
    require_role(actor, Role.ADMIN)
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


def check_password_rules(password: str) -> None:
    """Raises DomainError when ``password`` is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(_l("Use at most %(n)s characters.", n=MAX_PASSWORD_LENGTH))


def set_password(token: str, password: str) -> User:
    """Set the password through a one-time link and use the link up.

    The link is claimed with a conditional update, so two submissions of the same link
    (a double click) cannot both succeed. Raises DomainError.
    """
    link = _valid_link(token)
    check_password_rules(password)
    claimed = db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise DomainError(LINK_GONE)
    link.user.password_hash = generate_password_hash(password)
    db.session.flush()
    return link.user


def authenticate(email: str, password: str) -> User | None:
    """The active account for these credentials, or None. Takes the same time whether or not
    the email is known, and never says which part was wrong."""
    try:
        email = normalise_email(email)
    except DomainError:
        email = ""
    user = db.session.scalars(select(User).where(User.email == email)).first() if email else None
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def list_users(actor: User) -> list[User]:
    """All staff accounts. Admin only."""
    require_role(actor, Role.ADMIN)
    return list(db.session.scalars(select(User).order_by(User.email)))


def get_user(actor: User, user_id: int) -> User:
    """One staff account. Admin only. Raises NotFound."""
    require_role(actor, Role.ADMIN)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def update_user(actor: User, user_id: int, name: str, role: str,
                area_codes: Iterable[str], active: bool) -> User:
    """Change an account's name, role, gebieden and whether it may sign in. Admin only.

    An admin cannot lock themselves out (remove their own admin role or deactivate
    themselves). Raises DomainError.
    """
    require_role(actor, Role.ADMIN)
    user = get_user(actor, user_id)
    areas = _areas_by_code(area_codes)
    checked_role = _check_role_areas(role, areas)
    if user.id == actor.id and (checked_role != Role.ADMIN or not active):
        raise DomainError(_l("You cannot remove your own administrator rights."))
    user.name = name.strip()
    user.role = checked_role.value
    user.areas = areas if checked_role == Role.TEAM else []
    user.active = active
    db.session.flush()
    return user
