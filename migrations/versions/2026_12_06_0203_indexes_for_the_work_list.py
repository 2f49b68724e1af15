"""indexes for the work list

Revision ID: d16a00000004
Revises: d16a00000003
Create Date: 2026-12-06 02:03:00
"""

from alembic import op

revision = 'd16a00000004'
down_revision = 'd16a00000003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The meetings of the coming days, by status and start (not every meeting of a gebied).
    op.create_index('ix_meeting_status_starts', 'meeting', ['status', 'starts_at'],
                    unique=False)
    # Members waiting for a confirmation by phone or post: invited, without email.
    op.create_index('ix_panel_member_wijk_status_email', 'panel_member',
                    ['neighbourhood_id', 'status', 'email'], unique=False)
    # Open actions by due date and age, and whether they had progress since a moment.
    op.create_index('ix_action_area_status_due', 'action',
                    ['area_id', 'status', 'due_date', 'created_at'], unique=False)
    op.create_index('ix_action_update_action_created', 'action_update',
                    ['action_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_action_update_action_created', table_name='action_update')
    op.drop_index('ix_action_area_status_due', table_name='action')
    op.drop_index('ix_panel_member_wijk_status_email', table_name='panel_member')
    op.drop_index('ix_meeting_status_starts', table_name='meeting')
