"""the municipality's logo for the page header

Revision ID: d17a1a000001
Revises: d16a00000004
Create Date: 2026-12-06 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'd17a1a000001'
down_revision = 'd16a00000004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A checked PNG or sanitised SVG (panel.areas.logo), served at /logo.
    with op.batch_alter_table('municipality') as batch:
        batch.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('logo_type', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('logo_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('municipality') as batch:
        batch.drop_column('logo_hash')
        batch.drop_column('logo_type')
        batch.drop_column('logo')
