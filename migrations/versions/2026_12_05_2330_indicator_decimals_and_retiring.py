"""indicator decimals and retiring

Revision ID: c1a5e0d40001
Revises: 9a4d3f6b1e27
Create Date: 2026-12-05 23:30:00
"""

import sqlalchemy as sa
from alembic import op

import panel.db

revision = 'c1a5e0d40001'
down_revision = '9a4d3f6b1e27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decimals', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))
        batch_op.add_column(sa.Column('retired_at', panel.db.UTCDateTime(), nullable=True))
    # Existing indicators get the usual decimals of their unit: report marks and scale
    # scores one (7,3), percentages and counts none (32%).
    op.execute("UPDATE indicator SET decimals = 1 WHERE unit IN ('mark', 'score')")


def downgrade() -> None:
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
        batch_op.drop_column('decimals')
