"""jobs done after the response, kept until done

Revision ID: e18a1a000004
Revises: e18a1a000003
Create Date: 2026-12-06 11:03:00
"""

import sqlalchemy as sa
from alembic import op

from panel.db import UTCDateTime

revision = 'e18a1a000004'
down_revision = 'e18a1a000003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per job handed over by a request (panel.later), deleted when it is done.
    op.create_table(
        'deferred_job',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('claimed_by', sa.String(length=40), nullable=False, server_default=''),
        sa.Column('claimed_at', UTCDateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deferred_job')),
    )
    op.create_index(op.f('ix_deferred_job_created_at'), 'deferred_job', ['created_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_deferred_job_created_at'), table_name='deferred_job')
    op.drop_table('deferred_job')
