"""weekly work list and the feedback index it counts from

Revision ID: d16a00000003
Revises: d16a00000002
Create Date: 2026-12-06 02:00:00
"""

import sqlalchemy as sa
from alembic import op

import panel.db

revision = 'd16a00000003'
down_revision = 'd16a00000002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Staff members who get their work list by email every week (panel.worklist).
    op.create_table('weekly_work_list',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', panel.db.UTCDateTime(), nullable=False),
    sa.Column('last_sent_at', panel.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'],
                            name=op.f('fk_weekly_work_list_user_id_staff_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_weekly_work_list'))
    )
    # The work list counts a wijk's feedback waiting for a check, by age, from the index.
    op.create_index('ix_feedback_item_wijk_review_created', 'feedback_item',
                    ['neighbourhood_id', 'review', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_feedback_item_wijk_review_created', table_name='feedback_item')
    op.drop_table('weekly_work_list')
