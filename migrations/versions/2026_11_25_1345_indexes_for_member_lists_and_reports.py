"""indexes for member lists and motion reports

Revision ID: 9a4d3f6b1e27
Revises: 7c2e51a0d9b3
Create Date: 2026-11-25 13:45:00
"""

from alembic import op

revision = '9a4d3f6b1e27'
down_revision = '7c2e51a0d9b3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.create_index('ix_panel_member_wijk_status_created',
                              ['neighbourhood_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_panel_member_wijk_source_period',
                              ['neighbourhood_id', 'source', 'status', 'confirmed_at',
                               'left_at'], unique=False)
    with op.batch_alter_table('feedback_item', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_item_wijk_created_theme',
                              ['neighbourhood_id', 'created_at', 'theme_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('feedback_item', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_item_wijk_created_theme')
    with op.batch_alter_table('panel_member', schema=None) as batch_op:
        batch_op.drop_index('ix_panel_member_wijk_source_period')
        batch_op.drop_index('ix_panel_member_wijk_status_created')
