"""Two-step login for staff: time-based codes (TOTP, RFC 6238) and one-time recovery codes.

A code is accepted once: the time step of the last accepted code is stored on the account
(``totp_last_step``) and a code for the same or an earlier step is refused, so a code seen
over someone's shoulder cannot be used again. Recovery codes are stored hashed and are
claimed with a conditional update, so two submissions of the same code cannot both pass.

The secret is stored encrypted (``panel.auth.secret_box``): ``User.totp_secret`` holds a
Fernet token and only this module opens it. ``reseal_secrets`` encrypts every secret with
the first key of ``PANEL_ENCRYPTION_KEY`` (the command ``rotate-encryption-key``).
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass, field

import pyotp
import segno
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from panel.auth import secret_box
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


def _secret(user: User) -> str | None:
    """The user's secret (base32), decrypted. Raises secret_box.SecretUnreadable when no
    key opens it."""
    if not user.totp_secret:
        return None
    return secret_box.reveal(user.totp_secret, f"staff account {user.id}")


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
    secret = _secret(user)
    if secret is None:
        secret = pyotp.random_base32()
        user.totp_secret = secret_box.seal(secret)
        db.session.flush()
    return secret


def provisioning_uri(user: User, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` address that authenticator apps read from the QR code."""
    secret = _secret(user)
    if secret is None:
        raise DomainError(_l("Two-step login is not being set up."))
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


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
    secret = _secret(user) if is_app_code(code) else None
    if secret is None:
        return False
    step = _matching_step(secret, _normalise(code), time.time() if now is None else now)
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
    Raises secret_box.SecretUnreadable (an HTTP 503 outside ``outcome``) when the stored
    secret cannot be decrypted; that does not count toward the lockout.
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


@dataclass
class Resealing:
    """What ``reseal_secrets`` did: how many secrets were encrypted with another key
    (``rotated``), were still in plain text (``encrypted``), were already encrypted with
    the first key (``current``), and the ids of the accounts whose secret no key opens."""

    rotated: int = 0
    encrypted: int = 0
    current: int = 0
    unreadable: list[int] = field(default_factory=list)


def reseal_secrets() -> Resealing:
    """Encrypt every stored two-step login secret with the first key of
    ``PANEL_ENCRYPTION_KEY``, and every secret still in plain text. The caller commits (or
    rolls back for a dry run).

    Each row is written with a conditional update on its old value, so a secret that a
    running app changes meanwhile (a new enrolment) is left as the app wrote it.
    """
    done = Resealing()
    rows = db.session.execute(
        select(User.id, User.totp_secret).where(User.totp_secret.is_not(None))
        .order_by(User.id)
    ).all()
    for user_id, stored in rows:
        try:
            value, what = secret_box.reseal(stored, f"staff account {user_id}")
        except secret_box.SecretUnreadable:
            done.unreadable.append(user_id)
            continue
        if what is secret_box.Resealed.CURRENT:
            done.current += 1
            continue
        written = db.session.execute(
            update(User).where(User.id == user_id, User.totp_secret == stored)
            .values(totp_secret=value).execution_options(synchronize_session=False)
        ).rowcount
        if written != 1:
            continue
        if what is secret_box.Resealed.ROTATED:
            done.rotated += 1
        else:
            done.encrypted += 1
    db.session.expire_all()
    return done
