"""staff sessions kept on the server

Revision ID: e18a1a000001
Revises: d17a1a000001
Create Date: 2026-12-06 11:00:00
"""

import sqlalchemy as sa
from alembic import op

from panel.db import UTCDateTime

revision = 'e18a1a000001'
down_revision = 'd17a1a000001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per signed-in staff session (panel/auth/staff_sessions.py). Sessions signed
    # in before this revision carry no session id in their cookie and end at the next
    # request: their users sign in again.
    op.create_table('staff_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', UTCDateTime(), nullable=False),
    sa.Column('ended_at', UTCDateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=20), server_default='', nullable=False),
    sa.Column('browser', sa.String(length=40), server_default='', nullable=False),
    sa.Column('system', sa.String(length=40), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_staff_session_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_session_token_hash'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_session_user_id'))

    op.drop_table('staff_session')
