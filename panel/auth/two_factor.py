"""Two-step login for staff: time-based codes (TOTP, RFC 6238) and one-time recovery codes.

A code is accepted once: the time step of the last accepted code is stored on the account
(``totp_last_step``) and a code for the same or an earlier step is refused, so a code seen
over someone's shoulder cannot be used again. Recovery codes are stored hashed and are
claimed with a conditional update, so two submissions of the same code cannot both pass.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time

import pyotp
import segno
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from panel.auth.models import RecoveryCode, User
from panel.auth.permissions import may_administer, require
from panel.auth.services import (
    bump_session_version,
    get_user,
    is_locked,
    normalise_email,
    record_failed_login,
)
from panel.db import db, utcnow
from panel.errors import DomainError
from panel.security import hash_token

ISSUER = "Wijkpanel"
VALID_WINDOW = 1  # also accept the code of the step before and after (clocks drift)
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
# No 0/o, 1/l/i: easy to copy from paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
WRONG_CODE = _l("This code is not correct. Check the code in your app and try again.")


def has_two_factor(user: User) -> bool:
    """True when ``user`` has finished setting up two-step login."""
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]+", "", code or "").lower()


def is_app_code(code: str) -> bool:
    """True for a 6-digit code from an app; anything else is tried as a recovery code."""
    return re.fullmatch(r"\d{6}", _normalise(code)) is not None


def start_enrolment(user: User) -> str:
    """Give ``user`` a new secret to set up two-step login, or keep the one not yet
    confirmed (so a reload shows the same QR code). Returns the secret (base32).

    Raises DomainError when two-step login is already on.
    """
    if has_two_factor(user):
        raise DomainError(_l("Two-step login is already on."))
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        db.session.flush()
    return user.totp_secret


def provisioning_uri(user: User, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` address that authenticator apps read from the QR code."""
    if not user.totp_secret:
        raise DomainError(_l("Two-step login is not being set up."))
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code_svg(uri: str, title: str) -> str:
    """The QR code for ``uri`` as an inline SVG element (no style or script), with ``title``
    as its text alternative."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, title=title, svgclass="wp-qr",
                                                dark="#000", light="#fff")
    return svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step of the newest step within the window whose code equals ``code``."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current + VALID_WINDOW, current - VALID_WINDOW - 1, -1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(user: User, step: int) -> bool:
    """Store ``step`` as the last used one, only if it is newer than the stored one. A
    conditional update, so that two requests with the same code cannot both pass."""
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id,
               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(user, ["totp_last_step"])
    return claimed == 1


def _check_app_code(user: User, code: str, now: float | None) -> bool:
    if not user.totp_secret or not is_app_code(code):
        return False
    step = _matching_step(user.totp_secret, _normalise(code),
                          time.time() if now is None else now)
    return step is not None and _claim_step(user, step)


def _use_recovery_code(user: User, code: str) -> bool:
    normalised = _normalise(code)
    if len(normalised) != RECOVERY_CODE_LENGTH or not normalised.isalnum():
        return False
    claimed = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id,
               RecoveryCode.code_hash == hash_token(normalised),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def verify_login_code(user: User, code: str, now: float | None = None) -> bool:
    """Check the second step of signing in: a code from the app or an unused recovery code.

    Returns False for a wrong, replayed or used code and for a locked account (without
    using up the code); a wrong code counts toward the lockout. The caller commits.
    """
    if not has_two_factor(user) or not user.active or is_locked(user):
        return False
    ok = _check_app_code(user, code, now) if is_app_code(code) \
        else _use_recovery_code(user, code)
    if not ok:
        record_failed_login(user)
    return ok


def _format_recovery_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def replace_recovery_codes(user: User) -> list[str]:
    """Make RECOVERY_CODE_COUNT new recovery codes for ``user``; earlier ones stop working.

    Returns the codes to show once (only their hashes are stored).
    """
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
             for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_token(code))
                       for code in codes)
    db.session.flush()
    return [_format_recovery_code(code) for code in codes]


def unused_recovery_codes(user: User) -> int:
    """How many recovery codes ``user`` has left."""
    return db.session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ) or 0


def confirm_enrolment(user: User, code: str, now: float | None = None) -> list[str]:
    """Turn two-step login on after the user typed a first code from the app.

    Every other session of the account ends. Returns the new recovery codes (to show once).
    Raises DomainError when the code is wrong or two-step login is already on; nothing is
    changed then.
    """
    if has_two_factor(user):
        raise DomainError(_l("Two-step login is already on."))
    if not user.totp_secret or not _check_app_code(user, code, now):
        raise DomainError(WRONG_CODE)
    user.totp_enabled_at = utcnow()
    bump_session_version(user)
    return replace_recovery_codes(user)


def disable(user: User, required: bool) -> None:
    """Turn two-step login off for ``user`` (the view has checked the password). Every
    other session of the account ends.

    Raises DomainError when two-step login is ``required`` (production).
    """
    if required:
        raise DomainError(_l("Two-step login is required for every staff account. You cannot "
                             "turn it off."))
    _remove(user)


def _remove(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    bump_session_version(user)
    db.session.flush()


def reset_for(actor: User, user_id: int) -> User:
    """An admin turns two-step login off for someone who lost their phone and recovery
    codes. Their sessions end; where two-step login is required, they set it up again at
    their next sign-in. Raises DomainError for one's own account."""
    require(may_administer(actor))
    user = get_user(actor, user_id)
    if user.id == actor.id:
        raise DomainError(_l("Use the page Two-step login to change your own settings."))
    _remove(user)
    return user


def reset_by_email(email: str) -> User:
    """The command line turns two-step login off for an account (see ``reset_for``).
    Raises DomainError when there is no such account."""
    user = db.session.scalars(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise DomainError(_l("There is no account with this email address."))
    _remove(user)
    return user
