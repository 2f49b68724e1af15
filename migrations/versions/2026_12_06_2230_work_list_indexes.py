"""an action's last progress, and the meetings without attendance or a report from an index

Revision ID: e18a1a000007
Revises: e18a1a000006
Create Date: 2026-12-06 22:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'e18a1a000007'
down_revision = 'e18a1a000006'
branch_labels = None
depends_on = None

UNRECORDED = sa.text("closed_at IS NULL OR report = ''")


def upgrade() -> None:
    with op.batch_alter_table('action') as batch:
        batch.add_column(sa.Column('last_progress_at', sa.DateTime(), nullable=True))
    # The last entry in each action's log, or its creation when the log has none later.
    action = sa.table('action', sa.column('id', sa.Integer()),
                      sa.column('created_at', sa.DateTime()),
                      sa.column('last_progress_at', sa.DateTime()))
    log = sa.table('action_update', sa.column('action_id', sa.Integer()),
                   sa.column('created_at', sa.DateTime()))
    latest = sa.select(sa.func.max(log.c.created_at)) \
        .where(log.c.action_id == action.c.id).scalar_subquery()
    op.execute(action.update().values(last_progress_at=action.c.created_at))
    op.execute(action.update().where(latest > action.c.created_at)
               .values(last_progress_at=latest))
    with op.batch_alter_table('action') as batch:
        batch.alter_column('last_progress_at', existing_type=sa.DateTime(), nullable=False)
    op.create_index('ix_action_area_status_progress', 'action',
                    ['area_id', 'status', 'last_progress_at'])
    op.create_index('ix_meeting_unrecorded', 'meeting', ['status', 'area_id', 'ends_at'],
                    sqlite_where=UNRECORDED, postgresql_where=UNRECORDED)


def downgrade() -> None:
    op.drop_index('ix_meeting_unrecorded', table_name='meeting')
    op.drop_index('ix_action_area_status_progress', table_name='action')
    with op.batch_alter_table('action') as batch:
        batch.drop_column('last_progress_at')
