"""the figures withheld to protect small ones, stored with the results

Revision ID: e18a1a000005
Revises: e18a1a000004
Create Date: 2026-12-06 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'e18a1a000005'
down_revision = 'e18a1a000004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows are "not worked out" (protected_for NULL): pages work the outcome out
    # themselves until `flask protect-results` (or the next import, or the jobs timer)
    # stores it.
    with op.batch_alter_table('result') as batch:
        batch.add_column(sa.Column('withheld', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('protected_for', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('result') as batch:
        batch.drop_column('protected_for')
        batch.drop_column('withheld')
