"""two-step login secrets encrypted at rest

The column grows to hold a Fernet token (a 32-character secret becomes 140 characters; 255
leaves room for the longest secrets), and the secrets stored in plain text are encrypted
with the first key of PANEL_ENCRYPTION_KEY, so none stays readable after the upgrade. The
downgrade decrypts them again (the code before this revision reads plain text) and fails,
changing nothing, when a key is missing.

The keys come from the running app's configuration (migrations run inside the app, see
panel.migrations); they are read only when there is a secret to convert, so a new database
needs none.

Revision ID: e18a1a000002
Revises: e18a1a000001
Create Date: 2026-12-06 11:01:00
"""

import re

import sqlalchemy as sa
from alembic import op

revision = 'e18a1a000002'
down_revision = 'e18a1a000001'
branch_labels = None
depends_on = None

TOKEN_PREFIX = "gAAAAA"  # noqa: S105 - every Fernet token starts so, not a secret
PLAIN = re.compile(r"[A-Z2-7]{16,64}=*")  # a base32 secret

staff_user = sa.table("staff_user", sa.column("id", sa.Integer),
                      sa.column("totp_secret", sa.String))


def _box():  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet, MultiFernet
    from flask import current_app

    return MultiFernet([Fernet(key) for key in current_app.config["PANEL_ENCRYPTION_KEYS"]])


def _secrets(connection) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(row.id, row.totp_secret) for row in connection.execute(
        sa.select(staff_user.c.id, staff_user.c.totp_secret)
        .where(staff_user.c.totp_secret.is_not(None)))]


def _store(connection, user_id: int, value: str) -> None:  # type: ignore[no-untyped-def]
    connection.execute(staff_user.update().where(staff_user.c.id == user_id)
                       .values(totp_secret=value))


def upgrade() -> None:
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64),
                              type_=sa.String(length=255), existing_nullable=True)
    connection = op.get_bind()
    plain = [(user_id, value) for user_id, value in _secrets(connection)
             if PLAIN.fullmatch(value)]
    if plain:
        box = _box()
        for user_id, value in plain:
            _store(connection, user_id, box.encrypt(value.encode()).decode())


def downgrade() -> None:
    from cryptography.fernet import InvalidToken

    connection = op.get_bind()
    sealed = [(user_id, value) for user_id, value in _secrets(connection)
              if value.startswith(TOKEN_PREFIX)]
    if sealed:
        box = _box()
        unreadable = []
        for user_id, value in sealed:
            try:
                _store(connection, user_id, box.decrypt(value.encode()).decode())
            except InvalidToken:
                unreadable.append(user_id)
        if unreadable:
            raise RuntimeError(
                "no key in PANEL_ENCRYPTION_KEY decrypts the two-step login secret of staff "
                f"accounts {', '.join(map(str, unreadable))}: add the key, or turn two-step "
                "login off for them (reset-two-factor), before downgrading")
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255),
                              type_=sa.String(length=64), existing_nullable=True)
