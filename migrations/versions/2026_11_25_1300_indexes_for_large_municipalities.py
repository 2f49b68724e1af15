"""indexes for large municipalities

Revision ID: 7c2e51a0d9b3
Revises: 4109489c401f
Create Date: 2026-11-25 13:00:00
"""

from alembic import op

revision = '7c2e51a0d9b3'
down_revision = '4109489c401f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_item_item_id'), ['item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_item_item_id'))
